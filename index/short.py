"""The short answer to a question that asks how many, how much, when or which one (第几).

It is cut from the highlighted sentence, in the document's own script, and only when the
sentence holds one clear thing of the asked kind beside the question's words; otherwise there
is none, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.features import HOW_MANY, SESSION, WHICH_OF_SERIES, WHICH_YEAR, focus_pairs
from index.tokenize import fold

_DIGIT = r"[0-9０-９]"
_NUMBER = (
    rf"(?:{_DIGIT}+(?:[,，]{_DIGIT}{{3}}(?!{_DIGIT}))*(?:[.．]{_DIGIT}+)?"
    r"|[零〇一二两三四五六七八九十百千]+)"
)
_SCALE = r"(?:[万萬亿億])?"
# Measurements, then the words things are counted by.
_UNITS = (
    "平方公里|平方千米|平方米|公里|千米|厘米|公分|毫米|公斤|千克|公顷|万元|亿元|"
    "小时|分钟|个月|米|克|吨|元|亩|岁|年|天|秒"
)
_MEASURES = (
    _UNITS + "|人次|%|％|人|名|个|個|件|次|所|家|座|条|條|项|項|部|本|户|戶|"
    "册|冊|层|層|届|屆|期|场|場|辆|輛|台|臺|股|只|隻|头|頭|首|篇|章|批|支|队|隊|枚|颗|顆|"
    "种|種|类|類|位|间|間|栋|棟|所|处|處|张|張|倍|块|塊|份|站|轮|輪"
)
# A range is one answer: 15至20厘米, 70-80公里, 276米-285米.
_LOW = rf"(?:{_NUMBER}{_SCALE}(?:{_MEASURES})?[至到\-~～—－])?"
_COUNT = re.compile(rf"(?:约|約|近|超过|超過)?{_LOW}{_NUMBER}{_SCALE}(?:余|餘|多)?(?:{_MEASURES})")
_AMOUNT = re.compile(rf"{_LOW}{_NUMBER}{_SCALE}(?:余|餘|多)?(?:{_MEASURES})?")
# 1565年, 一九九七年, 公元前25年, and a decade: 1990年代 (not 1990年代表大会).
_YEAR = (
    rf"(?:{_DIGIT}{{3}}0年代(?!表)|"
    rf"(?:(?:公元前?|西元前?){_DIGIT}{{1,4}}|{_DIGIT}{{4}}|[零〇一二三四五六七八九]{{4}})年)"
)
_MONTH_DAY = rf"{_DIGIT}{{1,2}}月(?:{_DIGIT}{{1,2}}[日号號])?"
_DATE = re.compile(
    rf"(?:{_YEAR}(?:{_MONTH_DAY})?|{_MONTH_DAY})"
    rf"(?:[至到\-—~－](?:{_YEAR})?(?:{_DIGIT}{{1,2}}月)?{_DIGIT}{{1,2}}[日号號])?"
)
_ORDINAL = re.compile(r"第[0-9０-９零〇一二两三四五六七八九十百千]+[\u4e00-\u9fff]?")
_LEADING = 2  # characters a leading time or amount may carry: 自…起, 在…时
_CLAUSE = re.compile(r"[，,、；;：:。！？!?（）()]")
_LABELLED = frozenset("：:")
# A space before a label parts fields laid out on one line (邮政编码:030600 联系电话:…), as a
# comma would, and so does one before a number (a dateline: 本报讯 1月6日,…); elsewhere
# (14 英吋) it is only a space.
_FIELD_GAP = re.compile(r"\s+(?=[\u4e00-\u9fff]{1,8}[：:]|[0-9０-９])")


# What a question asks for, from its folded text; a date question may name what it wants of
# the date (a day, a month, a year), and then the answer must hold it.
_ASKS_DATE = re.compile(
    r"什么时候|何时|几时|哪一?年|何年|哪一?天|几月|几日|几号|什么时间|哪个时间|日期|年份"
)
_DATE_PARTS = (
    (re.compile(r"哪一?天|几日|几号|日期"), ("日", "号", "號")),
    (re.compile(r"几月"), ("月",)),
    (re.compile(WHICH_YEAR), ("年",)),
)
_YEAR_ONLY = re.compile(rf"^{_YEAR}$")
# An amount holds a digit, or numerals other than 一 alone before a unit: 两平方公里, 二十年
# (三个 is a count, not an amount).
_MEASURED = re.compile(
    rf"[0-9]|^(?!一(?:{_UNITS})$)[零〇一二两三四五六七八九十百千]+[万亿]?(?:{_UNITS})$"
)
_ASKS_ORDINAL = re.compile(rf"第几|{WHICH_OF_SERIES}")
_ASKS_UNIT = re.compile(rf"(?:{HOW_MANY}|多少)(?:余|多)?([\u4e00-\u9fff])")
_ASKS_AMOUNT = re.compile(rf"多少|多大|多高|多长|多重|多远|多久|{HOW_MANY}")


def asked_kind(folded_question: str) -> str:
    """ "date", "ordinal", "count" or "amount" for the questions a short answer fits, else ""."""
    if _ASKS_ORDINAL.search(folded_question):
        return "ordinal"
    if _ASKS_DATE.search(folded_question):
        return "date"
    if _ASKS_AMOUNT.search(folded_question):
        return "count" if _unit(folded_question) else "amount"
    return ""


def _unit(folded_question: str) -> str:
    m = _ASKS_UNIT.search(folded_question)
    if m is None:
        return ""
    unit = m.group(1)
    return unit if re.fullmatch(_MEASURES, unit) else ""


def _counted(folded_question: str) -> str:
    """The thing a count asks about, when it follows its measure: 建议 of 多少件建议. A number
    followed by it counts it (3件议案、175件建议 → 175件)."""
    m = _ASKS_UNIT.search(folded_question)
    thing = folded_question[m.end() : m.end() + 2] if m else ""
    return thing if re.fullmatch(r"[\u4e00-\u9fff]{2}", thing) else ""


@dataclass(frozen=True)
class _Found:
    start: int
    stop: int
    text: str


def short_answer(question: str, sentence: str, weights: dict[str, float]) -> str | None:
    """The one thing of the asked kind in `sentence` that sits beside the question's words.

    `weights` are the question's words with their IDF: the clause around a candidate that holds
    the most of that weight wins, and a tie between two candidates means no short answer.
    """
    folded = fold(question)
    kind = asked_kind(folded)
    if not kind:
        return None
    found = _candidates(kind, folded, sentence)
    if not found:
        return None
    # A count followed by the thing counted (175件建议 for 多少件建议) is the one, then the
    # words next to the question word (多少次主任会议 → 主任会议) say which one it is, then all
    # the question's words; a candidate whose clause holds none of them is not meant.
    pairs = focus_pairs(folded)
    thing = _counted(folded) if kind == "count" else ""

    def score(f: _Found) -> tuple[int, int, float]:
        counts_it = bool(thing) and sentence.startswith(thing, f.stop)
        return (int(counts_it), *_beside(sentence, f, found, pairs, weights))

    ranked = sorted(((score(f), f) for f in found), key=lambda x: x[0], reverse=True)
    best, chosen = ranked[0]
    rivals = {fold(f.text) for rank, f in ranked if rank == best}
    if not any(best) or len(rivals) > 1:
        return None
    return chosen.text


def _candidates(kind: str, folded_question: str, sentence: str) -> list[_Found]:
    if kind == "date":
        pattern = _DATE
        parts = next((p for asks, p in _DATE_PARTS if asks.search(folded_question)), ())
    elif kind == "ordinal":
        pattern = _ORDINAL
    elif kind == "count":
        pattern = _COUNT
        unit = _unit(folded_question)
    else:
        pattern = _AMOUNT
    # A number in a date (1月5日) is no amount: its day is not what 多少 asks for; nor is
    # the 五次 of 十五届人大五次会议 a count of meetings, unless the question names a 届.
    inside: list[tuple[int, int]] = []
    if kind == "amount":
        inside = [d.span() for d in _DATE.finditer(sentence)]
    elif kind == "count" and "届" not in folded_question:
        inside = [d.span() for d in re.finditer(SESSION, sentence)]
    found = []
    for m in pattern.finditer(sentence):
        text = m.group(0)
        folded = fold(text)
        if any(start < m.end() and m.start() < stop for start, stop in inside):
            continue
        if kind == "date" and parts and not any(p in folded for p in parts):
            continue
        if kind == "count" and not folded.endswith((unit, unit + "次")):
            continue
        if kind == "amount" and (_YEAR_ONLY.match(text) or not _MEASURED.search(folded)):
            continue  # a bare numeral word (一些, 十分) or a year is not an amount
        if kind == "amount" and sentence[m.end() : m.end() + 1] in ("号", "號"):
            continue  # 新华街199号, 3号线 name a thing; they do not measure it
        found.append(_Found(m.start(), m.end(), text))
    return found


def _beside(
    sentence: str,
    candidate: _Found,
    found: list[_Found],
    pairs: frozenset[str],
    weights: dict[str, float],
) -> tuple[int, float]:
    """How much of the question the clause holding the candidate says: the character pairs
    next to the question word it holds, then the IDF weight of the question's words in it.
    A candidate that is a clause of its own, saying nothing of the question (1970年，在…取得学士
    学位; 自1962年起，…), is read with the clauses after it, which it leads; one after a colon is
    the value of the label before it (联系电话:0354-12380), never the lead of the next field; a
    lead that no clause after it names is read with the fields before it."""
    start, stop = _clause(sentence, candidate.start, candidate.stop)
    # Items listed before it with 、 are counted with it (组织或配合执法检查、视察及调研29次),
    # unless an item holds a number of its own (召开常委会会议7次、主任会议15次).
    while start > 1 and sentence[start - 1] == "、":
        item = _clause_before(sentence, start - 1)
        if any(item <= f.start < start for f in found):
            break
        start = item
    own = _says(sentence[start:stop], pairs, weights)
    if any(own) or (stop - start) - (candidate.stop - candidate.start) > _LEADING:
        return own
    if start > 0 and sentence[start - 1] in _LABELLED:
        label, _ = _clause(sentence, start - 1, start - 1)
        return _says(sentence[label : start - 1], pairs, weights)
    # A lead is read with the clauses after it up to one that says something of the question
    # (2025年10月29日，…会议现场，一场…专题询问…), but not past the next candidate's clause.
    after = stop
    while after < len(sentence):
        begin, after = after + 1, _clause(sentence, after + 1, after + 1)[1]
        if any(begin <= f.start < after for f in found):
            break
        own = _says(sentence[begin:after], pairs, weights)
        if any(own):
            return own
    # Failing that, with the fields before it, in a record of fields parted by commas
    # (李新文,男,汉族,1977年8月生,…); a bracketed lead glosses what is before it
    # (天启七年（1627年）举人) and is not read so.
    before = start
    while before > 0 and sentence[start - 1] in ",，、":
        end = before - 1
        before = _clause_before(sentence, end)
        if any(before <= f.start < end for f in found):
            break
        own = _says(sentence[before:end], pairs, weights)
        if any(own):
            break
    return own


def _clause(sentence: str, start: int, stop: int) -> tuple[int, int]:
    """The clause around sentence[start:stop], between the marks that end clauses."""
    while start > 0 and not _CLAUSE.match(sentence[start - 1]) and not _in_gap(sentence, start - 1):
        start -= 1
    while (
        stop < len(sentence) and not _CLAUSE.match(sentence[stop]) and not _in_gap(sentence, stop)
    ):
        stop += 1
    return start, stop


def _clause_before(sentence: str, mark: int) -> int:
    """Where the clause that ends at the mark at `mark` starts."""
    return _clause(sentence, mark - 1, mark - 1)[0] if mark > 0 else 0


def _in_gap(sentence: str, at: int) -> bool:
    """The character at `at` is a space of a gap before a label or a number."""
    return sentence[at].isspace() and _FIELD_GAP.match(sentence, at) is not None


def _says(clause: str, pairs: frozenset[str], weights: dict[str, float]) -> tuple[int, float]:
    folded = fold(clause)
    near = sum(1 for pair in pairs if pair in folded)
    return near, sum(w for t, w in weights.items() if not t.startswith("#") and t in folded)
