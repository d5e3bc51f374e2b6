"""Rank passages for a question and cut the quote that answers it.

Chunks are ranked with rank-bm25 over their own tokens and their headline's; the words of the
question that a chunk lacks but its article or document holds add a share of their weight, so
the city or body named only in a title still decides between near-identical passages.
"""

from __future__ import annotations

import functools
import math
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

from index import store, tantivy_engine
from index.build import require_current
from index.config import Config
from index.document import Document
from index.engine import Engine, chosen, layout, ranked_tokens
from index.memory_engine import MemoryEngine
from index.quote import span_text
from index.tantivy_engine import TantivyEngine
from index.tokenize import Tokenizer

RERANK = 50  # passages the engine returns, re-ranked with their article and document context
CANDIDATES = 30  # of those, the best that may be quoted
MAX_QUESTION_CHARS = 1000
TOPIC_SHARE = 0.01
NEIGHBOURHOOD = 20
DOCUMENT_CACHE = 256
COMMON_POSTINGS = 50_000
READ_CACHE_KB = 32000  # SQLite's page cache per search thread; its default is 2 MB
BM25PLUS_DELTA = 1.0


@dataclass(frozen=True)
class Result:
    doc: str
    title: str
    quote: str
    highlight: str
    score: float
    paragraph: int
    doc_id: int
    first: int  # sentence range of the quote, for widening it later
    last: int
    sentence: int  # the highlighted sentence
    page: int | None = None  # for paged documents (PDF): the page of the highlighted sentence


@dataclass(frozen=True)
class DocumentSummary:
    """One indexed document as a user may see it."""

    id: int
    name: str
    articles: int
    passages: int
    titles: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    question: str
    results: list[Result]
    note: str = ""  # why the question could not be searched at all, for the user


