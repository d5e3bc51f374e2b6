"""Damaged index files, a full disk and a read-only folder: said plainly, nothing lost."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import resource
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot import service
from index import safekeeping
from index.build import update_index, upload_source
from index.config import SAMPLES_DIR, Config
from index.library import Library
from index.safekeeping import GOOD_NAME, damage
from index.search import Searcher
from index.store import DB_NAME, IndexUnavailable
from index.tokenize import Tokenizer

from .bot_api_server import FakeTelegram
from .conftest import CHANGZHI
from .test_bot import TOKEN as TEST_TOKEN
from .test_bot import _running, _settings

QUESTION = "宪法宣誓有多少人次？"
ANSWER = "38人次"
TOKEN = "555:DAMAGE-token"
ADMIN = 9


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, config: Config, tokenizer: Tokenizer) -> Path:
    index = tmp_path_factory.mktemp("built") / "index"
    update_index([SAMPLES_DIR], config.with_index_path(index), tokenizer, progress=False)
    return index


def _copy(built: Path, tmp_path: Path) -> Path:
    index = tmp_path / "index"
    shutil.copytree(built, index)
    return index


def _truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _overwrite(path: Path) -> None:
    path.write_bytes(b"\x89PNG not an index at all" * 4096)


def _zero_pages(path: Path) -> None:
    """The header survives, the pages after it are wiped."""
    data = bytearray(path.read_bytes())
    data[4096:] = bytes(len(data) - 4096)
    path.write_bytes(bytes(data))


DAMAGES: dict[str, Callable[[Path], None]] = {
    "truncated": _truncate,
    "overwritten": _overwrite,
    "pages wiped": _zero_pages,
    "missing": Path.unlink,
}


CASTLE_QUESTION = "城堡有几座塔楼？"
CASTLE_ANSWER = "十二座塔楼"


def _first_quote(searcher: Searcher, question: str) -> str:
    results = searcher.search(question).results
    return results[0].quote if results else ""


def _castle(tmp_path: Path) -> Path:
    """A folder with one new document, to change the index with."""
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "castle.txt").write_text("湖边城堡有十二座塔楼。", encoding="utf-8")
    return folder


@pytest.mark.parametrize("kind", DAMAGES)
def test_a_damaged_index_goes_back_to_its_last_good_copy(
    kind: str,
    built: Path,
    tmp_path: Path,
    config: Config,
    tokenizer: Tokenizer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    index = _copy(built, tmp_path)
    DAMAGES[kind](index / DB_NAME)
    library = Library(config.with_index_path(index), tokenizer)
    with caplog.at_level(logging.WARNING):
        library.check()
    assert "was damaged" in caplog.text and "last good copy" in caplog.text
    assert ANSWER in library.open().search(QUESTION).results[0].quote
    assert (index / f"{DB_NAME}.damaged").exists() == (kind != "missing")
    # and it takes changes again
    more = tmp_path / "more"
    more.mkdir()
    (more / "castle.txt").write_text("湖边城堡有十二座塔楼。", encoding="utf-8")
    update_index([more], library.config, tokenizer, progress=False)
    assert "十二座塔楼" in library.open().search("城堡有几座塔楼？").results[0].quote


def test_without_a_good_copy_the_damage_is_named(
    built: Path, tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    index = _copy(built, tmp_path)
    (index / GOOD_NAME).unlink()
    _truncate(index / DB_NAME)
    library = Library(config.with_index_path(index), tokenizer)
    with pytest.raises(IndexUnavailable, match=r"truncated.*no good copy.*index the documents"):
        library.check()


def _no_bigger_than(limit: int) -> Callable[[], None]:
    def limit_files() -> None:
        # A file-size limit fails writes past it (EFBIG) as a full disk does (ENOSPC).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_files


def _big_document(folder: Path) -> None:
    folder.mkdir()
    lines = [
        f"第{n}条：湖边城堡的第{n}座塔楼高{n % 97}米，由工匠{n}号建造。" for n in range(20_000)
    ]
    (folder / "castle.txt").write_text("\n".join(lines), encoding="utf-8")


def _qabot(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, **kwargs
    )  # type: ignore[call-overload]


def test_a_full_disk_during_indexing_leaves_the_previous_index(built: Path, tmp_path: Path) -> None:
    index = _copy(built, tmp_path)
    _big_document(tmp_path / "more")
    limit = (index / DB_NAME).stat().st_size + 256 * 1024
    done = _qabot(
        "index", str(tmp_path / "more"), "--index", str(index), "--quiet",
        preexec_fn=_no_bigger_than(limit),
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "could not write the index" in done.stderr and "it is as it was" in done.stderr
    assert "Traceback" not in done.stderr
    asked = _qabot("ask", "--json", "--index", str(index), QUESTION)
    assert ANSWER in json.loads(asked.stdout)["results"][0]["quote"]
    castle = _qabot("ask", "--json", "--index", str(index), "城堡的第7座塔楼高多少米？")
    assert all("castle" not in r["doc"] for r in json.loads(castle.stdout)["results"])


def _bot_command(tg: FakeTelegram, tmp_path: Path, index: Path) -> list[str]:
    config = tmp_path / "qabot.toml"
    config.write_text(
        f'[telegram]\nbase_url = "{tg.base_url}"\nbase_file_url = "{tg.base_file_url}"\n'
        f"admins = [{ADMIN}]\n",
        encoding="utf-8",
    )
    return [sys.executable, "-m", "bot", "run", "--config", str(config), "--index", str(index)]


def _start_bot(command: list[str], tmp_path: Path, **popen: object) -> subprocess.Popen[str]:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN}
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        cwd=tmp_path, **popen,
    )  # type: ignore[call-overload]  # fmt: skip


def _ask(tg: FakeTelegram, user: dict, text: str) -> str:
    chat = tg.private_chat(user)
    asked = tg.send_text(chat, user, text)["message_id"]

    def reply() -> str | None:
        for m in tg.sent_messages(user["id"]):
            if (m.get("reply_to_message") or {}).get("message_id") == asked:
                return m["text"]
        return None

    tg.wait_for(lambda: reply() is not None, timeout=60)
    return reply() or ""


def _upload_fails_and_answers_stay(tg: FakeTelegram, tmp_path: Path, why: str) -> None:
    admin = tg.user(ADMIN, "Admin")
    _big_document(tmp_path / "upload")
    data = (tmp_path / "upload" / "castle.txt").read_bytes()
    tg.send_document(tg.private_chat(admin), admin, "castle.txt", data, mime_type="text/plain")
    tg.wait_for(
        lambda: any("could not be indexed" in m["text"] for m in tg.sent_messages(ADMIN)),
        timeout=120,
    )
    failed = next(m["text"] for m in tg.sent_messages(ADMIN) if "could not be indexed" in m["text"])
    assert why in failed and "is as it was" in failed
    assert ANSWER in _ask(tg, tg.user(101, "Li"), QUESTION)
    assert "castle" not in _ask(tg, tg.user(102, "Wang"), "城堡的第7座塔楼高多少米？")


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert TOKEN not in out and "Traceback" not in out
    return out


def test_the_bot_says_at_start_that_it_went_back_and_survives_a_full_disk(
    built: Path, tmp_path: Path
) -> None:
    index = _copy(built, tmp_path)
    _truncate(index / DB_NAME)
    limit = (index / GOOD_NAME).stat().st_size + 256 * 1024
    with FakeTelegram(token=TOKEN) as tg:
        command = _bot_command(tg, tmp_path, index)
        proc = _start_bot(command, tmp_path, preexec_fn=_no_bigger_than(limit))
        try:
            assert ANSWER in _ask(tg, tg.user(100, "Zhao"), QUESTION)
            _upload_fails_and_answers_stay(tg, tmp_path, "could not write the index")
        finally:
            out = _stop(proc)
    assert "was damaged (it is truncated" in out and "went back to its last good copy" in out


def _can_mount_read_only() -> bool:
    try:
        return _qabot_shell("true").returncode == 0
    except OSError:
        return False


def _qabot_shell(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True)


@pytest.mark.skipif(
    not shutil.which("unshare") or not _can_mount_read_only(),
    reason="needs unshare with user namespaces, to mount the index folder read-only",
)
def test_a_read_only_index_folder_answers_and_refuses_uploads_plainly(
    built: Path, tmp_path: Path
) -> None:
    index = _copy(built, tmp_path)
    with FakeTelegram(token=TOKEN) as tg:
        run = shlex.join(_bot_command(tg, tmp_path, index))
        mount = f"mount --bind -o ro {shlex.quote(str(index))} {shlex.quote(str(index))}"
        proc = _start_bot(["unshare", "-rm", "sh", "-c", f"{mount} && exec {run}"], tmp_path)
        try:
            assert ANSWER in _ask(tg, tg.user(100, "Zhao"), QUESTION)
            _upload_fails_and_answers_stay(tg, tmp_path, "the folder is read-only")
        finally:
            _stop(proc)


async def test_an_index_damaged_under_the_running_bot_is_replaced_by_its_copy(
    built: Path,
    tmp_path: Path,
    config: Config,
    tokenizer: Tokenizer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service, "FRESHNESS_CHECK_S", 0.0)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    index = _copy(built, tmp_path)
    library = Library(config.with_index_path(index), tokenizer)
    with FakeTelegram(token=TEST_TOKEN) as tg:
        async for _ in _running(tg, _settings(tg), library):
            user = tg.user(100, "Li")
            chat = tg.private_chat(user)
            first = tg.send_text(chat, user, QUESTION)["message_id"]
            await tg.await_for(lambda: len(tg.sent_messages(100)) == 1)
            _overwrite(index / DB_NAME)
            second = tg.send_text(chat, user, QUESTION)["message_id"]
            await tg.await_for(lambda: len(tg.sent_messages(100)) == 2)
    replies = {m["reply_to_message"]["message_id"]: m["text"] for m in tg.sent_messages(100)}
    assert ANSWER in replies[first] and ANSWER in replies[second]
    assert (index / f"{DB_NAME}.damaged").exists()


def test_changes_since_the_first_build_come_back_after_damage(
    built: Path, tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    index = _copy(built, tmp_path)
    library = Library(config.with_index_path(index), tokenizer)
    kept = (index / GOOD_NAME).stat().st_ino
    more = tmp_path / "more"
    more.mkdir()
    (more / "castle.txt").write_text("湖边城堡有十二座塔楼。", encoding="utf-8")
    update_index([more], library.config, tokenizer, progress=False)
    changzhi = next(s.id for s in library.open().sources() if s.name == CHANGZHI)
    library.remove(changzhi)
    # Each change wrote its own documents into the kept file, not a new copy of everything.
    assert (index / GOOD_NAME).stat().st_ino == kept
    _overwrite(index / DB_NAME)
    searcher = library.open()
    assert "十二座塔楼" in searcher.search("城堡有几座塔楼？").results[0].quote
    assert CHANGZHI not in {s.name for s in searcher.sources()}


def test_a_change_the_kept_documents_missed_is_made_up_for_by_the_next(
    built: Path,
    tmp_path: Path,
    config: Config,
    tokenizer: Tokenizer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    index = _copy(built, tmp_path)
    cfg = config.with_index_path(index)
    more = tmp_path / "more"
    more.mkdir()
    (more / "castle.txt").write_text("湖边城堡有十二座塔楼。", encoding="utf-8")

    def full_disk(*args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    with monkeypatch.context() as patch, caplog.at_level(logging.WARNING):
        patch.setattr(safekeeping, "_write", full_disk)
        update_index([more], cfg, tokenizer, progress=False)
    assert "could not keep the documents aside" in caplog.text
    (more / "tower.txt").write_text("山顶古塔高四十米。", encoding="utf-8")
    update_index([more], cfg, tokenizer, progress=False)
    _truncate(index / DB_NAME)
    searcher = Library(cfg, tokenizer).open()
    assert "十二座塔楼" in searcher.search("城堡有几座塔楼？").results[0].quote
    assert "四十米" in searcher.search("古塔高多少米？").results[0].quote


def test_an_index_of_the_previous_version_is_made_again_from_its_documents(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, caplog: pytest.LogCaptureFixture
) -> None:
    """Version 2 kept each document's text plain in `documents`: uploads are not lost."""
    index = tmp_path / "index"
    index.mkdir()
    old = sqlite3.connect(index / DB_NAME)
    old.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('schema', '2');"
        "CREATE TABLE documents (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE,"
        " name TEXT NOT NULL, sha256 TEXT NOT NULL, text TEXT NOT NULL);"
    )
    text = (SAMPLES_DIR / CHANGZHI).read_text(encoding="utf-8")
    old.execute(
        "INSERT INTO documents VALUES (1, ?, ?, ?, ?)",
        ("upload:changzhi.txt", "changzhi.txt", hashlib.sha256(b"sent").hexdigest(), text),
    )
    old.commit()
    old.close()
    library = Library(config.with_index_path(index), tokenizer)
    with caplog.at_level(logging.WARNING):
        searcher = library.open()
    assert "earlier version" in caplog.text
    assert [s.name for s in searcher.sources()] == ["changzhi.txt"]
    asked = "长治有多少名五级人大代表走进代表联络站？"
    assert "8984名" in searcher.search(asked).results[0].quote
    again = library.add([upload_source("changzhi.txt", b"sent")])
    assert again.unchanged == ["changzhi.txt"], "its hash came along: the same upload is known"
    _overwrite(index / DB_NAME)  # and its document is kept, in this version's form
    assert "8984名" in library.open().search(asked).results[0].quote


