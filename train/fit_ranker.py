"""Fit the ranking model's weights on the CMRC 2018 trial set, and write index/ranker.json.

Run from the repository root (about a minute on 2 cores, the same weights every time):
    .venv/bin/python train/fit_ranker.py [--shared ../shared] [--drop FEATURE ...]

Only the trial set is read: the measuring sets (CMRC dev, the seed questions, the follow-ups)
never are. The trial paragraphs are indexed among made-up pages drawn from their own words
(bench/corpus.py), as an archive holds answers among many look-alike passages. Four fits,
each on what the ones before it made:
1. The sentence model: among the sentences of a passage that holds the answer, the one that
   holds it (a softmax over each passage's sentences).
2. The passage model: among a question's shortlisted passages, one that holds the answer (a
   softmax over the shortlist), with the best sentence's score as one of its features.
3. The within-article model: the same, and whether the passage opens its article, among the
   shortlisted passages of the answer's own article; search orders each article's passages
   by it, inside the places the passage model gave the article.
4. The confidence: the chance that the first quote holds the answer (logistic regression),
   judged on the passage the passage model puts first. Its examples are the trial questions
   asked of an index of half the trial paragraphs, so that half of them have no answer
   there, and then of the other half; and one word of each question asked alone.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from corpus import Writer, learn, passages  # noqa: E402

from index.build import update_index  # noqa: E402
from index.config import Config  # noqa: E402
from index.evaluate import GoldQuestion, GoldSet, load_gold, normalize  # noqa: E402
from index.features import (  # noqa: E402
    PASSAGE_FEATURES,
    SENTENCE_FEATURES,
    TOP_FEATURES,
    Question,
)
from index.ranker import CONFIDENCE_FEATURES, DEFAULT_WEIGHTS, ORDER_WITHIN, Model  # noqa: E402
from index.search import Candidate, Searcher  # noqa: E402
from index.tokenize import Tokenizer  # noqa: E402

SEED = 20261201
L2 = 1e-3
STEPS = 3000
DISTRACTORS = 20_000  # passages of made-up pages beside the trial paragraphs, as in an archive
CONFIDENCE_RIDGES = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
TRAIN_SHORTLIST = 10  # passages per question the models learn from; search reads fewer


def _index(
    gold: GoldSet, names: set[str], extra: Path, folder: Path, config: Config, tok: Tokenizer
) -> Path:
    """The named paragraphs and the files in `extra`, indexed in a new folder."""
    folder.mkdir()
    docs = folder / "docs"
    chosen = GoldSet([], [(n, t) for n, t in gold.documents or [] if n in names])
    chosen.write_documents(docs)
    cfg = config.with_index_path(folder / "index")
    update_index([docs, extra], cfg, tok, progress=False)
    return cfg.index.path


def _distractors(gold: GoldSet, folder: Path, target: int, config: Config) -> None:
    """Made-up pages from a bigram model of the trial paragraphs: words that look like the
    answers' in sentences that answer nothing, so the models learn to rank among many."""
    folder.mkdir()
    writer = Writer(learn([text for _, text in gold.documents or []]), seed=SEED)
    count = n = 0
    while count < target:
        text = writer.page()
        (folder / f"page-{n:05d}.txt").write_text(text, encoding="utf-8")
        count += passages(text, config.chunking)
        n += 1


def _holds(text: str, gold: GoldQuestion) -> bool:
    return any(normalize(a) in normalize(text) for a in gold.answers)


