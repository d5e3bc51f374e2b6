"""A synthetic newspaper archive of any size, for the scale benchmarks.

Real archives are not the seed pages repeated: their vocabulary keeps growing (names, places,
numbers) while the common words stay common. So the text here is drawn from a bigram model of
jieba words learnt from real text (the bundled pages and the CMRC 2018 paragraphs), and content
words are replaced, at a steady rate, by words from a Pitman-Yor pool that keeps inventing new
ones (vocabulary growing about as the square root of the text, as Heaps' law has it). Pages look
like the bundled ones: headlines, bylines, paragraphs, several articles a file.

The real documents (the two sample pages and the CMRC paragraphs) are written into the corpus
too, so that the real questions asked of it have their answers somewhere among the distractors.

Run from the repository root:
    .venv/bin/python bench/corpus.py --passages 100000 --out /tmp/qabot-bench/corpus-100k
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import multiprocessing
import random
import re
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import jieba

from index.chunk import chunk, sentence_spans, sentences
from index.clean import split_articles
from index.config import SAMPLES_DIR, ChunkConfig
from index.evaluate import load_gold

START, END = "<s>", "</s>"
FILES_PER_FOLDER = 1000
_CJK = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
_DIGITS = re.compile(r"\d+")
_MANIFEST = "corpus.json"


@dataclass
class Model:
    """Bigram transitions over real words, the real characters' frequencies, real lengths."""

    follow: dict[str, tuple[list[str], list[int]]]  # word -> (next words, cumulative counts)
    chars: tuple[list[str], list[int]]
    article_sentences: list[int]  # sentences per article, as real articles have them


def _cumulative(counter: Counter[str]) -> tuple[list[str], list[int]]:
    words = list(counter)
    return words, list(itertools.accumulate(counter[w] for w in words))


def real_texts(shared: Path) -> list[tuple[str, str]]:
    """The bundled pages and the CMRC dev paragraphs, as (file name, text)."""
    texts = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(SAMPLES_DIR.glob("*.txt"))]
    gold = load_gold(shared / "eval" / "cmrc2018_dev.json")
    return texts + list(gold.documents or [])


def learn(texts: list[str]) -> Model:
    pairs: dict[str, Counter[str]] = defaultdict(Counter)
    chars: Counter[str] = Counter()
    lengths: list[int] = []
    for text in texts:
        for article in split_articles(text):
            count = 0
            for para in article.paragraphs:
                for start, end in sentence_spans(text, para.start, para.end):
                    words = [w for w in jieba.lcut(text[start:end]) if w.strip()]
                    count += 1
                    for a, b in itertools.pairwise([START, *words, END]):
                        pairs[a][b] += 1
                    chars.update(ch for ch in text[start:end] if "\u4e00" <= ch <= "\u9fff")
            lengths.append(max(count, 1))
    return Model({w: _cumulative(c) for w, c in pairs.items()}, _cumulative(chars), lengths)


class Writer:
    """Generates pages; new words come from a pool that grows with the text."""

    def __init__(self, model: Model, seed: int, discount: float = 0.5, strength: float = 50.0):
        self.model = model
        self.rng = random.Random(seed)
        self.discount = discount
        self.strength = strength
        self.pool: list[str] = []  # distinct invented words
        self.uses: list[int] = []  # one entry per use: an index into pool

    def _pick(self, options: tuple[list[str], list[int]]) -> str:
        words, cum = options
        return words[bisect.bisect(cum, self.rng.random() * cum[-1])]

    def _new_word(self) -> str:
        n, k = len(self.uses), len(self.pool)
        if self.rng.random() * (self.strength + n) < self.strength + self.discount * k:
            word = "".join(self._pick(self.model.chars) for _ in range(self.rng.choice((2, 2, 3))))
            self.pool.append(word)
            self.uses.append(k)
            return word
        index = self.uses[self.rng.randrange(n)]
        self.uses.append(index)
        return self.pool[index]

    def sentence(self, max_words: int = 60) -> str:
        out: list[str] = []
        word = START
        while len(out) < max_words:
            word = self._pick(self.model.follow[word])
            if word == END:
                break
            if _CJK.match(word) and self.rng.random() < 0.12:
                out.append(self._new_word())
            elif _DIGITS.search(word):
                out.append(_DIGITS.sub(lambda m: str(self.rng.randrange(1, 3000)), word))
            else:
                out.append(word)
        text = "".join(out)
        return text if text.endswith(("。", "！", "？", "；")) else text.rstrip("，、：,") + "。"

    def headline(self) -> str:
        words = [w for w in re.split(r"[，。；：！？、,.\s“”]+", self.sentence()) if w]
        return "".join(words[:2])[:24] or "要闻"

    def page(self) -> str:
        parts = []
        for _ in range(self.rng.randint(3, 7)):
            parts.append(self.headline())
            parts.append(f"本报记者 {self._pick(self.model.chars)}{self._pick(self.model.chars)}")
            remaining = self.rng.choice(self.model.article_sentences)
            while remaining > 0:
                n = min(remaining, self.rng.randint(1, 5))
                parts.append("".join(self.sentence() for _ in range(n)))
                remaining -= n
        return "\n\n".join(parts) + "\n"


def passages(text: str, chunking: ChunkConfig) -> int:
    """How many passages the index will make of a text."""
    articles = split_articles(text)
    sents = sentences(text, articles, chunking.max_chars)
    return len(chunk(sents, chunking.target_chars, chunking.max_chars))


def _write_share(job: tuple[Model, Path, int, int, int]) -> tuple[int, int, int]:
    """One process's share of the pages: (files, passages, characters)."""
    model, out, worker, workers, target = job
    writer = Writer(model, seed=worker)
    chunking = ChunkConfig()
    files = count = chars = 0
    while count < target:
        text = writer.page()
        number = files * workers + worker
        folder = out / f"{number // FILES_PER_FOLDER:04d}"
        folder.mkdir(exist_ok=True)
        (folder / f"page-{number:07d}.txt").write_text(text, encoding="utf-8")
        files += 1
        count += passages(text, chunking)
        chars += len(text)
    return files, count, chars


def generate(out: Path, target: int, shared: Path, workers: int = 2) -> dict[str, int]:
    """Write a corpus of about `target` passages (the real documents among them) to `out`."""
    manifest = out / _MANIFEST
    if manifest.exists():
        info = json.loads(manifest.read_text())
        if info.get("target") == target:
            return info
    if out.exists():
        shutil.rmtree(out)
    (out / "real").mkdir(parents=True)
    chunking = ChunkConfig()
    real = real_texts(shared)
    real_passages = 0
    for name, text in real:
        (out / "real" / name).write_text(text, encoding="utf-8")
        real_passages += passages(text, chunking)
    model = learn([text for _, text in real])
    share = max(0, target - real_passages) // workers + 1
    jobs = [(model, out, w, workers, share) for w in range(workers)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        counts = pool.map(_write_share, jobs)
    info = {
        "target": target,
        "files": len(real) + sum(c[0] for c in counts),
        "passages": real_passages + sum(c[1] for c in counts),
        "characters": sum(len(t) for _, t in real) + sum(c[2] for c in counts),
    }
    manifest.write_text(json.dumps(info))
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passages", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    args = parser.parse_args()
    jieba.setLogLevel(60)
    info = generate(args.out, args.passages, args.shared)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
