"""The index on disk: one SQLite file holding documents, their structure, offsets and words.

Words are stored so that opening an index never runs the tokenizer, and stored small: each word
once, in `words`, and each passage's words as ids, deflated; document texts and their sentence
offsets are deflated too. Nothing is stored that another table gives cheaply: which article or
document holds a word is asked of the ranking engine's inverted index (`Engine.places`).
Every update is one transaction, so an interrupted build leaves the previous index as it was.
Searching reads only the rows a question needs (its candidate passages, the documents it
quotes), so an archive of a million passages is served without holding it in memory.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from secrets import token_hex

import numpy as np

from index.document import ArticleInfo, ChunkInfo, Document, ParagraphInfo, SentenceInfo

SCHEMA_VERSION = "3"
DB_NAME = "index.sqlite"
_LOOKUP_BATCH = 10_000  # words looked up in one statement (SQLite allows 32,766 parameters)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Every word once; passages hold their words as these ids (0, 1, 2 … in the order first seen).
CREATE TABLE IF NOT EXISTS words (id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    text BLOB NOT NULL,  -- UTF-8, deflated
    layout BLOB NOT NULL  -- paragraphs and sentences as spans of the text (`_layout`)
);
CREATE INDEX IF NOT EXISTS documents_by_hash ON documents(sha256);
CREATE TABLE IF NOT EXISTS articles (
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    title TEXT NOT NULL,
    subtitle TEXT NOT NULL,
    PRIMARY KEY (doc_id, ordinal)
);
-- A document's passages have consecutive ids, in the order of the text.
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    article INTEGER NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    length INTEGER NOT NULL,
    context_length INTEGER NOT NULL,
    words BLOB NOT NULL  -- `pack_ids`: each sentence's word count, the headline's ids, the body's
);
CREATE INDEX IF NOT EXISTS chunks_of ON chunks(doc_id);
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


class OtherVersion(IndexUnavailable):
    """The index was made by another version of qabot; its documents can be indexed again."""


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
        version = _version(conn)
        if create and version is None:
            conn.executescript(_SCHEMA)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            # Tells this index from another in the same folder (a restored backup, a new build).
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('instance', ?)", (token_hex(8),))
            version = SCHEMA_VERSION
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
    if version != SCHEMA_VERSION:
        conn.close()
        raise OtherVersion(f"the index at {index_dir} is from another version: index again")
    return conn


def _version(conn: sqlite3.Connection) -> str | None:
    """The schema version, or None for a file with no tables yet."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
        return None
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    return row[0] if row else ""


