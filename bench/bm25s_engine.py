"""bm25s (BM25 as sparse matrices) behind the engine interface, measured as a candidate only.

Its BM25Plus scores equal rank-bm25's, so it needs no second scoring; but it scores every
passage for each question word, keeps the matrix in memory (or memory-mapped) and takes a while
to open, which is why qabot ships tantivy instead (README, "Archive scale").
"""

from __future__ import annotations

import math
import shutil
import sys
from collections.abc import Collection
from pathlib import Path

import bm25s
import numpy as np

from index import store
from index.config import Config
from index.engine import ranked_tokens

FOLDER = "bm25s"


def build(index_dir: Path, config: Config) -> None:
    """Index the stored tokens (no re-tokenizing) into index_dir/bm25s."""
    conn = store.connect(index_dir)
    try:
        ids, places, corpus = [], [], []
        for p in store.passage_tokens(conn, store.Words(conn)):
            ids.append(p.id)
            places.append((p.doc_id, p.article))
            # Interned, so that a million passages share one string per distinct word.
            ranked = ranked_tokens(p.body, p.context, config.ranking)
            corpus.append([sys.intern(t) for t in ranked])
    finally:
        conn.close()
    rank = config.ranking
    retriever = bm25s.BM25(k1=rank.k1, b=rank.b, delta=1.0, method="bm25+")
    retriever.index(corpus, show_progress=False)
    path = index_dir / FOLDER
    shutil.rmtree(path, ignore_errors=True)
    retriever.save(str(path))
    np.save(path / "ids.npy", np.array(ids, dtype=np.int64))
    np.save(path / "places.npy", np.array(places, dtype=np.int64).reshape(-1, 2))


class Bm25sEngine:
    name = "bm25s"
    exact = True

    def __init__(self, index_dir: Path, mmap: bool = True) -> None:
        path = index_dir / FOLDER
        self.retriever = bm25s.BM25.load(str(path), mmap=mmap, show_progress=False)
        self.ids = np.load(path / "ids.npy")
        self.places_of = np.load(path / "places.npy")
        self.vocab: dict[str, int] = self.retriever.vocab_dict
        self.indptr = np.asarray(self.retriever.scores["indptr"])
        self.indices = self.retriever.scores["indices"]
        n = len(self.ids)
        self.unknown_idf = math.log((n + 0.5) / 0.5) if n else 1.0

    @property
    def size(self) -> int:
        return len(self.ids)

    def idf(self, term: str) -> float:
        v = self.vocab.get(term)
        df = int(self.indptr[v + 1] - self.indptr[v]) if v is not None else 0
        return math.log((self.size + 1) / df) if df else self.unknown_idf

    def top(self, terms: list[str], limit: int) -> list[tuple[float, int]]:
        known = [t for t in terms if t in self.vocab]
        if not known:
            return []
        scores = self.retriever.get_scores(known)
        # Every passage gets BM25Plus's delta; only those sharing a word are candidates.
        spans = [
            self.indices[self.indptr[v] : self.indptr[v + 1]] for v in map(self.vocab.get, known)
        ]
        candidates = np.unique(np.concatenate(spans))
        values = scores[candidates]
        if len(candidates) > limit:
            keep = np.argpartition(-values, limit)[:limit]
            candidates, values = candidates[keep], values[keep]
        chosen = candidates[np.argsort(-values, kind="stable")]
        return [(float(scores[i]), int(self.ids[i])) for i in chosen]

    def places(self, term: str, docs: Collection[int]) -> set[tuple[int, int]]:
        v = self.vocab.get(term)
        if v is None or not docs:
            return set()
        held = self.places_of[self.indices[self.indptr[v] : self.indptr[v + 1]]]
        inside = held[np.isin(held[:, 0], np.fromiter(docs, dtype=np.int64))]
        return set(zip(inside[:, 0].tolist(), inside[:, 1].tolist(), strict=True))
