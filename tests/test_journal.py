"""The update journal on its own: what is kept, what comes back, what is forgotten."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from telegram import Update

from bot.journal import GIVE_UP_AFTER_S, REMEMBER_S, Journal, JournalQueue, default_journal_path


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_an_update_is_kept_until_answered_and_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "updates.sqlite"
    clock = Clock()
    journal = Journal(path, clock)
    assert journal.add(1, '{"update_id": 1}') and journal.add(2, '{"update_id": 2}')
    assert not journal.add(1, '{"update_id": 1}'), "Telegram sending it again is ignored"
    assert journal.due(0) == [], "updates being handled are not handed out again"
    journal.finished(1)
    journal.close()  # the process dies with update 2 in flight

    again = Journal(path, clock)
    assert again.due(0) == [(2, '{"update_id": 2}')]
    assert not again.add(1, "{}") and not again.add(2, "{}")
    again.finished(2)
    assert again.pending() == 0 and again.due(0) == []


def test_an_undelivered_reply_is_tried_again_later(tmp_path: Path) -> None:
    clock = Clock()
    journal = Journal(tmp_path / "updates.sqlite", clock)
    journal.add(5, "{}")
    journal.undelivered(5)
    journal.finished(5)
    assert journal.due(30) == []
    clock.now += 31
    assert journal.due(30) == [(5, "{}")]
    journal.finished(5)
    assert journal.pending() == 0


def test_old_updates_are_given_up_and_answered_ones_forgotten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    journal = Journal(tmp_path / "updates.sqlite", clock)
    journal.add(1, "{}")
    journal.undelivered(1)
    journal.finished(1)
    journal.add(2, "{}")
    journal.finished(2)
    clock.now += GIVE_UP_AFTER_S + 1
    with caplog.at_level(logging.WARNING):
        assert journal.due(0) == [] and journal.pending() == 0
    assert "gave up on 1 updates that could not be answered for a day" in caplog.messages
    journal.prune()
    assert not journal.add(2, "{}"), "remembered for two days"
    clock.now += REMEMBER_S
    journal.prune()
    assert journal.add(2, "{}"), "forgotten after two days"


def test_the_journal_is_named_by_the_bot_id_in_the_users_state_folder(tmp_path: Path) -> None:
    """One journal per bot, and never the token's secret half in a file name."""
    path = default_journal_path("123456:secret-half")
    assert path == tmp_path / "state" / "qabot" / "updates-123456.sqlite"


async def test_an_update_put_in_the_queue_again_is_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The queue asks the journal: an update Telegram sends again is not handled twice."""
    queue = JournalQueue(Journal(tmp_path / "new" / "folder" / "updates.sqlite"))
    await queue.put(Update(7))
    with caplog.at_level(logging.INFO):
        await queue.put(Update(7))
    assert caplog.messages == ["update 7 was seen before; not handled again"]
    await queue.put(Update(8))
    assert queue.qsize() == 2
    assert [queue.get_nowait().update_id, queue.get_nowait().update_id] == [7, 8]
    await queue.requeue([Update(7)])  # left unanswered: the journal hands it over again
    assert queue.get_nowait().update_id == 7
