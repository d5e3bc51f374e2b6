"""Building and updating the index on disk: incremental, atomic, and loud about bad files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from index import build
from index.build import update_index
from index.config import Config, TokenizerConfig
from index.library import Library
from index.search import Searcher
from index.store import IndexUnavailable, connect, db_path
from index.tokenize import Tokenizer

from .conftest import CHANGZHI, JINZHONG, REPO, with_engine


class CountingTokenizer(Tokenizer):
    """A real tokenizer that counts how often it is asked to tokenize."""

    calls = 0

    def tokens(self, text: str) -> list[str]:
        CountingTokenizer.calls += 1
        return super().tokens(text)


@pytest.fixture(scope="module")
def counting(config: Config) -> CountingTokenizer:
    return CountingTokenizer(config.tokenizer)


def _cfg(config: Config, tmp_path: Path) -> Config:
    return config.with_index_path(tmp_path / "index")


def test_rerun_on_unchanged_files_tokenizes_nothing(
    samples_copy: Path, tmp_path: Path, config: Config, counting: CountingTokenizer
) -> None:
    cfg = _cfg(config, tmp_path)
    first = update_index([samples_copy], cfg, counting, progress=False)
    assert sorted(first.added) == [JINZHONG, CHANGZHI]
    CountingTokenizer.calls = 0
    again = update_index([samples_copy], cfg, counting, progress=False)
    assert CountingTokenizer.calls == 0
    assert sorted(again.unchanged) == [JINZHONG, CHANGZHI] and not again.added


def test_changed_file_is_reindexed_and_answers_change(
    samples_copy: Path, tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    cfg = _cfg(config, tmp_path)
    update_index([samples_copy], cfg, tokenizer, progress=False)
    path = samples_copy / CHANGZHI
    path.write_text(path.read_text(encoding="utf-8").replace("8984名", "9001名"), encoding="utf-8")
    report = update_index([samples_copy], cfg, tokenizer, progress=False)
    assert report.replaced == [CHANGZHI] and report.unchanged == [JINZHONG]
    searcher = Searcher.open(cfg.index.path, cfg, tokenizer)
    quote = searcher.search("长治有多少名五级人大代表走进代表联络站？").results[0].quote
    assert "9001名" in quote and "8984名" not in quote
    assert searcher.document_count == 2


def test_sync_removes_documents_whose_files_are_gone(
    samples_copy: Path, tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    cfg = _cfg(config, tmp_path)
    update_index([samples_copy], cfg, tokenizer, progress=False)
    (samples_copy / JINZHONG).unlink()
    kept = update_index([samples_copy], cfg, tokenizer, progress=False)
    assert kept.removed == []
    assert len(Searcher.open(cfg.index.path, cfg, tokenizer).sources()) == 2
    synced = update_index([samples_copy], cfg, tokenizer, sync=True, progress=False)
    assert synced.removed == [JINZHONG]
    assert [d.name for d in Searcher.open(cfg.index.path, cfg, tokenizer).sources()] == [CHANGZHI]


def test_unreadable_files_are_named_and_the_rest_indexed(
    samples_copy: Path, tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    (samples_copy / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (samples_copy / "empty.md").write_bytes(b"")
    (samples_copy / "gbk.txt").write_bytes("晋中市召开会议。".encode("gbk"))
    report = update_index([samples_copy], _cfg(config, tmp_path), tokenizer, progress=False)
    skipped = {Path(p).name: str(why) for p, why in report.skipped}
    assert set(skipped) == {"binary.txt", "empty.md"}
    assert "binary" in skipped["binary.txt"] and "no text" in skipped["empty.md"]
    assert sorted(report.added) == sorted([JINZHONG, CHANGZHI, "gbk.txt"])


def test_interrupted_build_leaves_the_previous_index(
    samples_copy: Path, tmp_path: Path, config: Config, tokenizer: Tokenizer, monkeypatch
) -> None:
    cfg = _cfg(config, tmp_path)
    update_index([samples_copy], cfg, tokenizer, progress=False)
    (samples_copy / "new.txt").write_text("新文件的内容。", encoding="utf-8")
    (samples_copy / CHANGZHI).write_text("改过的内容。", encoding="utf-8")
    real_parse = build.parse

    def parse_then_interrupt(path, name, *args, **kwargs):
        if name == CHANGZHI:
            raise KeyboardInterrupt
        return real_parse(path, name, *args, **kwargs)

    monkeypatch.setattr(build, "parse", parse_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        update_index([samples_copy], cfg, tokenizer, progress=False)
    searcher = Searcher.open(cfg.index.path, cfg, tokenizer)
    assert sorted(d.name for d in searcher.sources()) == [JINZHONG, CHANGZHI]
    assert "8984名" in searcher.search("长治有多少名五级人大代表走进代表联络站？").results[0].quote


KILLED_BUILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from index import build
    from index.config import Config
    from index.tokenize import Tokenizer

    real_parse = build.parse
    def slow_parse(*args, **kwargs):
        doc = real_parse(*args, **kwargs)
        if args[1] == "b.txt":
            print("inside", os.getpid(), flush=True)
            time.sleep(60)
        return doc
    build.parse = slow_parse
    if sys.argv[3] == "watching their parent":  # as where Linux's prctl is not offered
        build._killed_with_parent = lambda: False
    config = Config().with_index_path(Path(sys.argv[2]))
    build.update_index([Path(sys.argv[1])], config, Tokenizer(config.tokenizer), progress=False)
    """
)


