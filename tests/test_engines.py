"""The ranking engines: the same scores as rank-bm25's own, whatever the variant, and the same
answer to which articles hold a word."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from index import tantivy_engine
from index.config import Config, RankingConfig
from index.memory_engine import MemoryEngine
from index.search import Searcher
from index.store import Words, connect, load_document
from index.tokenize import Tokenizer

from .conftest import ENGINES, samples_index, with_engine


@pytest.mark.parametrize("variant", ["plus", "okapi", "l"])
def test_memory_engine_scores_are_rank_bm25s(variant: str) -> None:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(40)]
    docs = [[rng.choice(vocab) for _ in range(rng.randint(1, 30))] for _ in range(200)]
    engine = MemoryEngine(
        ((i + 100, i // 10, 0, d) for i, d in enumerate(docs)), RankingConfig(variant=variant)
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


@pytest.mark.parametrize("engine", [*ENGINES, "tantivy, within the documents"])
def test_both_engines_say_which_articles_hold_a_word(
    engine: str,
    tmp_path: Path,
    config: Config,
    tokenizer: Tokenizer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the question's words missing from a passage are looked up in: its article, its page."""
    if engine.startswith("tantivy,"):  # as for a common word of an archive, a page at a time
        monkeypatch.setattr(tantivy_engine, "PLACES_ALONE", 0)
        monkeypatch.setattr(tantivy_engine, "PLACES_LIMIT", 1)
        engine = "tantivy"
    cfg = with_engine(config, engine)
    index_dir = samples_index(tmp_path, cfg, tokenizer)
    searcher = Searcher.open(index_dir, cfg, tokenizer)
    conn = connect(index_dir)
    held: dict[str, set[tuple[int, int]]] = {}
    for summary in searcher.sources():
        doc = load_document(conn, Words(conn), summary.id)
        assert doc is not None
        for c in doc.chunks:
            article = doc.sentences[c.first].article
            for s in doc.sentences[c.first : c.last + 1]:
                for word in (*s.tokens, *c.context):
                    held.setdefault(word, set()).add((doc.id, article))
    docs = {s.id for s in searcher.sources()}
    assert searcher.engine.name == engine and len(docs) == 2
    for word in ["长治", "晋中", "人大", "代表", "#次", "2025"]:
        assert searcher.engine.places(word, docs) == held[word], word
        one = min(docs)
        assert searcher.engine.places(word, {one}) == {p for p in held[word] if p[0] == one}
    assert searcher.engine.places("从未出现过的词", docs) == set()
