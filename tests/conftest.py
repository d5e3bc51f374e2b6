"""Shared fixtures: one tokenizer per test session (jieba loads its dictionary once)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from index.build import update_index
from index.config import SAMPLES_DIR, Config, TokenizerConfig
from index.search import Searcher
from index.tokenize import Tokenizer

REPO = Path(__file__).resolve().parent.parent
SEED_QA = REPO / "eval" / "seed_qa.jsonl"
JINZHONG = "000_817278d2368192f0.txt"
CHANGZHI = "003_dbe9603fad007b0c.txt"


@pytest.fixture(autouse=True)
def own_state_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's bot keeps its update journal in the test's folder, not the user's."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture(scope="session")
def config() -> Config:
    return Config()


@pytest.fixture(scope="session")
def tokenizer(config: Config) -> Tokenizer:
    return Tokenizer(config.tokenizer)


@pytest.fixture(scope="session")
def plain_tokenizer() -> Tokenizer:
    """Words only: no answer-type tokens, so tests can look at jieba's own output."""
    return Tokenizer(TokenizerConfig(numbers=False, cues=False))


@pytest.fixture(scope="session")
def sample_searcher(tmp_path_factory: pytest.TempPathFactory, config: Config, tokenizer: Tokenizer):
    index_dir = tmp_path_factory.mktemp("sample-index")
    cfg = config.with_index_path(index_dir)
    update_index([SAMPLES_DIR], cfg, tokenizer, progress=False)
    return Searcher.open(index_dir, cfg, tokenizer)


@pytest.fixture
def samples_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    shutil.copytree(SAMPLES_DIR, folder)
    return folder


def index_texts(folder: Path, texts: dict[str, str], config: Config, tokenizer: Tokenizer):
    """Write the texts as files, index them under `folder` and open the index."""
    docs = folder / "docs"
    docs.mkdir(parents=True)
    for name, text in texts.items():
        (docs / name).write_text(text, encoding="utf-8")
    cfg = config.with_index_path(folder / "index")
    update_index([docs], cfg, tokenizer, progress=False)
    return Searcher.open(cfg.index.path, cfg, tokenizer)


def samples_index(folder: Path, config: Config, tokenizer: Tokenizer) -> Path:
    """The sample pages indexed under `folder`; the index folder."""
    cfg = config.with_index_path(folder / "index")
    update_index([SAMPLES_DIR], cfg, tokenizer, progress=False)
    return cfg.index.path


def with_engine(config: Config, engine: str) -> Config:
    return replace(config, index=replace(config.index, engine=engine))


ENGINES = ["rank-bm25", "tantivy"]


def sample_text(name: str) -> str:
    return (SAMPLES_DIR / name).read_text(encoding="utf-8")
