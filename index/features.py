"""What the ranking model sees of a question, a candidate passage and each of its sentences.

Every feature is a number computed from stored tokens, so that scoring a candidate never
re-tokenizes text; only `s_order` reads a sentence's characters, folded once per loaded
document. The names are the keys of the weights file (`index/ranker.json`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cached_property

from index.document import SentenceInfo
from index.tokenize import DOUBLE_SURNAMES, SURNAMES, WHERE

# 几 asking how many, not the 几 of 几何, 几乎, 几内亚, 茶几 or 欧几里得.
HOW_MANY = r"(?<![茶欧])几(?![何乎内])"
WHICH_OF_SERIES = r"哪一?[次届期]"
WHICH_YEAR = r"哪一?年|何年|年份"
# A session's name: 十五届人大五次会议 is the fifth session, not five meetings.
SESSION = (
    r"[届屆][^，。；,;]{0,8}?"
    r"(?P<session>[0-9一二三四五六七八九十]+次(?:会议|會議|全会|全會|全体会议))"
)

# What kind of thing a question asks for, told by its question words.
ASKED: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "date",
        re.compile(r"什么时候|何时|几时|哪一?年|何年|哪一?天|几月|几日|几号|什么时间|日期|when"),
    ),
    (
        "place",
        re.compile(rf"{WHERE}|哪[个些]?(?:省|市|县|国|国家|城市|地区)|where"),
    ),
    ("title", re.compile(r"职务|职位|官职|什么职|头衔")),
    ("person", re.compile(r"谁|哪位|什么人|何人|\bwho\b")),
    (
        "count",
        re.compile(
            rf"{HOW_MANY}|多少|多大|多高|多长|多重|多远|多久|{WHICH_OF_SERIES}|how (?:many|much)"
        ),
    ),
)
# Which of a series (第几届, 在哪次会议): the answer is a number with 第 before it, 第二十九次,
# not any count (召开常委会会议7次).
_ORDINAL_ASKED = re.compile(rf"第{HOW_MANY}|{WHICH_OF_SERIES}")
# A place question that names the level of place it wants (哪些省, 哪个县): the answer is a place
# of that level, 甘肃 or 祁县, not the 桐峪镇 beside the question's words.
_LEVEL = re.compile(r"哪[个些一]?(省|县|镇|村)")
_PROVINCES = frozenset(
    [
        "北京",
        "天津",
        "上海",
        "重庆",
        "河北",
        "山西",
        "辽宁",
        "吉林",
        "黑龙江",
        "江苏",
        "浙江",
        "安徽",
        "福建",
        "江西",
        "山东",
        "河南",
        "湖北",
        "湖南",
        "广东",
        "海南",
        "四川",
        "贵州",
        "云南",
        "陕西",
        "甘肃",
        "青海",
        "台湾",
        "内蒙古",
        "广西",
        "西藏",
        "宁夏",
        "新疆",
        "香港",
        "澳门",
    ]
)
_NUMBER = re.compile(r"^(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿]+)$")
_PLACE_END = tuple("省市县区镇村乡国州岛山河湖")
_PERSON_CUES = frozenset(["书记", "主任", "市长", "县长", "先生", "女士", "同志", "教授", "代表"])
_NUMERALS = frozenset("零〇一二两三四五六七八九十百千万亿")
_TITLE_END = ("长", "主任", "书记", "主席", "委员", "经理", "科员", "部长", "将军", "大夫")
_DATE_UNITS = frozenset(["#年", "#月", "#日"])
# The word after a number that makes it a date: 2025 年, 10 月, 29 日 (not 十五 届, 二十 大).
_DATE_NEXT = frozenset(["年", "月", "日", "号", "年代", "年间", "年初", "年底", "年末", "月份"])
_ORDINAL_WORD = re.compile(r"^第(?:\d+|[零〇一二两三四五六七八九十百千]+)")
_DATE_WORD = re.compile(r"^(?:\d+|[零〇一二两三四五六七八九十百千]+)[年月日号]$")  # 三年, 5日

PASSAGE_FEATURES = (
    "bm25",  # the passage's BM25Plus score over the question's IDF, less the Plus baseline
    "coverage",  # share of the question's IDF weight in the passage or its headline
    "core",  # the same over the question's own words (no cues, no answer-type tokens)
    "context",  # share found only in its article or document
    "relative",  # BM25 score over the best candidate's
    "rank",  # 1 / (1 + the candidate's place in the BM25 order)
    "named",  # share of its headline's words the question holds, times their share of it
)
SENTENCE_FEATURES = (
    "s_coverage",  # share of the question's IDF weight in the sentence
    "s_core",  # the same over the question's own words
    "s_local",  # the same, each word weighed by how rare it is around the sentence
    "s_topic",  # share found only in the headline, which every sentence shares
    "s_bigrams",  # share of the question's character pairs in the sentence
    "s_type",  # a thing of the asked type (a number, a date, a place) is in the sentence
    "s_new",  # log of the sentence's words that are not the question's: an answer adds some
    "s_length",  # log of the sentence's length in tokens
    "s_neighbours",  # share of the question's IDF weight in the sentences just before and after
    "s_first",  # the first sentence of its paragraph
    "s_date",  # a date, for a question that asks when
    "s_count",  # a number, for a question that asks how many
    "s_place",  # a place name, for a question that asks where
    "s_person",  # a title or office, for a question that asks who
    "s_focus",  # share of the character pairs around the question word (什么, 哪里) in it
    "s_focus_chars",  # share of the characters around the question word in it
    "s_rest",  # share of the weight of the question's words the headline lacks, in it
    "s_order",  # share of the question's characters it holds in the question's order
)
TOP_FEATURES = (
    "s_best",  # the best sentence's model score, added to its passage's
    "s_best_type",  # a thing of the asked type in the best sentence
)
# Read only by the order within an article, where passages share everything else.
WITHIN_FEATURES = ("opening",)  # the passage opens its article


@dataclass(frozen=True)
class Question:
    """A question as features need it: its words with their weights and what it asks for."""

    terms: tuple[str, ...]
    weights: dict[str, float]
    total: float
    core: frozenset[str]  # the question's own words: not cues, not answer-type tokens
    core_total: float
    asked: str  # "date", "place", "title", "person", "count" or ""
    bigrams: frozenset[str]
    focus: frozenset[str]  # character pairs next to the question word: the answer's setting
    focus_chars: frozenset[str]  # characters next to the question word
    unknown: frozenset[str]  # words no passage of the index holds
    specific: dict[str, float]  # each own word's rarity in Chinese at large
    tags: Mapping[str, str]  # words' parts of speech, to tell places and people
    folded: str = ""  # the question's text, folded
    names: frozenset[str] = frozenset()  # own words that name a place or a person
    # Its characters, the question word left out: a sentence that answers often says them
    # in the same order (在纳斯卡文明出现前…曾出现过 for 纳斯卡文明之前出现过什么文明).
    letters: str = ""
    sought: str = ""  # the kind of thing of `asked` an answer holds: place:省 for 哪些省

    @property
    def kind(self) -> str:
        return self.sought or self.asked

    @classmethod
    def make(
        cls,
        folded: str,
        terms: Sequence[str],
        words: Sequence[str],
        weights: dict[str, float],
        unknown: set[str],
        specificity: Callable[[str], float],
        tags: Mapping[str, str],
    ) -> Question:
        """`terms` are all the words searched for; `words` those the question itself holds."""
        asked = next((kind for kind, pattern in ASKED if pattern.search(folded)), "")
        level = _LEVEL.search(folded) if asked == "place" else None
        ordinal = asked == "count" and _ORDINAL_ASKED.search(folded) is not None
        core = [t for t in dict.fromkeys(words) if not t.startswith("#")]
        specific = {t: specificity(t) for t in core}
        return cls(
            tuple(terms),
            weights,
            sum(weights.values()) or 1.0,
            frozenset(core),
            sum(weights[t] for t in core) or 1.0,
            asked,
            _bigrams(core),
            focus_pairs(folded),
            focus_characters(folded),
            frozenset(unknown),
            specific,
            tags,
            folded,
            frozenset(t for t in core if _is_name(t, tags, specific[t])),
            _letters(folded),
            f"place:{level.group(1)}" if level else "ordinal" if ordinal else "",
        )

    @cached_property
    def places(self) -> dict[str, int]:
        """Each character of `letters` and the bits of the places it holds."""
        bits: dict[str, int] = {}
        for i, c in enumerate(self.letters):
            bits[c] = bits.get(c, 0) | 1 << i
        return bits

    def in_order(self, text: str) -> float:
        """The share of `letters` that `text` holds in their order: their longest common
        subsequence, bit-parallel (Allison and Dix), one step per character `text` shares."""
        n = len(self.letters)
        if not n:
            return 0.0
        places = self.places
        full = row = (1 << n) - 1
        for c in text:
            bits = places.get(c)
            if bits:
                bits &= row
                row = (row + bits) | (row - bits)
        return (n - (row & full).bit_count()) / n

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """Every word searched for."""
        return frozenset(self.weights)

    def share(self, found: AbstractSet[str]) -> float:
        """The share of the own words' weight that is found."""
        w = self.weights
        return sum([w[t] for t in self.core.intersection(found)]) / self.core_total

    def specific_share(self, found: set[str]) -> float:
        """The share of the own words' rarity in Chinese at large that is found."""
        total = sum(self.specific.values()) or 1.0
        return sum(v for t, v in self.specific.items() if t in found) / total

    def specific_missing(self, found: set[str]) -> float:
        """The rarity in Chinese at large of the rarest own word not found, over the rarest."""
        return max((v for t, v in self.specific.items() if t not in found), default=0.0) / (
            max(self.specific.values(), default=0.0) or 1.0
        )

    def lost_names(self, found: set[str]) -> float:
        """The share of the question's places not found, by their own name or their bare one
        (香港 for 香港地区): a quote about 长治 does not answer a question about 晋中, however
        much else matches."""
        if not self.names:
            return 0.0
        lost = [n for n in self.names if n not in found and _bare(n) not in found]
        return len(lost) / len(self.names)

    def missing(self, found: set[str]) -> float:
        """The weight of the heaviest own word not found, over the heaviest own word's."""
        if not self.core:
            return 0.0
        top = max(self.weights[t] for t in self.core)
        lost = max((self.weights[t] for t in self.core if t not in found), default=0.0)
        return lost / top if top > 0 else 0.0


