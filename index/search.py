"""Rank passages for a question and cut the quote that answers it.

Chunks are ranked with rank-bm25 over their own tokens and their headline's; the words of the
question that a chunk lacks but its article or document holds add a share of their weight, so
the city or body named only in a title still decides between near-identical passages.
"""

from __future__ import annotations

import math
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path

from index import store, tantivy_engine
from index.answerable import need, speaks_of
from index.build import require_current
from index.cache import Budgeted, one
from index.config import Config
from index.document import Document
from index.engine import Engine, chosen, layout, ranked_tokens
from index.features import (
    PASSAGE_FEATURES,
    SENTENCE_FEATURES,
    Facts,
    Question,
    sentence_features,
)
from index.memory_engine import MemoryEngine
from index.quote import span_text
from index.ranker import DEFAULT_WEIGHTS, Model
from index.short import asked_kind, short_answer
from index.tantivy_engine import TantivyEngine
from index.tokenize import Tokenizer, fold

RERANK = 30  # passages the engine returns, re-ranked with their article and document context
CANDIDATES = 30  # of those, the best that may be quoted
SHORTLIST = 4  # of those, the best that the model reads sentence by sentence and reorders
# The place given to the first result's article's next passage, before other articles' next
# ones: the article that answers best often says what its first quote left out further on.
# Third, not second, keeps the second-best article where it was. On the trial set among 20,000
# made-up passages (as the fit indexes it), the answer among the first three 938 → 943 of 1,002
# questions either way, MRR@10 0.9123 → 0.9147 third, 0.9144 second.
MORE_OF_FIRST = 3
MARGIN_ALONE = 5.0  # the margin of a candidate with none after it
COVERAGE = PASSAGE_FEATURES.index("coverage")
MATCHED = SENTENCE_FEATURES.index("s_coverage")
MAX_QUESTION_CHARS = 1000
NEIGHBOURHOOD = 20
# Loaded documents kept, by their characters: about 250 bytes a character once loaded with their
# sentences' words, so some 250 MB at most, a whole small collection or the pages in use of a
# large one.
DOCUMENT_CHARS = 1_000_000
PASSAGE_CACHE = 20_000  # passages kept as read from SQLite: about 1.5 kB each
COMMON_POSTINGS = 50_000
READ_CACHE_KB = 32000  # SQLite's page cache per search thread; its default is 2 MB
BM25PLUS_DELTA = 1.0

# Why a question could not be searched; the interface shows each in the reader's language.
EMPTY_QUESTION = "The question is empty."
NO_WORDS = "The question has no words to search for."
NO_DOCUMENTS = "The index holds no documents yet."


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
    confidence: float = 1.0  # the model's chance that the quote holds the answer
    evidence: tuple[float, ...] = field(default=(), compare=False, repr=False)  # its inputs
    short: str | None = field(default=None, compare=False, repr=False)  # cut from the highlight


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
    short: str | None = None  # 7次, 1977年8月: cut from the first highlight (index/short.py)


def _characters(doc: Document) -> int:
    return len(doc.text)


@contextmanager
def unreadable_as_unavailable() -> Iterator[None]:
    """SQLite's errors as the one failure the callers handle: the index cannot be read."""
    try:
        yield
    except sqlite3.Error as exc:
        raise store.IndexUnavailable(f"the index could not be read ({exc})") from exc


