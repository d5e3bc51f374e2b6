"""A Bot API that fails on the way: every question is still answered, once, by the retries."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from index.config import SAMPLES_DIR, Config
from index.tokenize import Tokenizer

from .bot_api_server import FakeTelegram
from .test_bot import TOKEN, _library, _running, _settings

QUESTIONS = ["宪法宣誓有多少人次？", "李新文是哪年出生的？", "长治废止了哪部地方性法规？"]
ANSWERS = ["宪法宣誓38人次", "1977年8月生", "禁止燃放烟花爆竹规定"]


def _replies(tg: FakeTelegram, chat_id: int, message_id: int) -> list[dict]:
    return [
        m for m in tg.sent_messages(chat_id)
        if (m.get("reply_to_message") or {}).get("message_id") == message_id
    ]  # fmt: skip


def _resent(journal: Path) -> list[int]:
    """Updates whose reply did not get through at their first handling, left to the journal."""
    conn = sqlite3.connect(journal)
    try:
        return [i for (i,) in conn.execute("SELECT id FROM updates WHERE tried > received")]
    finally:
        conn.close()


async def test_replies_get_through_errors_hangs_resets_and_floods(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each reply gets through by the retries of its own request, not by the journal's later
    second handling, which would stand in for them (and would make users wait 30 s).

    The 5xx, hang and reset stages are retried by bot/delivery.py; the 429 stage by
    python-telegram-bot's AIORateLimiter, which retries only because qabot asks it to
    (max_retries). The two poll stages exercise python-telegram-bot's own poll loop alone
    (qabot leaves getUpdates to it): they check that no question is lost around them.
    """
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    journal = tmp_path / "updates.sqlite"
    library = _library(SAMPLES_DIR, tmp_path / "index", config, tokenizer)
    faults = [
        ("HTTP 500", lambda tg: tg.fail_next("sendMessage", status=500, times=2)),
        ("HTTP 502", lambda tg: tg.fail_next("sendMessage", status=502, times=2)),
        ("a hang past the timeout", lambda tg: tg.hang_next("sendMessage", seconds=2.5)),
        ("a reset connection", lambda tg: tg.reset_next("sendMessage", times=2)),
        ("429 bursts", lambda tg: tg.fail_next("sendMessage", status=429, times=3)),
        ("polls failing", lambda tg: tg.fail_next("getUpdates", status=502, times=2)),
        ("polls reset", lambda tg: tg.reset_next("getUpdates", times=2)),
    ]
    with FakeTelegram(token=TOKEN) as tg:
        settings = _settings(tg, request_timeout=1.0, questions_per_minute=100, journal=journal)
        async for _ in _running(tg, settings, library):
            for n, (name, inject) in enumerate(faults):
                inject(tg)
                asked = []
                for k in range(4):  # a small burst behind each fault
                    user = tg.user(1000 + 10 * n + k, f"U{n}{k}")
                    chat = tg.private_chat(user)
                    question = tg.send_text(chat, user, QUESTIONS[k % 3])
                    asked.append((chat["id"], question["message_id"], ANSWERS[k % 3]))
                await tg.await_for(
                    lambda asked=asked: all(_replies(tg, c, m) for c, m, _ in asked), timeout=60
                )
                for chat_id, message_id, expected in asked:
                    replies = _replies(tg, chat_id, message_id)
                    assert len(replies) == 1, f"after {name}: {len(replies)} replies"
                    assert expected in replies[0]["text"], name
                assert _resent(journal) == [], f"after {name}: left to the journal"
    statuses = {(c.method, c.status) for c in tg.calls}
    assert {("sendMessage", s) for s in (500, 502, 0, 429)} <= statuses
    assert {("getUpdates", 502), ("getUpdates", 0)} <= statuses
    assert [r for r in tg.rejections if "Too Many Requests" not in r[1]] == []
