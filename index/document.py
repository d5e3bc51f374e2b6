"""A document as the index holds it: its text and the spans and tokens derived from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # index.features imports this module
    from index.features import Facts


@dataclass(frozen=True)
class ArticleInfo:
    title: str
    subtitle: str


# Paragraphs and sentences are named tuples, not dataclasses: a question may read a page's
# layout of a hundred sentences, and a tuple is made in a fifth of the time.
class ParagraphInfo(NamedTuple):
    article: int
    ordinal: int  # 1-based within its article
    start: int
    stop: int
    section: str


class SentenceInfo(NamedTuple):
    article: int
    paragraph: int
    start: int
    stop: int
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class ChunkInfo:
    first: int  # sentence indices, inclusive
    last: int
    context: tuple[str, ...]  # headline and section tokens ranked with the chunk


@dataclass
class Document:
    path: str
    name: str
    sha256: str
    text: str
    articles: list[ArticleInfo] = field(default_factory=list)
    paragraphs: list[ParagraphInfo] = field(default_factory=list)
    sentences: list[SentenceInfo] = field(default_factory=list)
    chunks: list[ChunkInfo] = field(default_factory=list)
    id: int = 0  # the index's id for it, once stored
    # What ranking derives from each sentence once it is loaded (index/features.py: Facts).
    facts: dict[int, Facts] = field(default_factory=dict, repr=False, compare=False)
    # Read from the index article by article: the articles whose sentences hold their tokens
    # (the others' are empty); None when all do.
    worded: set[int] | None = field(default=None, repr=False, compare=False)
