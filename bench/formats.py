"""Indexing throughput for each document format, and the time from an upload to its first answer.

Run from the repository root:  PYTHONPATH=. .venv/bin/python bench/formats.py [--copies 20]
(it borrows the tests' document makers and fake Bot API server, hence PYTHONPATH)

The two sample pages are written in every format (`--copies` variants of each, so that no two
files share their bytes), indexed with `qabot index`'s code path, and timed; characters are
those of the extracted text. The upload figure sends a Word file to a running bot (real
python-telegram-bot HTTP stack, the fake Bot API server of the tests) and times until the bot
answers a question that only that file can answer.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bot.app import build_application
from bot.config import Settings, TelegramConfig
from index.build import update_index
from index.config import SAMPLES_DIR, Config
from index.formats import extract
from index.library import Library
from index.tokenize import Tokenizer
from tests import documents
from tests.bot_api_server import FakeTelegram

ADMIN = 7


def _paragraphs(copy: int) -> list[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLES_DIR.glob("*.txt")))
    return [f"第{copy}份副本。", *(line for line in text.split("\n") if line.strip())]


WRITERS: dict[str, Callable[[list[str]], bytes]] = {
    "txt": lambda ps: "\n\n".join(ps).encode("utf-8"),
    "txt (GB18030)": lambda ps: "\n\n".join(ps).encode("gb18030"),
    "html": lambda ps: (
        "<html><body><nav>导航</nav><main>" + "".join(f"<p>{p}</p>" for p in ps) + "</main>"
        "</body></html>"
    ).encode("utf-8"),
    "docx": lambda ps: documents.docx([("p", p) for p in ps]),
    "pdf": documents.pdf,
    "epub": lambda ps: documents.epub_book([("正文", ps)]),
}
SUFFIX = {"txt (GB18030)": "txt"}


def throughput(copies: int, config: Config, tokenizer: Tokenizer) -> None:
    print("| format | files | characters | seconds | characters/s |")
    print("| --- | --- | --- | --- | --- |")
    for fmt, write in WRITERS.items():
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "docs"
            folder.mkdir()
            chars = 0
            for n in range(copies):
                data = write(_paragraphs(n))
                chars += len(extract(data))
                (folder / f"doc{n:03}.{SUFFIX.get(fmt, fmt)}").write_bytes(data)
            cfg = config.with_index_path(Path(tmp) / "index")
            start = time.perf_counter()
            report = update_index([folder], cfg, tokenizer, progress=False)
            seconds = time.perf_counter() - start
            assert len(report.added) == copies, report.skipped
        print(f"| {fmt} | {copies} | {chars:,} | {seconds:.2f} | {chars / seconds:,.0f} |")


async def upload_to_answer(rounds: int, config: Config, tokenizer: Tokenizer) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as tmp, FakeTelegram(token="1:bench") as tg:
        cfg = config.with_index_path(Path(tmp) / "index")
        update_index([SAMPLES_DIR], cfg, tokenizer, progress=False)
        settings = Settings(
            config,
            TelegramConfig(
                token="1:bench", base_url=tg.base_url, base_file_url=tg.base_file_url,
                admins=(ADMIN,), questions_per_minute=1000,
            ),
        )  # fmt: skip
        app = build_application(settings, Library(cfg, tokenizer))
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0.0, timeout=1)
            admin = tg.user(ADMIN, "Admin")
            chat = tg.private_chat(admin)
            for n in range(rounds):
                data = documents.docx(
                    [("title", f"第{n}号通知"), ("p", f"第{n}号仓库存放了{n + 1}百二十七箱苹果。")]
                )
                start = time.perf_counter()
                tg.send_document(chat, admin, f"notice{n}.docx", data)
                await tg.await_for(
                    lambda: any("Added" in m["text"] for m in tg.sent_messages(ADMIN)[-1:])
                )
                q = tg.send_text(chat, admin, f"第{n}号仓库存放了多少箱苹果？")

                def answered(q_id: int = q["message_id"], n: int = n) -> bool:
                    return any(
                        (m.get("reply_to_message") or {}).get("message_id") == q_id
                        and f"{n + 1}百二十七箱" in m["text"]
                        for m in tg.sent_messages(ADMIN)
                    )

                await tg.await_for(answered, timeout=30)
                times.append(time.perf_counter() - start)
            await app.updater.stop()
            await app.stop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    config = Config()
    tokenizer = Tokenizer(config.tokenizer)
    throughput(args.copies, config, tokenizer)
    times = asyncio.run(upload_to_answer(args.rounds, config, tokenizer))
    print(
        f"\nupload → first answer (Word file, {args.rounds} rounds): "
        f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
