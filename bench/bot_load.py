"""Simulated users asking questions through the bot's handlers: reply latency and loop stalls.

Run from the repository root:  .venv/bin/python bench/bot_load.py [--users 200 --questions 5]
Over an archive:  .venv/bin/python bench/bot_load.py --index /tmp/qabot-bench/index-1M

The application is the one `qabot run` builds (handlers, thread pool, python-telegram-bot's
update processing), over the bundled samples or, with --index, over an existing index (which
it opens in the background, as `qabot run` does; the run starts once it is open). Only the
network is replaced: requests to the Bot API are answered in memory, so the figures are the
bot's own work. Telegram's flood limits (about 30 messages a second per bot) are lifted for the
run, since they would only measure the waiting. Each user asks, waits for the reply, thinks for
a while (exponentially distributed, `--think` seconds on average) and asks the next question.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.app import build_application
from bot.config import Settings, TelegramConfig
from index.build import update_index
from index.config import SAMPLES_DIR, Config
from index.evaluate import load_gold
from index.library import Library
from index.tokenize import Tokenizer

BOT = {"id": 1000, "is_bot": True, "first_name": "qabot", "username": "qabot_bench_bot"}


class InMemoryBotApi(BaseRequest):
    """Answers the Bot API in memory and notes when each reply arrives."""

    def __init__(self) -> None:
        self.replies: dict[tuple[int, int], float] = {}
        self.waiters: dict[tuple[int, int], asyncio.Event] = {}
        self._next_id = 10_000

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:  # fmt: skip
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        result: Any = True
        if name == "getMe":
            result = BOT
        elif name == "getUpdates":
            await asyncio.sleep(0.5)
            result = []
        elif name == "sendMessage":
            chat_id = int(params["chat_id"])
            self._next_id += 1
            reply = params.get("reply_parameters") or {}
            if isinstance(reply, str):
                reply = json.loads(reply)
            key = (chat_id, int(reply.get("message_id", 0)))
            self.replies[key] = time.perf_counter()
            if key in self.waiters:
                self.waiters[key].set()
            result = {
                "message_id": self._next_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT,
                "text": "ok",
            }
        return 200, json.dumps({"ok": True, "result": result}).encode()


def _update(update_id: int, user_id: int, message_id: int, text: str) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": user["first_name"]},
            "from": user,
            "text": text,
        },
    }


async def stall_monitor(stop: asyncio.Event, stalls: list[float]) -> None:
    """How late the event loop wakes a task that asked to sleep 1 ms."""
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.001)
        stalls.append((time.perf_counter() - start - 0.001) * 1000)


async def run(
    users: int, questions: int, think: float, threads: int, library: Library, texts: list[str]
) -> None:
    api = InMemoryBotApi()
    settings = Settings(
        Config(),
        TelegramConfig(token="1:bench", questions_per_minute=questions + 1, search_threads=threads),
    )
    rng = random.Random(7)
    app = build_application(settings, library, request=api, rate_limiter=False)
    latencies: list[float] = []
    stalls: list[float] = []
    counter = iter(range(1, 10**9))

    async def user(uid: int) -> None:
        for n in range(questions):
            await asyncio.sleep(rng.expovariate(1 / think))
            message_id = n + 1
            key = (uid, message_id)
            api.waiters[key] = asyncio.Event()
            update = Update.de_json(
                _update(next(counter), uid, message_id, texts[(uid + n) % len(texts)]), app.bot
            )
            start = time.perf_counter()
            await app.update_queue.put(update)
            await asyncio.wait_for(api.waiters[key].wait(), timeout=60)
            latencies.append((api.replies[key] - start) * 1000)

    async with app:
        await app.start()
        await app.bot_data["state"].service.ask("warm-up", 1)  # wait for the index to open
        stop = asyncio.Event()
        monitor = asyncio.create_task(stall_monitor(stop, stalls))
        began = time.perf_counter()
        await asyncio.gather(*(user(10_000 + u) for u in range(users)))
        elapsed = time.perf_counter() - began
        stop.set()
        await monitor
        await app.stop()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    print(
        f"{users} users × {questions} questions = {len(latencies)} replies in {elapsed:.1f} s"
        f" ({len(latencies) / elapsed:.0f} questions/s, {threads} search threads)"
    )
    print(
        f"update → reply ms: p50 {statistics.median(latencies):.1f}, p99 {p99:.1f}, "
        f"max {latencies[-1]:.1f}"
    )
    print(f"largest event-loop stall: {max(stalls):.1f} ms (over {len(stalls)} 1-ms sleeps)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between questions")
    parser.add_argument("--threads", type=int, default=Settings().telegram.search_threads)
    parser.add_argument("--index", type=Path, help="an existing index instead of the samples")
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    args = parser.parse_args()
    config = Config()
    tokenizer = Tokenizer(config.tokenizer)
    texts = [q.question for q in load_gold(Path("eval/seed_qa.jsonl")).questions]
    if args.index is not None:
        # Over an archive, real questions of every kind: the CMRC dev questions as well.
        cmrc = load_gold(args.shared / "eval" / "cmrc2018_dev.json").questions
        texts += [q.question for q in cmrc]
        library = Library(config.with_index_path(args.index), tokenizer)
        asyncio.run(run(args.users, args.questions, args.think, args.threads, library, texts))
        return
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config.with_index_path(Path(tmp))
        update_index([SAMPLES_DIR], cfg, tokenizer, progress=False)
        library = Library(cfg, tokenizer)
        asyncio.run(run(args.users, args.questions, args.think, args.threads, library, texts))


if __name__ == "__main__":
    main()
