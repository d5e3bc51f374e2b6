"""Answers as Telegram HTML, and that same HTML shown in a terminal.

Every piece of document or user text is escaped on its own and the message is built from the
escaped parts, so a `<` or `&` in a document can never break the markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import replace

from bot.i18n import ENGLISH, Texts, texts
from index.chunk import sentence_spans
from index.search import (
    EMPTY_QUESTION,
    NO_DOCUMENTS,
    NO_WORDS,
    Answer,
    DocumentSummary,
    Result,
)
from index.smalltalk import ABILITIES, ACKNOWLEDGED, GOODBYE, GREETING, IDENTITY, THANKS

MESSAGE_LIMIT = 4096
NAME_LIMIT = 120  # characters of a file name or headline in a source line
ENGLISH_TEXTS = texts(ENGLISH)


def note_text(note: str, t: Texts) -> str:
    """Why a question could not be searched, in the reader's language."""
    notes = {
        EMPTY_QUESTION: t._("The question is empty."),
        NO_WORDS: t._("The question has no words to search for."),
        NO_DOCUMENTS: t._("The index holds no documents yet."),
    }
    return notes.get(note, note)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def escape(text: str) -> str:
    """HTML-escaped, and sendable: a lone surrogate (possible in a Python str) becomes U+FFFD."""
    return html.escape(_LONE_SURROGATE.sub("\ufffd", text))


def _bolded(text: str, highlight: str) -> str:
    """Text escaped, with its answering sentence in bold."""
    at = text.find(highlight) if highlight else -1
    if at < 0:
        return escape(text)
    end = at + len(highlight)
    return escape(text[:at]) + "<b>" + escape(highlight) + "</b>" + escape(text[end:])


def _quote_html(result: Result) -> str:
    """The quote with its answering sentence in bold."""
    return _bolded(result.quote, result.highlight)


def _window(result: Result) -> str:
    """The answering sentence with one sentence around it from the quote: the shorter of the
    one before and the one after, so the first screen stays short."""
    at = result.quote.find(result.highlight) if result.highlight else -1
    if at < 0:
        return result.quote
    spans = sentence_spans(result.quote, 0, len(result.quote))
    inside = [k for k, (a, b) in enumerate(spans) if a < at + len(result.highlight) and b > at]
    if not inside:
        return result.quote
    first, last = inside[0], inside[-1]
    around = [k for k in (first - 1, last + 1) if 0 <= k < len(spans)]
    if around:
        k = min(around, key=lambda k: (spans[k][1] - spans[k][0], k))
        first, last = min(first, k), max(last, k)
    return result.quote[spans[first][0] : spans[last][1]]


def source_line(result: Result, t: Texts = ENGLISH_TEXTS) -> str:
    parts = [result.doc]
    if result.title:
        parts.append(result.title)
    parts.append(
        t._("p. {page}").format(page=result.page) if result.page else f"¶{result.paragraph}"
    )
    return " · ".join(parts)


def result_html(number: int, result: Result, t: Texts = ENGLISH_TEXTS) -> str:
    """A result whole: its quote in a block quote, its source under it."""
    return (
        f"{number}. <blockquote>{_quote_html(result)}</blockquote>\n"
        f"<i>{escape(source_line(result, t))}</i>"
    )


def lead_html(number: int, result: Result, t: Texts = ENGLISH_TEXTS) -> str:
    """The first result as a phone shows it: the answering sentence with one sentence around it
    and the source on the first screen, the whole quote folded in an expandable block quote."""
    window = _window(result)
    head = (
        f"{number}. <blockquote>{_bolded(window, result.highlight)}</blockquote>\n"
        f"<i>{escape(source_line(result, t))}</i>"
    )
    if window == result.quote:
        return head
    return f"{head}\n<blockquote expandable>{_quote_html(result)}</blockquote>"


def folded_html(number: int, result: Result, t: Texts = ENGLISH_TEXTS) -> str:
    """A further result: its quote folded, its source under it."""
    return (
        f"{number}. <blockquote expandable>{_quote_html(result)}</blockquote>\n"
        f"<i>{escape(source_line(result, t))}</i>"
    )


def understood_html(understood: str, t: Texts) -> str:
    """How a follow-up was read, so that a wrong guess shows at once."""
    line = t._("(Read as “{question}”)").format(question=_trimmed(understood, NAME_LIMIT))
    return f"<i>{escape(line)}</i>"