_WH = re.compile(
    rf"什么|哪里|哪儿|哪些|哪个|哪一|哪|谁|{HOW_MANY}|多少|何|怎么|怎样|如何|为什么|为何"
)
_STOP_CHARS = frozenset(
    "的了是在和与及或也都就而被把对从向以为于之其这那着过得地所等并又还吗呢吧啊么"
)
FOCUS_CHARS = 4


def _focus_sides(folded: str) -> tuple[list[str], list[str]]:
    """The characters just before and just after the question word, stop characters left out."""
    m = _WH.search(folded)
    if m is None:
        return [], []
    left = folded[max(0, m.start() - FOCUS_CHARS) : m.start()]
    right = folded[m.end() : m.end() + FOCUS_CHARS]
    return _kept(left), _kept(right)


def _letters(folded: str) -> str:
    m = _WH.search(folded)
    if m is not None:
        folded = folded[: m.start()] + folded[m.end() :]
    return "".join(c for c in folded if _CJK.match(c) or c.isalnum())


def _kept(side: str) -> list[str]:
    return [c for c in side if c not in _STOP_CHARS and _CJK.match(c)]


def focus_pairs(folded: str) -> frozenset[str]:
    """Character pairs next to the question word (什么, 多少): what the answer is about."""
    pairs: set[str] = set()
    for kept in _focus_sides(folded):
        pairs.update(kept[i] + kept[i + 1] for i in range(len(kept) - 1))
    return frozenset(pairs)


