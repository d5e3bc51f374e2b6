"""Read → clean → split into articles → chunk → tokenize → store, for new and changed files only."""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import itertools
import logging
import multiprocessing
import os
import shutil
import signal
import sqlite3
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from tqdm import tqdm

from index import safekeeping, store, tantivy_engine
from index.chunk import SPLITTER, chunk, sentences
from index.clean import split_articles
from index.config import Config
from index.document import ArticleInfo, ChunkInfo, Document, ParagraphInfo, SentenceInfo
from index.engine import layout, ranked_tokens
from index.formats import extract_bounded
from index.reader import Reason, UnreadableFile, iter_files, read_bytes
from index.tantivy_engine import TantivyWriter
from index.tokenize import Tokenizer

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, Reason]] = field(default_factory=list)
    doc_ids: list[int] = field(default_factory=list)  # of the documents added or replaced
    # Seconds spent reading and tokenizing (or waiting for the workers that do), writing
    # SQLite, and feeding and committing the tantivy index: where a build's time goes.
    seconds: dict[str, float] = field(
        default_factory=lambda: {"tokenize": 0.0, "store": 0.0, "engine": 0.0}
    )


def signature(config: Config, tokenizer: Tokenizer) -> str:
    """Stored tokens and chunks are valid only for the settings and the article and sentence
    splitters (SPLITTER) that made them."""
    c = config.chunking
    return f"{tokenizer.signature}|chunk={SPLITTER}:{c.target_chars}/{c.max_chars}"


def require_current(
    conn: sqlite3.Connection, index_dir: Path, config: Config, tokenizer: Tokenizer
) -> None:
    if store.get_meta(conn, "signature") != signature(config, tokenizer):
        raise store.IndexUnavailable(
            f"the index at {index_dir} was built with other tokenizer or chunk settings:"
            " run `qabot index` again"
        )


def is_current(config: Config, tokenizer: Tokenizer) -> bool:
    """True when an index exists at config.index.path and was built with these settings."""
    if not store.db_path(config.index.path).exists():
        return False
    try:
        conn = store.connect(config.index.path)
    except store.IndexUnavailable:
        return False
    try:
        return store.get_meta(conn, "signature") == signature(config, tokenizer)
    finally:
        conn.close()


def parse(path: str, name: str, sha256: str, text: str, config: Config, tok: Tokenizer) -> Document:
    """One document's articles, paragraphs, sentences and chunks, with their tokens."""
    doc = Document(path, name, sha256, text)
    articles = split_articles(text)
    for a, article in enumerate(articles):
        doc.articles.append(ArticleInfo(article.title, article.subtitle))
        for p, (span, section) in enumerate(zip(article.paragraphs, article.sections, strict=True)):
            doc.paragraphs.append(ParagraphInfo(a, p + 1, span.start, span.end, section))
    max_chars = config.chunking.max_chars
    sents = sentences(text, articles, max_chars)
    for s in sents:
        doc.sentences.append(
            SentenceInfo(
                s.article, s.paragraph, s.start, s.end, tuple(tok.tokens(text[s.start : s.end]))
            )
        )
    sections = {(p.article, p.ordinal): p.section for p in doc.paragraphs}
    context_cache: dict[tuple[int, str], tuple[str, ...]] = {}
    for c in chunk(sents, config.chunking.target_chars, max_chars):
        info = doc.articles[c.article]
        section = sections[(c.article, c.paragraph)]
        key = (c.article, section)
        if key not in context_cache:
            heading = " ".join(part for part in (info.title, info.subtitle, section) if part)
            context_cache[key] = tuple(tok.tokens(heading))
        doc.chunks.append(ChunkInfo(c.first, c.last, context_cache[key]))
    return doc


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


UPLOAD_PREFIX = "upload:"


@dataclass(frozen=True)
class Source:
    """A document to index: a stable key (its resolved path, or upload:<name>) and its bytes.

    A kept document (`kept` is its hash) gives its text as the index stored it, deflated, to be
    indexed again as it was without reading its file.
    """

    key: str
    name: str
    read: Callable[[], bytes]
    kept: str | None = None


def file_sources(paths: Iterable[Path]) -> list[Source]:
    return [Source(str(p.resolve()), p.name, partial(read_bytes, p)) for p in iter_files(paths)]


def upload_source(name: str, data: bytes) -> Source:
    """A file sent to the bot: the same name again replaces it, the same bytes are not doubled."""
    return Source(UPLOAD_PREFIX + name, name, lambda: data)


def update_index(
    paths: Iterable[Path],
    config: Config,
    tokenizer: Tokenizer,
    sync: bool = False,
    progress: bool = True,
) -> BuildReport:
    """Bring the index at config.index.path up to date with the given files and folders."""
    return index_sources(file_sources(paths), config, tokenizer, sync=sync, progress=progress)


