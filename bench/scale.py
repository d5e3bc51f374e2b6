"""Archive scale: build, disk, open, memory and question latency at 10k, 100k and 1M passages.

Run from the repository root (bm25s is measured when installed: pip install -e '.[bench]'):
    .venv/bin/python bench/scale.py --sizes 10000 100000 1000000 --engines rank-bm25 tantivy bm25s

For each size a corpus is generated once (bench/corpus.py) into --work and indexed with two
workers, timed with the build's own split into tokenizing, SQLite and tantivy; then it is
indexed again unchanged. The index folder (index.sqlite, the kept documents and tantivy) is
weighed against the UTF-8 size of the corpus text. Each engine is then served in a fresh
process, so that its open time and resident memory are its own: it opens the index --rounds
times, and asks the questions (real ones: the CMRC 2018 dev questions, then the seed
questions) --rounds times, timing each end to end (tokenize, rank, cut the quotes). Figures
are medians over the rounds. With --quality, the process also scores all CMRC dev questions
against their paragraphs, now hidden among the synthetic passages. --throughput SIZE builds
that corpus with one and with two workers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from corpus import generate  # noqa: E402

from index.build import is_current, update_index  # noqa: E402
from index.config import Config  # noqa: E402
from index.evaluate import evaluate, load_gold  # noqa: E402
from index.search import Searcher  # noqa: E402
from index.tokenize import Tokenizer  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def memory_mb() -> tuple[float, float]:
    """(resident now, peak resident) of this process, in MB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def questions(shared: Path, count: int) -> list[str]:
    cmrc = [q.question for q in load_gold(shared / "eval" / "cmrc2018_dev.json").questions]
    seeds = [q.question for q in load_gold(REPO / "eval" / "seed_qa.jsonl").questions]
    return (cmrc[: max(0, count - len(seeds))] + seeds)[:count]


def open_engine(index_dir: Path, config: Config, tokenizer: Tokenizer, engine: str) -> Searcher:
    if engine == "bm25s":
        from bm25s_engine import Bm25sEngine

        return Searcher(index_dir, config, tokenizer, Bm25sEngine(index_dir))
    cfg = replace(config, index=replace(config.index, engine=engine, path=index_dir))
    return Searcher.open(index_dir, cfg, tokenizer)


def serve(args: argparse.Namespace) -> None:
    """In a fresh process: open, ask, measure; one JSON line on stdout."""
    config = Config().with_index_path(args.index)
    tokenizer = Tokenizer(config.tokenizer)
    asked = questions(args.shared, args.questions)
    base_rss, _ = memory_mb()
    opens = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        searcher = open_engine(args.index, config, tokenizer, args.engine)
        opens.append(time.perf_counter() - start)
    rounds = []
    for _ in range(args.rounds):
        times = []
        for q in asked:
            start = time.perf_counter()
            searcher.search(q, focus=[args.focus] if args.focus else ())
            times.append((time.perf_counter() - start) * 1000)
        rounds.append(times)
    rss, peak = memory_mb()
    out = {
        "engine": args.engine,
        "passages": searcher.passage_count,
        "questions": len(asked),
        "open_s": statistics.median(opens),
        "first_round_p50": percentile(rounds[0], 50),
        **{
            f"p{p}": statistics.median(percentile(r, p) for r in rounds[1:] or rounds)
            for p in (50, 95, 99)
        },
        "rss_mb": rss,
        "index_rss_mb": rss - base_rss,
        "peak_mb": peak,
    }
    if args.quality:
        gold = load_gold(args.shared / "eval" / "cmrc2018_dev.json")
        metrics = evaluate(gold.questions, searcher.search)
        out.update(aiq1=metrics.aiq1, aiq3=metrics.aiq3, hl1=metrics.hl1)
    print(json.dumps(out))


def build(corpus: Path, index_dir: Path, workers: int) -> dict[str, float]:
    config = Config()
    config = replace(config, index=replace(config.index, path=index_dir, workers=workers))
    tokenizer = Tokenizer(config.tokenizer)
    start = time.perf_counter()
    report = update_index([corpus], config, tokenizer, progress=False)
    total = time.perf_counter() - start
    start = time.perf_counter()
    update_index([corpus], config, tokenizer, progress=False)
    rerun = time.perf_counter() - start
    return {"total_s": total, "rerun_s": rerun, **{f"{k}_s": v for k, v in report.seconds.items()}}