@pytest.mark.parametrize("kind", DAMAGES)
def test_indexing_into_a_damaged_index_goes_back_to_its_copy_first(
    kind: str,
    built: Path,
    tmp_path: Path,
    config: Config,
    tokenizer: Tokenizer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`qabot index` checks the index before it writes: it adds to the last good copy, not to
    the damaged file (nor to a new empty index in place of a missing one)."""
    index = _copy(built, tmp_path)
    DAMAGES[kind](index / DB_NAME)
    cfg = config.with_index_path(index)
    with caplog.at_level(logging.WARNING):
        update_index([_castle(tmp_path)], cfg, tokenizer, progress=False)
    assert "went back to its last good copy" in caplog.text
    searcher = Library(cfg, tokenizer).open()
    assert ANSWER in _first_quote(searcher, QUESTION)
    assert CASTLE_ANSWER in _first_quote(searcher, CASTLE_QUESTION)


def test_the_copy_follows_every_change(
    built: Path, tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """Damage after an addition, then after a removal, costs neither: a copy kept only at the
    first build would bring back the index as it was then."""
    index = _copy(built, tmp_path)
    library = Library(config.with_index_path(index), tokenizer)
    update_index([_castle(tmp_path)], library.config, tokenizer, progress=False)
    _truncate(index / DB_NAME)
    library.check()
    searcher = library.open()
    assert CASTLE_ANSWER in _first_quote(searcher, CASTLE_QUESTION)
    castle = next(s.id for s in searcher.sources() if s.name == "castle.txt")
    assert library.remove(castle) == "castle.txt"
    _overwrite(index / DB_NAME)
    library.check()
    assert "castle.txt" not in {s.name for s in library.open().sources()}


def test_each_damage_is_found_and_named(built: Path, tmp_path: Path) -> None:
    """A last page lost (the size still a whole number of pages), which SQLite's first reads
    may not notice, by the header's page count; a header cut short by its length; wiped pages
    by SQLite's first reads, of the metadata and of the totals."""
    db = _copy(built, tmp_path) / DB_NAME
    data = db.read_bytes()
    page = int.from_bytes(data[16:18], "big")
    os.truncate(db, len(data) - page)
    assert damage(db) == f"it is truncated ({len(data) - page:,} of {len(data):,} bytes)"
    db.write_bytes(data[:60])
    assert damage(db) == "it is not a SQLite file: overwritten?"
    db.write_bytes(data)
    _zero_pages(db)
    assert "malformed" in (damage(db) or "")
    db.write_bytes(data)
    conn = sqlite3.connect(db)
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'totals'").fetchone()
    conn.close()
    db.write_bytes(data[: (root - 1) * page] + bytes(page) + data[root * page :])
    assert "malformed" in (damage(db) or ""), "the totals' page alone wiped"
    db.write_bytes(data)
    assert damage(db) is None


def test_the_damaged_files_log_is_set_aside_with_it(
    built: Path, tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """Replayed onto the copy, the damaged file's write-ahead log would damage it too."""
    index = _copy(built, tmp_path)
    _overwrite(index / DB_NAME)
    for suffix in ("-wal", "-shm"):
        (index / f"{DB_NAME}{suffix}").write_bytes(b"left by the damaged file" * 100)
    library = Library(config.with_index_path(index), tokenizer)
    library.check()
    names = {p.name for p in index.iterdir()}
    assert {f"{DB_NAME}-wal.damaged", f"{DB_NAME}-shm.damaged"} <= names
    assert not {f"{DB_NAME}-wal", f"{DB_NAME}-shm"} & names
    assert ANSWER in _first_quote(library.open(), QUESTION)
