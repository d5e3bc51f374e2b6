"""Many users asking in bursts of the real `qabot run` process, over the fake Bot API on loopback.

Shared by the short run in CI (tests/test_load.py) and the long one (bench/load.py). What it
measures is what users and the person running the bot would notice: every question answered
exactly once and with its answer (a seed question's reply holds its gold answer), how long each
waited (from the update's arrival at the fake Telegram to the
reply's), and whether the process's memory, tasks or threads creep up over the run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from index.evaluate import normalize

from .bot_api_server import FakeTelegram

REPO = Path(__file__).resolve().parent.parent
TOKEN = "424242:LOAD-secret-token"
ADMIN = 1
NO_ANSWER_QUESTIONS = ["火星上有几座城堡？", "ok", "？？？", "hello world"]


@dataclass
class Snapshot:
    """What the bot's /stats says about itself."""

    resident_mb: float
    tasks: int
    threads: int
    waiting: int


@dataclass
class LoadReport:
    questions: int
    users: int
    seconds: float
    answered_once: int
    missing: int
    duplicates: int
    # Replies to seed questions without the question's gold answer: an apology, a wrong quote.
    without_answer: int
    latencies_ms: list[float]
    rss_mb: list[float]  # the process's resident memory, sampled after each burst
    before: Snapshot
    after: Snapshot
    output: str = field(repr=False, default="")

    def percentile(self, q: float) -> float:
        lat = sorted(self.latencies_ms)
        return lat[min(len(lat) - 1, int(q * len(lat)))]

    @property
    def rss_growth(self) -> float:
        """Growth of resident memory over the second half of the run, as a fraction."""
        half = self.rss_mb[len(self.rss_mb) // 2]
        return (max(self.rss_mb[len(self.rss_mb) // 2 :]) - half) / half

    def lines(self) -> list[str]:
        return [
            f"{self.questions} questions from {self.users} users in {self.seconds:.0f} s "
            f"({self.questions / self.seconds:.0f} a second)",
            f"answered exactly once: {self.answered_once}; missing: {self.missing}; "
            f"answered twice: {self.duplicates}; without the gold answer: "
            f"{self.without_answer}",
            f"update to reply: p50 {self.percentile(0.5):.0f} ms, p99 "
            f"{self.percentile(0.99):.0f} ms, max {max(self.latencies_ms):.0f} ms",
            f"resident memory: {self.rss_mb[0]:.0f} MB after the first burst, "
            f"{self.rss_mb[len(self.rss_mb) // 2]:.0f} MB at half time, {self.rss_mb[-1]:.0f} MB "
            f"at the end (growth over the second half {100 * self.rss_growth:.1f}%)",
            f"tasks {self.before.tasks} -> {self.after.tasks}, threads {self.before.threads} -> "
            f"{self.after.threads}, updates waiting at the end {self.after.waiting}",
        ]


def _seed_questions() -> dict[str, tuple[str, ...]]:
    """Each seed question with its gold answers."""
    lines = (REPO / "eval" / "seed_qa.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    return {item["question"]: tuple(item["answers"]) for item in items}


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1000
    raise RuntimeError("no VmRSS")


def _stats(tg: FakeTelegram) -> Snapshot:
    admin = tg.user(ADMIN, "Admin")
    asked = tg.send_text(tg.private_chat(admin), admin, "/stats")["message_id"]

    def reply() -> str | None:
        for m in tg.sent_messages(ADMIN):
            if (m.get("reply_to_message") or {}).get("message_id") == asked:
                return m["text"]
        return None

    tg.wait_for(lambda: reply() is not None, timeout=60)
    text = reply() or ""
    memory = text.split("Memory: ")[1]
    return Snapshot(
        resident_mb=float(memory.split(" MB")[0]),
        tasks=int(memory.split("; ")[1].split(" tasks")[0]),
        threads=int(memory.split(", ")[1].split(" threads")[0]),
        waiting=int(text.split("Updates: ")[1].split(" waiting")[0]),
    )


def _settled_stats(tg: FakeTelegram) -> Snapshot:
    """/stats once the bot has finished with every update but the /stats itself."""
    for _ in range(100):
        snapshot = _stats(tg)
        if snapshot.waiting <= 1:
            return snapshot
        time.sleep(0.1)
    raise AssertionError(f"updates still waiting: {snapshot}")


def _replied(tg: FakeTelegram) -> dict[tuple[int, int], list[tuple[float, str]]]:
    """When each (chat, message) was replied to, by the replies' arrival, and with what text."""
    replies: dict[tuple[int, int], list[tuple[float, str]]] = {}
    for call in tg.calls_of("sendMessage"):
        target = (call.params.get("reply_parameters") or {}).get("message_id")
        if target is not None:
            key = (int(call.params["chat_id"]), int(target))
            replies.setdefault(key, []).append((call.at, call.response["text"]))
    return replies


def _holds_answer(text: str, answers: tuple[str, ...]) -> bool:
    return any(normalize(a) in normalize(text) for a in answers)


def run_load(
    work: Path,
    questions: int,
    users: int,
    burst: int,
    pause_s: float,
    index: Path | None = None,
    seed: int = 1,
) -> LoadReport:
    """Ask `questions` questions from `users` users, `burst` at a time, `pause_s` apart."""
    rng = random.Random(seed)
    gold = _seed_questions()
    pool = list(gold) + NO_ANSWER_QUESTIONS
    work.mkdir(parents=True, exist_ok=True)
    if index is None:
        index = work / "index"
        subprocess.run(
            [sys.executable, "-m", "bot", "index", str(REPO / "samples"), "--index", str(index),
             "--quiet"],
            check=True, capture_output=True,
        )  # fmt: skip
    with FakeTelegram(token=TOKEN) as tg:
        config = work / "qabot.toml"
        config.write_text(
            "[telegram]\n"
            f'base_url = "{tg.base_url}"\n'
            f'base_file_url = "{tg.base_file_url}"\n'
            f"admins = [{ADMIN}]\n"
            f"questions_per_minute = {questions}\n"
            "messages_per_second = 0\n"  # the fake server has no flood limit to respect
            f'journal = "{work / "updates.sqlite"}"\n',
            encoding="utf-8",
        )
        (work / "updates.sqlite").unlink(missing_ok=True)
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN}
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(config), "--index", str(index)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=work,
        )  # fmt: skip
        try:
            tg.wait_for(lambda: tg.polls > 0, timeout=60)
            people = [tg.user(10_000 + n, f"U{n}") for n in range(users)]
            chats = [tg.private_chat(u) for u in people]
            warm = [
                (c["id"], tg.send_text(c, u, q)["message_id"])
                for c, u, q in zip(chats[:20], people[:20], pool, strict=False)
            ]
            tg.wait_for(lambda: set(warm) <= _replied(tg).keys(), timeout=60)
            before = _settled_stats(tg)  # the index open, both search threads started
            asked: dict[tuple[int, int], float] = {}
            questions_of: dict[tuple[int, int], str] = {}
            rss: list[float] = []
            start = time.monotonic()
            while len(asked) < questions:
                for _ in range(min(burst, questions - len(asked))):
                    k = rng.randrange(users)
                    question = rng.choice(pool)
                    message = tg.send_text(chats[k], people[k], question)
                    asked[(chats[k]["id"], message["message_id"])] = time.monotonic()
                    questions_of[(chats[k]["id"], message["message_id"])] = question
                time.sleep(pause_s)
                rss.append(_rss_mb(proc.pid))
            tg.wait_for(lambda: len(_replied(tg).keys() & asked.keys()) == questions, timeout=600)
            seconds = time.monotonic() - start
            after = _settled_stats(tg)
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=60)
        replies = _replied(tg)
        counts = [len(replies.get(key, [])) for key in asked]
        return LoadReport(
            questions=questions,
            users=users,
            seconds=seconds,
            answered_once=counts.count(1),
            missing=counts.count(0),
            duplicates=sum(1 for c in counts if c > 1),
            without_answer=sum(
                1
                for key, question in questions_of.items()
                if question in gold
                and not any(_holds_answer(text, gold[question]) for _, text in replies.get(key, []))
            ),
            latencies_ms=[
                1000 * (replies[key][0][0] - at) for key, at in asked.items() if key in replies
            ],
            rss_mb=rss,
            before=before,
            after=after,
            output=out,
        )