@dataclass(frozen=True)
class _Job:
    source: Source
    digest: str
    data: bytes
    old: store.StoredDocument | None


# Set before the worker processes fork, so that they inherit the tokenizer with its dictionary.
_WORKER_SETTINGS: tuple[Config, Tokenizer] | None = None


def rows(doc: Document, config: Config) -> store.Rows:
    """A parsed document's rows, with each passage's text for the ranking engine."""
    return store.document_rows(doc, partial(ranked_tokens, ranking=config.ranking))


def _prepare(job: _Job, settings: tuple[Config, Tokenizer] | None = None) -> store.Rows | Reason:
    """Extract and tokenize one document: the part of a build worth spreading over cores."""
    config, tokenizer = settings or _WORKER_SETTINGS or (None, None)
    assert config is not None and tokenizer is not None
    try:
        text = (
            store.inflate(job.data).decode("utf-8")
            if job.source.kept
            else extract_bounded(job.data)
        )
    except UnreadableFile as exc:
        return exc.reason
    doc = parse(job.source.key, job.source.name, job.digest, text, config, tokenizer)
    return rows(doc, config)


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _end_with_parent(parent: int) -> None:
    """A worker's first step: end when the build that started it ends, however it ended.

    A build that is SIGKILLed (by hand, the OOM killer, a container stop) runs no clean-up, and
    its workers would wait on their queue for ever, holding memory and open files. On Linux the
    kernel kills a worker when its parent dies (when the thread that forked it ends, in fact:
    the pool lives inside one call on one thread); elsewhere a thread watches for it.
    """
    if not _killed_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the worker got this far
        os._exit(1)


def _killed_with_parent() -> bool:
    """Ask Linux for SIGKILL when the parent dies; False where prctl is not offered."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    """An orphan is adopted by another process: its parent id changes."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _prepared(
    jobs: Iterator[_Job], config: Config, tokenizer: Tokenizer
) -> Iterator[tuple[_Job, store.Rows | Reason]]:
    """Each job with its outcome, in order; on several cores when there is more than one core."""
    workers = min(config.index.workers, os.cpu_count() or 1)
    first = next(jobs, None)
    second = next(jobs, None)
    if first is None:
        return
    jobs = itertools.chain([first], [second] if second is not None else [], jobs)
    if workers < 2 or second is None:
        for job in jobs:
            yield job, _prepare(job, (config, tokenizer))
        return
    global _WORKER_SETTINGS
    _WORKER_SETTINGS = (config, tokenizer)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_end_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        window: deque[tuple[_Job, Future[store.Rows | Reason]]] = deque()
        for job in jobs:
            window.append((job, pool.submit(_prepare, job)))
            if len(window) >= 2 * workers:  # a few files in flight, not the whole folder
                done, future = window.popleft()
                yield done, future.result()
        while window:
            done, future = window.popleft()
            yield done, future.result()
    _WORKER_SETTINGS = None


def index_sources(
    sources: Iterable[Source],
    config: Config,
    tokenizer: Tokenizer,
    sync: bool = False,
    progress: bool = False,
) -> BuildReport:
    """Add new documents, replace changed ones, skip unchanged ones, in one transaction.

    With `sync`, documents whose files are gone from disk are removed; uploads are kept.
    """
    report = BuildReport()
    with _changing(config, tokenizer, report.seconds) as change:
        conn = change.conn
        sig = signature(config, tokenizer)
        stale = store.get_meta(conn, "signature") != sig
        stored = store.Stored(conn, sources if not (sync or stale) else None)
        existing = stored.everything
        seen: set[str] = set()

        def jobs() -> Iterator[_Job]:
            for source in sources:
                try:
                    data = source.read()
                except UnreadableFile as exc:
                    report.skipped.append((_shown(source), exc.reason))
                    continue
                digest = source.kept or _sha256(data)
                old = stored.at(source.key)
                if old is not None and old.sha256 == digest and not stale:
                    seen.add(source.key)
                    report.unchanged.append(source.name)
                    continue
                twin = stored.holding(digest)
                if twin is not None and twin.path != source.key and not stale:
                    same = Reason("the same content as {name}", (("name", twin.name),))
                    report.skipped.append((source.name, same))
                    continue
                yield _Job(source, digest, data, old)

        outcomes = _prepared(jobs(), config, tokenizer)
        bar = tqdm(outcomes, desc="indexing", unit="file",
                   disable=not progress or None)  # fmt: skip
        waited = time.perf_counter()
        for job, outcome in bar:
            report.seconds["tokenize"] += time.perf_counter() - waited
            source = job.source
            if isinstance(outcome, Reason):
                report.skipped.append((_shown(source), outcome))
                waited = time.perf_counter()
                continue
            if job.old is not None:
                change.delete(job.old.id)
                report.replaced.append(source.name)
            else:
                report.added.append(source.name)
            report.doc_ids.append(change.insert(outcome))
            seen.add(source.key)
            waited = time.perf_counter()
        for key, old in existing.items():
            if key in seen:
                continue
            if sync and not key.startswith(UPLOAD_PREFIX) and not Path(key).exists():
                change.delete(old.id)
                report.removed.append(old.name)
            elif stale:
                text = store.document_text(conn, old.id)
                change.delete(old.id)
                doc = parse(old.path, old.name, old.sha256, text, config, tokenizer)
                change.insert(rows(doc, config))
        store.set_meta(conn, "signature", sig)
        if stale or report.added or report.replaced or report.removed:
            store.bump_generation(conn)
    return report


