"""tantivy over the stored tokens: an on-disk inverted index for archives of a million passages.

It lives in `tantivy/` beside the SQLite file and is derived from it. A build writes both and
commits SQLite first; a marker file written after tantivy's own commit names the generation and
layout the tantivy index holds, so a build cut off between the two commits is noticed and the
engine rebuilt from the stored tokens (no re-tokenizing).
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Collection
from pathlib import Path
from typing import cast

import tantivy

from index.store import IndexUnavailable

FOLDER = "tantivy"
MARKER = "qabot.json"
WRITER_HEAP = 256_000_000
PLACES_LIMIT = 1000  # passages holding a word among the candidates' documents, read at once
PLACES_ALONE = 300  # a word in at most this many passages is looked up without the documents
DOC_TERMS_KEPT = 100_000  # documents whose query term a reader keeps
PLACE_BITS = 32  # a passage's place: its document id above these bits, its article below
PLACE_MASK = (1 << PLACE_BITS) - 1


def _place(doc_id: int, article: int) -> int:
    return doc_id << PLACE_BITS | article


def folder(index_dir: Path) -> Path:
    return index_dir / FOLDER


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("passage", stored=True, indexed=False, fast=True)
    builder.add_integer_field("doc", indexed=True)
    # Its document and article (`_place`): one fast field, read once for a word's passages.
    builder.add_integer_field("place", indexed=False, fast=True)
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
    return builder.build()


class EngineBehind(IndexUnavailable):
    """The tantivy index does not hold what SQLite holds; `build.rebuild_engine` brings it up."""


def marker(index_dir: Path) -> tuple[int, str] | None:
    """(generation, layout) of the last complete tantivy commit, or None."""
    try:
        data = json.loads((folder(index_dir) / MARKER).read_text(encoding="utf-8"))
        return int(data["generation"]), str(data["layout"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def forget(index_dir: Path) -> None:
    """Drop the marker, so that the next change rebuilds the tantivy index from SQLite."""
    (folder(index_dir) / MARKER).unlink(missing_ok=True)


class TantivyWriter:
    """Changes staged in tantivy while the SQLite transaction is open; `commit` after it."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        path = folder(index_dir)
        path.mkdir(parents=True, exist_ok=True)
        try:
            self.index = tantivy.Index(_schema(), path=str(path), reuse=True)
        except ValueError:  # another schema, or damaged files: start the engine index afresh
            shutil.rmtree(path)
            path.mkdir()
            self.index = tantivy.Index(_schema(), path=str(path))
        self.writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=1)
        self.changed = False

    def clear(self) -> None:
        self.writer.delete_all_documents()
        self.changed = True

    def delete_document(self, doc_id: int) -> None:
        self.writer.delete_documents_by_term("doc", doc_id)
        self.changed = True

    def add(self, passage_id: int, doc_id: int, article: int, text: str) -> None:
        """A passage whose ranked words are `text`, separated by spaces."""
        self.writer.add_document(
            tantivy.Document(
                passage=passage_id, doc=doc_id, place=_place(doc_id, article), body=text
            )
        )
        self.changed = True

    def commit(self, generation: int, layout: str) -> None:
        if self.changed:
            self.writer.commit()
            self.writer.wait_merging_threads()
        else:
            self.writer.rollback()
        tmp = folder(self.index_dir) / (MARKER + ".tmp")
        tmp.write_text(json.dumps({"generation": generation, "layout": layout}), "utf-8")
        os.replace(tmp, folder(self.index_dir) / MARKER)

    def rollback(self) -> None:
        self.writer.rollback()


class TantivyEngine:
    """A reader of the tantivy index; searches may run in several threads at once."""

    name = "tantivy"
    exact = False  # its own k1 and b: it proposes candidates, the searcher scores them

    def __init__(self, index_dir: Path) -> None:
        try:
            self.index = tantivy.Index.open(str(folder(index_dir)))
        except ValueError as exc:
            raise EngineBehind(f"the tantivy index at {index_dir} cannot be read ({exc})") from None
        self.schema = self.index.schema
        self.searcher = self.index.searcher()
        self._size = self.searcher.num_docs
        self.unknown_idf = math.log((self._size + 0.5) / 0.5) if self._size else 1.0
        self._doc_terms: dict[int, tantivy.Query] = {}

    @property
    def size(self) -> int:
        return self._size

    def idf(self, term: str) -> float:
        if not self._size:
            return 0.0
        df = self.searcher.doc_freq("body", term)
        return math.log((self._size + 1) / df) if df else self.unknown_idf

    def top(self, terms: list[str], limit: int) -> list[tuple[float, int]]:
        if not terms or not self._size:
            return []
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "body", t))
                for t in terms
            ]
        )
        hits = self.searcher.search(query, limit, count=False).hits
        # Every document holds "passage", an integer field: no None, no float.
        ids = cast(
            list[int], self.searcher.fast_field_values("passage", [address for _, address in hits])
        )
        return [(float(score), pid) for (score, _), pid in zip(hits, ids, strict=True)]

    def _among(self, docs: Collection[int]) -> tantivy.Query:
        """Any passage of these documents: a disjunction of their terms, where tantivy's
        term-set query would cost 0.4 ms more a word at 100k passages. Each document's term
        is made once (making them took a fifth of the look-up)."""
        made = self._doc_terms
        if len(made) > DOC_TERMS_KEPT:
            made.clear()
        clauses = []
        for d in docs:
            term = made.get(d)
            if term is None:
                term = made[d] = tantivy.Query.term_query(self.schema, "doc", d)
            clauses.append((tantivy.Occur.Should, term))
        return tantivy.Query.const_score_query(tantivy.Query.boolean_query(clauses), 0.0)

    def places(self, term: str, docs: Collection[int]) -> set[tuple[int, int]]:
        if not docs or not self._size:
            return set()
        df = self.searcher.doc_freq("body", term)
        if not df:
            return set()
        # A rare word's passages are fewer than the documents' terms are to look up. Scores are
        # not wanted: constant ones save a third of the time.
        query = tantivy.Query.const_score_query(
            tantivy.Query.term_query(self.schema, "body", term), 0.0
        )
        limit = df
        if df > PLACES_ALONE:
            query = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, query), (tantivy.Occur.Must, self._among(docs))]
            )
            limit = min(df, PLACES_LIMIT)
        hits = self.searcher.search(query, limit, count=False).hits
        if len(hits) == limit < df:  # documents of more passages than that: all of them
            hits = self.searcher.search(query, df, count=False).hits
        addresses = [address for _, address in hits]
        # Every passage holds its place, an integer field: no None, no float.
        places = cast(list[int], self.searcher.fast_field_values("place", addresses))
        wanted = set(docs)
        return {(p >> PLACE_BITS, p & PLACE_MASK) for p in places if p >> PLACE_BITS in wanted}