def answer_html(
    answer: Answer, start: int = 1, t: Texts = ENGLISH_TEXTS, understood: str | None = None
) -> str:
    """One message: numbered quotes, each with its source; the plain reason when there are none.

    A follow-up question opens with how it was understood; then comes the short answer, then
    the quotes as its evidence."""
    opening = understood_html(understood, t) if understood and start == 1 else ""
    if not answer.results:
        reason = note_text(answer.note, t) if answer.note else ""
        none = escape((t._("No relevant passage found.") + " " + reason).strip())
        return f"{opening}\n{none}" if opening else none
    short = f"<b>{escape(answer.short)}</b>" if answer.short and start == 1 else ""
    message = "\n".join(part for part in (opening, short) if part)
    for k, result in enumerate(answer.results):
        if k:
            part = folded_html(start + k, result, t)
        else:
            room = MESSAGE_LIMIT - (utf16_len(message) + 2 if message else 0)
            part = lead_html(start, fitted(result, start, room, lead_html, t), t)
        longer = f"{message}\n\n{part}" if message else part
        if utf16_len(longer) > MESSAGE_LIMIT:
            break
        message = longer
    return message


def headlines(sources: list[DocumentSummary]) -> list[str]:
    """The indexed documents' article headlines, in order."""
    return [title for source in sources for title in source.titles]


def example_question(titles: list[str], t: Texts) -> str:
    """A question the documents answer, made of one of their own headlines."""
    title = next((title for title in titles if 4 <= len(title) <= 30), "")
    return t._("What does “{title}” say?").format(title=title) if title else ""


def small_talk_html(kind: str, t: Texts, example: str) -> str:
    """One short friendly line for small talk, with a question to try; never a quote."""
    lines = {
        GREETING: t._("Hello! Ask me anything about the documents I know."),
        THANKS: t._("You're welcome! Ask me anything else about the documents."),
        IDENTITY: t._(
            "I am a bot that answers questions about a collection of documents by quoting "
            "the passages that answer them, with their sources."
        ),
        ABILITIES: t._(
            "Ask me a question about the documents: I find the passage that answers it and "
            "quote it, the answering sentence in bold, with its source."
        ),
        GOODBYE: t._("Goodbye! Come back with any question about the documents."),
        ACKNOWLEDGED: t._("OK. Ask me another question whenever you like."),
    }
    line = lines.get(kind, t._("Ask me a question about the documents."))
    if not example:
        return escape(line)
    hint = t._("For example:")
    return escape(f"{line} {hint}") + f"\n<code>{escape(example)}</code>"


def _trimmed(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fitted(
    result: Result,
    number: int,
    limit: int,
    render: Callable[[int, Result, Texts], str] = result_html,
    t: Texts = ENGLISH_TEXTS,
) -> Result:
    """A result that `render` fits in `limit`: long names trimmed, the quote cut at a
    sentence's end."""
    if utf16_len(render(number, result, t)) <= limit:
        return result
    result = replace(
        result, doc=_trimmed(result.doc, NAME_LIMIT), title=_trimmed(result.title, NAME_LIMIT)
    )
    quote = result.quote
    while utf16_len(render(number, result, t)) > limit:
        spans = sentence_spans(quote, 0, len(quote))
        quote = quote[: spans[-2][1]] if len(spans) > 1 else quote[: len(quote) // 2]
        highlight = result.highlight if result.highlight in quote else ""
        result = replace(result, quote=quote + "…", highlight=highlight)
    return result


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


_TAG = re.compile(r"<(/?)(b|i|code|blockquote)( expandable)?>")


def html_to_terminal(text: str, color: bool) -> str:
    """Render the bot's HTML for a console: bold stays bold, quotes are indented, and what the
    bot folds (an expandable quote) is marked with a dotted bar."""
    bold_on, bold_off = ("\033[1m", "\033[0m") if color else ("**", "**")
    italic_on, italic_off = ("\033[2m", "\033[0m") if color else ("", "")
    out: list[str] = []
    pos = 0
    bar = ""
    for m in _TAG.finditer(text):
        chunk = html.unescape(text[pos : m.start()])
        out.append(chunk.replace("\n", f"\n   {bar} ") if bar else chunk)
        closing, tag = m.group(1) == "/", m.group(2)
        if tag == "b":
            out.append(bold_off if closing else bold_on)
        elif tag == "i":
            out.append(italic_off if closing else "   " + italic_on)
        elif tag == "blockquote":
            bar = "" if closing else ("┆" if m.group(3) else "│")
            out.append("\n" if closing else f"\n   {bar} ")
        pos = m.end()
    out.append(html.unescape(text[pos:]))
    return "".join(out)
