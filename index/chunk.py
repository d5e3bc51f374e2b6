"""Split articles into sentences and group sentences into passages of a target length."""

from __future__ import annotations

from dataclasses import dataclass

from index.clean import Article

# Changed whenever a document is split into articles (clean.py) or sentences (here) otherwise,
# so that indexes made before are made again: v3 split a photo's caption off its article, v4
# reads a title that ends in a bracketed qualifier (劲松站 (北京市)) as a headline.
SPLITTER = "v4"
ENDERS = "。！？!?；;…"
CLOSERS = "”’\"'」』）)】》〕"
# Brackets and quotes whose enders stay inside the sentence that holds them: 以「……。」为宗旨.
PAIRS = {"“": "”", "‘": "’", "「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "〔": "〕"}
QUOTE_REACH = 200  # characters; an opener not closed within them is taken for a stray one
FRAGMENT = 3  # letters or fewer after a closing quote: the rest of the quote's sentence
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


def _is_initial(text: str, i: int, start: int) -> bool:
    """The dot after a capital standing alone ends a name's initial, not a sentence: Terry A.
    Gates, A．Ｌ．纳戴, A.D. Vision."""
    if i - 1 < start or not _is_capital(text[i - 1]):
        return False
    return i - 2 < start or not text[i - 2].isalpha()


def _is_capital(ch: str) -> bool:
    return "A" <= ch <= "Z" or "Ａ" <= ch <= "Ｚ"


def _is_period(text: str, i: int, start: int, end: int) -> bool:
    if text[i] not in ".．" or _is_initial(text, i, start):
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
    """Sentence spans of text[start:end], closing quotes and brackets kept with their sentence.

    An ender inside a quote or bracket that closes nearby does not end the sentence; one
    right before the closer ends it after the closer.
    """
    spans: list[tuple[int, int]] = []
    expected: list[str] = []  # closers of the quotes and brackets open here
    s = i = start
    while i < end:
        ch = text[i]
        if ch in PAIRS and text.find(PAIRS[ch], i + 1, min(end, i + QUOTE_REACH)) >= 0:
            expected.append(PAIRS[ch])
        elif expected and ch == expected[-1]:
            expected.pop()
            if not expected and text[i - 1] in ENDERS:
                j = _past(text, i + 1, end, CLOSERS)
                _add(spans, text, s, j)
                s = i = j
                continue
        elif not expected and (ch in ENDERS or _is_period(text, i, start, end)):
            j = _past(text, _past(text, i + 1, end, ENDERS + ".．"), end, CLOSERS)
            _add(spans, text, s, j)
            s = i = j
            continue
        i += 1
    _add(spans, text, s, end)
    return spans


def _past(text: str, j: int, end: int, chars: str) -> int:
    """The first position from j on that holds none of `chars`."""
    while j < end and text[j] in chars:
        j += 1
    return j


def _add(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    """Add a sentence; a few characters after a closing quote (「……。」为宗旨。) go on the
    sentence the quote ended."""
    span = _trimmed(text, start, end)
    if span is None:
        return
    if spans and text[spans[-1][1] - 1] in CLOSERS and text[span[1] - 1] not in CLOSERS:
        letters = sum(1 for ch in text[span[0] : span[1]] if ch.isalnum())
        if 0 < letters <= FRAGMENT:
            spans[-1] = (spans[-1][0], span[1])
            return
    spans.append(span)


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
