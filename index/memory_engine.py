"""rank-bm25 over the whole corpus in memory: exact and tunable, for small collections."""

from __future__ import annotations

import math
from collections.abc import Iterable

from rank_bm25 import BM25L, BM25Okapi, BM25Plus

from index.config import RankingConfig

_VARIANTS = {"okapi": BM25Okapi, "plus": BM25Plus, "l": BM25L}


class MemoryEngine:
    """Scores only the passages that share a word with the question (an inverted index picks
    them), so a question costs far less than a full scan."""

    name = "rank-bm25"
    exact = True  # its scores are the configured variant's, k1 and b

    def __init__(self, passages: Iterable[tuple[int, list[str]]], ranking: RankingConfig) -> None:
        self.ids: list[int] = []
        corpus: list[list[str]] = []
        self.postings: dict[str, list[int]] = {}
        for passage_id, tokens in passages:
            i = len(corpus)
            self.ids.append(passage_id)
            corpus.append(tokens)
            for t in set(tokens):
                self.postings.setdefault(t, []).append(i)
        variant = _VARIANTS[ranking.variant]
        self.bm25 = variant(corpus, k1=ranking.k1, b=ranking.b) if corpus else None
        self.unknown_idf = math.log((len(corpus) + 0.5) / 0.5) if corpus else 1.0

    @property
    def size(self) -> int:
        return len(self.ids)

    def idf(self, term: str) -> float:
        if self.bm25 is None:
            return 0.0
        value = self.bm25.idf.get(term)
        return self.unknown_idf if value is None else max(value, 0.0)

    def top(self, terms: list[str], limit: int) -> list[tuple[float, int]]:
        candidates = sorted({i for t in terms for i in self.postings.get(t, ())})
        if self.bm25 is None or not candidates:
            return []
        scores = self.bm25.get_batch_scores(terms, candidates)
        ranked = sorted(zip(scores, candidates, strict=True), key=lambda p: (-p[0], p[1]))
        return [(float(score), self.ids[i]) for score, i in ranked[:limit]]
