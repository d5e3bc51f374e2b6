"""Show a span of a document as readable text without changing a word of it."""

from __future__ import annotations

import re

from index.document import Document

_BREAK = re.compile(r"[ \t\u3000]*\n\s*")


def _is_wide(ch: str) -> bool:
    """CJK characters and full-width punctuation, between which a line break is only layout."""
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0xFF00 <= o <= 0xFFEF
        or 0x3000 <= o <= 0x303F
        or 0x2000 <= o <= 0x206F
        or 0x20000 <= o <= 0x3FFFF
    )


def join_lines(text: str) -> str:
    """Remove layout line breaks: nothing between two CJK characters, one space elsewhere."""

    def repl(m: re.Match[str]) -> str:
        before = text[m.start() - 1] if m.start() > 0 else ""
        after = text[m.end()] if m.end() < len(text) else ""
        if not before or not after:
            return ""
        return "" if _is_wide(before) and _is_wide(after) else " "

    return _BREAK.sub(repl, text)


def span_text(doc: Document, first: int, last: int) -> str:
    """Sentences first..last of a document, one line per paragraph."""
    pieces: list[str] = []
    s = first
    while s <= last:
        head = doc.sentences[s]
        e = s
        while (
            e + 1 <= last
            and doc.sentences[e + 1].paragraph == head.paragraph
            and doc.sentences[e + 1].article == head.article
        ):
            e += 1
        pieces.append(join_lines(doc.text[head.start : doc.sentences[e].stop]))
        s = e + 1
    return "\n".join(pieces)
