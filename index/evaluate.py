"""Answer quality over gold questions: AIQ@k, HL@1 and MRR@10 as shared/README.md defines them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.search import Answer, Result
from index.short import asked_kind
from index.tokenize import fold, simplified, traditional_converter

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    doc: str
    chat: str | None = None  # lines of one chat are one conversation, asked in order


@dataclass(frozen=True)
class GoldSet:
    questions: list[GoldQuestion]
    # For SQuAD-style files: the paragraphs to index, as (file name, text).
    documents: list[tuple[str, str]] | None = None

    def write_documents(self, folder: Path) -> int:
        """The paragraphs as files in a new folder, ready to index; their characters in all."""
        folder.mkdir()
        for name, text in self.documents or []:
            (folder / name).write_text(text, encoding="utf-8")
        return sum(len(text) for _, text in self.documents or [])


@dataclass(frozen=True)
class Metrics:
    """AIQ@k, MRR@10 and HL@1 over the answerable questions; `silent` over the others.

    A gold line with no answers is a question whose right reply is "no relevant passage":
    `silent` is the share of those that got none.
    """

    questions: int
    aiq1: float
    aiq3: float
    mrr10: float
    hl1: float
    unanswerable: int = 0
    spoke: int = 0  # unanswerable questions that got a passage anyway
    # Answerable questions that ask how many, how much, when or which one; of those, how many
    # got a short answer, and how many of those were right.
    short_asked: int = 0
    short_given: int = 0
    short_right: int = 0

    @property
    def silent(self) -> float:
        return 1 - self.spoke / self.unanswerable if self.unanswerable else 1.0

    def lines(self) -> list[str]:
        out = []
        if self.questions:
            out += [
                f"questions {self.questions}",
                f"AIQ@1  {self.aiq1:.3f}",
                f"AIQ@3  {self.aiq3:.3f}",
                f"MRR@10 {self.mrr10:.3f}",
                f"HL@1   {self.hl1:.3f}",
            ]
        if self.short_asked:
            given = self.short_given / self.short_asked
            right = self.short_right / self.short_given if self.short_given else 0.0
            out += [
                f"short-asked {self.short_asked}",
                f"short-coverage {given:.3f}",
                f"short-precision {right:.3f}",
            ]
        if self.unanswerable:
            out += [f"unanswerable {self.unanswerable}", f"no-passage {self.silent:.3f}"]
        return out


def in_traditional(gold: GoldSet) -> GoldSet:
    """The same set in traditional characters, documents, questions and answers alike."""
    to_trad = traditional_converter().convert
    questions = [
        GoldQuestion(q.id, to_trad(q.question), tuple(to_trad(a) for a in q.answers), q.doc)
        for q in gold.questions
    ]
    documents = [(name, to_trad(text)) for name, text in gold.documents or []]
    return GoldSet(questions, documents or None)


def normalize(text: str) -> str:
    """White space ignored, traditional read as simplified."""
    return simplified(_SPACE.sub("", text))


def load_gold(path: Path) -> GoldSet:
    """Our JSONL format, or a SQuAD-style JSON file whose paragraphs become documents."""
    raw = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".jsonl":
        questions = []
        for n, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            item = json.loads(line)
            questions.append(
                GoldQuestion(
                    str(item.get("id", n)),
                    item["question"],
                    tuple(item["answers"]),
                    item.get("doc", ""),
                    None if item.get("chat") is None else str(item["chat"]),
                )
            )
        return GoldSet(questions)
    data = json.loads(raw)
    questions, documents = [], []
    for article in data["data"]:
        title = article.get("title", "")
        for p, para in enumerate(article["paragraphs"]):
            name = f"{para.get('id', f'{title}_{p}')}.txt"
            documents.append((name, f"{title}\n\n{para['context']}\n"))
            for qa in para["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                questions.append(GoldQuestion(qa["id"], qa["question"], answers, name))
    return GoldSet(questions, documents)


def _hit(result: Result, gold: GoldQuestion, text: str) -> bool:
    return result.doc == gold.doc and any(normalize(a) in normalize(text) for a in gold.answers)


def _short_hit(short: str, gold: GoldQuestion) -> bool:
    """A short answer is right when a gold answer holds it or it holds a gold answer."""
    mine = normalize(short)
    return any(mine in normalize(a) or normalize(a) in mine for a in gold.answers)


def evaluate(
    gold: list[GoldQuestion],
    ask: Callable[[str], Answer],
    in_chat: Callable[[str, str], Answer] | None = None,
) -> Metrics:
    """The figures over gold questions, asked in their order: a line with a `chat` is asked in
    that conversation through `in_chat` (chat, question) when given, so it may lean on the
    lines of the same chat before it."""
    aiq1 = aiq3 = hl1 = rr = 0.0
    answerable = [q for q in gold if q.answers]
    unanswerable = len(gold) - len(answerable)
    spoke = short_asked = short_given = short_right = 0
    for q in gold:
        if q.chat is not None and in_chat is not None:
            answer = in_chat(q.chat, q.question)
        else:
            answer = ask(q.question)
        if not q.answers:
            spoke += bool(answer.results)
            continue
        if asked_kind(fold(q.question)):
            short_asked += 1
            if answer.short:
                short_given += 1
                short_right += _short_hit(answer.short, q)
        results = answer.results[:10]
        ranks = [k for k, r in enumerate(results, start=1) if _hit(r, q, r.quote)]
        first = ranks[0] if ranks else None
        aiq1 += first == 1
        aiq3 += first is not None and first <= 3
        rr += 1 / first if first else 0.0
        hl1 += bool(results) and _hit(results[0], q, results[0].highlight)
    n = max(len(answerable), 1)
    return Metrics(
        len(answerable),
        aiq1 / n,
        aiq3 / n,
        rr / n,
        hl1 / n,
        unanswerable,
        spoke,
        short_asked,
        short_given,
        short_right,
    )