class Searcher:
    """An opened index: a ranking engine, and the stored rows read as questions need them.

    Documents a quote is cut from are read from SQLite (their words one article at a time) and
    kept up to a budget of characters, so memory does not grow with the collection. Searches
    may run in several threads at once.
    """

    def __init__(
        self,
        index_dir: Path,
        config: Config,
        tokenizer: Tokenizer,
        engine: Engine,
        words: store.Words | None = None,  # the vocabulary, when the caller has read it
    ) -> None:
        self.index_dir = index_dir
        self.config = config
        self.tokenizer = tokenizer
        self.engine = engine
        self.model = Model.load(config.search.model or DEFAULT_WEIGHTS)
        # jieba's places and people, read now (0.1 s) rather than at the first question.
        self.tags = tokenizer.tags
        self._local = threading.local()
        conn = self._conn()
        self.words = words if words is not None else store.Words(conn)
        self.generation = store.generation(conn)  # of the index on disk this was opened at
        self.counts = store.counts(conn)
        rank = config.ranking
        self._weight = rank.headline_weight if rank.headline else 0
        self._mean_length = store.mean_length(conn, self._weight)
        self._documents: Budgeted[int, Document] = Budgeted(DOCUMENT_CHARS, _characters)
        self._passages: Budgeted[int, store.Passage] = Budgeted(PASSAGE_CACHE, one)
        self._lock = threading.Lock()  # one thread at a time adds words to a kept document

    @classmethod
    def open(
        cls,
        index_dir: Path,
        config: Config,
        tokenizer: Tokenizer,
        previous: Searcher | None = None,
    ) -> Searcher:
        """The index as it is on disk. `previous`, a searcher of the same folder, lends its
        vocabulary, so that opening again after a change costs the change."""
        with unreadable_as_unavailable():
            return cls._open(index_dir, config, tokenizer, previous)

    @classmethod
    def _open(
        cls, index_dir: Path, config: Config, tokenizer: Tokenizer, previous: Searcher | None
    ) -> Searcher:
        conn = store.connect(index_dir)
        try:
            require_current(conn, index_dir, config, tokenizer)
            words = store.Words.since(previous.words if previous is not None else None, conn)
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
                    (p.id, p.doc_id, p.article, ranked_tokens(p.body, p.context, config.ranking))
                    for p in store.passage_tokens(conn, words)
                )
                engine = MemoryEngine(passages, config.ranking)
        finally:
            conn.close()
        return cls(index_dir, config, tokenizer, engine, words)

    def _conn(self) -> sqlite3.Connection:
        """One connection per thread: the search threads read at the same time."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = store.connect(self.index_dir)
            conn.execute(f"PRAGMA cache_size=-{READ_CACHE_KB}")
        return conn

    def document(self, doc_id: int, article: int | None = None) -> Document:
        """A document's text and structure; with `article`, the words of that article's
        sentences, which are all a passage's features and quote read. Without, no words:
        the text alone says what a page mentions, and the spans how far a quote may grow."""
        doc = self._documents.get(doc_id)
        if doc is None:
            wanted = () if article is None else (article,)
            doc = store.load_document(self._conn(), self.words, doc_id, wanted)
            if doc is None:
                raise store.IndexUnavailable(f"document {doc_id} is gone from the index: reload it")
            self._documents.put(doc_id, doc)
        elif article is not None and doc.worded is not None and article not in doc.worded:
            with self._lock:
                store.add_article_words(self._conn(), self.words, doc, article)
        return doc

    def _read_passages(self, ids: list[int]) -> dict[int, store.Passage]:
        """The passages of these ids, by id: those kept from earlier questions, the rest read in
        one query. Passage ids are never used again, so a kept passage is the stored one; one
        removed since stays until the index is opened again, as the engine's postings do."""
        found: dict[int, store.Passage] = {}
        missing = []
        for pid in ids:
            passage = self._passages.get(pid)
            if passage is None:
                missing.append(pid)
            else:
                found[pid] = passage
        for pid, passage in store.passages(self._conn(), self.words, missing).items():
            self._passages.put(pid, passage)
            found[pid] = passage
        return found

    @staticmethod
    def _facts(doc: Document, q: Question) -> Callable[[int], Facts]:
        """A sentence's Facts, made once per loaded document."""

        def facts(s: int) -> Facts:
            found = doc.facts.get(s)
            if found is None:
                sent = doc.sentences[s]
                text = doc.text[sent.start : sent.stop]
                found = doc.facts[s] = Facts(sent.tokens, q.tags, lambda: fold(text))
            return found

        return facts

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
        with unreadable_as_unavailable():
            return [
                DocumentSummary(doc_id, name, articles, passages, tuple(titles))
                for doc_id, name, articles, passages, titles in store.summaries(self._conn())
            ]

    def context(self, result: Result, max_chars: int) -> Result:
        """The whole paragraphs a result quotes from, cut at sentences if they are too long."""
        with unreadable_as_unavailable():
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

    def search(self, question: str, limit: int | None = None, focus: Sequence[str] = ()) -> Answer:
        """The passages that answer a question, best first. With `focus` (names a follow-up
        question put in place of others: `晋中` for `长治`), only documents that mention
        each of them are quoted."""
        with unreadable_as_unavailable():
            return self._search(question, limit, focus)

    def _search(self, question: str, limit: int | None, focus: Sequence[str] = ()) -> Answer:
        limit = self.config.answers.top_k if limit is None else limit
        names = [folded for folded in (fold(name).strip() for name in focus) if folded]
        ranking = self.candidates(question, SHORTLIST)
        if ranking.note:
            return Answer(question, [], ranking.note)
        q = ranking.question
        results: list[Result] = []
        # Quotes that cannot hold what the question asks: none is the answer, but after every
        # one that can they are still more to read.
        spare: list[Result] = []
        shown: set[tuple[int, int]] = set()  # (document, sentence) already quoted
        floor = self.config.ranking.min_coverage
        needed = need(q.folded)
        years = needed.years if needed else ()
        about: dict[int, bool] = {}  # document id: whether the question may be about it

        def elsewhere(doc_id: int) -> bool:
            """A document the question is not about: it does not name the follow-up's names,
            or does not speak of a year the question names."""
            if not (names or years):
                return False
            found = about.get(doc_id)
            if found is None:
                text = self.document(doc_id).text
                found = about[doc_id] = (not names or all(n in fold(text) for n in names)) and (
                    not years or speaks_of(text, years)
                )
            return not found

        def skipped(p: store.Passage, features: list[float]) -> bool:
            """Quoted whole already, too far from the question to be quoted at all, or with
            nothing within a quote's reach that the question needs: not worth reading."""
            if features[COVERAGE] < floor:
                return True
            if elsewhere(p.doc_id):
                return True
            if needed and not needed.met(self._reach(p), self.tokenizer):
                return True
            return _quoted_whole(p, shown)

        def show(result: Result) -> None:
            results.append(result)
            shown.update((result.doc_id, s) for s in range(result.first, result.last + 1))

        for cand in ranking.ordered(self._candidate, skipped):
            if len(results) >= limit:
                break
            if elsewhere(cand.passage.doc_id):
                continue
            result = self._quote(q, cand, shown)
            if result is None:
                continue
            if needed and not needed.met(result.quote, self.tokenizer):
                spare.append(result)
                continue
            if not results and result.confidence < self.config.search.min_confidence:
                break
            show(result)
            if len(results) == MORE_OF_FIRST - 1 and len(results) < limit:
                more = self._more_of_first(ranking, results[0], shown)
                if more is not None and (not needed or needed.met(more.quote, self.tokenizer)):
                    show(more)
        for result in spare if results else []:
            if len(results) >= limit:
                break
            if not any((result.doc_id, s) in shown for s in range(result.first, result.last + 1)):
                show(result)
        return Answer(question, results, short=results[0].short if results else None)

    def _reach(self, p: store.Passage) -> str:
        """The text any quote of the passage lies within: the passage and a quote's length of
        its document on either side."""
        doc = self.document(p.doc_id)
        budget = self.config.answers.quote_chars
        start, stop = doc.sentences[p.first].start, doc.sentences[p.last].stop
        return doc.text[max(0, start - budget) : stop + budget]

    def _more_of_first(
        self, ranking: Ranking, first: Result, shown: set[tuple[int, int]]
    ) -> Result | None:
        """The next passage of the first result's article that quotes something new: the
        shortlist's in the model's order, then the rest's in BM25 order."""
        q = ranking.question
        article = self.document(first.doc_id).sentences[first.sentence].article

        def mine(p: store.Passage) -> bool:
            return p.doc_id == first.doc_id and p.article == article

        for cand in ranking.shortlist:
            if mine(cand.passage) and (result := self._quote(q, cand, shown)) is not None:
                return result
        for passage, features, on_page in ranking.rest:
            if not mine(passage) or _quoted_whole(passage, shown):
                continue
            if result := self._quote(q, self._candidate(q, passage, features, on_page), shown):
                return result
        return None

    def candidates(self, question: str, shortlist: int) -> Ranking:
        """The passages worth quoting, the best `shortlist` of them ordered by the model.

        The engine proposes RERANK passages, scored again with BM25 and their context; the
        best `shortlist` of those are read sentence by sentence and ordered by the model, and
        the next ones up to CANDIDATES follow in their BM25 order, read only if they are
        quoted. The note says why nothing could be searched, for the user.
        """
        tok = self.tokenizer

        def nothing(note: str) -> Ranking:
            return Ranking(Question.make("", [], [], {}, set(), tok.specificity, {}), [], [], note)

        if not question.strip():
            return nothing(EMPTY_QUESTION)
        # A question too long to be one is searched by its start, so the search stays fast.
        head = question[:MAX_QUESTION_CHARS]
        folded, words, cues = tok.query(head)
        terms = list(dict.fromkeys(words + cues))
        if not terms:
            return nothing(NO_WORDS)
        if not self.engine.size:
            return nothing(NO_DOCUMENTS)
        weights = {t: self.idf(t) for t in terms}
        # A word the index has never seen weighs more than any it has.
        unseen = {t for t, w in weights.items() if w > math.log(self.engine.size + 1) + 1e-9}
        # What the answer may hold (位于 for 在哪, `#个` for 几个) but no passage does is not
        # looked for: it would only weigh down every passage's share of the question.
        hoped = (set(cues) - set(words)) | {t for t in words if t.startswith("#")}
        if unseen & hoped and not unseen >= set(terms):
            terms = [t for t in terms if t not in unseen or t not in hoped]
            weights = {t: weights[t] for t in terms}
            unseen -= hoped
        q = Question.make(folded, terms, words, weights, unseen, tok.specificity, self.tags)
        probe = self._probe(terms, weights)
        hits = self.engine.top(probe, RERANK)
        # Candidates the engine scored by other BM25 settings, or by part of the question only,
        # are scored here from their stored word counts.
        rescore = not self.engine.exact or len(probe) < len(terms)
        rows = self._read_passages([pid for _, pid in hits])
        # All the question's words counted in all the passages in one step: counting is most
        # of the cost.
        ids = self.words.ids(terms, self._conn())
        found = store.count_in(list(rows.values()), ids)
        counted = {
            pid: (
                dict(zip(terms, row, strict=True)),
                {t: p.context.count(t) for t in terms},
            )
            for (pid, p), row in zip(rows.items(), found, strict=True)
        }
        held: dict[str, tuple[set[tuple[int, int]], set[int]]] = {}

        def places(t: str) -> tuple[set[tuple[int, int]], set[int]]:
            """The candidates' articles and documents that hold a word, asked once a word: of
            the engine only for the documents whose candidates' articles do not show it."""
            if t not in held:
                shown = {
                    (p.doc_id, p.article)
                    for pid, p in rows.items()
                    if counted[pid][0][t] or counted[pid][1][t]
                }
                unsure = {p.doc_id for p in rows.values() if (p.doc_id, p.article) not in shown}
                articles = self.engine.places(t, unsure) | shown
                held[t] = (articles, {d for d, _ in articles})
            return held[t]

        lam = self.config.ranking.context_weight
        ranked = []
        for score, pid in hits:
            passage = rows.get(pid)
            if passage is None:  # removed since the engine was opened
                continue
            body, head_counts = counted[pid]
            if rescore:
                score = self._score(passage, body, head_counts, weights)
            bonus = covered = core = 0.0
            around: set[str] = set()  # the question's own words on the passage's page
            for t in terms:
                if body[t] or head_counts[t]:
                    covered += weights[t]
                    if t in q.core:
                        core += weights[t]
                        around.add(t)
                    continue
                if t not in q.core:  # a cue or an answer type says nothing of the topic
                    continue
                articles, pages = places(t)
                if (passage.doc_id, passage.article) in articles:
                    bonus += weights[t]
                    around.add(t)
                    continue
                if passage.doc_id in pages:
                    bonus += weights[t] / 2
                    around.add(t)
            ranked.append(
                (
                    score + lam * bonus,
                    passage,
                    score,
                    covered,
                    core,
                    bonus,
                    body,
                    head_counts,
                    around,
                )
            )
        # Ties go by passage id, not by the engine's order, so both engines rank alike.
        ranked.sort(key=lambda item: (-item[0], item[1].id))
        baseline = BM25PLUS_DELTA * q.total
        scored = []
        best = 0.0
        for place, row in enumerate(ranked[:CANDIDATES]):
            _, passage, bm25, covered, core, bonus, body, head_counts, around = row
            # The features see BM25Plus as computed here whichever engine ranked, so that both
            # engines give the model the same numbers (rank-bm25 leaves out unknown words).
            if not rescore:
                bm25 = self._score(passage, body, head_counts, weights)
            best = best or bm25 + lam * bonus
            features = [
                (bm25 - baseline) / q.total,
                covered / q.total,
                core / q.core_total,
                bonus / q.total,
                (bm25 + lam * bonus) / best if best > 0 else 0.0,
                1 / (1 + place),
                _named(passage.context, weights, q.total),
            ]
            scored.append((passage, features, frozenset(around)))
        read = [self._candidate(q, *row) for row in scored[:shortlist]]
        read.sort(key=lambda c: -c.score)
        # The margin over the next passage the model read, if there is one.
        for c, following in pairwise(read):
            c.margin = c.score - following.score
        return Ranking(q, read, scored[shortlist:])

    def _candidate(
        self, q: Question, passage: store.Passage, features: list[float], on_page: frozenset[str]
    ) -> Candidate:
        """A passage with its sentences scored by the model, and its own score."""
        doc = self.document(passage.doc_id, passage.article)
        sents = doc.sentences
        # A word in most sentences around here says little about which one answers.
        art = sents[passage.first].article
        lo = max(0, passage.first - NEIGHBOURHOOD)
        hi = min(len(sents), passage.last + NEIGHBOURHOOD + 1)
        facts = self._facts(doc, q)
        wanted = q.vocabulary
        seen = dict.fromkeys(wanted, 0)
        n = 0
        for s in range(lo, hi):
            if sents[s].article == art:
                for t in facts(s).words & wanted:
                    seen[t] += 1
                n += 1
        local = {t: math.log((n + 1) / max(1, seen[t])) for t in q.weights}
        cand = Candidate(
            passage, doc, features, on_page, frozenset(passage.context), local, facts, {}, {}
        )
        x = [*features, *cand.top(self.model, q)]
        cand.score = self.model.passage_score(x)
        cand.within = self.model.within_score([*x, *cand.placed()])
        return cand

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
        q: Question,
        cand: Candidate,
        shown: set[tuple[int, int]],
    ) -> Result | None:
        """The candidate's best sentence, widened with its neighbours up to the quote length.

        Sentences an earlier result already quotes are left out, so results never repeat. The
        confidence judges the article by the passage the passage model put first in it, as it
        was fit: the within-article order picks where to quote, not whether to.
        """
        window = self._window(q, cand, shown)
        if window is None:
            return None
        lo, hi, best, matched = window
        doc, sents = cand.doc, cand.doc.sentences
        highlight = span_text(doc, *self._bold(q, cand, lo, hi, best))
        short = _short(q, doc, best)
        judged = cand.leader
        theirs = None if judged is None else self._window(q, judged, shown)
        if judged is None or theirs is None:
            evidence = self._evidence(q, cand, best, matched, short)
        else:
            _, _, j_best, j_matched = theirs
            j_short = _short(q, judged.doc, j_best)
            evidence = self._evidence(q, judged, j_best, j_matched, j_short)
        confidence = self.model.probability(list(evidence))
        return Result(
            doc=doc.name,
            title=doc.articles[sents[best].article].title,
            quote=span_text(doc, lo, hi),
            highlight=highlight,
            score=round(float(cand.score), 4),
            paragraph=sents[best].paragraph,
            doc_id=cand.passage.doc_id,
            first=lo,
            last=hi,
            sentence=best,
            page=self._page(doc, sents[best].start),
            confidence=round(confidence, 4),
            evidence=evidence,
            short=short,
        )

    def _window(
        self, q: Question, cand: Candidate, shown: set[tuple[int, int]]
    ) -> tuple[int, int, int, set[str]] | None:
        """The sentences a quote of the candidate spans, its best one and the words it holds
        with its headline's; None when nothing of it is left to show or it matches too little."""
        chunk, doc, model = cand.passage, cand.doc, self.model
        sents = doc.sentences

        def value(s: int) -> float:
            return cand.sentence_score(model, q, s)

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
                        # Prefer sentences that match, the better first; then the chunk's own,
                        # then what follows.
                        inside = chunk.first <= s <= chunk.last
                        matches = cand.sentence_features(q, s)[MATCHED] > 0
                        rank = value(s) if matches else -math.inf
                        options.append((matches, rank, inside, s == hi + 1, s))
            if not options:
                break
            s = max(options)[4]
            lo, hi = min(lo, s), max(hi, s)
        # The answer may sit in a neighbour the window took in: pick the best of the window.
        best = max(range(lo, hi + 1), key=lambda s: (value(s), -s))
        matched: set[str] = set(cand.topic)
        for s in range(lo, hi + 1):
            matched.update(sents[s].tokens)
        coverage = sum(w for t, w in q.weights.items() if t in matched) / q.total
        if coverage < self.config.ranking.min_coverage:
            return None
        return lo, hi, best, matched

    def _bold(self, q: Question, cand: Candidate, lo: int, hi: int, best: int) -> tuple[int, int]:
        """The first and last sentences of the bold: the answering one, the one before it when
        it leans on it, and a neighbour in its paragraph the model finds nearly as likely."""
        sents = cand.doc.sentences
        first = _bold_from(cand.doc, best, lo)
        bar = cand.sentence_score(self.model, q, best) - NEAR_TIE
        near = [
            (score, s)
            for s in (best - 1, best + 1)
            if lo <= s <= hi and sents[s].paragraph == sents[best].paragraph
            if (score := cand.sentence_score(self.model, q, s)) >= bar
        ]
        if not near:
            return first, best
        _, s = max(near, key=lambda n: n[0])
        return min(first, s), max(best, s)

    @staticmethod
    def _evidence(
        q: Question,
        cand: Candidate,
        best: int,
        matched: set[str],
        short: str | None,
    ) -> tuple[float, ...]:
        """CONFIDENCE_FEATURES of a quote of the candidate whose bold sentence is `best`."""
        x = cand.sentence_features(q, best)
        around = matched | cand.on_page
        return (
            cand.score,
            cand.margin,
            cand.features[PASSAGE_FEATURES.index("core")],
            x[SENTENCE_FEATURES.index("s_core")],
            x[SENTENCE_FEATURES.index("s_bigrams")],
            x[SENTENCE_FEATURES.index("s_type")],
            q.missing(around),
            q.share(around),
            q.missing(matched),
            q.share(q.unknown),
            q.specific_share(matched),
            q.specific_share(around),
            q.specific_missing(around),
            math.log1p(len(q.core)),
            x[SENTENCE_FEATURES.index("s_focus")],
            float(bool(asked_kind(q.folded)) and short is None),
            q.lost_names(around),
            x[SENTENCE_FEATURES.index("s_focus_chars")],
            x[SENTENCE_FEATURES.index("s_order")],
        )


