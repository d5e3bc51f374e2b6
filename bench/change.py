"""What one change costs on a large index: `qabot index` and an upload to the bot.

Run from the repository root, on an index bench/scale.py built (it is copied first, so the
original stays as it was):
    .venv/bin/python bench/change.py --index /tmp/qabot-bench/index-100k \
        --corpus /tmp/qabot-bench/corpus-100k [--rounds 3] [--upload]

`qabot index` runs as a real process, side by side, --rounds times each: over the corpus when
nothing changed; over the corpus and one new three-line file; and over the new file alone (what
an admin adding one document pays). With --upload, a Word file is sent to the bot's answer
service (index/library.py through bot/service.py, as an admin's upload goes) while other
questions keep coming, and the time until the bot answers from it is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from docx import Document

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from bot.service import AnswerService  # noqa: E402
from index.config import Config  # noqa: E402
from index.library import Library  # noqa: E402
from index.tokenize import Tokenizer  # noqa: E402

QUESTIONS = ["长治市人大常委会2025年召开了几次常委会会议？", "宪法宣誓有多少人次？"]


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def qabot_index(index: Path, *paths: Path) -> float:
    start = time.perf_counter()
    command = [sys.executable, "-m", "bot", "index", *map(str, paths), "--index", str(index)]
    subprocess.run([*command, "--quiet"], check=True, capture_output=True, cwd=REPO)
    return time.perf_counter() - start


def small_file(folder: Path, n: int) -> Path:
    """A new three-line document each time, so that every run adds one."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"note-{n}.txt"
    path.write_text(
        f"湖边第{n}号城堡\n\n城堡有{n + 12}座塔楼，建于{1900 + n}年。\n城堡由工匠{n}号设计。\n",
        encoding="utf-8",
    )
    return path


def cli(index: Path, corpus: Path, work: Path, rounds: int) -> dict[str, float]:
    # One change first: what the first change after an upgrade pays (writing the kept
    # documents whole) is not what every change costs.
    qabot_index(index, small_file(work / "first", 0))
    unchanged, added, alone = [], [], []
    for n in range(rounds):
        unchanged.append(qabot_index(index, corpus))
        added.append(qabot_index(index, corpus, small_file(work / "with-corpus", n)))
        alone.append(qabot_index(index, small_file(work / "alone", n)))
    return {
        "unchanged_s": statistics.median(unchanged),
        "add_one_s": statistics.median(added),
        "add_one_alone_s": statistics.median(alone),
    }


def word_file(n: int) -> bytes:
    document = Document()
    document.add_heading(f"湖边第{n}号灯塔", level=1)
    document.add_paragraph(f"灯塔高{n + 40}米，由守塔人{n}号看管，每晚亮灯{n + 6}小时。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


async def upload(index: Path, rounds: int) -> dict[str, float]:
    """Seconds from an admin's upload until the bot answers from it; questions meanwhile."""
    config = Config().with_index_path(index)
    service = AnswerService(Library(config, Tokenizer(config.tokenizer)))
    await service.start()
    await service.ask(QUESTIONS[0], 3)
    latencies: list[float] = []
    done = asyncio.Event()

    async def asking() -> None:
        while not done.is_set():
            start = time.perf_counter()
            await service.ask(QUESTIONS[len(latencies) % 2], 3)
            latencies.append(time.perf_counter() - start)

    waits = []
    for n in range(rounds):
        done.clear()
        others = asyncio.ensure_future(asking())
        start = time.perf_counter()
        await service.add(f"lighthouse-{n}.docx", word_file(n))
        answer = await service.ask(f"第{n}号灯塔高多少米？", 1)
        waits.append(time.perf_counter() - start)
        assert f"{n + 40}米" in answer.results[0].quote, answer
        done.set()
        await others
    service.close()
    return {
        "upload_to_answer_s": statistics.median(waits),
        "questions_meanwhile": len(latencies),
        "meanwhile_max_s": max(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=Path("/tmp/qabot-bench/change"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--upload", action="store_true")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    index = args.work / "index"
    shutil.copytree(args.index, index)
    row: dict[str, float | str] = {"index": str(args.index)}
    row.update(cli(index, args.corpus, args.work / "files", args.rounds))
    if args.upload:
        row.update(asyncio.run(upload(index, args.rounds)))
    row["folder_mb"] = folder_bytes(index) / 1e6
    print(json.dumps(row))


if __name__ == "__main__":
    main()
