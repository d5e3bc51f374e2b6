"""Build time with one and with two worker processes, and the cost of re-indexing unchanged files.

Run from the repository root:  .venv/bin/python bench/build.py [--shared ../shared] [--rounds 2]
The corpus is the CMRC 2018 dev paragraphs written as one file each (848 files).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from index.build import update_index
from index.config import Config
from index.evaluate import load_gold
from index.tokenize import Tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    gold = load_gold(args.shared / "eval" / "cmrc2018_dev.json")
    base = Config()
    tokenizer = Tokenizer(base.tokenizer)
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        chars = gold.write_documents(docs)
        print(f"{len(gold.documents or [])} files, {chars:,} characters")
        for workers in (1, 2):
            firsts, reruns = [], []
            for n in range(args.rounds):
                index = Path(tmp) / f"index-{workers}-{n}"
                config = replace(base, index=replace(base.index, path=index, workers=workers))
                start = time.perf_counter()
                update_index([docs], config, tokenizer, progress=False)
                firsts.append(time.perf_counter() - start)
                start = time.perf_counter()
                update_index([docs], config, tokenizer, progress=False)
                reruns.append(time.perf_counter() - start)
            first, rerun = statistics.median(firsts), statistics.median(reruns)
            print(
                f"{workers} worker(s): build {first:.2f} s ({chars / first:,.0f} characters/s), "
                f"unchanged re-run {rerun:.2f} s ({100 * rerun / first:.0f}% of the build)"
            )


if __name__ == "__main__":
    main()