def _alive_in_group(group: int) -> list[int]:
    """The processes of a process group that have not ended (a zombie has ended)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _, pgrp = stat.read_text().rpartition(")")[2].split()[:3]
        except OSError:
            continue  # ended while we looked
        if state != "Z" and int(pgrp) == group:
            alive.append(int(stat.parent.name))
    return alive


@pytest.mark.parametrize("orphans", ["killed by Linux", "watching their parent"])
def test_sigkill_during_a_build_leaves_the_previous_index_and_no_process(
    orphans: str, samples_copy: Path, tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """The build's workers end with it: orphans would hold memory and files for ever."""
    cfg = _cfg(config, tmp_path)
    update_index([samples_copy], cfg, tokenizer, progress=False)
    (samples_copy / "a.txt").write_text("甲文件。", encoding="utf-8")
    (samples_copy / "b.txt").write_text("乙文件。", encoding="utf-8")
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_BUILD, str(samples_copy), str(cfg.index.path), orphans],
        stdout=subprocess.PIPE,
        cwd=REPO,
        text=True,
        start_new_session=True,  # its own process group, which its workers join
    )
    try:
        assert child.stdout is not None
        said, parser = child.stdout.readline().split()
        assert said == "inside"
        assert int(parser) in _alive_in_group(child.pid)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    deadline = time.monotonic() + 10
    while _alive_in_group(child.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive_in_group(child.pid) == []
    assert child.stdout is not None
    child.stdout.close()
    searcher = Searcher.open(cfg.index.path, cfg, tokenizer)
    assert sorted(d.name for d in searcher.sources()) == [JINZHONG, CHANGZHI]
    assert searcher.search("李新文是哪年出生的？").results


def test_changed_tokenizer_settings_retokenize_everything(
    samples_copy: Path, tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    cfg = _cfg(config, tmp_path)
    update_index([samples_copy], cfg, tokenizer, progress=False)
    other_settings = Tokenizer(TokenizerConfig(mode="default"))
    with pytest.raises(IndexUnavailable, match="qabot index"):
        Searcher.open(cfg.index.path, cfg, other_settings)
    (samples_copy / JINZHONG).unlink()  # gone from disk: rebuilt from the stored text
    update_index([samples_copy], cfg, other_settings, progress=False)
    searcher = Searcher.open(cfg.index.path, cfg, other_settings)
    assert searcher.document_count == 2
    assert searcher.search("李新文是哪年出生的？").results[0].doc == JINZHONG


def test_damaged_or_missing_index_is_reported(tmp_path: Path, config: Config) -> None:
    with pytest.raises(IndexUnavailable, match="no index"):
        connect(tmp_path / "nowhere")
    folder = tmp_path / "broken"
    folder.mkdir()
    db_path(folder).write_bytes(b"this is not a database" * 100)
    with pytest.raises(IndexUnavailable, match="damaged"):
        connect(folder)


QUESTION = "长治有多少名五级人大代表走进代表联络站？"


def _tantivy_library(config: Config, tmp_path: Path, tokenizer: Tokenizer) -> Library:
    return Library(with_engine(config, "tantivy").with_index_path(tmp_path / "index"), tokenizer)


def test_tantivy_follows_changes_and_removals(
    samples_copy: Path, tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    library = _tantivy_library(config, tmp_path, tokenizer)
    update_index([samples_copy], library.config, tokenizer, progress=False)
    path = samples_copy / CHANGZHI
    path.write_text(path.read_text(encoding="utf-8").replace("8984名", "9001名"), encoding="utf-8")
    update_index([samples_copy], library.config, tokenizer, progress=False)
    searcher = library.open()
    assert searcher.engine.name == "tantivy" and searcher.engine.size == searcher.passage_count
    assert "9001名" in searcher.search(QUESTION).results[0].quote
    changzhi = next(s.id for s in searcher.sources() if s.name == CHANGZHI)
    assert library.remove(changzhi) == CHANGZHI
    after = library.open()
    assert after.engine.size == after.passage_count
    assert all(r.doc != CHANGZHI for r in after.search(QUESTION, limit=10).results)


def test_build_cut_off_between_the_two_commits_is_repaired_on_open(
    samples_copy: Path, tmp_path: Path, config: Config, tokenizer: Tokenizer, monkeypatch
) -> None:
    library = _tantivy_library(config, tmp_path, tokenizer)
    update_index([samples_copy], library.config, tokenizer, progress=False)
    path = samples_copy / CHANGZHI
    path.write_text(path.read_text(encoding="utf-8").replace("8984名", "9001名"), encoding="utf-8")

    def cut_off(self, generation: int, layout: str) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(build.TantivyWriter, "commit", cut_off)
        with pytest.raises(KeyboardInterrupt):
            update_index([samples_copy], library.config, tokenizer, progress=False)
    with pytest.raises(IndexUnavailable, match="behind"):
        Searcher.open(library.path, library.config, tokenizer)
    searcher = library.open()  # SQLite committed the change: tantivy is rebuilt to match
    assert "9001名" in searcher.search(QUESTION).results[0].quote
    assert searcher.engine.size == searcher.passage_count


def test_damaged_tantivy_files_are_rebuilt_from_the_stored_tokens(
    samples_copy: Path, tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    library = _tantivy_library(config, tmp_path, tokenizer)
    update_index([samples_copy], library.config, tokenizer, progress=False)
    (library.path / "tantivy" / "meta.json").write_text("garbage", encoding="utf-8")
    searcher = library.open()
    assert searcher.engine.name == "tantivy"
    assert "8984名" in searcher.search(QUESTION).results[0].quote


def test_new_headline_weight_rebuilds_tantivy_without_retokenizing(
    samples_copy: Path, tmp_path: Path, config: Config, counting: CountingTokenizer
) -> None:
    cfg = with_engine(config, "tantivy").with_index_path(tmp_path / "index")
    update_index([samples_copy], cfg, counting, progress=False)
    heavier = replace(cfg, ranking=replace(cfg.ranking, headline_weight=3))
    with pytest.raises(IndexUnavailable, match="behind"):
        Searcher.open(cfg.index.path, heavier, counting)
    CountingTokenizer.calls = 0
    searcher = Library(heavier, counting).open()
    assert CountingTokenizer.calls == 0
    assert "8984名" in searcher.search(QUESTION).results[0].quote


def test_totals_follow_additions_replacements_and_removals(
    samples_copy: Path, tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    cfg = _cfg(config, tmp_path)
    update_index([samples_copy], cfg, tokenizer, progress=False)
    (samples_copy / "new.txt").write_text("新文件的内容。\n\n第二段。", encoding="utf-8")
    path = samples_copy / CHANGZHI
    path.write_text(path.read_text(encoding="utf-8")[:3000], encoding="utf-8")
    update_index([samples_copy], cfg, tokenizer, progress=False)
    Library(cfg, tokenizer).remove(next(s.id for s in Library(cfg, tokenizer).open().sources()))
    conn = connect(cfg.index.path)
    try:
        counted = conn.execute(
            "SELECT (SELECT COUNT(*) FROM documents), COUNT(*), SUM(length), SUM(context_length)"
            " FROM chunks"
        ).fetchone()
        kept = conn.execute(
            "SELECT documents, passages, length, context_length FROM totals"
        ).fetchone()
    finally:
        conn.close()
    assert counted[0] == 2 and kept == counted


def test_one_upload_to_a_larger_index_is_compared_with_what_is_stored(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """A few sources against many documents are looked up one by one: same answers."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(20):
        (docs / f"page-{n}.txt").write_text(f"第{n}号城堡有{n + 3}座塔楼。", encoding="utf-8")
    cfg = _cfg(config, tmp_path)
    update_index([docs], cfg, tokenizer, progress=False)
    library = Library(cfg, tokenizer)
    copy = (docs / "page-7.txt").read_bytes()
    skipped = library.add([build.upload_source("copy.txt", copy)]).skipped
    assert [(name, str(why)) for name, why in skipped] == [
        ("copy.txt", "the same content as page-7.txt")
    ]
    first = library.add([build.upload_source("note.txt", "湖边灯塔高四十米。".encode())])
    assert first.added == ["note.txt"]
    again = library.add([build.upload_source("note.txt", "湖边灯塔高四十米。".encode())])
    assert again.unchanged == ["note.txt"]
    changed = library.add([build.upload_source("note.txt", "湖边灯塔高五十米。".encode())])
    assert changed.replaced == ["note.txt"]
    assert update_index([docs / "page-3.txt"], cfg, tokenizer, progress=False).unchanged == [
        "page-3.txt"
    ]
    searcher = library.open()
    assert searcher.document_count == 21
    assert "五十米" in searcher.search("灯塔高多少米？").results[0].quote
