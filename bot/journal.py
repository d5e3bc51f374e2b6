"""Updates kept on disk from the moment they arrive until they are answered.

Telegram forgets an update as soon as the bot asks for the ones after it, and python-telegram-bot
asks right after putting a batch in its queue: a bot killed then would lose every question in
the queue or in flight. So each update is written to a SQLite journal before it enters the queue
(before the next poll can confirm it, and before a webhook request is acknowledged) and crossed
off once its handlers have run. What is left when the bot starts is answered then; a reply that
could not be delivered is tried again a little later. An update seen before is never queued
twice, so Telegram delivering it again after a restart does not answer it twice.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from platformdirs import user_state_dir
from telegram import Update

log = logging.getLogger(__name__)

RETRY_AFTER_S = 30.0
# Telegram keeps an unconfirmed update for 24 hours; past that no one waits for the answer.
GIVE_UP_AFTER_S = 24 * 3600.0
# Answered updates are remembered this long, to recognise one Telegram sends again.
REMEMBER_S = 48 * 3600.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS updates (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    received REAL NOT NULL,
    tried REAL NOT NULL,
    done REAL
);
CREATE INDEX IF NOT EXISTS pending ON updates (tried) WHERE done IS NULL;
"""


def default_journal_path(token: str) -> Path:
    """One journal per bot: the token's public part (the bot's id) names it."""
    return Path(user_state_dir("qabot")) / f"updates-{token.partition(':')[0]}.sqlite"


class Journal:
    """The updates received and whether each has been answered; used from the event loop only."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self._conn = sqlite3.connect(path, isolation_level=None)
        # WAL with synchronous=NORMAL: a commit survives the process being killed, cheaply.
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        self._live: set[int] = set()
        self._undelivered: set[int] = set()

    def add(self, update_id: int, body: str) -> bool:
        """Keep a new update; False if it was seen before (answered, or waiting already)."""
        now = self.clock()
        cursor = self._conn.execute(
            "INSERT OR IGNORE INTO updates (id, body, received, tried) VALUES (?, ?, ?, ?)",
            (update_id, body, now, now),
        )
        if cursor.rowcount == 0:
            return False
        self._live.add(update_id)
        return True

    def undelivered(self, update_id: int) -> None:
        """Its reply could not get through: keep it, to be tried again."""
        self._undelivered.add(update_id)

    def finished(self, update_id: int) -> None:
        self._live.discard(update_id)
        if update_id in self._undelivered:
            self._undelivered.discard(update_id)
            self._conn.execute(
                "UPDATE updates SET tried = ? WHERE id = ?", (self.clock(), update_id)
            )
        else:
            self._conn.execute(
                "UPDATE updates SET done = ? WHERE id = ?", (self.clock(), update_id)
            )

    def due(self, waited_s: float) -> list[tuple[int, str]]:
        """Unanswered updates not being handled now and last tried at least `waited_s` ago."""
        now = self.clock()
        expired = self._conn.execute(
            "UPDATE updates SET done = ? WHERE done IS NULL AND received < ?",
            (now, now - GIVE_UP_AFTER_S),
        ).rowcount
        if expired:
            log.warning("gave up on %d updates that could not be answered for a day", expired)
        rows = self._conn.execute(
            "SELECT id, body FROM updates WHERE done IS NULL AND tried <= ? ORDER BY id",
            (now - waited_s,),
        ).fetchall()
        found = [(i, body) for i, body in rows if i not in self._live]
        self._live.update(i for i, _ in found)
        return found

    def pending(self) -> int:
        count: int = self._conn.execute(
            "SELECT count(*) FROM updates WHERE done IS NULL"
        ).fetchone()[0]
        return count

    def prune(self) -> None:
        self._conn.execute(
            "DELETE FROM updates WHERE done IS NOT NULL AND done < ?",
            (self.clock() - REMEMBER_S,),
        )

    def close(self) -> None:
        self._conn.close()


class JournalQueue(asyncio.Queue[object]):
    """The application's update queue, journalling each update before it is queued."""

    def __init__(self, journal: Journal) -> None:
        super().__init__()
        self.journal = journal

    async def put(self, item: object) -> None:
        if isinstance(item, Update) and not self.journal.add(item.update_id, item.to_json()):
            log.info("update %d was seen before; not handled again", item.update_id)
            return
        await super().put(item)

    async def requeue(self, items: list[Update]) -> None:
        """Updates already in the journal, handed to the handlers again."""
        for item in items:
            await super().put(item)
