"""Whether a quote could answer what a question asks at all, whatever its words share.

Word overlap cannot tell "the page is about this" from "the page says this": over a council's
report, `长治市的市长是谁？` matches 长治市 everywhere and 市长 nowhere. A few asks carry a thing
the answer must hold in so many words, and a quote without it is passed over:
- who holds an office (市长, 院长, 主任, 书记 …): the quote names that office, not its deputy's
  (副市长 is another office);
- which year: the quote holds a year (2025年, 一九九七年, 顺治十一年, 元年, 去年, 1990年代,
  万历年间);
- how much money: the quote holds a sum in a currency (60元, 0.37美元, $4.9), or says 免费.
Every CMRC dev and trial question of these kinds has the office, a year or a sum on its page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.tokenize import fold

# The office a who-question names just before asking who holds it: 市长, 院长, 主任, 书记, and
# a committee's secretary with its committee (市委书记 is not the 党委书记 of a township).
_OFFICE = re.compile(
    r"(副?(?:[\u4e00-\u9fff]长|主任|(?:[\u4e00-\u9fff]委)?书记|主席|总统|总理|首相|总裁|经理"
    r"|总监|主编|司令|总督|大使))(?:的名字)?(?:是谁|是哪位|是何人|是什么人|叫什么|由谁担任)"
)
# A word ending in 长 that is no office: 成长, 增长, 特长.
_NOT_OFFICE = frozenset(["成长", "增长", "特长", "擅长", "延长", "专长", "生长", "家长", "兄长"])
_MEETING = re.compile(r"会议|办公会|联席会")
_ASKS_MONEY = re.compile(
    r"多少钱|几块钱|(?:价格|价钱|票价|门票|售价|收费|费用|租金)[\u4e00-\u9fff]{0,3}?(?:多少|几)"
)
_MONEY = re.compile(
    r"[0-9零〇一二两三四五六七八九十百千万亿](?:余|多)?[万亿]?"
    r"(?:元|块|圆|角|美元|港元|欧元|日元|英镑|镑|法郎|卢布|比索)|[$¥￥€£]\s*[0-9]|免费"
)
_ASKS_YEAR = re.compile(r"哪一?年|何年|年份")
_YEAR = re.compile(
    r"[0-9]\s*年|[〇零一二三四五六七八九]{4}\s*年"
    # an era's year: 十一年, 二十五年, 七年, 元年 (not the 一年 of 过去一年)
    r"|(?:[二三四五六七八九十][〇零一二三四五六七八九十]*|元)年"
    r"|今年|去年|前年|明年|当年|同年|次年|翌年|年代|年间|世纪"
)


@dataclass(frozen=True)
class Need:
    """What a quote must hold to answer: `office` (folded, 副 included when asked), a year,
    a sum of money."""

    office: str = ""
    year: bool = False
    money: bool = False

    def met(self, quote: str) -> bool:
        text = fold(quote)
        if self.office and not _names_office(text, self.office):
            return False
        if self.money and _MONEY.search(text) is None:
            return False
        return not self.year or _YEAR.search(text) is not None


def need(folded_question: str) -> Need | None:
    """What the question needs its quote to hold, or None when word overlap must do."""
    found = _OFFICE.search(folded_question)
    office = found.group(1) if found and found.group(1)[-2:] not in _NOT_OFFICE else ""
    year = _ASKS_YEAR.search(folded_question) is not None
    money = _ASKS_MONEY.search(folded_question) is not None
    return Need(office, year, money) if office or year or money else None


def _names_office(text: str, office: str) -> bool:
    """The text names the office, not as a deputy's unless a deputy is asked for, nor as the
    name of its holders' meeting (主任会议, 市长办公会)."""
    deputy = office.startswith("副")
    title = office if deputy or office.endswith("委书记") else office[-2:]
    return any(
        (deputy or text[m.start() - 1 : m.start()] != "副") and not _MEETING.match(text, m.end())
        for m in re.finditer(title, text)
    )
