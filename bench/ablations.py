"""Answer quality of each ranking choice, on the seed questions and on CMRC 2018 dev.

Run from the repository root:  .venv/bin/python bench/ablations.py [--shared ../shared]
Prints a Markdown table; the README quotes it. Takes a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from index.build import update_index
from index.config import SAMPLES_DIR, Config, RankingConfig, TokenizerConfig
from index.evaluate import GoldSet, evaluate, in_traditional, load_gold
from index.search import Searcher
from index.tokenize import Tokenizer

NAIVE = Config(
    tokenizer=TokenizerConfig(mode="default", hmm=True, stopwords=False, numbers=False, cues=False),
    ranking=RankingConfig(
        variant="okapi", k1=1.5, b=0.75, headline=False, context_weight=0.0, min_coverage=0.0
    ),
)


def _with(config: Config, **changes: object) -> Config:
    """A copy of config with `section__name=value` settings changed."""
    for key, value in changes.items():
        section, name = key.split("__")
        config = replace(config, **{section: replace(getattr(config, section), **{name: value})})
    return config


def steps() -> list[tuple[str, Config]]:
    rows = [("naive: jieba default (with HMM), rank-bm25 Okapi 1.5/0.75, no headline", NAIVE)]
    c = _with(NAIVE, tokenizer__mode="search")
    rows.append(("+ jieba search mode", c))
    c = _with(c, tokenizer__stopwords=True)
    rows.append(("+ stopwords and question words dropped", c))
    c = _with(c, ranking__headline=True, ranking__headline_weight=1)
    rows.append(("+ headline indexed with each passage", c))
    c = _with(c, ranking__k1=0.9, ranking__b=0.4)
    rows.append(("+ k1 0.9, b 0.4", c))
    c = _with(c, ranking__variant="plus")
    rows.append(("+ BM25Plus instead of Okapi", c))
    c = _with(c, tokenizer__numbers=True)
    rows.append(("+ answer-type tokens (几次 ~ 7次)", c))
    c = _with(c, tokenizer__cues=True)
    rows.append(("+ question cues (在哪里 ~ 位于)", c))
    c = _with(c, ranking__context_weight=0.2)
    rows.append(("+ article/document context 0.2", c))
    c = _with(c, ranking__min_coverage=0.2)
    rows.append(("+ relevance floor 0.2", c))
    c = _with(c, ranking__headline_weight=2)
    rows.append(("+ headline words counted twice", c))
    c = _with(c, tokenizer__hmm=False)
    rows.append(("+ jieba without HMM (= defaults)", c))
    assert c == Config(), "the last step must be the shipped defaults"
    rows.append(("defaults, but jieba with HMM", _with(c, tokenizer__hmm=True)))
    rows.append(("defaults, but jieba default mode", _with(c, tokenizer__mode="default")))
    rows.append(("defaults, but keep stopwords", _with(c, tokenizer__stopwords=False)))
    rows.append(("defaults, plus character bigrams", _with(c, tokenizer__bigrams=True)))
    rows.append(("defaults, but context 0.5", _with(c, ranking__context_weight=0.5)))
    rows.append(
        ("defaults, but headline words counted 3 times", _with(c, ranking__headline_weight=3))
    )
    rows.append(("defaults, but relevance floor 0.3", _with(c, ranking__min_coverage=0.3)))
    rows.append(("defaults, but 300-char passages", _with(c, chunking__target_chars=300)))
    return rows


def measure(gold: GoldSet, config: Config, tokenizer: Tokenizer) -> tuple[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        source = SAMPLES_DIR
        if gold.documents is not None:
            source = Path(tmp) / "docs"
            gold.write_documents(source)
        cfg = config.with_index_path(Path(tmp) / "index")
        update_index([source], cfg, tokenizer, progress=False)
        searcher = Searcher.open(cfg.index.path, cfg, tokenizer)
        start = time.perf_counter()
        m = evaluate(gold.questions, searcher.search)
        ms = (time.perf_counter() - start) * 1000 / max(m.questions, 1)
    return f"{m.aiq1:.3f} / {m.aiq3:.3f} / {m.mrr10:.3f} / {m.hl1:.3f}", ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    args = parser.parse_args()
    seeds = load_gold(Path("eval/seed_qa.jsonl"))
    cmrc = load_gold(args.shared / "eval" / "cmrc2018_dev.json")
    print("| setting | seeds AIQ@1 / AIQ@3 / MRR@10 / HL@1 | CMRC dev, same | ms/question |")
    print("| --- | --- | --- | --- |")
    tokenizers: dict[TokenizerConfig, Tokenizer] = {}
    for label, config in steps():
        tok = tokenizers.setdefault(config.tokenizer, Tokenizer(config.tokenizer))
        seed_figures, _ = measure(seeds, config, tok)
        cmrc_figures, ms = measure(cmrc, config, tok)
        print(f"| {label} | {seed_figures} | {cmrc_figures} | {ms:.1f} |", flush=True)
    tok = tokenizers[Config().tokenizer]
    figures, ms = measure(in_traditional(cmrc), Config(), tok)
    print(f"| defaults, CMRC dev in traditional characters | | {figures} | {ms:.1f} |")


if __name__ == "__main__":
    main()
