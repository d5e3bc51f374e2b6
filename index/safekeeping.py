"""The last good state of the index: the documents it is made from, kept in a file of their own.

SQLite's transactions already keep the index whole through a crash, a kill or a full disk. What
they cannot survive is the file itself damaged: truncated, overwritten, its pages wiped, deleted.
So each committed change also writes the documents it added, replaced or removed to
`good.sqlite`: each one's key, name, hash and deflated text, which is all an index is made from.
Keeping them costs what the change costs, a few rows, where a copy of the whole index cost the
archive on every change and doubled its size on disk.

Before the index is opened it is checked cheaply (header, size, first reads); a damaged file is
set aside and the index made again from the kept documents (`build.restore`): as long as a
build, the price of a rare accident, paid once. tantivy's files need nothing kept: they are
rebuilt from SQLite whenever they lag or cannot be read.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from index import store
from index.store import DB_NAME

log = logging.getLogger(__name__)

GOOD_NAME = "good.sqlite"
# What good.sqlite holds: documents with deflated texts. "documents-1" held them plain, and
# before that a whole copy of the index was kept there; both are read, then written anew.
FORMAT = "documents-2"
MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    path TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    text BLOB NOT NULL  -- UTF-8, deflated, as the index holds it
);
"""
_PROBES = {
    DB_NAME: ("SELECT value FROM meta WHERE key = 'schema'", "SELECT * FROM totals"),
    GOOD_NAME: ("SELECT value FROM meta LIMIT 1", "SELECT path FROM documents LIMIT 1"),
}


def good_path(index_dir: Path) -> Path:
    return index_dir / GOOD_NAME


def damage(path: Path) -> str | None:
    """Why a SQLite file cannot be trusted, or None; cheap: the header and the first reads."""
    if not path.exists():
        return "the file is missing"
    with path.open("rb") as f:
        header = f.read(100)
    if len(header) < 100 or not header.startswith(MAGIC):
        return "it is not a SQLite file: overwritten?"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    size = path.stat().st_size
    # The page count in the header holds only while its change counter is current.
    if size % page_size or (header[24:28] == header[92:96] and size < pages * page_size):
        return f"it is truncated ({size:,} of {pages * page_size:,} bytes)"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            for probe in _PROBES.get(path.name, _PROBES[DB_NAME]):
                conn.execute(probe).fetchone()
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return None  # cannot be opened here (locked, a read-only folder): not damage
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None


_NOTHING = ("", -1)  # the marker of no index


def marker(conn: sqlite3.Connection) -> tuple[str, int]:
    """Which index (its instance) at which generation a file holds the documents of."""
    return store.get_meta(conn, "instance") or "", store.generation(conn)


def keep(
    index_dir: Path, conn: sqlite3.Connection, touched: set[str], before: tuple[str, int]
) -> None:
    """After a commit, bring the kept documents to the index's state; `touched` are the keys
    the change added, replaced or removed, `before` the index's marker before it.

    When the kept file followed the index up to this change, only the touched documents are
    written. Otherwise (no file yet, a damaged one, a change it missed because the process was
    killed or the disk was full) it is written whole, beside the old one, which stays until the
    new one is complete. If even that fails, the older file stays and the next change tries again.
    """
    now = marker(conn)
    path = good_path(index_dir)
    try:
        held = _held(path)
        if held == now:
            return
        if held == before:
            _write(path, conn, now, touched)
            return
        partial = path.with_name(GOOD_NAME + ".partial")
        partial.unlink(missing_ok=True)
        _write(partial, conn, now, None)
        os.replace(partial, path)
    except (OSError, sqlite3.Error) as exc:
        log.warning("could not keep the documents aside (%s); the previous copy stays", exc)


def _held(path: Path) -> tuple[str, int] | None:
    """The marker of a sound kept file of this format, or None."""
    if damage(path) is not None:
        return None
    good = sqlite3.connect(path)
    try:
        if store.get_meta(good, "format") != FORMAT:
            return None
        return marker(good)
    except sqlite3.Error:
        return None
    finally:
        good.close()


def _write(
    path: Path, conn: sqlite3.Connection, mark: tuple[str, int], keys: set[str] | None
) -> None:
    """Write the index's documents with these keys (all of them for None) into a kept file."""
    good = sqlite3.connect(path, isolation_level=None)
    try:
        good.executescript(_SCHEMA)
        with store.transaction(good):
            if keys is None:
                good.execute("DELETE FROM documents")
                rows = conn.execute("SELECT path, name, sha256, text FROM documents")
            else:
                listed = sorted(keys)
                marks = ",".join("?" * len(listed))
                good.execute(f"DELETE FROM documents WHERE path IN ({marks})", listed)
                rows = conn.execute(
                    f"SELECT path, name, sha256, text FROM documents WHERE path IN ({marks})",
                    listed,
                )
            good.executemany("INSERT INTO documents VALUES (?, ?, ?, ?)", rows)
            store.set_meta(good, "format", FORMAT)
            store.set_meta(good, "instance", mark[0])
            store.set_meta(good, "generation", str(mark[1]))
    finally:
        good.close()


def adopt(index_dir: Path, conn: sqlite3.Connection) -> None:
    """The index was just made from the kept documents: mark them as its own, or write them
    whole when they were kept by an earlier version."""
    held = _held(good_path(index_dir))
    keep(index_dir, conn, set(), held or _NOTHING)


def rewrite(index_dir: Path, conn: sqlite3.Connection) -> None:
    """Keep the index's documents anew, whatever was kept before."""
    keep(index_dir, conn, set(), _NOTHING)


def kept(source: Path) -> Iterator[tuple[str, str, str, bytes]]:
    """(key, name, sha256, deflated text) of each document a kept file or an index holds.

    Earlier kept files and indexes held the texts plain: they are read too.
    """
    conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        query = "SELECT path, name, sha256, text FROM documents ORDER BY rowid"
        for path, name, sha256, text in conn.execute(query):
            if isinstance(text, str):
                text = store.deflate(text.encode("utf-8"))
            yield path, name, sha256, text
    finally:
        conn.close()


def set_aside(index_dir: Path) -> None:
    """Keep a damaged index as index.sqlite.damaged, its log with it: replayed onto a new file
    the log would damage that too."""
    for suffix in ("", "-wal", "-shm"):
        part = index_dir / f"{DB_NAME}{suffix}"
        if part.exists():
            os.replace(part, index_dir / f"{DB_NAME}{suffix}.damaged")


def last_kept(index_dir: Path) -> str:
    """When the kept documents were last written, for the log."""
    when = good_path(index_dir).stat().st_mtime
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(when))