# A neighbour whose sentence score is within this of the best one's (its chance, by the
# sentence model, at least e^-0.75 = 0.47 of the best's) is bold too: the model cannot tell
# the two apart, and the reader's eye should land on the answer. Chosen on the trial set
# alone (five-fold): a neighbour this close held the answer one time in four when the best
# did not; the next quarter point added neighbours that did one time in eight.
NEAR_TIE = 0.75

# A sentence that opens by pointing back says what follows from the one before it: bold alone,
# 因此，畜牧业发达 answers no "why", so the sentence before it is bold too.
_POINTS_BACK = re.compile(r"\s*(?:因此|所以|因而|由此|于是|从而|故此|故而)")


def _named(headline: tuple[str, ...], weights: dict[str, float], total: float) -> float:
    """How much the question names the article: the share of the headline's words it holds
    (䲟 names the page 䲟 whole, 短䲟 and 白䲟 in part), times the share of the question's weight
    they carry (关于春节放假的通知 does not ask of every page headed 通知)."""
    words = set(headline)
    held = words.intersection(weights)
    return len(held) / len(words) * sum(weights[t] for t in held) / total if held else 0.0


def _quoted_whole(passage: store.Passage, shown: set[tuple[int, int]]) -> bool:
    """Every sentence of the passage is in an earlier result's quote."""
    return all((passage.doc_id, s) in shown for s in range(passage.first, passage.last + 1))


