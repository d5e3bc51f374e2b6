"""A copy of the last good index, and the way back to it when the index file is damaged.

Disks fill up, files get truncated or overwritten by mistake, and an index that cannot be read
leaves the bot mute. So after every committed change the SQLite file is copied (with SQLite's
backup API, consistent while others read) to `good.sqlite`, and before the index is opened it is
checked cheaply: a missing, overwritten or truncated file is set aside and the copy put back.
tantivy's files need no copy: they are rebuilt from SQLite whenever they lag or cannot be read.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import time
from pathlib import Path

from index.store import DB_NAME, IndexUnavailable

log = logging.getLogger(__name__)

GOOD_NAME = "good.sqlite"
MAGIC = b"SQLite format 3\x00"


def keep_copy(index_dir: Path, conn: sqlite3.Connection) -> None:
    """Copy the committed index aside; if that fails (a full disk), the older copy stays."""
    partial = index_dir / f"{GOOD_NAME}.partial"
    try:
        target = sqlite3.connect(partial)
        try:
            conn.backup(target)
        finally:
            target.close()
        os.replace(partial, index_dir / GOOD_NAME)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        log.warning("could not keep a copy of the index (%s); the previous copy stays", exc)


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
            conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            conn.execute("SELECT * FROM totals").fetchone()
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return None  # cannot be opened here (locked, a read-only folder): not damage
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None


def recover(index_dir: Path) -> str | None:
    """Put the last good copy back if the index file is damaged; says what was done, or None.

    Raises IndexUnavailable when the file is damaged and there is no good copy to go back to.
    """
    path = index_dir / DB_NAME
    good = index_dir / GOOD_NAME
    if not path.exists() and not good.exists():
        return None  # no index yet: the caller says so
    problem = damage(path)
    if problem is None:
        return None
    if not good.exists() or damage(good) is not None:
        raise IndexUnavailable(
            f"the index at {index_dir} is damaged ({problem}) and has no good copy to go back "
            "to: index the documents again"
        )
    # The damaged file's log must go with it: replayed onto the copy it would damage that too.
    for suffix in ("", "-wal", "-shm"):
        part = index_dir / f"{DB_NAME}{suffix}"
        if part.exists():
            os.replace(part, index_dir / f"{DB_NAME}{suffix}.damaged")
    partial = index_dir / f"{DB_NAME}.partial"
    shutil.copyfile(good, partial)
    os.replace(partial, path)
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(good.stat().st_mtime))
    return (
        f"the index at {index_dir} was damaged ({problem}); went back to its last good copy, "
        f"from {when}. The damaged file is kept as {DB_NAME}.damaged"
    )
