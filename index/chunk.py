"""Split articles into sentences and group sentences into passages of a target length."""

from __future__ import annotations

from dataclasses import dataclass

from index.clean import Article

ENDERS = "。！？!?；;…"
CLOSERS = "”’\"'」』）)】》〕"
# Where an over-long sentence may be cut when it must be.
SOFT_BREAKS = "，,、：:"


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    article: int  # index of the article in its document
    paragraph: int  # 1-based, within the article


@dataclass(frozen=True)
class Chunk:
    first: int  # index of its first sentence in the document's sentence list
    last: int  # index of its last sentence, inclusive
    start: int
    end: int
    article: int
    paragraph: int


def _is_period(text: str, i: int, end: int) -> bool:
    if text[i] not in ".．":
        return False
    if i + 1 >= end:
        return True
    nxt = text[i + 1]
    return nxt.isspace() or ord(nxt) > 0x2E7F


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of text[start:end], closing quotes and brackets kept with their sentence."""
    spans = []
    s = i = start
    while i < end:
        if text[i] in ENDERS or _is_period(text, i, end):
            j = i + 1
            while j < end and (text[j] in ENDERS or text[j] in ".．"):
                j += 1
            while j < end and text[j] in CLOSERS:
                j += 1
            span = _trimmed(text, s, j)
            if span:
                spans.append(span)
            s = i = j
        else:
            i += 1
    span = _trimmed(text, s, end)
    if span:
        spans.append(span)
    return spans


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut a sentence longer than max_chars, at a comma where there is one."""
    pieces = []
    while end - start > max_chars:
        window = text[start : start + max_chars]
        cut = max(window.rfind(ch) for ch in SOFT_BREAKS)
        cut = start + cut + 1 if cut >= max_chars // 3 else start + max_chars
        span = _trimmed(text, start, cut)
        if span:
            pieces.append(span)
        start = cut
    span = _trimmed(text, start, end)
    if span:
        pieces.append(span)
    return pieces


def sentences(text: str, articles: list[Article], max_chars: int) -> list[Sentence]:
    out = []
    for a, article in enumerate(articles):
        for p, para in enumerate(article.paragraphs, start=1):
            for start, end in sentence_spans(text, para.start, para.end):
                for s, e in _split_long(text, start, end, max_chars):
                    out.append(Sentence(s, e, a, p))
    return out


def chunk(sents: list[Sentence], target_chars: int, max_chars: int) -> list[Chunk]:
    """Consecutive sentences of one article, closed once they reach the target length."""
    chunks: list[Chunk] = []
    first = 0
    for i, sent in enumerate(sents):
        head = sents[first]
        nxt = sents[i + 1] if i + 1 < len(sents) else None
        length = sent.end - head.start
        close = (
            nxt is None
            or nxt.article != sent.article
            or length >= target_chars
            or nxt.end - head.start > max_chars
        )
        if close:
            chunks.append(Chunk(first, i, head.start, sent.end, head.article, head.paragraph))
            first = i + 1
    return chunks
