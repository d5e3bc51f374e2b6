"""What the handlers need besides Telegram: answers off the event loop, limits, and memory.

Searching is CPU work (jieba, BM25) and runs in a thread pool, so one slow question never holds
up the others. Answers that buttons refer to are kept here, keyed by short ids, so that
`callback_data` carries ids only and cannot be forged to reach another chat's answers.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import secrets
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from index.build import BuildReport, upload_source
from index.cache import Budgeted, one
from index.followup import Conversations, Turn, converse
from index.library import Library
from index.search import Answer, DocumentSummary, Result, Searcher
from index.store import IndexUnavailable

log = logging.getLogger(__name__)

LATENCY_WINDOW = 1000
FRESHNESS_CHECK_S = 2.0
T = TypeVar("T")


@dataclass(frozen=True)
class Record:
    """A question asked in a chat, for its buttons: which chat, which index generation.

    Only the question is kept, not its answer: a search gives each result from the ones before
    it, so result n is found again by asking for n results, and ten thousand records stay small.
    """

    chat_id: int
    question: str
    generation: int
    shown: int


class Records:
    """The most recent answers, by id; the least recently used are forgotten first."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._items: Budgeted[str, Record] = Budgeted(capacity, one)

    def add(self, record: Record) -> str:
        key = secrets.token_hex(4)
        while self._items.get(key) is not None:
            key = secrets.token_hex(4)
        self._items.put(key, record)
        return key

    def get(self, key: str) -> Record | None:
        return self._items.get(key)

    def update(self, key: str, record: Record) -> None:
        if self._items.get(key) is not None:
            self._items.put(key, record)


class RateLimiter:
    """At most `per_minute` questions from one user in any sixty seconds."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._swept = clock()

    def allow(self, user_id: int) -> bool:
        now = self.clock()
        if now - self._swept >= 60:  # forget users quiet for a minute, so months add nothing
            self._seen = {u: s for u, s in self._seen.items() if s and now - s[-1] < 60}
            self._swept = now
        stamps = self._seen.setdefault(user_id, deque())
        while stamps and now - stamps[0] >= 60:
            stamps.popleft()
        if len(stamps) >= self.per_minute:
            return False
        stamps.append(now)
        return True


@dataclass(frozen=True)
class Stats:
    questions: int
    p50_ms: float
    p99_ms: float
    documents: int
    passages: int
    uptime_s: float
    generation: int
    resident_mb: float | None
    tasks: int
    threads: int


def resident_mb() -> float | None:
    """This process's resident memory now (Linux); None where /proc does not say."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


