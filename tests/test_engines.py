"""The ranking engines: the same scores as rank-bm25's own, whatever the variant."""

from __future__ import annotations

import random

import pytest

from index.config import RankingConfig
from index.memory_engine import MemoryEngine


@pytest.mark.parametrize("variant", ["plus", "okapi", "l"])
def test_memory_engine_scores_are_rank_bm25s(variant: str) -> None:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(40)]
    docs = [[rng.choice(vocab) for _ in range(rng.randint(1, 30))] for _ in range(200)]
    engine = MemoryEngine(
        ((i + 100, d) for i, d in enumerate(docs)), RankingConfig(variant=variant)
    )
    for _ in range(30):
        query = list(dict.fromkeys(rng.choice([*vocab, "unknown"]) for _ in range(4)))
        matching = sorted({i for i, d in enumerate(docs) if set(query) & set(d)})
        expected = dict(
            zip(
                (i + 100 for i in matching),
                engine.bm25.get_batch_scores(query, matching),
                strict=True,
            )
        )
        top = engine.top(query, 1000)
        assert {pid for _, pid in top} == set(expected)
        assert all(score == pytest.approx(expected[pid]) for score, pid in top)
        assert [s for s, _ in top] == sorted((s for s, _ in top), reverse=True)
        assert len(engine.top(query, 5)) == min(5, len(expected))
