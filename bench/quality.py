"""Answer quality and abstention on every set the ranking is measured by, in one table.

Run from the repository root:  .venv/bin/python bench/quality.py [--shared ../shared]
    [--weights FILE] [--min-confidence P]
Questions are asked as the bot hears them (small talk is not searched; the lines of one chat
are one conversation). Builds four indexes in a temporary folder (the samples, the CMRC 2018
dev paragraphs, both together, and CMRC dev in traditional characters) and asks each set of
questions of them:
the answerable ones scored by AIQ@1 / AIQ@3 / MRR@10 / HL@1, the ones that have no answer
there by the share that got no passage. Takes about a minute.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from index.build import update_index  # noqa: E402
from index.config import SAMPLES_DIR, Config  # noqa: E402
from index.evaluate import GoldQuestion, GoldSet, Metrics, evaluate, in_traditional, load_gold  # noqa: E402
from index.followup import Conversations, converse  # noqa: E402
from index.search import Searcher  # noqa: E402
from index.tokenize import Tokenizer  # noqa: E402


def unanswerable(gold: GoldSet) -> list[GoldQuestion]:
    return [replace(q, answers=()) for q in gold.questions]


def one_chat(gold: GoldSet) -> list[GoldQuestion]:
    return [replace(q, chat="one") for q in gold.questions]


def alone(gold: GoldSet) -> list[GoldQuestion]:
    return [replace(q, chat=None) for q in gold.questions]


def measured(questions: list[GoldQuestion], searcher: Searcher) -> Metrics:
    """As the bot hears them: small talk is not searched, and the lines of one chat are one
    conversation."""
    chats = Conversations()
    return evaluate(
        questions,
        lambda q: converse(searcher, q, None).answer,
        lambda chat, q: chats.ask(searcher, chat, q).answer,
    )


def figures(m: Metrics) -> str:
    if m.questions:
        return f"{m.aiq1:.3f} / {m.aiq3:.3f} / {m.mrr10:.3f} / {m.hl1:.3f}"
    return f"{m.silent:.3f} no passage ({m.spoke} of {m.unanswerable} answered)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--weights", type=Path, help="a weights file (default: the shipped one)")
    parser.add_argument("--min-confidence", type=float, help="default: the config's")
    parser.add_argument("--engine", default="auto")
    args = parser.parse_args()
    config = Config()
    search = config.search
    if args.weights is not None:
        search = replace(search, model=args.weights.resolve())
    if args.min_confidence is not None:
        search = replace(search, min_confidence=args.min_confidence)
    config = replace(config, search=search, index=replace(config.index, engine=args.engine))
    tok = Tokenizer(config.tokenizer)
    seeds = load_gold(REPO / "eval" / "seed_qa.jsonl")
    offtopic = load_gold(REPO / "eval" / "offtopic.jsonl")
    cmrc = load_gold(args.shared / "eval" / "cmrc2018_dev.json")
    followups = load_gold(args.shared / "eval" / "followups.jsonl")
    with tempfile.TemporaryDirectory(prefix="qabot-quality-") as tmp:
        root = Path(tmp)
        cmrc_docs = root / "cmrc"
        cmrc.write_documents(cmrc_docs)
        trad_docs = root / "cmrc-traditional"
        trad = in_traditional(cmrc)
        trad.write_documents(trad_docs)

        def searcher(name: str, *sources: Path) -> Searcher:
            cfg = config.with_index_path(root / name)
            update_index(list(sources), cfg, tok, progress=False)
            return Searcher.open(cfg.index.path, cfg, tok)

        samples = searcher("samples", SAMPLES_DIR)
        wiki = searcher("cmrc-index", cmrc_docs)
        both = searcher("both", SAMPLES_DIR, cmrc_docs)
        wiki_trad = searcher("cmrc-traditional-index", trad_docs)
        rows = [
            ("CMRC dev", cmrc.questions, wiki),
            ("CMRC dev in traditional characters", trad.questions, wiki_trad),
            ("seed questions over the samples", seeds.questions, samples),
            ("seed questions over the samples + CMRC dev paragraphs", seeds.questions, both),
            ("the same, all 27 asked in one chat", one_chat(seeds), both),
            ("followups.jsonl, samples + CMRC dev paragraphs", followups.questions, both),
            ("the same, each turn asked alone", alone(followups), both),
            ("eval/offtopic.jsonl over the samples", offtopic.questions, samples),
            ("CMRC dev questions over the samples", unanswerable(cmrc), samples),
            ("seed questions over the CMRC dev paragraphs", unanswerable(seeds), wiki),
        ]
        print(
            f"weights: {config.search.model or 'shipped'}; min_confidence "
            f"{config.search.min_confidence}; engine {args.engine}"
        )
        print("| set | AIQ@1 / AIQ@3 / MRR@10 / HL@1, or abstention |")
        print("| --- | --- |")
        for label, questions, s in rows:
            print(f"| {label} | {figures(measured(questions, s))} |", flush=True)


if __name__ == "__main__":
    main()