def version(path: Path) -> str | None:
    """The schema version of an index file, or None where it cannot be read."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        return _version(conn)
    except sqlite3.Error:
        return None
    finally:
        conn.close()


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


class Stored:
    """The documents stored before a change, to compare its sources with.

    For a few sources against a large archive (an upload, one new file), each is looked up by
    key and by hash, so that the change does not read every document's row; otherwise all rows
    are read at once. Either way documents stored by the change itself are not seen.
    """

    FEW = 8  # point look-ups cost about this many documents read at once

    def __init__(self, conn: sqlite3.Connection, sources: Iterable[object] | None) -> None:
        """`sources`: what the change will look up; None when it must see every document."""
        self.conn = conn
        count = counts(conn).documents
        few = isinstance(sources, list) and len(sources) * self.FEW < count
        self.everything = {} if few else documents(conn)
        self._hashes = {doc.sha256: doc for doc in self.everything.values()}
        self._before = conn.execute("SELECT COALESCE(MAX(id), 0) FROM documents").fetchone()[0]
        self._few = few

    def at(self, key: str) -> StoredDocument | None:
        if not self._few:
            return self.everything.get(key)
        return self._one("path", key)

    def holding(self, sha256: str) -> StoredDocument | None:
        if not self._few:
            return self._hashes.get(sha256)
        return self._one("sha256", sha256)

    def _one(self, column: str, value: str) -> StoredDocument | None:
        row = self.conn.execute(
            f"SELECT id, path, name, sha256 FROM documents WHERE {column} = ? AND id <= ? LIMIT 1",
            (value, self._before),
        ).fetchone()
        return StoredDocument(*row) if row else None


def delete_document(conn: sqlite3.Connection, doc_id: int) -> None:
    conn.execute("DELETE FROM documents WHERE id=?", (doc_id,))


def deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)  # raw: no header or checksum per row
    return packer.compress(data) + packer.flush()


def inflate(data: bytes) -> bytes:
    return zlib.decompress(data, -15)


def pack_ids(ids: np.ndarray) -> bytes:
    """Numbers below 2**32, deflated with their bytes grouped by weight.

    A passage's word ids share their high bytes (mostly zeros), which then cost next to
    nothing: 2.1 bytes a word at 100k passages, and unpacked in microseconds by numpy.
    """
    planes = np.ascontiguousarray(ids, dtype="<u4").view(np.uint8).reshape(-1, 4).T
    return deflate(planes.tobytes())


def unpack_ids(blob: bytes) -> np.ndarray:
    planes = np.frombuffer(inflate(blob), dtype=np.uint8).reshape(4, -1)
    return planes.T.copy().view("<u4").ravel()


def _layout(doc: Document) -> bytes:
    """Paragraphs and sentences as numbers, packed like word ids; section headings as JSON.

    (paragraphs, sentences, then article, ordinal, start, length of each paragraph, then
    article, paragraph, start, length of each sentence), a zero byte, the headings: most
    documents have none, and reading numbers this way costs a tenth of parsing JSON.
    """
    numbers = [len(doc.paragraphs), len(doc.sentences)]
    for p in doc.paragraphs:
        numbers += (p.article, p.ordinal, p.start, p.stop - p.start)
    for s in doc.sentences:
        numbers += (s.article, s.paragraph, s.start, s.stop - s.start)
    sections = [p.section for p in doc.paragraphs]
    headings = json.dumps(sections, ensure_ascii=False) if any(sections) else ""
    packed = pack_ids(np.array(numbers, dtype=np.int64))
    return len(packed).to_bytes(4, "little") + packed + headings.encode("utf-8")


def _read_layout(blob: bytes) -> tuple[list[ParagraphInfo], list[tuple[int, int, int, int]]]:
    """The paragraphs, and each sentence's (article, paragraph, start, stop)."""
    size = int.from_bytes(blob[:4], "little")
    numbers = unpack_ids(blob[4 : 4 + size]).tolist()
    headings = blob[4 + size :]
    count = numbers[0]
    sections = json.loads(headings) if headings else [""] * count
    paragraphs = [
        ParagraphInfo(article, ordinal, start, start + length, section)
        for (article, ordinal, start, length), section in zip(
            _fours(numbers, 2, count), sections, strict=True
        )
    ]
    sentences = [
        (article, paragraph, start, start + length)
        for article, paragraph, start, length in _fours(numbers, 2 + 4 * count, numbers[1])
    ]
    return paragraphs, sentences


def _fours(numbers: list[int], at: int, count: int) -> Iterator[tuple[int, int, int, int]]:
    items = iter(numbers[at : at + 4 * count])
    return zip(items, items, items, items, strict=True)


