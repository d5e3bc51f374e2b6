"""What the ranking model sees of a question, a candidate passage and each of its sentences.

Every feature is a number computed from stored tokens, so that scoring a candidate never
re-tokenizes text. The names are the keys of the weights file (`index/ranker.json`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.document import SentenceInfo

# What kind of thing a question asks for, told by its question words.
ASKED: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "date",
        re.compile(r"什么时候|何时|几时|哪一?年|何年|哪一?天|几月|几日|几号|什么时间|日期|when"),
    ),
    (
        "place",
        re.compile(
            r"哪里|哪儿|何处|何地|在哪|什么地方|哪个地方|哪些地方|"
            r"哪[个些]?(?:省|市|县|国|国家|城市|地区)|where"
        ),
    ),
    ("title", re.compile(r"职务|职位|官职|什么职|头衔")),
    ("person", re.compile(r"谁|哪位|什么人|何人|\bwho\b")),
    ("count", re.compile(r"几|多少|多大|多高|多长|多重|多远|多久|how (?:many|much)")),
)
_NUMBER = re.compile(r"^(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿]+)$")
_PLACE_END = tuple("省市县区镇村乡国州岛山河湖")
_PERSON_CUES = frozenset(["书记", "主任", "市长", "县长", "先生", "女士", "同志", "教授", "代表"])
_TITLE_END = ("长", "主任", "书记", "主席", "委员", "经理", "科员", "部长", "将军", "大夫")
_DATE_UNITS = frozenset(["#年", "#月", "#日"])

PASSAGE_FEATURES = (
    "bm25",  # the passage's BM25Plus score over the question's IDF, less the Plus baseline
    "coverage",  # share of the question's IDF weight in the passage or its headline
    "core",  # the same over the question's own words (no cues, no answer-type tokens)
    "context",  # share found only in its article or document
    "rarest",  # the question's rarest own word is in the passage or its headline
    "relative",  # BM25 score over the best candidate's
    "rank",  # 1 / (1 + the candidate's place in the BM25 order)
)
SENTENCE_FEATURES = (
    "s_coverage",  # share of the question's IDF weight in the sentence
    "s_core",  # the same over the question's own words
    "s_local",  # the same, each word weighed by how rare it is around the sentence
    "s_topic",  # share found only in the headline, which every sentence shares
    "s_window",  # how tightly the matched words sit: matched words / tokens spanning them
    "s_bigrams",  # share of the question's character pairs in the sentence
    "s_type",  # a thing of the asked type (a number, a date, a place) is in the sentence
    "s_type_near",  # ... within three words of a question word
    "s_new",  # log of the sentence's words that are not the question's: an answer adds some
    "s_length",  # log of the sentence's length in tokens
    "s_neighbours",  # share of the question's IDF weight in the sentences just before and after
    "s_first",  # the first sentence of its paragraph
    "s_date",  # a date, for a question that asks when
    "s_count",  # a number, for a question that asks how many
    "s_place",  # a place name, for a question that asks where
    "s_person",  # a title or office, for a question that asks who
    "s_title",  # a title or office, for a question that asks for one
    "s_rarest",  # the question's rarest own word is in the sentence
    "s_subject",  # the question's first own word (mostly what it is about) is in the sentence
    "s_before",  # share of the question's own words' weight in the sentence before
    "s_after",  # ... in the sentence after
    "s_focus",  # share of the character pairs around the question word (什么, 哪里) in it
)
TOP_FEATURES = ("s_best",)  # the best sentence's model score, added to its passage's
FEATURES = PASSAGE_FEATURES + SENTENCE_FEATURES + TOP_FEATURES


@dataclass(frozen=True)
class Question:
    """A question as features need it: its words with their weights and what it asks for."""

    terms: tuple[str, ...]
    weights: dict[str, float]
    total: float
    core: frozenset[str]  # the question's own words: not cues, not answer-type tokens
    core_total: float
    asked: str  # "date", "place", "person", "count" or ""
    bigrams: frozenset[str]
    rarest: str  # the own word of the highest IDF
    subject: str  # the first own word
    focus: frozenset[str]  # character pairs next to the question word: the answer's setting

    @classmethod
    def make(
        cls, folded: str, terms: Sequence[str], words: Sequence[str], weights: dict[str, float]
    ) -> Question:
        """`terms` are all the words searched for; `words` those the question itself holds."""
        asked = next((kind for kind, pattern in ASKED if pattern.search(folded)), "")
        core = [t for t in dict.fromkeys(words) if not t.startswith("#")]
        return cls(
            tuple(terms),
            weights,
            sum(weights.values()) or 1.0,
            frozenset(core),
            sum(weights[t] for t in core) or 1.0,
            asked,
            _bigrams(core),
            max(core, key=lambda t: weights[t], default=""),
            core[0] if core else "",
            _focus(folded),
        )

    def share(self, found: set[str]) -> float:
        """The share of the own words' weight that is found."""
        return sum(self.weights[t] for t in self.core if t in found) / self.core_total

    def missing(self, found: set[str]) -> float:
        """The weight of the heaviest own word not found, over the heaviest own word's."""
        if not self.core:
            return 0.0
        top = max(self.weights[t] for t in self.core)
        lost = max((self.weights[t] for t in self.core if t not in found), default=0.0)
        return lost / top if top > 0 else 0.0


