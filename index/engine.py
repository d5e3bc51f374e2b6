"""Ranking engines: which passages share the question's words, and how well they match.

Two engines stand behind one interface. rank-bm25 scores in Python over an in-memory corpus:
exact, tunable (variant, k1, b) and fine for a few thousand passages. tantivy keeps an inverted
index on disk and ranks with block-max WAND in Rust, so a million passages open at once, take
little memory and answer in milliseconds. Its BM25 has fixed k1 1.2 and b 0.75, so the passages
it proposes are scored again with the configured BM25Plus from the stored word counts.
Both index each passage with its headline's words repeated `headline_weight` times.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from index.config import IndexConfig, RankingConfig

# With engine = "auto", collections of at least this many passages are ranked by tantivy:
# there rank-bm25's p95 passes 30 ms (bench/scale.py).
AUTO_TANTIVY_PASSAGES = 20_000


class Engine(Protocol):
    name: str
    exact: bool  # False: its scores only pick candidates, which the searcher scores again

    @property
    def size(self) -> int:
        """Passages it ranks."""
        ...

    def idf(self, term: str) -> float:
        """How much a word of the question weighs: log((N + 1) / df), as BM25Plus has it."""
        ...

    def top(self, terms: list[str], limit: int) -> list[tuple[float, int]]:
        """The best `limit` passages for these words, as (score, passage id), best first."""
        ...

    def places(self, term: str, docs: Collection[int]) -> set[tuple[int, int]]:
        """(document id, article ordinal) of each article of these documents that holds the
        word, in a passage or its headline: the index needs no table of each article's words.
        """
        ...


def ranked_tokens(body: list[str], context: list[str], ranking: RankingConfig) -> list[str]:
    """What an engine indexes for a passage: its words and its headline's, weighted."""
    return body + context * ranking.headline_weight if ranking.headline else body


def layout(ranking: RankingConfig) -> str:
    """Changes whenever an engine's index must be rebuilt from the stored tokens."""
    return f"headline={ranking.headline}/{ranking.headline_weight}"


def chosen(index: IndexConfig, passages: int) -> str:
    if index.engine != "auto":
        return index.engine
    return "tantivy" if passages >= AUTO_TANTIVY_PASSAGES else "rank-bm25"
