"""The retries of bot/delivery.py on their own: which failures are tried again, and how often."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot import delivery
from bot.delivery import PatientLimiter, transient


def test_failures_on_the_way_are_transient_and_refusals_are_not() -> None:
    assert transient(NetworkError("reset")) and transient(TimedOut())
    assert not transient(BadRequest("message is too long"))
    assert not transient(Forbidden("bot was blocked by the user"))
    assert not transient(RetryAfter(1)), "AIORateLimiter waits a 429 out"
    assert not transient(ValueError("a bug")) and not transient(None)


class Flaky:
    """A request that fails on the way `failures` times, then gets through."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or NetworkError("connection reset")
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> bool:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return True


async def _send(limiter: PatientLimiter, request: Flaky, endpoint: str = "sendMessage") -> Any:
    return await limiter.process_request(request, (), {}, endpoint, {"chat_id": 1}, None)


async def test_a_request_is_tried_up_to_its_attempts() -> None:
    limiter = PatientLimiter(messages_per_second=0, attempts=3, first_pause_s=0.0)
    through = Flaky(failures=2)
    assert await _send(limiter, through) is True and through.calls == 3
    lost = Flaky(failures=3)
    with pytest.raises(NetworkError):
        await _send(limiter, lost)
    assert lost.calls == 3


async def test_refusals_polls_and_chat_actions_are_tried_once() -> None:
    """A refusal would be refused again; getUpdates has python-telegram-bot's own loop; a
    'typing…' sent late is wrong."""
    limiter = PatientLimiter(messages_per_second=0, attempts=3, first_pause_s=0.0)
    refused = Flaky(failures=1, error=BadRequest("message is too long"))
    with pytest.raises(BadRequest):
        await _send(limiter, refused)
    assert refused.calls == 1
    for endpoint in ("getUpdates", "sendChatAction"):
        request = Flaky(failures=1)
        with pytest.raises(NetworkError):
            await _send(limiter, request, endpoint)
        assert request.calls == 1, endpoint


async def test_pauses_double_from_half_a_second_with_a_little_jitter(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Growing pauses let a struggling server recover; jitter keeps retries from lining up."""
    pauses: list[float] = []
    spreads: list[tuple[float, float]] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    def uniform(low: float, high: float) -> float:
        spreads.append((low, high))
        return high

    monkeypatch.setattr(delivery.asyncio, "sleep", sleep)
    monkeypatch.setattr(delivery.random, "uniform", uniform)
    limiter = PatientLimiter(messages_per_second=0, attempts=6)
    with caplog.at_level(logging.WARNING):
        assert await _send(limiter, Flaky(failures=5)) is True
    assert pauses == pytest.approx([0.6, 1.2, 2.4, 4.8, 9.6])  # 0.5, 1, 2, 4, 8, each × 1.2
    assert spreads == [(0.8, 1.2)] * 5
    assert caplog.messages[0] == (
        "sendMessage failed (connection reset); trying again in 0.5 s (2 of 6)"
    )
    assert caplog.messages[-1].endswith("trying again in 8.0 s (6 of 6)")
