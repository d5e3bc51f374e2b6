"""Getting each request to Telegram through a network that drops, without flooding it.

python-telegram-bot retries a request only when Telegram answers 429 (through AIORateLimiter). A
500, a 502, a timeout or a reset connection would lose the reply, so those are tried again here,
with growing pauses. Telegram offers no way to make `sendMessage` idempotent: when a request timed
out after Telegram had taken it, the retry delivers the reply a second time. Losing a reply is
the worse failure, so the bot errs on that side (the README's reliability section says so).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

# getUpdates has its own retry loop in python-telegram-bot; a chat action is stale once retried.
NOT_RETRIED = frozenset({"getUpdates", "sendChatAction"})
FIRST_PAUSE_S = 0.5
LONGEST_PAUSE_S = 8.0


def transient(error: BaseException | None) -> bool:
    """A failure of the way to Telegram, not a refusal by Telegram: worth trying again."""
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


class PatientLimiter(AIORateLimiter):
    """AIORateLimiter's flood limits and 429 handling, plus retries of transient failures."""

    def __init__(
        self, messages_per_second: float, attempts: int, first_pause_s: float = FIRST_PAUSE_S
    ) -> None:
        super().__init__(overall_max_rate=messages_per_second, max_retries=5)
        self.attempts = attempts
        self.first_pause_s = first_pause_s

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        attempts = 1 if endpoint in NOT_RETRIED else self.attempts
        attempt, pause = 1, self.first_pause_s
        while True:
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except Exception as exc:
                if attempt >= attempts or not transient(exc):
                    raise
                log.warning(
                    "%s failed (%s); trying again in %.1f s (%d of %d)",
                    endpoint,
                    exc,
                    pause,
                    attempt + 1,
                    attempts,
                )
                await asyncio.sleep(pause * random.uniform(0.8, 1.2))
                attempt, pause = attempt + 1, min(pause * 2, LONGEST_PAUSE_S)
