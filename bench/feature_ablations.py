"""Each feature's worth: the model fit again without it, on CMRC 2018 dev and the seed questions.

Run from the repository root:  .venv/bin/python bench/feature_ablations.py [--shared ../shared]
For each group of features, train/fit_ranker.py fits the weights again with the group left
out (on the trial set, as always), and both sets are asked with those weights, every answer
shown (min_confidence 0), so that the figures are the ranking's alone; one row keeps every
feature but leaves out the within-article order. Prints a Markdown
table; the README quotes it. Takes about twenty minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from index.build import update_index  # noqa: E402
from index.config import SAMPLES_DIR, Config  # noqa: E402
from index.evaluate import evaluate, load_gold  # noqa: E402
from index.search import Searcher  # noqa: E402
from index.tokenize import Tokenizer  # noqa: E402

WITHIN = "− within-article order (each article's passages in the passage order)"
GROUPS: list[tuple[str, list[str]]] = [
    ("all features (the shipped model)", []),
    (WITHIN, []),
    ("− word rarity around the sentence (s_local)", ["s_local"]),
    ("− question words matched in the sentence", ["s_coverage", "s_core", "s_topic"]),
    ("− character pairs (s_bigrams, s_focus)", ["s_bigrams", "s_focus"]),
    ("− characters around the question word (s_focus_chars)", ["s_focus_chars"]),
    ("− the question's words the headline lacks, in the sentence (s_rest)", ["s_rest"]),
    ("− the question's characters in its order, in the sentence (s_order)", ["s_order"]),
    ("− answer of the asked type", ["s_type", "s_date", "s_count", "s_place", "s_person"]),
    ("− sentence length and new words", ["s_new", "s_length"]),
    ("− neighbouring sentences", ["s_neighbours"]),
    ("− first sentence of a paragraph", ["s_first"]),
    ("− passage coverage (coverage, core)", ["coverage", "core"]),
    ("− article and page context", ["context"]),
    ("− the question names the article's title (named)", ["named"]),
    ("− BM25 order (bm25, relative, rank)", ["bm25", "relative", "rank"]),
    ("− best sentence's score in the passage order (s_best)", ["s_best"]),
    ("− best sentence's answer type in the passage order (s_best_type)", ["s_best_type"]),
    ("− the passage opens its article, in the within-article order (opening)", ["opening"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args()
    base = Config()
    base = replace(base, search=replace(base.search, min_confidence=0.0))
    tok = Tokenizer(base.tokenizer)
    seeds = load_gold(REPO / "eval" / "seed_qa.jsonl")
    cmrc = load_gold(args.shared / "eval" / "cmrc2018_dev.json")
    with tempfile.TemporaryDirectory(prefix="qabot-ablations-") as tmp:
        root = Path(tmp)
        cmrc.write_documents(root / "cmrc")
        for name, source in (("cmrc-index", root / "cmrc"), ("samples-index", SAMPLES_DIR)):
            update_index([source], base.with_index_path(root / name), tok, progress=False)
        print("| model | seeds AIQ@1 / AIQ@3 / MRR@10 / HL@1 | CMRC dev, same |")
        print("| --- | --- | --- |")
        for label, dropped in GROUPS:
            weights = root / "weights.json"
            command = [sys.executable, str(REPO / "train" / "fit_ranker.py")]
            command += ["--shared", str(args.shared), "--out", str(weights)]
            if dropped:
                command += ["--drop", *dropped]
            subprocess.run(command, check=True, capture_output=True)
            if label == WITHIN:
                data = json.loads(weights.read_text(encoding="utf-8"))
                del data["within article"]
                weights.write_text(json.dumps(data), encoding="utf-8")
            config = replace(base, search=replace(base.search, model=weights))
            cells = []
            for gold, name in ((seeds, "samples-index"), (cmrc, "cmrc-index")):
                cfg = config.with_index_path(root / name)
                m = evaluate(gold.questions, Searcher.open(cfg.index.path, cfg, tok).search)
                cells.append(f"{m.aiq1:.3f} / {m.aiq3:.3f} / {m.mrr10:.3f} / {m.hl1:.3f}")
            print(f"| {label} | {cells[0]} | {cells[1]} |", flush=True)


if __name__ == "__main__":
    main()