def focus_characters(folded: str) -> frozenset[str]:
    """Characters next to the question word, one by one: a pair breaks where the question's
    wording and the page's differ (是谁建的 against 建于), a character does not."""
    left, right = _focus_sides(folded)
    return frozenset(left + right)


_CJK = re.compile(r"[\u3400-\u9fff]")


def _bigrams(tokens: Sequence[str]) -> frozenset[str]:
    return _pairs("".join(tokens))


def _pairs(joined: str) -> frozenset[str]:
    return frozenset([joined[i : i + 2] for i in range(len(joined) - 1)])


_NONE: frozenset[str] = frozenset()


class Facts:
    """What a sentence holds whatever the question: read once per loaded document.

    The characters and their pairs are made on first use, and with slots and no properties:
    this runs for every sentence a question reads."""

    __slots__ = ("_fold", "_folded", "_grams", "_kinds", "tags", "tokens", "words")

    def __init__(
        self, tokens: tuple[str, ...], tags: Mapping[str, str], fold: Callable[[], str]
    ) -> None:
        self._fold = fold  # the sentence's text, folded as the question is
        self._folded: str | None = None
        self.tokens = tokens
        self.words = frozenset(tokens)
        self.tags = tags
        self._kinds: dict[str, frozenset[str]] = {}
        self._grams: tuple[int, frozenset[str], frozenset[str]] | None = None

    def grams(self) -> tuple[int, frozenset[str], frozenset[str]]:
        """The number of tokens that are words (not answer-type tokens), and the characters
        and character pairs of those words run together."""
        if self._grams is None:
            plain = [t for t in self.tokens if t[0] != "#"]
            joined = "".join(plain)
            self._grams = (len(plain), frozenset(joined), _pairs(joined))
        return self._grams

    def folded(self) -> str:
        """The sentence's text, folded as the question is: only sentences scored need it,
        not their neighbours."""
        if self._folded is None:
            self._folded = self._fold()
        return self._folded

    def of_kind(self, kind: str) -> frozenset[str]:
        """The sentence's words that are things of this kind (numbers, dates, places …)."""
        found = self._kinds.get(kind)
        if found is None:
            if kind == "date":
                found = self._dates() if self.words & _DATE_UNITS else _NONE
            elif kind == "count":
                found = frozenset(t for t in self.words if _NUMBER.match(t))
            elif kind == "ordinal":
                found = self._ordinals()
            else:
                found = frozenset(t for t in self.words if _is_type(t, kind, self.tags))
            self._kinds[kind] = found
        return found

    def _ordinals(self) -> frozenset[str]:
        """Numbers the sentence writes with 第 before them: 第二十九次, or 第 29 届."""
        words = self.tokens
        return frozenset(
            t
            for before, t in zip(("", *words), words, strict=False)
            if _ORDINAL_WORD.match(t) or (before == "第" and _NUMBER.match(t))
        )

    def _dates(self) -> frozenset[str]:
        """Numbers the sentence writes as dates: a number and a date unit elsewhere in the
        sentence are not one (十五届 … 过去一年)."""
        words = self.tokens
        return frozenset(
            t
            for t, after in zip(words, (*words[1:], ""), strict=True)
            if _DATE_WORD.match(t) or (after in _DATE_NEXT and _NUMBER.match(t))
        )