class Words:
    """The vocabulary as a reader needs it: each id's word, read at open, and the ids of the
    words questions ask for, looked up as they come (a dictionary of a million words would
    take longer to make than the rest of opening).

    Ids only grow (a word is never renumbered or dropped), so a reader that meets an id it
    does not know reads the words added since.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._lock = threading.Lock()
        self._ids: dict[str, int] = {}  # the words questions have asked for
        self._absent: set[str] = set()  # ... and those the index did not hold then
        self._words = np.empty(0, dtype=object)
        self.instance = get_meta(conn, "instance")
        self._refresh(conn)

    @classmethod
    def since(cls, previous: Words | None, conn: sqlite3.Connection) -> Words:
        """The vocabulary of an index opened again: the previous one with the words added
        since, when it is the same index (ids only grow), so that opening again after a change
        reads that change's words, not the archive's million; else read whole. A copy of
        the same index put back from a backup is told by its last word known here."""
        if (
            previous is None
            or previous.instance is None
            or previous.instance != get_meta(conn, "instance")
            or not previous._still_there(conn)
        ):
            return cls(conn)
        previous._refresh(conn)
        return previous

    def _still_there(self, conn: sqlite3.Connection) -> bool:
        last = len(self._words) - 1
        if last < 0:
            return True
        row = conn.execute("SELECT word FROM words WHERE id = ?", (last,)).fetchone()
        return row is not None and row[0] == self._words[last]

    def __len__(self) -> int:
        return len(self._words)

    def _refresh(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            known = len(self._words)
            # One string read and split: a third faster than a row per word. Words never hold
            # white space, and rows come in id order (the table is kept in id order).
            (joined,) = conn.execute(
                "SELECT group_concat(word, char(10)) FROM"
                " (SELECT word FROM words WHERE id >= ? ORDER BY id)",
                (known,),
            ).fetchone()
            if joined:
                added = np.array(joined.split("\n"), dtype=object)
                self._words = np.concatenate([self._words, added])
                self._absent = set()

    def ids(self, words: list[str], conn: sqlite3.Connection) -> np.ndarray:
        """The words' ids, -1 for a word the index does not hold."""
        missing = [w for w in words if w not in self._ids and w not in self._absent]
        if missing:
            marks = ",".join("?" * len(missing))
            query = f"SELECT word, id FROM words WHERE word IN ({marks})"
            found = dict(conn.execute(query, missing))
            with self._lock:
                self._ids.update(found)
                self._absent.update(w for w in missing if w not in found)
        known = self._ids
        return np.array([known.get(w, -1) for w in words], dtype=np.int64)

    def decode(self, ids: np.ndarray, conn: sqlite3.Connection) -> list[str]:
        if len(ids) and int(ids.max()) >= len(self._words):
            self._refresh(conn)
            if int(ids.max()) >= len(self._words):
                raise IndexUnavailable("the index names words it does not hold: index again")
        return self._words[ids].tolist()  # type: ignore[no-any-return]


