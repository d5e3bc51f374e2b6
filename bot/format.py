"""Answers as Telegram HTML, and that same HTML shown in a terminal.

Every piece of document or user text is escaped on its own and the message is built from the
escaped parts, so a `<` or `&` in a document can never break the markup.
"""

from __future__ import annotations

import html
import re

from index.search import Answer, Result

MESSAGE_LIMIT = 4096
NO_ANSWER = "没有找到相关的段落。No relevant passage found."


def _quote_html(result: Result) -> str:
    """The quote with its answering sentence in bold."""
    at = result.quote.find(result.highlight) if result.highlight else -1
    if at < 0:
        return html.escape(result.quote)
    end = at + len(result.highlight)
    return (
        html.escape(result.quote[:at])
        + "<b>"
        + html.escape(result.highlight)
        + "</b>"
        + html.escape(result.quote[end:])
    )


def source_line(result: Result) -> str:
    parts = [result.doc]
    if result.title:
        parts.append(result.title)
    parts.append(f"p. {result.page}" if result.page else f"¶{result.paragraph}")
    return " · ".join(parts)


def result_html(number: int, result: Result) -> str:
    return (
        f"{number}. <blockquote>{_quote_html(result)}</blockquote>\n"
        f"<i>{html.escape(source_line(result))}</i>"
    )


def answer_html(answer: Answer, start: int = 1) -> str:
    """One message: numbered quotes, each with its source; the plain reason when there are none."""
    if not answer.results:
        return html.escape(f"{NO_ANSWER} {answer.note}".strip())
    message = ""
    for k, result in enumerate(answer.results):
        part = result_html(start + k, result)
        longer = f"{message}\n\n{part}" if message else part
        if utf16_len(longer) > MESSAGE_LIMIT:
            break
        message = longer
    return message


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


_TAG = re.compile(r"<(/?)(b|i|blockquote)>")


def html_to_terminal(text: str, color: bool) -> str:
    """Render the bot's HTML for a console: bold stays bold, quotes are indented."""
    bold_on, bold_off = ("\033[1m", "\033[0m") if color else ("**", "**")
    italic_on, italic_off = ("\033[2m", "\033[0m") if color else ("", "")
    out: list[str] = []
    pos = 0
    quoting = False
    for m in _TAG.finditer(text):
        chunk = html.unescape(text[pos : m.start()])
        out.append(chunk.replace("\n", "\n   │ ") if quoting else chunk)
        closing, tag = m.group(1) == "/", m.group(2)
        if tag == "b":
            out.append(bold_off if closing else bold_on)
        elif tag == "i":
            out.append(italic_off if closing else "   " + italic_on)
        else:
            quoting = not closing
            out.append("\n" if closing else "\n   │ ")
        pos = m.end()
    out.append(html.unescape(text[pos:]))
    return "".join(out)
