"""rank-bm25 over the whole corpus in memory: exact and tunable, for small collections."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable

import numpy as np
from rank_bm25 import BM25L, BM25Okapi, BM25Plus

from index.config import RankingConfig

_VARIANTS = {"okapi": BM25Okapi, "plus": BM25Plus, "l": BM25L}

# Comparisons (places × documents asked about) below which comparing each beats np.isin's sort.
COMPARE_BELOW = 100_000


class MemoryEngine:
    """rank-bm25's model (its IDF, lengths and parameters), scored a word at a time.

    rank-bm25 itself scores by looking every candidate passage up in a dictionary per word,
    which costs tens of milliseconds once a common word matches thousands of passages; here each
    word's postings are numpy arrays and its share of the score is added to all of them at once,
    with the variant's own formula, so the scores are rank-bm25's.
    """

    name = "rank-bm25"
    exact = True  # its scores are the configured variant's, k1 and b

    def __init__(
        self, passages: Iterable[tuple[int, int, int, list[str]]], ranking: RankingConfig
    ) -> None:
        """`passages` are (passage id, document id, article ordinal, ranked words)."""
        ids: list[int] = []
        places: list[tuple[int, int]] = []
        corpus: list[list[str]] = []
        for passage_id, doc_id, article, tokens in passages:
            ids.append(passage_id)
            places.append((doc_id, article))
            corpus.append(tokens)
        self.ids = np.array(ids, dtype=np.int64)
        self.places_of = np.array(places, dtype=np.int64).reshape(-1, 2)
        self.variant = ranking.variant
        self.bm25 = (
            _VARIANTS[ranking.variant](corpus, k1=ranking.k1, b=ranking.b) if corpus else None
        )
        self.unknown_idf = math.log((len(corpus) + 0.5) / 0.5) if corpus else 1.0
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if self.bm25 is None:
            return
        lists: dict[str, tuple[list[int], list[int]]] = {}
        for i, freqs in enumerate(self.bm25.doc_freqs):
            for t, tf in freqs.items():
                where, counts = lists.setdefault(t, ([], []))
                where.append(i)
                counts.append(tf)
        self.postings = {
            t: (np.array(where, dtype=np.int32), np.array(counts, dtype=np.float64))
            for t, (where, counts) in lists.items()
        }
        bm = self.bm25
        self.norm = 1 - bm.b + bm.b * np.asarray(bm.doc_len, dtype=np.float64) / bm.avgdl

    @property
    def size(self) -> int:
        return len(self.ids)

    def idf(self, term: str) -> float:
        if self.bm25 is None:
            return 0.0
        value = self.bm25.idf.get(term)
        return self.unknown_idf if value is None else max(value, 0.0)

    def _term(self, idf: float, tf: np.ndarray, norm: np.ndarray) -> tuple[np.ndarray, float]:
        """One word's score where it occurs, and where it does not, in the variant's formula."""
        bm = self.bm25
        assert bm is not None
        k1 = bm.k1
        if self.variant == "okapi":
            return idf * tf * (k1 + 1) / (tf + k1 * norm), 0.0
        delta = bm.delta
        if self.variant == "plus":
            return idf * (delta + tf * (k1 + 1) / (k1 * norm + tf)), idf * delta
        ctd = tf / norm  # rank-bm25's BM25L also multiplies by the count itself
        return idf * tf * (k1 + 1) * (ctd + delta) / (k1 + ctd + delta), 0.0

    def top(self, terms: list[str], limit: int) -> list[tuple[float, int]]:
        if self.bm25 is None:
            return []
        found = [(t, self.postings[t]) for t in terms if t in self.postings]
        if not found:
            return []
        # The passages any word is in, in order: marking them is cheaper than sorting postings.
        marked = np.zeros(self.size, dtype=bool)
        for _, (where, _) in found:
            marked[where] = True
        candidates = np.flatnonzero(marked)
        slot = np.full(self.size, -1, dtype=np.int64)
        slot[candidates] = np.arange(len(candidates))
        scores = np.zeros(len(candidates))
        norm = self.norm[candidates]
        for t in terms:
            idf = self.bm25.idf.get(t) or 0.0
            if t not in self.postings:
                continue
            where, tf = self.postings[t]
            here = slot[where]
            present, absent = self._term(idf, tf, norm[here])
            scores += absent
            scores[here] += present - absent
        if len(candidates) > limit:
            keep = np.argpartition(-scores, limit)[:limit]
        else:
            keep = np.arange(len(candidates))
        order = keep[np.lexsort((candidates[keep], -scores[keep]))]
        return [(float(scores[i]), int(self.ids[candidates[i]])) for i in order]

    def places(self, term: str, docs: Collection[int]) -> set[tuple[int, int]]:
        postings = self.postings.get(term)
        if postings is None or not docs:
            return set()
        held = self.places_of[postings[0]]
        wanted = np.fromiter(docs, dtype=np.int64)
        # A question's candidates come from a few dozen documents: unless the word is in very
        # many places, comparing with each is cheaper than np.isin's sorting.
        if len(held) * len(wanted) < COMPARE_BELOW:
            inside = held[(held[:, :1] == wanted).any(axis=1)]
        else:
            inside = held[np.isin(held[:, 0], wanted)]
        return set(zip(inside[:, 0].tolist(), inside[:, 1].tolist(), strict=True))
