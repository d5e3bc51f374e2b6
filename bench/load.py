"""The long load run of the reliability issue: 10,000 questions from 500 users, in bursts.

Run from the repository root:  .venv/bin/python bench/load.py [--questions 10000 --users 500]

The real `qabot run` process answers over the fake Bot API server on 127.0.0.1 (the one the
tests use), over the bundled samples or an existing index (--index). Telegram's flood limit is
lifted for the run: the fake server has none, and waiting for it would measure only the waiting.
It prints what tests/load.py measures and exits with 1 if a question was lost or answered twice,
resident memory grew by 10% or more over the second half, or tasks or threads were left behind.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.load import run_load


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--burst", type=int, default=250, help="questions sent at once")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between bursts")
    parser.add_argument("--index", type=Path, help="an existing index (default: the samples)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qabot-load-") as tmp:
        report = run_load(
            Path(tmp), args.questions, args.users, args.burst, args.pause, index=args.index
        )
    print("\n".join(report.lines()))
    held = (
        report.missing == 0
        and report.duplicates == 0
        and report.rss_growth < 0.10
        and report.after.tasks <= report.before.tasks
        and report.after.threads <= report.before.threads
    )
    print("held" if held else "NOT HELD")
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
