"""Rank passages for a question and cut the quote that answers it.

Chunks are ranked with rank-bm25 over their own tokens and their headline's; the words of the
question that a chunk lacks but its article or document holds add a share of their weight, so
the city or body named only in a title still decides between near-identical passages.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

from rank_bm25 import BM25L, BM25Okapi, BM25Plus

from index import store
from index.build import signature
from index.config import Config
from index.document import Document
from index.quote import span_text
from index.tokenize import Tokenizer

CANDIDATES = 30
MAX_QUESTION_CHARS = 1000
TOPIC_SHARE = 0.01
NEIGHBOURHOOD = 20
_PAGE_BREAK = re.compile("\f")
_VARIANTS = {"okapi": BM25Okapi, "plus": BM25Plus, "l": BM25L}


@dataclass(frozen=True)
class Result:
    doc: str
    title: str
    quote: str
    highlight: str
    score: float
    paragraph: int
    doc_index: int
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


@dataclass(frozen=True)
class _Chunk:
    doc: int
    index: int  # within its document
    first: int
    last: int
    tokens: frozenset[str]


class Searcher:
    """An opened index: every structure needed to answer held in memory."""

    def __init__(
        self, docs: list[Document], config: Config, tokenizer: Tokenizer, generation: int = 0
    ) -> None:
        self.docs = docs
        self.generation = generation  # of the index on disk this was loaded from
        self.config = config
        self.tokenizer = tokenizer
        rank = config.ranking
        self.chunks: list[_Chunk] = []
        corpus: list[list[str]] = []
        self.article_tokens: dict[tuple[int, int], set[str]] = {}
        self.doc_tokens: list[set[str]] = []
        for d, doc in enumerate(docs):
            seen_doc: set[str] = set()
            for k, c in enumerate(doc.chunks):
                body = [t for s in doc.sentences[c.first : c.last + 1] for t in s.tokens]
                tokens = body + list(c.context) * rank.headline_weight if rank.headline else body
                corpus.append(tokens)
                self.chunks.append(_Chunk(d, k, c.first, c.last, frozenset(tokens)))
                article = doc.sentences[c.first].article
                self.article_tokens.setdefault((d, article), set()).update(tokens)
                seen_doc.update(tokens)
            self.doc_tokens.append(seen_doc)
        self.postings: dict[str, list[int]] = {}
        for i, tokens in enumerate(corpus):
            for t in set(tokens):
                self.postings.setdefault(t, []).append(i)
        self.bm25 = _VARIANTS[rank.variant](corpus, k1=rank.k1, b=rank.b) if corpus else None
        self.page_breaks = [[m.start() for m in _PAGE_BREAK.finditer(d.text)] for d in docs]
        self.unknown_idf = math.log((len(corpus) + 0.5) / 0.5) if corpus else 1.0

    @classmethod
    def open(cls, index_dir: Path, config: Config, tokenizer: Tokenizer) -> Searcher:
        conn = store.connect(index_dir)
        try:
            if store.get_meta(conn, "signature") != signature(config, tokenizer):
                raise store.IndexUnavailable(
                    f"the index at {index_dir} was built with other tokenizer or chunk settings:"
                    " run `qabot index` again"
                )
            docs = store.load_documents(conn)
            generation = store.generation(conn)
        finally:
            conn.close()
        return cls(docs, config, tokenizer, generation)

    @property
    def passage_count(self) -> int:
        return len(self.chunks)

    def _page(self, doc: int, offset: int) -> int | None:
        breaks = self.page_breaks[doc]
        return bisect.bisect(breaks, offset) + 1 if breaks else None

    def sources(self) -> list[DocumentSummary]:
        return [
            DocumentSummary(
                d.id,
                d.name,
                len(d.articles),
                len(d.chunks),
                tuple(a.title for a in d.articles if a.title),
            )
            for d in self.docs
        ]

    def context(self, result: Result, max_chars: int) -> Result:
        """The whole paragraphs a result quotes from, cut at sentences if they are too long."""
        doc = self.docs[result.doc_index]
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
        if self.bm25 is None:
            return 0.0
        value = self.bm25.idf.get(token)
        return self.unknown_idf if value is None else max(value, 0.0)

    def search(self, question: str, limit: int | None = None) -> Answer:
        limit = self.config.answers.top_k if limit is None else limit
        if not question.strip():
            return Answer(question, [], "The question is empty.")
        # A question too long to be one is searched by its start, so the search stays fast.
        words = self.tokenizer.query_tokens(question[:MAX_QUESTION_CHARS])
        terms = list(dict.fromkeys(words))
        if not terms:
            return Answer(question, [], "The question has no words to search for.")
        if self.bm25 is None:
            return Answer(question, [], "The index holds no documents yet.")
        weights = {t: self.idf(t) for t in terms}
        total = sum(weights.values()) or 1.0
        candidates = sorted({i for t in terms for i in self.postings.get(t, ())})
        if not candidates:
            return Answer(question, [])
        scores = self.bm25.get_batch_scores(terms, candidates)
        lam = self.config.ranking.context_weight
        ranked = []
        for i, score in zip(candidates, scores, strict=True):
            c = self.chunks[i]
            article = self.docs[c.doc].sentences[c.first].article
            art_tokens = self.article_tokens[(c.doc, article)]
            doc_tokens = self.doc_tokens[c.doc]
            bonus = 0.0
            for t in terms:
                if t in c.tokens:
                    continue
                if t in art_tokens:
                    bonus += weights[t]
                elif t in doc_tokens:
                    bonus += weights[t] / 2
            ranked.append((score + lam * bonus, i))
        ranked.sort(key=lambda pair: (-pair[0], pair[1]))
        results: list[Result] = []
        shown: set[tuple[int, int]] = set()  # (document, sentence) already quoted
        for score, i in ranked[:CANDIDATES]:
            if len(results) >= limit:
                break
            result = self._quote(self.chunks[i], score, weights, total, shown)
            if result is not None:
                results.append(result)
                shown.update((result.doc_index, s) for s in range(result.first, result.last + 1))
        return Answer(question, results)

    def _quote(
        self,
        chunk: _Chunk,
        score: float,
        weights: dict[str, float],
        total: float,
        shown: set[tuple[int, int]],
    ) -> Result | None:
        """The chunk's best sentence, widened with its neighbours up to the quote length.

        Sentences an earlier result already quotes are left out, so results never repeat.
        """
        doc = self.docs[chunk.doc]
        sents = doc.sentences
        # Words of the headline name the article's topic: every sentence is about it, so they
        # only break ties between sentences and the question's other words pick the answer.
        topic = set(doc.chunks[chunk.index].context)

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

        fresh = [s for s in range(chunk.first, chunk.last + 1) if (chunk.doc, s) not in shown]
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
                    and (chunk.doc, s) not in shown
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
            doc_index=chunk.doc,
            first=lo,
            last=hi,
            sentence=best,
            page=self._page(chunk.doc, sents[best].start),
        )