NAME_RARITY = 9.5  # 长治 13.3, 山西 10.0, 北京市 9.8; 城市 7.8, 地区 7.3, 国家 6.6


_ADMINISTRATIVE = ("地区", "省", "市", "县", "区", "镇", "乡")


def _bare(name: str) -> str:
    """A place's name without the kind of place it is: a page writes 香港 for 香港地区."""
    for end in _ADMINISTRATIVE:
        if name.endswith(end) and len(name) - len(end) >= 2:
            return name[: -len(end)]
    return name


def _is_name(token: str, tags: Mapping[str, str], rarity: float) -> bool:
    """A place of jieba's dictionary, or a word shaped like a place, that is rare enough in
    Chinese at large to name one place."""
    if len(token) < 2 or rarity < NAME_RARITY:
        return False
    return tags.get(token, "").startswith("ns") or token.endswith(_PLACE_END)


def is_person(token: str, tag: str) -> bool:
    """A name of a person: one jieba's dictionary tags as a full or foreign name (习近平), or a
    word that opens with a surname and is either tagged a name (not 养老, 小镇) or unknown to
    jieba (李新文, kept whole by the tokenizer), and does not end like a place."""
    if tag in ("nrfg", "nrt"):
        return not _NUMERALS & set(token)  # 二十大 is tagged nrt
    if tag not in ("", "nr") or len(token) > 4 or token.endswith(_PLACE_END):
        return False
    return (token[0] in SURNAMES or token[:2] in DOUBLE_SURNAMES) and all(
        _CJK.match(c) for c in token
    )