_WH = re.compile(
    r"什么|哪里|哪儿|哪些|哪个|哪一|哪|谁|几|多少|何|怎么|怎样|如何|为什么|为何"
)
_STOP_CHARS = frozenset("的了是在和与及或也都就而被把对从向以为于之其这那着过得地所等并又还吗呢吧啊么")
FOCUS_CHARS = 4


def _focus(folded: str) -> frozenset[str]:
    m = _WH.search(folded)
    if m is None:
        return frozenset()
    left = folded[max(0, m.start() - FOCUS_CHARS) : m.start()]
    right = folded[m.end() : m.end() + FOCUS_CHARS]
    pairs: set[str] = set()
    for side in (left, right):
        kept = [c for c in side if c not in _STOP_CHARS and _CJK.match(c)]
        pairs.update(kept[i] + kept[i + 1] for i in range(len(kept) - 1))
    return frozenset(pairs)


_CJK = re.compile(r"[\u3400-\u9fff]")


def _bigrams(tokens: Sequence[str]) -> frozenset[str]:
    joined = "".join(tokens)
    return frozenset(joined[i : i + 2] for i in range(len(joined) - 1))


def _is_type(token: str, asked: str) -> bool:
    if asked == "date":
        return token in _DATE_UNITS
    if asked == "count":
        return bool(_NUMBER.match(token))
    if asked == "place":
        return len(token) >= 2 and token.endswith(_PLACE_END)
    if asked == "person":
        return token in _PERSON_CUES
    if asked == "title":
        return len(token) >= 2 and token.endswith(_TITLE_END)
    return False


def sentence_features(
    q: Question,
    sents: Sequence[SentenceInfo],
    s: int,
    topic: frozenset[str],
    local: dict[str, float],
) -> list[float]:
    """The features of sentence s of a document, in SENTENCE_FEATURES order.

    `topic` holds the headline's words; `local` each question word's rarity around here.
    """
    sent = sents[s]
    tokens = sent.tokens
    present = set(tokens)
    w = q.weights
    total = q.total
    matched = [t for t in q.terms if t in present]
    coverage = sum(w[t] for t in matched) / total
    core = sum(w[t] for t in matched if t in q.core) / q.core_total
    local_value = sum(w[t] * local.get(t, 1.0) for t in matched if t not in topic) / total
    topic_only = sum(w[t] for t in q.terms if t in topic and t not in present) / total

    positions = [i for i, t in enumerate(tokens) if t in w and not t.startswith("#")]
    if positions:
        span = positions[-1] - positions[0] + 1
        window = len({tokens[i] for i in positions}) / span
    else:
        window = 0.0
    mine = _bigrams([t for t in tokens if not t.startswith("#")])
    shared = len(q.bigrams & mine) / len(q.bigrams) if q.bigrams else 0.0
    focus = len(q.focus & mine) / len(q.focus) if q.focus else 0.0
    typed = near = 0.0
    if q.asked:
        if q.asked == "date":
            typed = float(bool(present & _DATE_UNITS))
            spots = [i for i, t in enumerate(tokens) if _NUMBER.match(t)] if typed else []
        else:
            spots = [i for i, t in enumerate(tokens) if _is_type(t, q.asked) and t not in w]
            typed = float(bool(spots))
        if spots and positions:
            gap = min(abs(a - b) for a in spots for b in positions)
            near = float(gap <= 3)
    new = sum(1 for t in tokens if t not in w and not t.startswith("#"))
    around = set()
    for n in (s - 1, s + 1):
        if 0 <= n < len(sents) and sents[n].article == sent.article:
            around.update(sents[n].tokens)
    neighbours = sum(w[t] for t in q.terms if t in around and t not in present) / total
    first = float(s == 0 or sents[s - 1].paragraph != sent.paragraph)
    kinds = [float(typed and q.asked == kind) for kind in ("date", "count", "place", "person", "title")]
    side = []
    for n in (s - 1, s + 1):
        if 0 <= n < len(sents) and sents[n].article == sent.article:
            side.append(q.share(set(sents[n].tokens)))
        else:
            side.append(0.0)
    return [
        coverage,
        core,
        local_value,
        topic_only,
        window,
        shared,
        typed,
        near,
        math.log1p(new),
        math.log1p(len(tokens)),
        neighbours,
        first,
        *kinds,
        float(q.rarest in present),
        float(q.subject in present),
        *side,
        focus,
    ]
