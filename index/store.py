"""The index on disk: one SQLite file holding documents, their structure, offsets and tokens.

Tokens are stored so that opening an index never runs the tokenizer. Every update is one
transaction, so an interrupted build leaves the previous index as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from index.document import ArticleInfo, ChunkInfo, Document, ParagraphInfo, SentenceInfo

SCHEMA_VERSION = "1"
DB_NAME = "index.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS articles (
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    title TEXT NOT NULL,
    subtitle TEXT NOT NULL,
    PRIMARY KEY (doc_id, ordinal)
);
CREATE TABLE IF NOT EXISTS paragraphs (
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    article INTEGER NOT NULL,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    stop INTEGER NOT NULL,
    section TEXT NOT NULL,
    PRIMARY KEY (doc_id, article, ordinal)
);
CREATE TABLE IF NOT EXISTS sentences (
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    article INTEGER NOT NULL,
    paragraph INTEGER NOT NULL,
    start INTEGER NOT NULL,
    stop INTEGER NOT NULL,
    tokens TEXT NOT NULL,
    PRIMARY KEY (doc_id, ordinal)
);
CREATE TABLE IF NOT EXISTS chunks (
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    context TEXT NOT NULL,
    PRIMARY KEY (doc_id, ordinal)
);
"""


class IndexUnavailable(Exception):
    """The index is missing, damaged or was built with other settings; the message says which."""


@dataclass(frozen=True)
class StoredDocument:
    id: int
    path: str
    name: str
    sha256: str


def db_path(index_dir: Path) -> Path:
    return index_dir / DB_NAME


def connect(index_dir: Path, create: bool = False) -> sqlite3.Connection:
    path = db_path(index_dir)
    if not create and not path.exists():
        raise IndexUnavailable(f"no index at {index_dir}: run `qabot index PATH…` first")
    if create:
        index_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        if create:
            conn.executescript(_SCHEMA)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        version = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise IndexUnavailable(f"the index at {index_dir} is damaged ({exc})") from None
    if version is None or version[0] != SCHEMA_VERSION:
        conn.close()
        raise IndexUnavailable(f"the index at {index_dir} is from another version: index again")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All or nothing: on any error, or an interrupt, the previous index stays."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return row[0] if row else None


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def documents(conn: sqlite3.Connection) -> dict[str, StoredDocument]:
    rows = conn.execute("SELECT id, path, name, sha256 FROM documents")
    return {row[1]: StoredDocument(*row) for row in rows}


def delete_document(conn: sqlite3.Connection, doc_id: int) -> None:
    conn.execute("DELETE FROM documents WHERE id=?", (doc_id,))


def insert_document(conn: sqlite3.Connection, doc: Document) -> int:
    cur = conn.execute(
        "INSERT INTO documents (path, name, sha256, text) VALUES (?, ?, ?, ?)",
        (doc.path, doc.name, doc.sha256, doc.text),
    )
    doc_id = cur.lastrowid
    assert doc_id is not None
    conn.executemany(
        "INSERT INTO articles VALUES (?, ?, ?, ?)",
        [(doc_id, i, a.title, a.subtitle) for i, a in enumerate(doc.articles)],
    )
    conn.executemany(
        "INSERT INTO paragraphs VALUES (?, ?, ?, ?, ?, ?)",
        [(doc_id, p.article, p.ordinal, p.start, p.stop, p.section) for p in doc.paragraphs],
    )
    conn.executemany(
        "INSERT INTO sentences VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (doc_id, i, s.article, s.paragraph, s.start, s.stop, " ".join(s.tokens))
            for i, s in enumerate(doc.sentences)
        ],
    )
    conn.executemany(
        "INSERT INTO chunks VALUES (?, ?, ?, ?, ?)",
        [(doc_id, i, c.first, c.last, " ".join(c.context)) for i, c in enumerate(doc.chunks)],
    )
    return doc_id


def load_documents(conn: sqlite3.Connection) -> list[Document]:
    """Every document with its structure and tokens, in a stable order."""
    docs: dict[int, Document] = {}
    for doc_id, path, name, sha, text in conn.execute(
        "SELECT id, path, name, sha256, text FROM documents ORDER BY name, path"
    ):
        docs[doc_id] = Document(path, name, sha, text, id=doc_id)
    for doc_id, title, subtitle in conn.execute(
        "SELECT doc_id, title, subtitle FROM articles ORDER BY doc_id, ordinal"
    ):
        docs[doc_id].articles.append(ArticleInfo(title, subtitle))
    for doc_id, *row in conn.execute(
        "SELECT doc_id, article, ordinal, start, stop, section FROM paragraphs"
        " ORDER BY doc_id, article, ordinal"
    ):
        docs[doc_id].paragraphs.append(ParagraphInfo(*row))
    for doc_id, article, paragraph, start, stop, tokens in conn.execute(
        "SELECT doc_id, article, paragraph, start, stop, tokens FROM sentences"
        " ORDER BY doc_id, ordinal"
    ):
        docs[doc_id].sentences.append(
            SentenceInfo(article, paragraph, start, stop, tuple(tokens.split()))
        )
    for doc_id, first, last, context in conn.execute(
        "SELECT doc_id, first, last, context FROM chunks ORDER BY doc_id, ordinal"
    ):
        docs[doc_id].chunks.append(ChunkInfo(first, last, tuple(context.split())))
    return list(docs.values())


def document_text(conn: sqlite3.Connection, doc_id: int) -> str:
    return conn.execute("SELECT text FROM documents WHERE id=?", (doc_id,)).fetchone()[0]


def document_name(conn: sqlite3.Connection, doc_id: int) -> str | None:
    row = conn.execute("SELECT name FROM documents WHERE id=?", (doc_id,)).fetchone()
    return row[0] if row else None


def generation(conn: sqlite3.Connection) -> int:
    """Counts committed changes, so a reader can tell its copy is out of date."""
    return int(get_meta(conn, "generation") or 0)


def bump_generation(conn: sqlite3.Connection) -> None:
    set_meta(conn, "generation", str(generation(conn) + 1))