class _Change:
    """One change to the index: rows in the open SQLite transaction, passages staged in tantivy.

    When the tantivy index does not hold what SQLite held before this change (a build cut off
    between the two commits, damaged files, other headline settings), it is rebuilt from the
    stored tokens once the rows are in place. `touched` collects the keys of the documents
    added, replaced or removed, for the kept documents (safekeeping.py).
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        engine: TantivyWriter,
        config: Config,
        seconds: dict[str, float],
    ) -> None:
        self.conn = conn
        self.engine = engine
        self.ranking = config.ranking
        self.seconds = seconds
        self.next_id = store.next_passage_id(conn)
        self.word_ids = store.WordIds(conn)
        self.touched: set[str] = set()
        held = tantivy_engine.marker(config.index.path)
        current = (store.generation(conn), layout(config.ranking))
        self.rebuild = held != current and store.counts(conn).documents > 0
        if held != current and not self.rebuild:
            engine.clear()

    def insert(self, rows: store.Rows) -> int:
        start = time.perf_counter()
        doc_id, passage_ids = store.insert_rows(self.conn, rows, self.word_ids, self.next_id)
        self.next_id += len(passage_ids)
        self.touched.add(rows.document[0])
        stored = time.perf_counter()
        self.seconds["store"] += stored - start
        if not self.rebuild:
            for passage_id, passage, text in zip(
                passage_ids, rows.passages, rows.ranked, strict=True
            ):
                self.engine.add(passage_id, doc_id, passage.article, text)
        self.seconds["engine"] += time.perf_counter() - stored
        return doc_id

    def delete(self, doc_id: int) -> None:
        key = self.conn.execute("SELECT path FROM documents WHERE id=?", (doc_id,)).fetchone()
        if key is not None:
            self.touched.add(key[0])
        store.delete_document(self.conn, doc_id)
        if not self.rebuild:
            self.engine.delete_document(doc_id)

    def finish(self) -> None:
        if self.rebuild:
            start = time.perf_counter()
            self.engine.clear()
            words = store.Words(self.conn)
            for p in store.passage_tokens(self.conn, words):
                text = " ".join(ranked_tokens(p.body, p.context, self.ranking))
                self.engine.add(p.id, p.doc_id, p.article, text)
            self.seconds["engine"] += time.perf_counter() - start


@contextmanager
def _changing(
    config: Config,
    tokenizer: Tokenizer,
    seconds: dict[str, float] | None = None,
    create: bool = True,
) -> Iterator[_Change]:
    """SQLite commits first, then the kept documents, then tantivy; anything that fails before
    SQLite's commit leaves all three as they were."""
    seconds = {"store": 0.0, "engine": 0.0} if seconds is None else seconds
    index_dir = config.index.path
    notice = restore(config, tokenizer)
    if notice is not None:
        log.warning("%s", notice)
    conn = store.connect(index_dir, create=create)
    try:
        try:
            engine = TantivyWriter(index_dir)
        except ValueError as exc:
            raise store.IndexUnavailable(
                f"the index at {index_dir} is being written by another process ({exc})"
            ) from None
        before = safekeeping.marker(conn)
        try:
            with _written(index_dir), store.transaction(conn):
                change = _Change(conn, engine, config, seconds)
                yield change
                change.finish()
                committing = time.perf_counter()
            store.wal(conn)
            if config.index.keep_copy:
                safekeeping.keep(index_dir, conn, change.touched, before)
            stored = time.perf_counter()
            seconds["store"] += stored - committing
            engine.commit(store.generation(conn), layout(config.ranking))
            seconds["engine"] += time.perf_counter() - stored
        except BaseException:
            engine.rollback()
            raise
    finally:
        conn.close()


RESTORING = "restoring"