class Searcher:
    """An opened index: a ranking engine, and the stored rows read as questions need them.

    Documents a quote is cut from are read from SQLite and kept in a small cache, so memory
    does not grow with the collection. Searches may run in several threads at once.
    """

    def __init__(
        self, index_dir: Path, config: Config, tokenizer: Tokenizer, engine: Engine
    ) -> None:
        self.index_dir = index_dir
        self.config = config
        self.tokenizer = tokenizer
        self.engine = engine
        self._local = threading.local()
        conn = self._conn()
        self.generation = store.generation(conn)  # of the index on disk this was opened at
        self.counts = store.counts(conn)
        rank = config.ranking
        self._weight = rank.headline_weight if rank.headline else 0
        self._mean_length = store.mean_length(conn, self._weight)
        self._documents: OrderedDict[int, Document] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def open(cls, index_dir: Path, config: Config, tokenizer: Tokenizer) -> Searcher:
        conn = store.connect(index_dir)
        try:
            require_current(conn, index_dir, config, tokenizer)
            generation = store.generation(conn)
            name = chosen(config.index, store.counts(conn).passages)
            engine: Engine
            if name == "tantivy":
                if tantivy_engine.marker(index_dir) != (generation, layout(config.ranking)):
                    raise tantivy_engine.EngineBehind(
                        f"the tantivy index at {index_dir} is behind the stored documents:"
                        " run `qabot index` again"
                    )
                engine = TantivyEngine(index_dir)
            else:
                passages = (
                    (pid, ranked_tokens(body, context, config.ranking))
                    for pid, _, body, context in store.passage_tokens(conn)
                )
                engine = MemoryEngine(passages, config.ranking)
        finally:
            conn.close()
        return cls(index_dir, config, tokenizer, engine)

    def _conn(self) -> sqlite3.Connection:
        """One connection per thread: the search threads read at the same time."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = store.connect(self.index_dir)
            conn.execute(f"PRAGMA cache_size=-{READ_CACHE_KB}")
        return conn

    def document(self, doc_id: int) -> Document:
        with self._lock:
            doc = self._documents.get(doc_id)
            if doc is not None:
                self._documents.move_to_end(doc_id)
                return doc
        doc = store.load_document(self._conn(), doc_id)
        if doc is None:
            raise store.IndexUnavailable(f"document {doc_id} is gone from the index: reload it")
        with self._lock:
            self._documents[doc_id] = doc
            while len(self._documents) > DOCUMENT_CACHE:
                self._documents.popitem(last=False)
        return doc

    @property
    def passage_count(self) -> int:
        return self.counts.passages

    @property
    def document_count(self) -> int:
        return self.counts.documents

    @staticmethod
    def _page(doc: Document, offset: int) -> int | None:
        if "\f" not in doc.text:
            return None
        return doc.text.count("\f", 0, offset) + 1

    def sources(self) -> list[DocumentSummary]:
        return [
            DocumentSummary(doc_id, name, articles, passages, tuple(titles))
            for doc_id, name, articles, passages, titles in store.summaries(self._conn())
        ]

    def context(self, result: Result, max_chars: int) -> Result:
        """The whole paragraphs a result quotes from, cut at sentences if they are too long."""
        doc = self.document(result.doc_id)
        sents = doc.sentences
        first, last = sents[result.first], sents[result.last]
        lo, hi = result.first, result.last

        def inside(s: int) -> bool:
            return (
                0 <= s < len(sents)
                and sents[s].article == first.article
                and first.paragraph <= sents[s].paragraph <= last.paragraph
            )

        grew = True
        while grew:
            grew = False
            for s in (lo - 1, hi + 1):
                wide_lo, wide_hi = min(lo, s), max(hi, s)
                if inside(s) and sents[wide_hi].stop - sents[wide_lo].start <= max_chars:
                    lo, hi, grew = wide_lo, wide_hi, True
        return replace(result, quote=span_text(doc, lo, hi), first=lo, last=hi)

    def idf(self, token: str) -> float:
        return self.engine.idf(token)

    def search(self, question: str, limit: int | None = None) -> Answer:
        limit = self.config.answers.top_k if limit is None else limit
        if not question.strip():
            return Answer(question, [], "The question is empty.")
        # A question too long to be one is searched by its start, so the search stays fast.
        words = self.tokenizer.query_tokens(question[:MAX_QUESTION_CHARS])
        terms = list(dict.fromkeys(words))
        if not terms:
            return Answer(question, [], "The question has no words to search for.")
        if not self.engine.size:
            return Answer(question, [], "The index holds no documents yet.")
        weights = {t: self.idf(t) for t in terms}
        total = sum(weights.values()) or 1.0
        hashes = {t: store.term_hash(t) for t in terms}
        probe = self._probe(terms, weights)
        hits = self.engine.top(probe, RERANK)
        # Candidates the engine scored by other BM25 settings, or by part of the question only,
        # are scored here from their stored word counts.
        rescore = not self.engine.exact or len(probe) < len(terms)
        rows = store.passages(self._conn(), [pid for _, pid in hits])
        lam = self.config.ranking.context_weight
        ranked = []
        for order, (score, pid) in enumerate(hits):
            passage = rows.get(pid)
            if passage is None:  # removed since the engine was opened
                continue
            body = {t: passage.count(t) for t in terms}
            head = {t: passage.context.count(t) for t in terms}
            if rescore:
                score = self._score(passage, body, head, weights)
            bonus = 0.0
            for t, h in hashes.items():
                if body[t] or head[t]:
                    continue
                if store.holds(passage.article_terms, h):
                    bonus += weights[t]
                elif store.holds(passage.doc_terms, h):
                    bonus += weights[t] / 2
            ranked.append((score + lam * bonus, order, passage))
        ranked.sort(key=lambda item: (-item[0], item[1]))
        results: list[Result] = []
        shown: set[tuple[int, int]] = set()  # (document, sentence) already quoted
        for score, _, passage in ranked[:CANDIDATES]:
            if len(results) >= limit:
                break
            result = self._quote(passage, score, weights, total, shown)
            if result is not None:
                results.append(result)
                shown.update((result.doc_id, s) for s in range(result.first, result.last + 1))
        return Answer(question, results)

    def _probe(self, terms: list[str], weights: dict[str, float]) -> list[str]:
        """The words that pick candidates: all but those in more than COMMON_POSTINGS passages.

        In an archive a common word (年, 公司, `#个`) touches hundreds of thousands of passages
        and costs the engine more than the rest of the question; it still counts in the score
        of every candidate the other words find. A question of common words only keeps them.
        """
        floor = math.log((self.engine.size + 1) / COMMON_POSTINGS)
        rare = [t for t in terms if weights[t] >= floor]
        return rare or terms

    def _score(
        self,
        passage: store.Passage,
        body: dict[str, int],
        head: dict[str, int],
        weights: dict[str, float],
    ) -> float:
        """BM25Plus with the configured k1 and b, as rank-bm25 computes it.

        `body` and `head` count each question word in the passage and in its headline.
        """
        rank = self.config.ranking
        length = passage.length + self._weight * len(passage.context)
        norm = rank.k1 * (1 - rank.b + rank.b * length / (self._mean_length or 1.0))
        score = 0.0
        for t, idf in weights.items():
            tf = body[t] + self._weight * head[t]
            score += idf * (BM25PLUS_DELTA + tf * (rank.k1 + 1) / (norm + tf))
        return score

    def _quote(
        self,
        chunk: store.Passage,
        score: float,
        weights: dict[str, float],
        total: float,
        shown: set[tuple[int, int]],
    ) -> Result | None:
        """The chunk's best sentence, widened with its neighbours up to the quote length.

        Sentences an earlier result already quotes are left out, so results never repeat.
        """
        doc = self.document(chunk.doc_id)
        sents = doc.sentences
        # Words of the headline name the article's topic: every sentence is about it, so they
        # only break ties between sentences and the question's other words pick the answer.
        topic = set(chunk.context)

        # A word in most sentences around here says little about which one answers.
        art = sents[chunk.first].article
        around = [
            x.tokens
            for x in sents[max(0, chunk.first - NEIGHBOURHOOD) : chunk.last + NEIGHBOURHOOD + 1]
            if x.article == art
        ]
        local = {
            t: math.log((len(around) + 1) / max(1, sum(t in toks for toks in around)))
            for t in weights
        }

        @functools.cache
        def value(s: int) -> float:
            return sum(
                w * local[t] * (TOPIC_SHARE if t in topic else 1.0)
                for t, w in weights.items()
                if t in sents[s].tokens
            )

        fresh = [s for s in range(chunk.first, chunk.last + 1) if (chunk.doc_id, s) not in shown]
        if not fresh:
            return None
        best = max(fresh, key=lambda s: (value(s), -s))
        article = sents[best].article
        budget = self.config.answers.quote_chars
        lo = hi = best
        while True:
            options = []
            for s in (lo - 1, hi + 1):
                if (
                    0 <= s < len(sents)
                    and sents[s].article == article
                    and (chunk.doc_id, s) not in shown
                ):
                    first, last = min(lo, s), max(hi, s)
                    if sents[last].stop - sents[first].start <= budget:
                        # Prefer sentences that match, then the chunk's own, then what follows.
                        inside = chunk.first <= s <= chunk.last
                        options.append((value(s), inside, s == hi + 1, s))
            if not options:
                break
            s = max(options)[3]
            lo, hi = min(lo, s), max(hi, s)
        # The answer may sit in a neighbour the window took in: pick the best of the window.
        best = max(range(lo, hi + 1), key=lambda s: (value(s), -s))
        matched: set[str] = set()
        for s in range(lo, hi + 1):
            matched.update(sents[s].tokens)
        matched.update(topic)
        coverage = sum(w for t, w in weights.items() if t in matched) / total
        if coverage < self.config.ranking.min_coverage:
            return None
        title = doc.articles[article].title
        return Result(
            doc=doc.name,
            title=title,
            quote=span_text(doc, lo, hi),
            highlight=span_text(doc, best, best),
            score=round(float(score), 4),
            paragraph=sents[best].paragraph,
            doc_id=chunk.doc_id,
            first=lo,
            last=hi,
            sentence=best,
            page=self._page(doc, sents[best].start),
        )