def _is_type(token: str, asked: str, tags: Mapping[str, str]) -> bool:
    if len(token) < 2:
        return False
    tag = tags.get(token, "")
    if asked == "place":
        return tag.startswith("ns") or token.endswith(_PLACE_END)
    if asked.startswith("place:"):
        level = asked.removeprefix("place:")
        return token.endswith(level) or (level == "省" and token in _PROVINCES)
    if asked == "person":
        return token in _PERSON_CUES or is_person(token, tag)
    if asked == "title":
        return token.endswith(_TITLE_END)
    return False


def sentence_features(
    q: Question,
    sents: Sequence[SentenceInfo],
    s: int,
    facts: Callable[[int], Facts],
    topic: frozenset[str],
    local: dict[str, float],
) -> list[float]:
    """The features of sentence s of a document, in SENTENCE_FEATURES order.

    `facts` gives a sentence's Facts; `topic` holds the headline's words; `local` each
    question word's rarity around here.
    """
    sent = sents[s]
    tokens = sent.tokens
    mine = facts(s)
    present = mine.words
    before = facts(s - 1).words if s > 0 and sents[s - 1].article == sent.article else _NONE
    after = (
        facts(s + 1).words if s + 1 < len(sents) and sents[s + 1].article == sent.article else _NONE
    )
    core_words = q.core
    coverage = core = local_value = topic_only = neighbours = rest = rest_total = 0.0
    repeated = 0  # the sentence's tokens that are the question's words
    # One pass over the question's few words, not over the sentence's many.
    for t, weight in q.weights.items():
        headline = t in topic
        if not headline:
            rest_total += weight
        if t in present:
            coverage += weight
            if t in core_words:
                core += weight
            if not headline:
                local_value += weight * local.get(t, 1.0)
                rest += weight
            if t[0] != "#":
                repeated += tokens.count(t)
        else:
            if headline:
                topic_only += weight
            if t in before or t in after:
                neighbours += weight
    total = q.total
    plain, chars, pairs = mine.grams()
    shared = len(q.bigrams & pairs) / len(q.bigrams) if q.bigrams else 0.0
    focus = len(q.focus & pairs) / len(q.focus) if q.focus else 0.0
    typed = 0.0
    if q.asked:
        w = q.weights
        typed = float(not mine.of_kind(q.kind) <= w.keys())
    first = float(s == 0 or sents[s - 1].paragraph != sent.paragraph)
    return [
        coverage / total,
        core / q.core_total,
        local_value / total,
        topic_only / total,
        shared,
        typed,
        math.log1p(plain - repeated),
        math.log1p(len(tokens)),
        neighbours / total,
        first,
        typed if q.asked == "date" else 0.0,
        typed if q.asked == "count" else 0.0,
        typed if q.asked == "place" else 0.0,
        typed if q.asked == "person" else 0.0,
        focus,
        len(q.focus_chars & chars) / len(q.focus_chars) if q.focus_chars else 0.0,
        rest / rest_total if rest_total else 0.0,
        q.in_order(mine.folded()),
    ]