class AnswerService:
    """The index as the bot sees it: asynchronous questions, reloads that swap atomically.

    Without a searcher given, the index is opened in the thread pool once `start` is awaited, so
    the bot takes updates while a large index opens (or its tantivy part is rebuilt); questions
    that come meanwhile wait for it instead of being refused.
    """

    def __init__(
        self,
        library: Library,
        searcher: Searcher | None = None,
        threads: int = 2,
        followup_s: float = 600.0,
    ) -> None:
        self.library = library
        self.conversations = Conversations(followup_s)
        self._searcher = searcher
        self._opening: asyncio.Future[Searcher] | None = None
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="search")
        self.generation = 1
        self.records = Records()
        self._latencies: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._questions = 0
        self._started = time.monotonic()
        self._checked = time.monotonic()

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    async def start(self) -> None:
        """Begin opening the index in the background, if it is not open or opening yet."""
        if self._searcher is None and self._opening is None:
            self._opening = asyncio.ensure_future(self._run(self.library.open))
            self._opening.add_done_callback(_opened)

    async def _current(self) -> Searcher:
        """The open index, waiting for it to open; a failed open is tried again next time."""
        if self._searcher is not None:
            return self._searcher
        await self.start()
        opening = self._opening
        assert opening is not None
        try:
            searcher = await asyncio.shield(opening)
        except BaseException:
            if self._opening is opening and opening.done():
                self._opening = None
            raise
        if self._searcher is None:
            self._searcher = searcher
        return self._searcher

    async def _follow_disk(self) -> None:
        """Pick up changes committed by another process (`qabot index`), checking now and then."""
        now = time.monotonic()
        if now - self._checked < FRESHNESS_CHECK_S:
            return
        self._checked = now
        try:
            on_disk = await self._run(self.library.generation)
        except IndexUnavailable as exc:
            log.warning("cannot read the index generation: %s", exc)
            on_disk = None  # damaged under the bot, perhaps: opening goes back to the copy
        if self._searcher is not None and on_disk != self._searcher.generation:
            log.info("the index changed on disk; reloading")
            try:
                await self.reload()
            except IndexUnavailable as exc:
                log.warning("reload failed, still answering from the last index: %s", exc)

    async def ask(self, question: str, limit: int) -> Answer:
        await self._follow_disk()
        searcher = await self._current()
        start = time.perf_counter()
        try:
            answer = await self._run(lambda: searcher.search(question, limit))
        except IndexUnavailable:
            self._checked = 0.0  # look at the files again at the next question
            raise
        self._latencies.append((time.perf_counter() - start) * 1000)
        self._questions += 1
        return answer

    async def converse(self, key: tuple[int, int], question: str, limit: int) -> Turn:
        """A question of one user in one chat, read with the one before it when it leans on
        it (`主任会议呢？`)."""
        await self._follow_disk()
        searcher = await self._current()
        topic = self.conversations.topic(key)
        start = time.perf_counter()
        try:
            turn = await self._run(lambda: converse(searcher, question, topic, limit))
        except IndexUnavailable:
            self._checked = 0.0
            raise
        if turn.small_talk is None:
            self.conversations.remember(key, turn.topic)
            self._latencies.append((time.perf_counter() - start) * 1000)
            self._questions += 1
        return turn

    async def context(self, question: str, n: int, max_chars: int) -> Result | None:
        """The n-th result for a question, widened to its surroundings."""
        searcher = await self._current()

        def widened() -> Result | None:
            results = searcher.search(question, n).results
            return searcher.context(results[n - 1], max_chars) if len(results) >= n else None

        return await self._run(widened)

    async def sources(self) -> list[DocumentSummary]:
        searcher = await self._current()
        return await self._run(searcher.sources)

    async def reload(self) -> Searcher:
        """Open the index again from disk; questions in flight finish on the old one."""
        previous = self._searcher
        fresh = await self._run(lambda: self.library.open(previous))
        self._searcher = fresh
        self.generation += 1
        return fresh

    async def add(self, name: str, data: bytes) -> BuildReport:
        """Index an uploaded file; the new state answers as soon as it is committed."""
        report = await self._run(lambda: self.library.add([upload_source(name, data)]))
        if report.added or report.replaced:
            await self.reload()
        return report

    async def remove(self, doc_id: int) -> str | None:
        name = await self._run(lambda: self.library.remove(doc_id))
        if name is not None:
            await self.reload()
        return name

    async def stats(self) -> Stats:
        searcher = await self._current()
        lat = sorted(self._latencies)
        p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else 0.0
        return Stats(
            questions=self._questions,
            p50_ms=statistics.median(lat) if lat else 0.0,
            p99_ms=p99,
            documents=searcher.document_count,
            passages=searcher.passage_count,
            uptime_s=time.monotonic() - self._started,
            generation=self.generation,
            resident_mb=resident_mb(),
            tasks=len(asyncio.all_tasks()),
            threads=threading.active_count(),
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _opened(opening: asyncio.Future[Searcher]) -> None:
    if opening.cancelled():
        return
    # What is loaded by now (jieba's dictionaries, the libraries, the index) lives as long as
    # the bot: spare the garbage collector from walking it again, which stalled the event
    # loop for up to 100 ms a time (bench/bot_load.py).
    gc.freeze()
    error = opening.exception()
    if error is not None:
        log.error("cannot open the index: %s", error)
        return
    searcher = opening.result()
    log.info(
        "index open (%s engine): %d documents, %d passages",
        searcher.engine.name,
        searcher.document_count,
        searcher.passage_count,
    )