class WordIds:
    """Ids for the words a change stores: looked up as each document needs them, new ones added.

    Only the words of the documents being stored are read, so adding one document to an
    archive costs that document's words, not the archive's vocabulary.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.known: dict[str, int] = {}
        self.next = conn.execute("SELECT COALESCE(MAX(id) + 1, 0) FROM words").fetchone()[0]
        self.complete = self.next == 0  # an empty table: every word not seen here is new

    def ids(self, words: list[str]) -> np.ndarray:
        missing = [w for w in words if w not in self.known]
        if missing and not self.complete:
            for at in range(0, len(missing), _LOOKUP_BATCH):
                batch = missing[at : at + _LOOKUP_BATCH]
                marks = ",".join("?" * len(batch))
                query = f"SELECT word, id FROM words WHERE word IN ({marks})"
                self.known.update(self.conn.execute(query, batch))
            missing = [w for w in missing if w not in self.known]
        if missing:
            new = range(self.next, self.next + len(missing))
            self.conn.executemany("INSERT INTO words VALUES (?, ?)", zip(new, missing, strict=True))
            self.known.update(zip(missing, new, strict=True))
            self.next += len(missing)
        return np.fromiter((self.known[w] for w in words), dtype=np.uint32, count=len(words))


@dataclass(frozen=True)
class PassageRows:
    """One passage as a build worker makes it: its words as places in `Rows.words`."""

    article: int
    first: int
    last: int
    sentence_lengths: list[int]
    context: list[int]
    body: list[int]


@dataclass(frozen=True)
class Rows:
    """A parsed document as the rows that store it, made where it was tokenized.

    A build makes them in its worker processes, so that the process writing SQLite only gives
    the words their ids and writes. `words` are the document's distinct words, which passages
    name by place; `ranked` is each passage's text for the ranking engine
    (see `engine.ranked_tokens`).
    """

    document: tuple[str, str, str, bytes, bytes]
    articles: list[tuple[int, str, str]]
    words: list[str]
    passages: list[PassageRows]
    ranked: list[str]


def document_rows(doc: Document, rank: Callable[[list[str], list[str]], list[str]]) -> Rows:
    """`rank` turns a passage's words and its headline's into what the ranking engine indexes."""
    places: dict[str, int] = {}

    def place(tokens: tuple[str, ...] | list[str]) -> list[int]:
        return [places.setdefault(t, len(places)) for t in tokens]

    passages, ranked = [], []
    for c in doc.chunks:
        sents = doc.sentences[c.first : c.last + 1]
        body = [t for s in sents for t in s.tokens]
        passages.append(
            PassageRows(
                sents[0].article,
                c.first,
                c.last,
                [len(s.tokens) for s in sents],
                place(c.context),
                place(body),
            )
        )
        ranked.append(" ".join(rank(body, list(c.context))))
    text = deflate(doc.text.encode("utf-8"))
    return Rows(
        document=(doc.path, doc.name, doc.sha256, text, _layout(doc)),
        articles=[(i, a.title, a.subtitle) for i, a in enumerate(doc.articles)],
        words=list(places),
        passages=passages,
        ranked=ranked,
    )


def next_passage_id(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'chunks'").fetchone()
    return (row[0] if row else 0) + 1


def insert_rows(
    conn: sqlite3.Connection, rows: Rows, word_ids: WordIds, first_id: int
) -> tuple[int, list[int]]:
    """Store a document; its id and the ids of its passages (from `first_id` on), in order."""
    cur = conn.execute(
        "INSERT INTO documents (path, name, sha256, text, layout) VALUES (?, ?, ?, ?, ?)",
        rows.document,
    )
    doc_id = cur.lastrowid
    assert doc_id is not None
    conn.executemany(
        "INSERT INTO articles VALUES (?, ?, ?, ?)", [(doc_id, *a) for a in rows.articles]
    )
    ids = word_ids.ids(rows.words)
    passage_ids = list(range(first_id, first_id + len(rows.passages)))
    conn.executemany(
        "INSERT INTO chunks (id, doc_id, article, first, last, length, context_length, words)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                pid,
                doc_id,
                p.article,
                p.first,
                p.last,
                len(p.body),
                len(p.context),
                pack_ids(np.concatenate([p.sentence_lengths, ids[p.context], ids[p.body]])),
            )
            for pid, p in zip(passage_ids, rows.passages, strict=True)
        ],
    )
    return doc_id, passage_ids


def _parts(
    first: int, last: int, context_length: int, blob: bytes
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A passage's stored words: its sentences' word counts, its headline's ids, its body's."""
    packed = unpack_ids(blob)
    n = last - first + 1
    return packed[:n], packed[n : n + context_length], packed[n + context_length :]


def load_document(
    conn: sqlite3.Connection,
    words: Words,
    doc_id: int,
    articles: Collection[int] | None = None,
) -> Document | None:
    """One document with its structure and words, or None when there is no such id. With
    `articles`, only those articles' sentences get their words (`add_article_words` adds
    another's later): a question reads one article of a page, and words are most of the cost."""
    row = conn.execute(
        "SELECT path, name, sha256, text, layout FROM documents WHERE id=?", (doc_id,)
    ).fetchone()
    if row is None:
        return None
    path, name, sha256, text, layout = row
    doc = Document(path, name, sha256, inflate(text).decode("utf-8"), id=doc_id)
    doc.articles.extend(
        ArticleInfo(*r)
        for r in conn.execute(
            "SELECT title, subtitle FROM articles WHERE doc_id=? ORDER BY ordinal", (doc_id,)
        )
    )
    paragraphs, spans = _read_layout(layout)
    doc.paragraphs.extend(paragraphs)
    doc.sentences.extend(SentenceInfo(*span, ()) for span in spans)
    if articles is None:
        _add_words(conn, words, doc, "", ())
    else:
        doc.worded = set()
        for article in articles:
            add_article_words(conn, words, doc, article)
    return doc


def add_article_words(conn: sqlite3.Connection, words: Words, doc: Document, article: int) -> None:
    """The words of one article's sentences and chunks, into a document read without them."""
    if doc.worded is None or article in doc.worded:
        return
    _add_words(conn, words, doc, " AND article=?", (article,))
    doc.worded.add(article)