def _bold_from(doc: Document, best: int, lo: int) -> int:
    """The first sentence of the bold: the answering one, or the one before it in the quote
    and its paragraph when the answering one leans on it."""
    sents = doc.sentences
    head = sents[best]
    leans = _POINTS_BACK.match(fold(doc.text[head.start : head.start + 8]))
    return best - 1 if leans and best > lo and sents[best - 1].paragraph == head.paragraph else best


def _short(q: Question, doc: Document, s: int) -> str | None:
    """The short answer sentence s gives, for a question that asks for one."""
    return short_answer(q.folded, span_text(doc, s, s), q.weights) if asked_kind(q.folded) else None


def _by_article(read: list[Candidate]) -> list[Candidate]:
    """The candidates with each article in the places the passage model gave its passages,
    but its own passages in the within-article model's order: passages of one article share
    their topic and context, and differ in whether a sentence of theirs answers."""
    articles: dict[tuple[int, int], list[Candidate]] = {}
    for c in read:
        articles.setdefault((c.passage.doc_id, c.passage.article), []).append(c)
    for passages in articles.values():
        leader = passages[0]
        passages.sort(key=lambda c: -c.within)
        if passages[0] is not leader:
            passages[0].leader = leader
    queues = {key: iter(passages) for key, passages in articles.items()}
    return [next(queues[c.passage.doc_id, c.passage.article]) for c in read]


