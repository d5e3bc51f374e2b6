"""Question latency end to end (tokenize the question, rank, cut the quotes) and index open time.

Run from the repository root:  .venv/bin/python bench/latency.py [--shared ../shared]
Uses the CMRC 2018 dev paragraphs as the corpus and its questions as queries; medians of
several rounds, because the machine is noisy. `--questions FILE` (a gold file) times other
questions over the same corpus: eval/offtopic.jsonl, whose answers are mostly not there.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from index.build import update_index
from index.config import Config
from index.evaluate import load_gold
from index.search import Searcher
from index.tokenize import Tokenizer


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", type=Path, help="a gold file whose questions are timed")
    args = parser.parse_args()
    gold = load_gold(args.shared / "eval" / "cmrc2018_dev.json")
    asked = load_gold(args.questions).questions if args.questions else gold.questions
    config = Config()
    tokenizer = Tokenizer(config.tokenizer)
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        chars = gold.write_documents(docs)
        cfg = config.with_index_path(Path(tmp) / "index")
        start = time.perf_counter()
        update_index([docs], cfg, tokenizer, progress=False)
        build_s = time.perf_counter() - start
        opens, p50s, p95s, p99s = [], [], [], []
        for _ in range(args.rounds):
            start = time.perf_counter()
            searcher = Searcher.open(cfg.index.path, cfg, tokenizer)
            opens.append(time.perf_counter() - start)
            times = []
            for q in asked:
                start = time.perf_counter()
                searcher.search(q.question)
                times.append((time.perf_counter() - start) * 1000)
            p50s.append(percentile(times, 50))
            p95s.append(percentile(times, 95))
            p99s.append(percentile(times, 99))
        # The whole index folder: SQLite, the kept documents and tantivy.
        size = sum(f.stat().st_size for f in cfg.index.path.rglob("*") if f.is_file())
    print(
        f"corpus: {len(gold.documents or [])} documents, {chars} characters, "
        f"{searcher.passage_count} passages; {len(asked)} questions"
    )
    print(
        f"build: {build_s:.1f} s ({chars / build_s:,.0f} characters/s); index {size / 1e6:.1f} MB"
    )
    print(f"open: {statistics.median(opens) * 1000:.0f} ms (median of {args.rounds})")
    print(
        f"question latency ms, median of {args.rounds} rounds: "
        f"p50 {statistics.median(p50s):.1f}, p95 {statistics.median(p95s):.1f}, "
        f"p99 {statistics.median(p99s):.1f}"
    )


if __name__ == "__main__":
    main()