def _standardize(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    return (x - mean) / std, mean, std


def fit_softmax(groups: list[tuple[np.ndarray, np.ndarray]], keep: np.ndarray) -> np.ndarray:
    """Weights w that make softmax(X w) of each group put its mass on the rows labelled 1.

    `keep` masks the features in use (a dropped feature weighs 0). Adam on the mean
    cross-entropy with a little L2; deterministic, since it starts from zero.
    """
    x = np.vstack([g for g, _ in groups])
    xs, _, std = _standardize(x)
    xs = xs * keep
    sizes = np.array([len(g) for g, _ in groups])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    target = np.concatenate([y / y.sum() for _, y in groups])
    w = np.zeros(x.shape[1])
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for step in range(1, STEPS + 1):
        z = xs @ w
        z = z - np.repeat(np.maximum.reduceat(z, starts), sizes)
        e = np.exp(z)
        p = e / np.repeat(np.add.reduceat(e, starts), sizes)
        grad = xs.T @ (p - target) / len(groups) + L2 * w
        grad *= keep
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= 0.05 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return w / std  # a softmax does not change when every row's score shifts by a constant


def fit_logistic(x: np.ndarray, y: np.ndarray, keep: np.ndarray, l2: float = L2) -> np.ndarray:
    """Bias and weights of a logistic regression on raw features, by Newton's method."""
    xs, mean, std = _standardize(x)
    xs = np.hstack([np.ones((len(xs), 1)), xs * keep])
    w = np.zeros(xs.shape[1])
    ridge = np.diag([0.0, *([l2 * len(xs)] * x.shape[1])])
    for _ in range(50):
        p = 1 / (1 + np.exp(-(xs @ w)))
        grad = xs.T @ (p - y) + ridge @ w
        hess = (xs * (p * (1 - p))[:, None]).T @ xs + ridge + 1e-9 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    weights = w[1:] / std
    return np.concatenate([[w[0] - weights @ mean], weights])


def with_pairs(x: np.ndarray, mean: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """The features, then the products of each two of them centred and scaled (PAIRS)."""
    z = (x - mean) / spread
    upper = np.triu_indices(x.shape[1])
    return np.hstack([x, (z[:, :, None] * z[:, None, :])[:, upper[0], upper[1]]])


def log_loss(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(1 / (1 + np.exp(-(w[0] + x @ w[1:]))), 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def chosen_ridge(x: np.ndarray, y: np.ndarray, keep: np.ndarray, fold: np.ndarray) -> float:
    """The ridge whose fit on the questions of one half of the paragraphs best predicts the
    other half's, both ways: the pairs fit the trial set's own quirks at a small one."""
    losses = {}
    for l2 in CONFIDENCE_RIDGES:
        losses[l2] = sum(
            log_loss(fit_logistic(x[fold == k], y[fold == k], keep, l2), x[fold != k], y[fold != k])
            for k in (0, 1)
        )
        print(f"  ridge {l2:g}: held-out log loss {losses[l2] / 2:.4f}", file=sys.stderr)
    return min(losses, key=lambda l2: losses[l2])


def confidence_examples(
    gold: GoldSet, cfg: Config, tok: Tokenizer, tmp: Path, none: Path
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The confidence's examples: each half of the paragraphs indexed alone, every question
    asked of it; the evidence of each first quote, whether it holds the answer, and the half
    the question's paragraph is in (the folds that choose the ridge)."""
    everything = {n for n, _ in gold.documents or []}
    ordered = sorted(everything)
    random.Random(SEED).shuffle(ordered)
    halves = [set(ordered[: len(ordered) // 2]), set(ordered[len(ordered) // 2 :])]
    xs, ys, folds = [], [], []
    rng = random.Random(SEED)
    for n, half in enumerate(halves):
        index_dir = _index(gold, half, none, tmp / f"half{n}", cfg, tok)
        half_searcher = Searcher.open(index_dir, cfg, tok)
        for g in gold.questions:
            # The question, and one word of it alone: a line that names a thing but asks
            # nothing (好的, 收到, 孙权) must not look like a question that was answered.
            words = [w for w in tok.tokens(g.question) if not w.startswith("#")]
            fragment = rng.choice(words) if words else ""
            for text in (g.question, fragment):
                results = half_searcher.search(text, 1).results
                if not results:
                    continue
                r = results[0]
                xs.append(r.evidence)
                ys.append(r.doc == g.doc and _holds(r.quote, g))
                folds.append(g.doc in halves[0])
    return np.array(xs), np.array(ys, float), np.array(folds, int)


def fit_confidence(
    x: np.ndarray, y: np.ndarray, folds: np.ndarray, keep: np.ndarray, ridge: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The confidence's bias, sums and pairs weights, the features' means and spreads, and the
    ridge (chosen on the folds unless given). `keep` masks the features in use, in pairs too."""
    mean = x.mean(axis=0)
    spread = x.std(axis=0)
    spread[spread == 0] = 1.0
    upper = np.triu_indices(len(keep))
    keep_all = np.concatenate([keep, keep[upper[0]] * keep[upper[1]]])
    design = with_pairs(x, mean, spread)
    if ridge is None:
        ridge = chosen_ridge(design, y, keep_all, folds)
    return fit_logistic(design, y, keep_all, ridge), mean, spread, ridge


def confidence_of(
    fit: tuple[np.ndarray, np.ndarray, np.ndarray, float], x: np.ndarray
) -> np.ndarray:
    """The chance a fit of the confidence gives each row of evidence, as `Model.probability`
    computes it one row at a time."""
    w, mean, spread, _ = fit
    return 1 / (1 + np.exp(-(w[0] + with_pairs(x, mean, spread) @ w[1:])))


Groups = list[tuple[np.ndarray, np.ndarray]]  # each: features (one row per item), labels
Shortlists = list[tuple[GoldQuestion, Question, list[Candidate]]]


def sentence_groups(searcher: Searcher, gold: list[GoldQuestion]) -> tuple[Groups, Shortlists]:
    """Training groups for the sentence model, and each question's shortlist for later."""
    groups: Groups = []
    shortlists: Shortlists = []
    for g in gold:
        ranking = searcher.candidates(g.question, TRAIN_SHORTLIST)
        q, cands = ranking.question, ranking.shortlist
        shortlists.append((g, q, cands))
        for c in cands:
            if c.doc.name != g.doc:
                continue
            sents = c.doc.sentences
            rows = range(c.passage.first, c.passage.last + 1)
            labels = np.array(
                [_holds(c.doc.text[sents[s].start : sents[s].stop], g) for s in rows], float
            )
            if 0 < labels.sum() < len(labels):
                x = np.array([c.sentence_features(q, s) for s in rows])
                groups.append((x, labels))
    return groups, shortlists


def passage_groups(shortlists: Shortlists, model: Model) -> tuple[Groups, Groups]:
    """Training groups for the passage model (each question's shortlist) and for the
    within-article model (the shortlisted passages of the answer's own article)."""
    groups, within = [], []
    for g, q, cands in shortlists:
        rows, labels = [], []
        for c in cands:
            sents = c.doc.sentences
            text = c.doc.text[sents[c.passage.first].start : sents[c.passage.last].stop]
            rows.append([*c.features, *c.top(model, q)])
            labels.append(c.doc.name == g.doc and _holds(text, g))
        y = np.array(labels, float)
        if 0 < y.sum() < len(y):
            groups.append((np.array(rows), y))
        articles = {(c.passage.doc_id, c.passage.article) for c in cands if c.doc.name == g.doc}
        for article in sorted(articles):
            mine = [
                k for k, c in enumerate(cands) if (c.passage.doc_id, c.passage.article) == article
            ]
            y = np.array([labels[k] for k in mine], float)
            if 0 < y.sum() < len(y):
                x = np.array([[*rows[k], *cands[k].placed()] for k in mine])
                within.append((x, y))
    return groups, within


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--drop", nargs="*", default=[], help="features to leave out")
    parser.add_argument("--distractors", type=int, default=DISTRACTORS, metavar="PASSAGES")
    args = parser.parse_args()
    names = ORDER_WITHIN + SENTENCE_FEATURES + CONFIDENCE_FEATURES
    unknown = set(args.drop) - set(names)
    if unknown:
        parser.error(f"unknown features: {', '.join(sorted(unknown))}")
    gold = load_gold(args.shared / "eval" / "cmrc2018_trial.json")
    config = Config()
    tok = Tokenizer(config.tokenizer)
    dropped = set(args.drop)

    def mask(features: tuple[str, ...]) -> np.ndarray:
        return np.array([f not in dropped for f in features], float)

    with tempfile.TemporaryDirectory(prefix="qabot-fit-") as tmp:
        weights_file = Path(tmp) / "weights.json"
        everything = {n for n, _ in gold.documents or []}
        extra = Path(tmp) / "distractors"
        _distractors(gold, extra, args.distractors, config)
        none = Path(tmp) / "none"
        none.mkdir()
        start = Model.load()  # any weights will do for reading features
        weights_file.write_text(start.to_json())
        cfg = replace(config, search=replace(config.search, model=weights_file, min_confidence=0))
        # The trial paragraphs alone (a small collection) and among the made-up pages (an
        # archive): the passage order must hold in both.
        groups: Groups = []
        shortlists: Shortlists = []
        for name, others in (("alone", none), ("archive", extra)):
            index_dir = _index(gold, everything, others, Path(tmp) / name, config, tok)
            searcher = Searcher.open(index_dir, cfg, tok)
            more_groups, more_shortlists = sentence_groups(searcher, gold.questions)
            groups += more_groups
            shortlists += more_shortlists
        w_sentence = fit_softmax(groups, mask(SENTENCE_FEATURES))
        print(f"sentence model: {len(groups)} passages", file=sys.stderr)
        model = replace(start, sentence=tuple(w_sentence))
        p_groups, a_groups = passage_groups(shortlists, model)
        w_passage = fit_softmax(p_groups, mask(PASSAGE_FEATURES + TOP_FEATURES))
        print(f"passage model: {len(p_groups)} questions", file=sys.stderr)
        # A feature no article's passages differ in (`named`: they share its headline) cannot
        # order them; left free, its weight would be rounding noise.
        varies = np.zeros(len(ORDER_WITHIN))
        for x, _ in a_groups:
            varies = np.maximum(varies, np.ptp(x, axis=0) > 0)
        w_within = fit_softmax(a_groups, mask(ORDER_WITHIN) * varies)
        print(f"within-article model: {len(a_groups)} articles", file=sys.stderr)
        model = replace(model, passage=tuple(w_passage), within=tuple(w_within))
        # The confidence judges an article by the passage the passage model puts first in it,
        # whichever of its passages is quoted: it learns from those passages' quotes.
        weights_file.write_text(replace(model, within=()).to_json())

        x_conf, y_conf, folds = confidence_examples(gold, cfg, tok, Path(tmp), none)
        keep = mask(CONFIDENCE_FEATURES)
        fit = fit_confidence(x_conf, y_conf, folds, keep)
        w_all, mean, spread, ridge = fit
        w_conf, w_pairs = w_all[: 1 + len(keep)], w_all[1 + len(keep) :]
        print(
            f"confidence: {len(y_conf)} first quotes, {int(y_conf.sum())} hold the answer; "
            f"ridge {ridge:g}",
            file=sys.stderr,
        )
        p = confidence_of(fit, x_conf)
        print("min_confidence: right first quotes kept, wrong ones withheld", file=sys.stderr)
        for t in (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5):
            kept = (p[y_conf == 1] >= t).mean()
            held = (p[y_conf == 0] < t).mean()
            print(f"  {t:.2f}: {kept:.3f} kept, {held:.3f} withheld", file=sys.stderr)
    command = "train/fit_ranker.py" + "".join(f" --drop {f}" for f in args.drop)
    if args.distractors != DISTRACTORS:
        command += f" --distractors {args.distractors}"
    model = replace(
        model,
        confidence=tuple(w_conf),
        command=command,
        pairs=tuple(w_pairs),
        scale=tuple(zip(mean.tolist(), spread.tolist(), strict=True)),
    )
    args.out.write_text(model.to_json(), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