def _add_words(
    conn: sqlite3.Connection, words: Words, doc: Document, where: str, args: tuple[int, ...]
) -> None:
    stored = [
        (first, last, *_parts(first, last, context_length, blob))
        for first, last, context_length, blob in conn.execute(
            f"SELECT first, last, context_length, words FROM chunks WHERE doc_id=?{where}"
            " ORDER BY id",
            (doc.id, *args),
        )
    ]
    if not stored:
        return
    # One look-up of all the words, then cut into sentences and headlines.
    tokens = words.decode(np.concatenate([ids for *_, c, b in stored for ids in (c, b)]), conn)
    sentences = doc.sentences
    at = 0
    for first, last, lengths, context, _ in stored:
        doc.chunks.append(ChunkInfo(first, last, tuple(tokens[at : at + len(context)])))
        at += len(context)
        for s, length in zip(range(first, last + 1), lengths.tolist(), strict=True):
            article, paragraph, start, stop, _ = sentences[s]
            sentences[s] = SentenceInfo(
                article, paragraph, start, stop, tuple(tokens[at : at + length])
            )
            at += length


@dataclass(frozen=True)
class Passage:
    """A passage as ranking sees it: where it is, its words, and its headline's words."""

    id: int
    doc_id: int
    article: int
    first: int
    last: int
    context: tuple[str, ...]
    length: int
    body: np.ndarray = field(repr=False)  # word ids


def count_in(passages: list[Passage], word_ids: np.ndarray) -> list[list[int]]:
    """How often each of these words (by id, -1 for none) occurs in each passage's body: one
    comparison over all the bodies end to end, then a sum over each body's stretch."""
    if not passages:
        return []
    lengths = np.array([len(p.body) for p in passages])
    bodies = np.concatenate([p.body for p in passages])
    if not len(bodies):
        return [[0] * len(word_ids) for _ in passages]
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    hits = (bodies[:, None] == word_ids).view(np.uint8)
    # reduceat reads an empty stretch as its first element: those are set to zero after.
    sums = np.add.reduceat(hits, np.minimum(starts, len(bodies) - 1), axis=0, dtype=np.int32)
    sums[lengths == 0] = 0
    found: list[list[int]] = sums.tolist()
    return found


def passages(conn: sqlite3.Connection, words: Words, ids: list[int]) -> dict[int, Passage]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = [
        (pid, doc_id, article, first, last, length, *_parts(first, last, context_length, blob))
        for pid, doc_id, article, first, last, length, context_length, blob in conn.execute(
            "SELECT id, doc_id, article, first, last, length, context_length, words FROM chunks"
            f" WHERE id IN ({marks})",
            ids,
        )
    ]
    if not rows:
        return {}
    headlines = words.decode(np.concatenate([row[7] for row in rows]), conn)
    found = {}
    at = 0
    for pid, doc_id, article, first, last, length, _, context, body in rows:
        headline = tuple(headlines[at : at + len(context)])
        at += len(context)
        found[pid] = Passage(pid, doc_id, article, first, last, headline, length, body)
    return found


@dataclass(frozen=True)
class StoredPassage:
    id: int
    doc_id: int
    article: int
    body: list[str]
    context: list[str]


def passage_tokens(conn: sqlite3.Connection, words: Words) -> Iterator[StoredPassage]:
    """Every passage with its words and its headline's, for the ranking engines."""
    rows = conn.execute(
        "SELECT id, doc_id, article, first, last, context_length, words FROM chunks ORDER BY id"
    )
    for pid, doc_id, article, first, last, context_length, blob in rows:
        _, context, body = _parts(first, last, context_length, blob)
        yield StoredPassage(
            pid, doc_id, article, words.decode(body, conn), words.decode(context, conn)
        )


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
    blob = conn.execute("SELECT text FROM documents WHERE id=?", (doc_id,)).fetchone()[0]
    return inflate(blob).decode("utf-8")


def document_name(conn: sqlite3.Connection, doc_id: int) -> str | None:
    row = conn.execute("SELECT name FROM documents WHERE id=?", (doc_id,)).fetchone()
    return row[0] if row else None


def generation(conn: sqlite3.Connection) -> int:
    """Counts committed changes, so a reader can tell its copy is out of date."""
    return int(get_meta(conn, "generation") or 0)


def bump_generation(conn: sqlite3.Connection) -> None:
    set_meta(conn, "generation", str(generation(conn) + 1))
