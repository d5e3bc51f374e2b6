"""The learned ranking model: linear weights over the features, and a calibrated confidence.

The weights are fit on the CMRC 2018 trial set by `train/fit_ranker.py` and shipped as a small
JSON file beside this module; scoring is a few dot products in plain Python.
"""

from __future__ import annotations

import json
import math
import operator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from index.features import PASSAGE_FEATURES, SENTENCE_FEATURES, TOP_FEATURES, WITHIN_FEATURES

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "ranker.json"

CONFIDENCE_FEATURES = (
    "score",  # the passage's model score
    "margin",  # over the next candidate's
    "core",  # share of the IDF weight of the question's own words in the passage or headline
    "s_core",  # ... in the highlighted sentence
    "s_bigrams",  # share of the question's character pairs in the highlighted sentence
    "s_type",  # a thing of the asked type in the highlighted sentence
    "missing",  # the heaviest own word found nowhere in the quote, headline, article or page
    "page",  # share of the own words' weight found in the quote, headline, article or page
    "q_missing",  # the heaviest own word not in the quote or headline
    "unknown",  # share of the own words' weight that no passage of the index holds
    "g_quote",  # share of the own words' rarity in Chinese at large in the quote or headline
    "g_page",  # ... in the quote, headline, article or page
    "g_missing",  # the rarest own word found nowhere there, against the rarest own word
    "words",  # log of the number of the question's own words
    "s_focus",  # share of the character pairs around the question word in the highlighted sentence
    "no_short",  # the question asks how many or when, and the sentence holds no short answer
    "lost_name",  # share of the question's places and people found nowhere in the quote's page
    "s_focus_chars",  # share of the characters around the question word in the highlighted sentence
    "s_order",  # share of the question's characters the highlighted sentence holds in order
)
ORDER_WITHIN = PASSAGE_FEATURES + TOP_FEATURES + WITHIN_FEATURES
# Products of two confidence features, each first centred and scaled: "the page holds the
# question's words" means little when the bold sentence lacks the asked kind, and a linear
# sum cannot say so.
PAIRS = tuple(
    f"{a}*{b}" for i, a in enumerate(CONFIDENCE_FEATURES) for b in CONFIDENCE_FEATURES[i:]
)


@dataclass(frozen=True)
class Model:
    passage: tuple[float, ...]  # over PASSAGE_FEATURES + TOP_FEATURES
    sentence: tuple[float, ...]  # over SENTENCE_FEATURES
    confidence: tuple[float, ...]  # bias, then CONFIDENCE_FEATURES
    command: str = ""
    pairs: tuple[float, ...] = ()  # over PAIRS; none for a model of sums alone
    scale: tuple[tuple[float, float], ...] = ()  # each confidence feature's mean and spread
    # Over PASSAGE_FEATURES + TOP_FEATURES + WITHIN_FEATURES: which of one article's
    # shortlisted passages to quote first. An older file has none: the passage order stays.
    within: tuple[float, ...] = ()

    @cached_property
    def _pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The pair weights as an upper triangular matrix, with the means and spreads."""
        if not any(self.pairs):
            return None
        n = len(CONFIDENCE_FEATURES)
        matrix = np.zeros((n, n))
        matrix[np.triu_indices(n)] = self.pairs
        mean, spread = (np.array(column) for column in zip(*self.scale, strict=True))
        return matrix, mean, spread

    def sentence_score(self, x: list[float]) -> float:
        score: float = sum(map(operator.mul, self.sentence, x))
        return score

    def passage_score(self, x: list[float]) -> float:
        score: float = sum(map(operator.mul, self.passage, x))
        return score

    def within_score(self, x: list[float]) -> float:
        score: float = sum(map(operator.mul, self.within, x))
        return score

    def probability(self, x: list[float]) -> float:
        """The chance that a quote holds the answer, from CONFIDENCE_FEATURES."""
        z = self.confidence[0] + sum(map(operator.mul, self.confidence[1:], x))
        pairs = self._pairs
        if pairs is not None:
            matrix, mean, spread = pairs
            scaled = (np.array(x) - mean) / spread
            z += float(scaled @ matrix @ scaled)
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> str:
        """The weights to 8 decimals: sums over sets differ in their last bits between runs."""

        def table(names: tuple[str, ...], values: tuple[float, ...]) -> dict[str, float]:
            return {n: round(v, 8) for n, v in zip(names, values, strict=True)}

        data: dict[str, object] = {
            "command": self.command,
            "passage": table(PASSAGE_FEATURES + TOP_FEATURES, self.passage),
        }
        if self.within:
            data["within article"] = table(ORDER_WITHIN, self.within)
        data["sentence"] = table(SENTENCE_FEATURES, self.sentence)
        data["confidence"] = table(("bias", *CONFIDENCE_FEATURES), self.confidence)
        if self.pairs:
            data["confidence pairs"] = table(PAIRS, self.pairs)
            data["confidence scale"] = {
                n: [round(m, 8), round(s, 8)]
                for n, (m, s) in zip(CONFIDENCE_FEATURES, self.scale, strict=True)
            }
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def load(cls, path: Path = DEFAULT_WEIGHTS) -> Model:
        """A weights file; a feature it does not name weighs nothing."""
        data = json.loads(path.read_text(encoding="utf-8"))

        def weights(section: str, names: tuple[str, ...]) -> tuple[float, ...]:
            table = data.get(section, {})
            return tuple(float(table.get(name, 0.0)) for name in names)

        scale = data.get("confidence scale", {})
        pairs = weights("confidence pairs", PAIRS) if scale else ()
        return cls(
            weights("passage", PASSAGE_FEATURES + TOP_FEATURES),
            weights("sentence", SENTENCE_FEATURES),
            weights("confidence", ("bias", *CONFIDENCE_FEATURES)),
            str(data.get("command", "")),
            pairs,
            tuple(
                (float(m), float(s))
                for m, s in (scale.get(n, (0.0, 1.0)) for n in CONFIDENCE_FEATURES)
            )
            if scale
            else (),
            weights("within article", ORDER_WITHIN),
        )
