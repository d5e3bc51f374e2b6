"""Whether a quote could answer what a question asks at all, whatever its words share.

Word overlap cannot tell "the page is about this" from "the page says this": over a council's
report, `长治市的市长是谁？` matches 长治市 everywhere and 市长 nowhere. A few asks carry a thing
the answer must hold in so many words, and a quote without it is passed over:
- who holds an office (市长, 院长, 主任, 书记 …): the quote names that office, not its deputy's
  (副市长 is another office) nor a rank (主任科员), and names someone;
- the seat of a place or a body (省会, 首都, 首府, 总部, 驻地): the quote names the seat;
- which year: the quote holds a year (2025年, 一九九七年, 顺治十一年, 元年, 去年, 1990年代,
  万历年间), not a span (近5年);
- how much money (多少钱, 票价, 收入, GDP): a sum in a currency (60元, 0.37美元, $4.9), or 免费;
- how many people (人口, 多少人): a count of people (8984名, 150万, 人口约八千);
- how many years (几年): a count of years (五年, 三十余年, 半年);
- how much a thing grew, or a rate (增长目标是多少, 合格率是多少): a number (5%, 22.5, 一倍),
  not a date's;
- which day (哪天, 几号): a day (1月7日, 当天, 国庆), not 近日;
- how many, by a measure of the thing's own (几所, 多少件, 第几届): a count by it (3所, 多次).
A year, a sum or a count inside a title (《2025年代表工作计划》) or a session's name
(十五届人大五次会议) is part of a name and does not count. A session the question names must
be the quote's, and a year it names (2027年) the quote's document's. Every CMRC dev and trial
question of these kinds has the office, the seat or the thing on its page, and none answered
right loses its answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.features import SESSION, WHICH_YEAR, is_person
from index.tokenize import Tokenizer, fold

# The office a who-question names just before asking who holds it: 市长, 院长, 主任, 书记, and
# a committee's secretary with its committee (市委书记 is not the 党委书记 of a township).
_OFFICE = re.compile(
    r"(副?(?:[\u4e00-\u9fff]长|主任|(?:[\u4e00-\u9fff]委)?书记|主席|总统|总理|首相|总裁|经理"
    r"|总监|主编|司令|总督|大使))(?:的名字)?(?:是谁|是哪位|是何人|是什么人|叫什么|由谁担任)"
)
_SEAT = re.compile(r"省会|首都|首府|总部|驻地|治所")
# A word ending in 长 that is no office: 成长, 增长, 特长.
_NOT_OFFICE = frozenset(["成长", "增长", "特长", "擅长", "延长", "专长", "生长", "家长", "兄长"])
# An office's name inside a longer one: its holders' meeting (主任会议), a rank (主任科员).
_NOT_HOLDER = re.compile(r"会议|办公会|联席会|科员")
_NUMERAL = "[0-9零〇一二两三四五六七八九十百千万亿]"
_ASKS_MONEY = re.compile(
    r"多少钱|几块钱|多少(?:资金|经费|费用|投资|收入|损失)"
    r"|(?:价格|价钱|票价|门票|售价|收费|费用|租金|gdp|生产总值|产值|营收|收入|金额|资金|投资|损失)"
    r"[\u4e00-\u9fff]{0,3}?(?:多少|几)"
)
_MONEY = re.compile(
    rf"{_NUMERAL}(?:余|多)?[万亿]?"
    r"(?:[\u4e00-\u9fff]?[元币]|块|圆|角|镑|法郎|卢布|比索|卢比|里拉|马克)|[$¥￥€£]\s*[0-9]|免费"
)
# How much a thing grew asks a rate or a count, not a sum (GDP增长了多少).
_GROWTH = re.compile(r"增长|增速|增幅|下降|降幅|上涨|涨幅|减少")
_ASKS_PEOPLE = re.compile(r"人口(?:是|有|为|数)?多少|多少(?:个)?人(?![次民大])|几个?人")
_PEOPLE = re.compile(
    rf"{_NUMERAL}(?:余|多)?[万亿]?(?:人|名|位|口)|[0-9][万亿]|人口[^，。；;]{{0,6}}?{_NUMERAL}"
)
# 几年 asks how many, not 近几年, 这几年, 十几年 (recent years, a dozen or so).
_ASKS_YEARS = re.compile(r"(?<![哪近这前十])几年|多少年(?!代)")
_YEARS = re.compile(rf"{_NUMERAL}(?:余|多)?个?(?:年|世纪)|半年")
_YEAR = re.compile(
    # 2025年, 1977年8月, 庆应2年1月 (not the span of 近5年)
    r"[0-9]{3,}\s*年|[0-9]{1,2}\s*年\s*[0-9]{1,2}\s*月|[〇零一二三四五六七八九]{4}\s*年"
    # an era's year: 十一年, 二十五年, 七年, 元年 (not the 一年 of 过去一年)
    r"|(?:[二三四五六七八九十][〇零一二三四五六七八九十]*|元)年"
    r"|今年|去年|前年|明年|当年|同年|次年|翌年|年代|年间|世纪"
)
# A title's words are its name, not what the page says happened: 《2025年代表工作计划》 holds
# no year an event took place in; nor does a session's name count its meetings (五届人大五次会议).
_TITLE = r"《[^《》]*》"
# A question that names a title, or asks which session (第几次会议, 哪一届), reads names too.
_ASKS_NAMED = re.compile(r"第几|哪一?[次届]|[届屆]")
# A foreign name: 约翰·麦克阿瑟, Curtis Stevens.
_FOREIGN = re.compile(r"[\u4e00-\u9fff]·[\u4e00-\u9fff]|\b[A-Z][a-z]+")
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")
# How much a thing grew or fell, or what share or rate it is (合格率是多少): a number answers
# (7.5%, 22.5, 三成, 一倍), not the words of a plan nor a date's (1月5日).
_ASKS_CHANGE = re.compile(rf"(?:{_GROWTH.pattern}|率|比例|比重|占比)[^，。？?]{{0,4}}?(?:多少|几)")
_CHANGE = re.compile(
    rf"(?<![0-9.])[0-9]+(?:\.[0-9]+)?(?![0-9.]|\s*[年月日号])|百分之|{_NUMERAL}+(?:个百分点|成|倍|番)"
)
_NAMED_YEAR = re.compile(r"(?<![0-9])([12][0-9]{3})(?=\s*年)")
# A year told from the page's own date: a work report of 2026 says 过去一年 for 2025. Read in
# the page's own script, unfolded: folding a whole page costs more than the search.
_RELATIVE_YEAR = re.compile(
    r"今年|去年|前年|明年|[过過]去一年|一年[来來]|本年|上年|上一年|年初|年底|年末"
)
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Which day: a day answers (1月7日, 7号, 当天, 国庆), not 近日.
_ASKS_DAY = re.compile(r"哪一?天|哪一?日|几号|几月几日")
_DAY = re.compile(
    rf"{_NUMERAL}\s*[日号]|[今昨明前后当次翌同首]天|[当次翌同首]日|星期|礼拜|周[一二三四五六日天末]"
    r"|除夕|元旦|春节|元宵|清明|端午|七夕|中秋|重阳|国庆|节日"
)
# How many of a thing counted by a measure of its own (几所学校, 多少件, 第几届): the answer
# counts with that measure (3所, 十余件, 第三届, 多次). Measures a page swaps for others
# (个, 家, 座, 名) are left to word overlap.
_ASKS_MEASURED = re.compile(r"(?:几|多少)([所件次期届项条篇场栋辆架艘部集季章])")
_SOME = "[0-9零〇一二两三四五六七八九十百千万亿半数多几]"
# Each ask whose answer a quote must hold, and what holds it (a sum and a measured count are
# asked below).
_ASKS = (
    (re.compile(WHICH_YEAR), _YEAR),
    (_ASKS_PEOPLE, _PEOPLE),
    (_ASKS_YEARS, _YEARS),
    (_ASKS_CHANGE, _CHANGE),
    (_ASKS_DAY, _DAY),
)


@dataclass(frozen=True)
class Need:
    """What a quote must hold to answer: the office (folded, 副 included when asked) and
    someone who could hold it, the seat, and a match of each pattern (a year, a day, a sum, a
    number, a count) outside the names it holds: titles, unless the question names one, and
    sessions, unless it asks which. `years` are those the quote's document must speak of
    (`speaks_of`)."""

    office: str = ""
    seat: str = ""
    patterns: tuple[re.Pattern[str], ...] = ()
    names: re.Pattern[str] | None = None
    years: tuple[str, ...] = ()

    def met(self, quote: str, tokenizer: Tokenizer) -> bool:
        text = fold(quote)
        if self.office and not (
            _names_office(text, self.office) and _names_someone(quote, text, tokenizer)
        ):
            return False
        if self.seat not in text:
            return False
        facts = self.names.sub("", text) if self.names else text
        return all(p.search(facts) for p in self.patterns)


def need(folded_question: str) -> Need | None:
    """What the question needs its quote to hold, or None when word overlap must do."""
    found = _OFFICE.search(folded_question)
    office = found.group(1) if found and found.group(1)[-2:] not in _NOT_OFFICE else ""
    seat = _SEAT.search(folded_question)
    patterns = tuple(held for asks, held in _ASKS if asks.search(folded_question))
    if _ASKS_MONEY.search(folded_question) and not _GROWTH.search(folded_question):
        patterns += (_MONEY,)
    measured = _ASKS_MEASURED.search(folded_question)
    if measured:
        patterns += (re.compile(rf"{_SOME}\s*(?:余|多)?\s*{measured.group(1)}"),)
    # A session the question names is one of many a council's pages tell of: the quote names
    # the same one (十五届人大六次会议 is not answered by 第二十九次会议).
    session = re.search(SESSION, folded_question)
    if session:
        patterns += (re.compile(rf"(?<![0-9零〇一二三四五六七八九十]){session.group('session')}"),)
    # A year the question names is one its page speaks of (see `speaks_of`).
    years = tuple(dict.fromkeys(_NAMED_YEAR.findall(folded_question)))
    if not (office or seat or patterns or years):
        return None
    names = [_TITLE] if "《" not in folded_question else []
    if not _ASKS_NAMED.search(folded_question):
        names.append(SESSION)
    held_in = re.compile("|".join(names)) if names else None
    return Need(office, seat.group(0) if seat else "", patterns, held_in, years)


def _names_office(text: str, office: str) -> bool:
    """The text names the office, not as a deputy's unless a deputy is asked for, nor as the
    name of its holders' meeting (主任会议, 市长办公会)."""
    deputy = office.startswith("副")
    title = office if deputy or office.endswith("委书记") else office[-2:]
    return any(
        (deputy or text[m.start() - 1 : m.start()] != "副") and not _NOT_HOLDER.match(text, m.end())
        for m in re.finditer(title, text)
    )


def _names_someone(quote: str, text: str, tokenizer: Tokenizer) -> bool:
    """The quote names a person: one jieba tags or shapes as a name, a foreign name, or a
    word jieba does not know, as most people's names are (邀请四区人大常委会主任交流工作经验
    names an office and no one in it). Of the CMRC dev and trial questions asking who and
    answered right, all but two (whose answers are bodies) name one so read."""
    if _FOREIGN.search(quote):
        return True
    tags = tokenizer.tags
    return any(
        is_person(word, tags.get(word, ""))
        or (_CJK_WORD.fullmatch(word) is not None and not tokenizer.knows(word))
        for word in tokenizer.segments(text)
    )


def speaks_of(document: str, years: tuple[str, ...]) -> bool:
    """Whether a document's text may speak of the years a question names: it names them (in
    ASCII or full-width digits), or it tells a year from its own date (过去一年, 去年), which a
    question's year may be. Of the CMRC dev and trial questions that name a year (295), every
    paragraph names it; a page of 2025 does not tell 2027's plans."""
    named = all(y in document or y.translate(_FULL_WIDTH) in document for y in years)
    return named or _RELATIVE_YEAR.search(document) is not None