def restore(config: Config, tokenizer: Tokenizer) -> str | None:
    """Make the index again when its file cannot be used as it is; says what was done, or None.

    A damaged file (missing, truncated, overwritten, its pages wiped) is made again from the
    kept documents (safekeeping.py); an index of an earlier version of qabot from its own stored
    documents. Either way the new index is built in a folder beside the old one and moved into
    place once complete, so a restore that is cut off is begun again next time from the same
    documents. Raises IndexUnavailable when there is nothing to go back to.
    """
    index_dir = config.index.path
    if _unusable(index_dir) is None:
        return None
    try:
        with _restoring(index_dir) as folder:
            found = _unusable(index_dir)  # again: another process may have just restored it
            if found is None:
                return None
            source, problem = found
            when = safekeeping.last_kept(index_dir) if problem else ""
            side = replace(config, index=replace(config.index, path=folder, keep_copy=False))
            kept = (
                Source(key, name, partial(bytes, text), kept=sha256)
                for key, name, sha256, text in safekeeping.kept(source)
            )
            count = len(index_sources(kept, side, tokenizer).added)
            db = store.db_path(index_dir)
            left = db.exists()
            if problem:
                safekeeping.set_aside(index_dir)
            else:  # the earlier version's log goes with it
                for suffix in ("-wal", "-shm"):
                    db.with_name(db.name + suffix).unlink(missing_ok=True)
            os.replace(store.db_path(folder), db)
            shutil.rmtree(tantivy_engine.folder(index_dir), ignore_errors=True)
            os.replace(tantivy_engine.folder(folder), tantivy_engine.folder(index_dir))
    except (OSError, sqlite3.Error) as exc:
        raise store.IndexUnavailable(
            f"the index at {index_dir} cannot be made again here ({exc})"
        ) from None
    if config.index.keep_copy:
        conn = store.connect(index_dir)
        try:
            if problem:
                safekeeping.adopt(index_dir, conn)
            else:  # made from the earlier index, not from what was kept beside it
                safekeeping.rewrite(index_dir, conn)
        finally:
            conn.close()
    if not problem:
        return (
            f"the index at {index_dir} was made by an earlier version of qabot: its {count}"
            " documents were indexed again from their stored text"
        )
    aside = f". The damaged file is kept as {store.DB_NAME}.damaged" if left else ""
    return (
        f"the index at {index_dir} was damaged ({problem}); went back to its last good copy:"
        f" its {count} documents, kept at {when}, were indexed again{aside}"
    )


def _unusable(index_dir: Path) -> tuple[Path, str] | None:
    """What to make the index again from, and the damage ("" for an earlier version), or None.

    Raises IndexUnavailable when the index is damaged and no good copy is kept.
    """
    db = store.db_path(index_dir)
    good = safekeeping.good_path(index_dir)
    if not db.exists() and not good.exists():
        return None  # no index yet
    problem = safekeeping.damage(db)
    if problem is None:
        return None if store.version(db) in (store.SCHEMA_VERSION, None) else (db, "")
    if safekeeping.damage(good) is not None:
        raise store.IndexUnavailable(
            f"the index at {index_dir} is damaged ({problem}) and has no good copy to go back "
            "to: index the documents again"
        )
    return good, problem


@contextmanager
def _restoring(index_dir: Path) -> Iterator[Path]:
    """An empty folder to build the new index in, held by this process alone (a lock on the
    index folder itself, which leaves no file behind)."""
    held = os.open(index_dir, os.O_RDONLY)
    try:
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise store.IndexUnavailable(
                f"the index at {index_dir} is being made again by another process: try later"
            ) from None
        folder = index_dir / RESTORING
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        os.close(held)


@contextmanager
def _written(index_dir: Path) -> Iterator[None]:
    """A write that fails (a full disk, a read-only folder) is rolled back and said plainly."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        raise store.IndexUnavailable(
            f"could not write the index at {index_dir} ({exc}); it is as it was"
        ) from None


def rebuild_engine(config: Config, tokenizer: Tokenizer) -> None:
    """Rebuild the tantivy index from the stored tokens, nothing re-tokenized: for an index
    that is behind SQLite or cannot be read."""
    tantivy_engine.forget(config.index.path)
    with _changing(config, tokenizer, create=False):
        pass


def _shown(source: Source) -> str:
    """Files are named by their path, uploads by their name."""
    return source.key if source.key.startswith("/") else source.name


def remove_document(config: Config, tokenizer: Tokenizer, doc_id: int) -> str | None:
    """Take one document out of the index; its name, or None when there was no such id."""
    with _changing(config, tokenizer, create=False) as change:
        name = store.document_name(change.conn, doc_id)
        if name is not None:
            change.delete(doc_id)
            store.bump_generation(change.conn)
        return name


def index_generation(config: Config) -> int:
    conn = store.connect(config.index.path)
    try:
        return store.generation(conn)
    finally:
        conn.close()
