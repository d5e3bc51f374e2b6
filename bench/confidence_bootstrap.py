"""Is a confidence feature worth its place, or was one refit lucky?

The abstention figures move by a few lines whenever the confidence is fit again, so one fit
with a feature and one without cannot tell a feature's worth from chance. This fits the
confidence with and without it on bootstrap resamples of its trial examples (the first
resample is the examples themselves) and counts, at the config's min_confidence, what each
fit keeps and withholds of the measuring sets.

Run from the repository root (about half a minute on 2 cores):
    .venv/bin/python bench/confidence_bootstrap.py --feature s_order [--resamples 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "train")]

from fit_ranker import SEED, confidence_examples, confidence_of, fit_confidence  # noqa: E402

from index.build import update_index  # noqa: E402
from index.config import SAMPLES_DIR, Config  # noqa: E402
from index.evaluate import GoldQuestion, load_gold, normalize  # noqa: E402
from index.followup import converse  # noqa: E402
from index.ranker import CONFIDENCE_FEATURES, Model  # noqa: E402
from index.search import Result, Searcher  # noqa: E402
from index.tokenize import Tokenizer  # noqa: E402

COLUMNS = (
    "CMRC dev right first quotes",
    "CMRC dev answer in the first 3",
    "off-topic lines answered",
    "CMRC dev over the samples answered",
    "seeds over Wikipedia answered",
)
BETTER = (1, 1, -1, -1, -1)  # which way each column is better


def _hit(result: Result, gold: GoldQuestion) -> bool:
    quote = normalize(result.quote)
    return result.doc == gold.doc and any(normalize(a) in quote for a in gold.answers)


def spoken(
    fit: tuple[np.ndarray, np.ndarray, np.ndarray, float], x: np.ndarray, floor: float
) -> np.ndarray:
    """Which first quotes a fit of the confidence lets through."""
    return np.asarray(confidence_of(fit, x) >= floor)


def first_quotes(
    searcher: Searcher, questions: list[GoldQuestion]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The evidence of each first quote as the bot hears the line (small talk is not
    searched), whether it holds the answer, and whether one of the first three does."""
    xs, first, three = [], [], []
    for g in questions:
        results = converse(searcher, g.question, None).answer.results
        if not results:
            continue
        xs.append(results[0].evidence)
        first.append(_hit(results[0], g))
        three.append(any(_hit(r, g) for r in results[:3]))
    x = np.array(xs).reshape(-1, len(CONFIDENCE_FEATURES))
    return x, np.array(first, float), np.array(three, float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--feature", required=True, choices=CONFIDENCE_FEATURES)
    parser.add_argument("--resamples", type=int, default=20)
    args = parser.parse_args()
    config = Config()
    floor = config.search.min_confidence
    tok = Tokenizer(config.tokenizer)
    trial = load_gold(args.shared / "eval" / "cmrc2018_trial.json")
    cmrc = load_gold(args.shared / "eval" / "cmrc2018_dev.json")
    offtopic = load_gold(REPO / "eval" / "offtopic.jsonl")
    seeds = load_gold(REPO / "eval" / "seed_qa.jsonl")
    with tempfile.TemporaryDirectory(prefix="qabot-bootstrap-") as tmp:
        root = Path(tmp)
        weights = root / "weights.json"
        weights.write_text(replace(Model.load(), within=()).to_json())
        every = replace(config, search=replace(config.search, min_confidence=0))
        none = root / "none"
        none.mkdir()
        x, y, folds = confidence_examples(
            trial, replace(every, search=replace(every.search, model=weights)), tok, root, none
        )
        cmrc_docs = root / "cmrc"
        cmrc.write_documents(cmrc_docs)

        def searcher(name: str, source: Path) -> Searcher:
            cfg = every.with_index_path(root / name)
            update_index([source], cfg, tok, progress=False)
            return Searcher.open(cfg.index.path, cfg, tok)

        samples, wiki = searcher("samples", SAMPLES_DIR), searcher("wiki", cmrc_docs)
        dev = first_quotes(wiki, cmrc.questions)
        silent_sets = [
            first_quotes(samples, offtopic.questions)[0],
            first_quotes(samples, cmrc.questions)[0],
            first_quotes(wiki, seeds.questions)[0],
        ]
    keep_all = np.ones(len(CONFIDENCE_FEATURES))
    keep_without = keep_all.copy()
    keep_without[CONFIDENCE_FEATURES.index(args.feature)] = 0.0
    # Each variant's ridge is chosen as train/fit_ranker.py would choose it for that variant.
    variants = [
        (label, keep, fit_confidence(x, y, folds, keep)[3])
        for label, keep in (("with", keep_all), ("without", keep_without))
    ]
    rng = np.random.default_rng(SEED)
    counts: dict[str, list[list[float]]] = {"with": [], "without": []}
    for b in range(args.resamples + 1):
        chosen = np.arange(len(y)) if b == 0 else rng.integers(0, len(y), len(y))
        for label, keep, ridge in variants:
            fit = fit_confidence(x[chosen], y[chosen], folds[chosen], keep, ridge)
            kept = spoken(fit, dev[0], floor)
            counts[label].append(
                [(dev[1] * kept).sum(), (dev[2] * kept).sum()]
                + [spoken(fit, z, floor).sum() for z in silent_sets]
            )
    ours, theirs = np.array(counts["with"]), np.array(counts["without"])
    gain = (ours - theirs) * np.array(BETTER)
    print(f"`{args.feature}` in the confidence, {args.resamples} bootstrap resamples of its")
    print(f"{len(y)} trial examples and the examples themselves; min_confidence {floor}\n")
    print("| count | with it | without it | resamples where it does as well or better |")
    print("| --- | --- | --- | --- |")
    for k, name in enumerate(COLUMNS):
        print(
            f"| {name} | {ours[0, k]:.0f} (mean {ours[:, k].mean():.1f}) "
            f"| {theirs[0, k]:.0f} (mean {theirs[:, k].mean():.1f}) "
            f"| {(gain[:, k] >= 0).mean():.2f} |"
        )


if __name__ == "__main__":
    main()