@dataclass
class Ranking:
    """A question's candidates: the shortlist the model ordered, then the rest in BM25 order."""

    question: Question
    shortlist: list[Candidate]
    # The next passages, each with its PASSAGE_FEATURES and the question's own words its page holds.
    rest: list[tuple[store.Passage, list[float], frozenset[str]]]
    note: str = ""

    def ordered(
        self,
        read: Callable[[Question, store.Passage, list[float], frozenset[str]], Candidate],
        skipped: Callable[[store.Passage, list[float]], bool],
    ) -> Iterator[Candidate]:
        """The shortlist, each article's passages in the within-article model's order, then the
        rest as they are needed, less those `skipped` says."""
        yield from _by_article(self.shortlist)
        for passage, features, on_page in self.rest:
            if not skipped(passage, features):
                yield read(self.question, passage, features, on_page)


@dataclass
class Candidate:
    """A passage the model has looked at: its features, and its sentences' scores as needed."""

    passage: store.Passage
    doc: Document
    features: list[float]  # PASSAGE_FEATURES
    on_page: frozenset[str]  # the question's own words in the passage, its article or its page
    topic: frozenset[str]
    local: dict[str, float]
    facts: Callable[[int], Facts]
    _features: dict[int, list[float]]
    _scores: dict[int, float]
    best: int = 0
    score: float = 0.0  # the passage model's
    within: float = 0.0  # the within-article model's, against the article's other passages
    margin: float = MARGIN_ALONE  # over the next passage in the passage model's order
    leader: Candidate | None = None  # the passage whose first place in its article it took
    _scored_by: Model | None = None

    def sentence_features(self, q: Question, s: int) -> list[float]:
        x = self._features.get(s)
        if x is None:
            x = self._features[s] = sentence_features(
                q, self.doc.sentences, s, self.facts, self.topic, self.local
            )
        return x

    def top(self, model: Model, q: Question) -> list[float]:
        """TOP_FEATURES: what the passage's best sentence adds to the passage's own."""
        inside = range(self.passage.first, self.passage.last + 1)
        self.best = max(inside, key=lambda s: (self.sentence_score(model, q, s), -s))
        x = self.sentence_features(q, self.best)
        return [self.sentence_score(model, q, self.best), x[SENTENCE_FEATURES.index("s_type")]]

    def placed(self) -> list[float]:
        """WITHIN_FEATURES: where the passage stands in its article."""
        sents, first = self.doc.sentences, self.passage.first
        return [float(first == 0 or sents[first - 1].article != sents[first].article)]

    def sentence_score(self, model: Model, q: Question, s: int) -> float:
        """Kept for the model that scored it; another model (a fit in progress) scores anew."""
        if model is not self._scored_by:
            self._scores.clear()
            self._scored_by = model
        score = self._scores.get(s)
        if score is None:
            score = self._scores[s] = model.sentence_score(self.sentence_features(q, s))
        return score