def measure(args: argparse.Namespace) -> None:
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    results_file = work / "results.jsonl"
    config = Config()
    tokenizer = Tokenizer(config.tokenizer)  # to tell whether a kept index is current
    for size in args.sizes:
        label = f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}M"
        corpus = work / f"corpus-{label}"
        info = generate(corpus, size, args.shared)
        index_dir = work / f"index-{label}"
        row: dict = {"size": size, **info}
        built = index_dir / "built.json"
        # An index of other settings or splitters is made again, as `qabot index` would.
        current = is_current(config.with_index_path(index_dir), tokenizer)
        if args.rebuild or not built.exists() or not current:
            shutil.rmtree(index_dir, ignore_errors=True)
            index_dir.mkdir(parents=True)
            timing = build(corpus, index_dir, workers=2)
            built.write_text(json.dumps(timing))
        row["build"] = json.loads(built.read_text())
        row["sqlite_mb"] = (index_dir / "index.sqlite").stat().st_size / 1e6
        row["kept_mb"] = (index_dir / "good.sqlite").stat().st_size / 1e6
        row["tantivy_mb"] = folder_bytes(index_dir / "tantivy") / 1e6
        # Everything a user's index folder holds, against the text it was made from.
        row["folder_mb"] = row["sqlite_mb"] + row["kept_mb"] + row["tantivy_mb"]
        row["text_mb"] = sum(f.stat().st_size for f in corpus.rglob("*.txt")) / 1e6
        row["folder_per_text"] = row["folder_mb"] / row["text_mb"]
        if "bm25s" in args.engines and not (index_dir / "bm25s").exists():
            from bm25s_engine import build as build_bm25s

            start = time.perf_counter()
            build_bm25s(index_dir, config)
            row["bm25s_build_s"] = time.perf_counter() - start
        if (index_dir / "bm25s").exists():
            row["bm25s_mb"] = folder_bytes(index_dir / "bm25s") / 1e6
        row["engines"] = []
        for engine in args.engines:
            command = [sys.executable, __file__, "serve", "--index", str(index_dir)]
            command += ["--engine", engine, "--rounds", str(args.rounds)]
            command += ["--questions", str(args.questions), "--shared", str(args.shared)]
            if args.quality:
                command.append("--quality")
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{label} {engine} failed:\n{done.stderr}", file=sys.stderr)
                continue
            row["engines"].append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(row), flush=True)
        with results_file.open("a") as f:
            f.write(json.dumps(row) + "\n")
    if args.throughput:
        size = args.throughput
        label = f"{size // 1000}k"
        corpus = work / f"corpus-{label}"
        info = generate(corpus, size, args.shared)
        for workers in (1, 2):
            runs = []
            for n in range(args.rounds):
                index_dir = work / f"throughput-{label}-{workers}-{n}"
                shutil.rmtree(index_dir, ignore_errors=True)
                runs.append(build(corpus, index_dir, workers)["total_s"])
                shutil.rmtree(index_dir, ignore_errors=True)
            seconds = statistics.median(runs)
            row = {
                "throughput": size,
                "workers": workers,
                "build_s": seconds,
                "chars_per_s": info["characters"] / seconds,
            }
            print(json.dumps(row), flush=True)
            with results_file.open("a") as f:
                f.write(json.dumps(row) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command")
    child = sub.add_parser("serve")
    child.add_argument("--index", type=Path, required=True)
    child.add_argument("--engine", required=True)
    child.add_argument("--rounds", type=int, default=3)
    child.add_argument("--questions", type=int, default=500)
    child.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    child.add_argument("--quality", action="store_true")
    child.add_argument("--focus", default="", help="ask each question as a follow-up naming it")
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--engines", nargs="+", default=["rank-bm25", "tantivy"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--work", type=Path, default=Path("/tmp/qabot-bench"))
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--throughput", type=int, default=0, help="corpus size to build twice")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    if args.command == "serve":
        serve(args)
    else:
        measure(args)


if __name__ == "__main__":
    main()
