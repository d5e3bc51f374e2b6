"""The index on disk: one SQLite file holding documents, their structure, offsets and tokens.

Tokens are stored so that opening an index never runs the tokenizer. Every update is one
transaction, so an interrupted build leaves the previous index as it was. Searching reads only
the rows a question needs (its candidate passages, the documents it quotes), so an archive of
a million passages is served without holding it in memory.
"""

from __future__ import annotations

import bisect
import os
import sqlite3
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from secrets import token_hex

from index.document import ArticleInfo, ChunkInfo, Document, ParagraphInfo, SentenceInfo

SCHEMA_VERSION = "2"
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
-- Apart from the text, so that ranking reads a document's words without paging through it.
CREATE TABLE IF NOT EXISTS document_terms (
    doc_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    terms BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS articles (
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    title TEXT NOT NULL,
    subtitle TEXT NOT NULL,
    terms BLOB NOT NULL,
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
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    article INTEGER NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    context TEXT NOT NULL,
    terms TEXT NOT NULL,
    length INTEGER NOT NULL,
    context_length INTEGER NOT NULL,
    UNIQUE (doc_id, ordinal)
);
-- Kept by triggers, so that opening an archive never counts a million rows.
CREATE TABLE IF NOT EXISTS totals (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    documents INTEGER NOT NULL,
    passages INTEGER NOT NULL,
    length INTEGER NOT NULL,
    context_length INTEGER NOT NULL
);
INSERT OR IGNORE INTO totals VALUES (0, 0, 0, 0, 0);
CREATE TRIGGER IF NOT EXISTS document_added AFTER INSERT ON documents BEGIN
    UPDATE totals SET documents = documents + 1;
END;
CREATE TRIGGER IF NOT EXISTS document_removed AFTER DELETE ON documents BEGIN
    UPDATE totals SET documents = documents - 1;
END;
CREATE TRIGGER IF NOT EXISTS passage_added AFTER INSERT ON chunks BEGIN
    UPDATE totals SET passages = passages + 1, length = length + NEW.length,
        context_length = context_length + NEW.context_length;
END;
CREATE TRIGGER IF NOT EXISTS passage_removed AFTER DELETE ON chunks BEGIN
    UPDATE totals SET passages = passages - 1, length = length - OLD.length,
        context_length = context_length - OLD.context_length;
END;
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
    """Open the index; with `create`, make it first if it is not there.

    A new index is filled with a rollback journal, which writes each page once, where WAL would
    write a first build twice (into the log, then into the file); `wal` switches it to WAL,
    under which readers never wait for a writer, once the first build is committed.
    """
    path = db_path(index_dir)
    if not create and not path.exists():
        raise IndexUnavailable(f"no index at {index_dir}: run `qabot index PATH…` first")
    fresh = create and not path.exists()
    if create:
        index_dir.mkdir(parents=True, exist_ok=True)
    writable = os.access(index_dir, os.W_OK)
    read_only = not create and not writable
    if read_only:
        conn = _read_only(path)
    else:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        if not read_only:
            conn.execute("PRAGMA journal_mode=DELETE" if fresh else "PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        if create:
            conn.executescript(_SCHEMA)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            # Tells this index from another in the same folder (a restored backup, a new build).
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('instance', ?)", (token_hex(8),))
        version = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
    except sqlite3.OperationalError as exc:
        conn.close()
        if create and not writable:
            raise IndexUnavailable(
                f"the index at {index_dir} cannot be changed: the folder is read-only"
            ) from None
        raise IndexUnavailable(f"the index at {index_dir} cannot be opened ({exc})") from None
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise IndexUnavailable(f"the index at {index_dir} is damaged ({exc})") from None
    if version is None or version[0] != SCHEMA_VERSION:
        conn.close()
        raise IndexUnavailable(f"the index at {index_dir} is from another version: index again")
    return conn


def _read_only(path: Path) -> sqlite3.Connection:
    """An index in a folder this process cannot write (a read-only mount, another user's).

    SQLite in WAL mode wants to create its shared-memory file beside the database; where it
    cannot, a database with no log pending is opened as immutable, which needs no such file.
    """
    log_file = path.with_name(path.name + "-wal")
    pending = log_file.exists() and log_file.stat().st_size > 0
    uri = f"file:{path}?mode=ro" if pending else f"file:{path}?immutable=1"
    return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)


def wal(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode=WAL")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All or nothing: on any error, or an interrupt, the previous index stays."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back itself (a full disk)
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


def term_hash(word: str) -> int:
    """A stable 32-bit hash of a word: two words of one document collide about once in a million."""
    return zlib.crc32(word.encode("utf-8"))


def _hashes(hashes: set[int]) -> bytes:
    """The words of an article or a document as sorted hashes, tested by bisection (`holds`)."""
    return array("I", sorted(hashes)).tobytes()


def hash_table(hashes: bytes) -> memoryview:
    """Stored hashes ready for `holds`: cast once when many words are looked up."""
    return memoryview(hashes).cast("I")


def holds(hashes: bytes | memoryview, word_hash: int) -> bool:
    table = hashes if isinstance(hashes, memoryview) else hash_table(hashes)
    i = bisect.bisect_left(table, word_hash)
    return i < len(table) and table[i] == word_hash


def _counts(tokens: list[str]) -> str:
    """Each word of a passage with how often it occurs: " 人大:3 代表:1 "."""
    return " " + " ".join(f"{t}:{n}" for t, n in Counter(tokens).items()) + " "


@dataclass(frozen=True)
class Rows:
    """A parsed document as the rows that store it, made where it was tokenized.

    A build makes them in its worker processes, so that the process writing SQLite only writes.
    `ranked` is each passage's text for the ranking engine (see `engine.ranked_tokens`).
    """

    document: tuple[str, str, str, str, bytes]
    articles: list[tuple[int, str, str, bytes]]
    paragraphs: list[tuple[int, int, int, int, str]]
    sentences: list[tuple[int, int, int, int, int, str]]
    chunks: list[tuple[int, int, int, int, str, str, int, int]]
    ranked: list[str]


def document_rows(doc: Document, rank: Callable[[list[str], list[str]], list[str]]) -> Rows:
    """`rank` turns a passage's words and its headline's into what the ranking engine indexes."""
    bodies = [
        [t for s in doc.sentences[c.first : c.last + 1] for t in s.tokens] for c in doc.chunks
    ]
    article_terms: list[set[str]] = [set() for _ in doc.articles]
    for c, body in zip(doc.chunks, bodies, strict=True):
        article_terms[doc.sentences[c.first].article].update(body, c.context)
    hashed = {w: term_hash(w) for w in set().union(*article_terms)}
    article_hashes = [{hashed[w] for w in terms} for terms in article_terms]
    return Rows(
        document=(doc.path, doc.name, doc.sha256, doc.text, _hashes(set(hashed.values()))),
        articles=[
            (i, a.title, a.subtitle, _hashes(h))
            for i, (a, h) in enumerate(zip(doc.articles, article_hashes, strict=True))
        ],
        paragraphs=[(p.article, p.ordinal, p.start, p.stop, p.section) for p in doc.paragraphs],
        sentences=[
            (i, s.article, s.paragraph, s.start, s.stop, " ".join(s.tokens))
            for i, s in enumerate(doc.sentences)
        ],
        chunks=[
            (
                i,
                doc.sentences[c.first].article,
                c.first,
                c.last,
                " ".join(c.context),
                _counts(body),
                len(body),
                len(c.context),
            )
            for i, (c, body) in enumerate(zip(doc.chunks, bodies, strict=True))
        ],
        ranked=[
            " ".join(rank(body, list(c.context)))
            for c, body in zip(doc.chunks, bodies, strict=True)
        ],
    )


def next_passage_id(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'chunks'").fetchone()
    return (row[0] if row else 0) + 1


def insert_rows(conn: sqlite3.Connection, rows: Rows, first_id: int) -> tuple[int, list[int]]:
    """Store a document; its id and the ids of its passages (from `first_id` on), in order."""
    *document, terms = rows.document
    cur = conn.execute(
        "INSERT INTO documents (path, name, sha256, text) VALUES (?, ?, ?, ?)", document
    )
    doc_id = cur.lastrowid
    assert doc_id is not None
    conn.execute("INSERT INTO document_terms VALUES (?, ?)", (doc_id, terms))
    conn.executemany(
        "INSERT INTO articles VALUES (?, ?, ?, ?, ?)", [(doc_id, *a) for a in rows.articles]
    )
    conn.executemany(
        "INSERT INTO paragraphs VALUES (?, ?, ?, ?, ?, ?)", [(doc_id, *p) for p in rows.paragraphs]
    )
    conn.executemany(
        "INSERT INTO sentences VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(doc_id, *s) for s in rows.sentences],
    )
    ids = list(range(first_id, first_id + len(rows.chunks)))
    conn.executemany(
        "INSERT INTO chunks (id, doc_id, ordinal, article, first, last, context, terms, length,"
        " context_length) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(pid, doc_id, *c) for pid, c in zip(ids, rows.chunks, strict=True)],
    )
    return doc_id, ids


def load_document(conn: sqlite3.Connection, doc_id: int) -> Document | None:
    """One document with its structure and tokens, or None when there is no such id."""
    row = conn.execute(
        "SELECT path, name, sha256, text FROM documents WHERE id=?", (doc_id,)
    ).fetchone()
    if row is None:
        return None
    doc = Document(*row, id=doc_id)
    doc.articles.extend(
        ArticleInfo(*r)
        for r in conn.execute(
            "SELECT title, subtitle FROM articles WHERE doc_id=? ORDER BY ordinal", (doc_id,)
        )
    )
    doc.paragraphs.extend(
        ParagraphInfo(*r)
        for r in conn.execute(
            "SELECT article, ordinal, start, stop, section FROM paragraphs WHERE doc_id=?"
            " ORDER BY article, ordinal",
            (doc_id,),
        )
    )
    doc.sentences.extend(
        SentenceInfo(article, paragraph, start, stop, tuple(tokens.split()))
        for article, paragraph, start, stop, tokens in conn.execute(
            "SELECT article, paragraph, start, stop, tokens FROM sentences WHERE doc_id=?"
            " ORDER BY ordinal",
            (doc_id,),
        )
    )
    doc.chunks.extend(
        ChunkInfo(first, last, tuple(context.split()))
        for first, last, context in conn.execute(
            "SELECT first, last, context FROM chunks WHERE doc_id=? ORDER BY ordinal", (doc_id,)
        )
    )
    return doc


@dataclass(frozen=True)
class Passage:
    """A passage as ranking sees it: where it is, its words, and the words around it.

    `terms` holds the body's words with their counts (see `_counts`); `article_terms` and
    `doc_terms` hold the hashes of every word of its article and of its document (`holds`).
    """

    id: int
    doc_id: int
    ordinal: int
    article: int
    first: int
    last: int
    context: tuple[str, ...]
    terms: str
    length: int
    article_terms: bytes
    doc_terms: bytes

    def count(self, word: str) -> int:
        """How often the word occurs in the passage's body."""
        at = self.terms.find(f" {word}:")
        if at < 0:
            return 0
        digits = at + len(word) + 2
        return int(self.terms[digits : self.terms.index(" ", digits)])


def passages(conn: sqlite3.Connection, ids: list[int]) -> dict[int, Passage]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        "SELECT c.id, c.doc_id, c.ordinal, c.article, c.first, c.last, c.context, c.terms,"
        " c.length, a.terms, d.terms FROM chunks c"
        " JOIN articles a ON a.doc_id = c.doc_id AND a.ordinal = c.article"
        f" JOIN document_terms d ON d.doc_id = c.doc_id WHERE c.id IN ({marks})",
        ids,
    )
    return {
        row[0]: Passage(*row[:6], tuple(row[6].split()), *row[7:])  # type: ignore[arg-type]
        for row in rows
    }


def passage_tokens(conn: sqlite3.Connection) -> Iterator[tuple[int, int, list[str], list[str]]]:
    """Every passage as (id, document id, body tokens, headline tokens), for ranking engines."""
    sentences = conn.execute("SELECT doc_id, tokens FROM sentences ORDER BY doc_id, ordinal")
    chunks = conn.cursor().execute(
        "SELECT id, doc_id, first, last, context FROM chunks ORDER BY doc_id, ordinal"
    )
    current, tokens = -1, []  # the document whose sentences are in `tokens`
    pending = next(sentences, None)
    for passage_id, doc_id, first, last, context in chunks:
        if doc_id != current:
            current, tokens = doc_id, []
            while pending is not None and pending[0] < doc_id:
                pending = next(sentences, None)
            while pending is not None and pending[0] == doc_id:
                tokens.append(pending[1])
                pending = next(sentences, None)
        body = " ".join(tokens[first : last + 1]).split()
        yield passage_id, doc_id, body, context.split()


@dataclass(frozen=True)
class Counts:
    documents: int
    passages: int


def mean_length(conn: sqlite3.Connection, headline_weight: int) -> float:
    """Average passage length in words, its headline's words counted `headline_weight` times."""
    passages, length, context = conn.execute(
        "SELECT passages, length, context_length FROM totals"
    ).fetchone()
    return (length + headline_weight * context) / passages if passages else 0.0


def counts(conn: sqlite3.Connection) -> Counts:
    return Counts(*conn.execute("SELECT documents, passages FROM totals").fetchone())


def summaries(conn: sqlite3.Connection) -> list[tuple[int, str, int, int, list[str]]]:
    """(id, name, articles, passages, headlines) of every document, by name."""
    rows = conn.execute(
        "SELECT d.id, d.name, (SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.id)"
        " FROM documents d ORDER BY d.name, d.path"
    ).fetchall()
    titles: dict[int, list[str]] = {}
    for doc_id, title in conn.execute(
        "SELECT doc_id, title FROM articles ORDER BY doc_id, ordinal"
    ):
        titles.setdefault(doc_id, []).append(title)
    return [
        (doc_id, name, len(titles.get(doc_id, [])), n, [t for t in titles.get(doc_id, []) if t])
        for doc_id, name, n in rows
    ]


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
