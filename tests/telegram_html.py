"""A strict check of Telegram's HTML subset, as the Bot API applies it to parse_mode=HTML."""

from __future__ import annotations

import html
import re

ALLOWED = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "blockquote", "tg-spoiler", "span",
}  # fmt: skip
_TOKEN = re.compile(
    r"<(/?)([a-z-]+)((?:\s+[a-z-]+(?:=\"[^\"<>]*\")?)*)\s*>"
    r"|&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);"
)
# Attributes Telegram takes without a value, and on which tag (Bot API 7.4).
_BARE = {("blockquote", "expandable")}


def check(message: str) -> str:
    """Return the visible text; raise ValueError where Telegram would refuse the message."""
    stack: list[str] = []
    visible: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(message):
        plain = message[pos : m.start()]
        if "<" in plain or ">" in plain or "&" in plain:
            raise ValueError(f"bare markup character in {plain!r}")
        visible.append(plain)
        if m.group(2) is not None:
            closing, tag = m.group(1) == "/", m.group(2)
            if tag not in ALLOWED:
                raise ValueError(f"unsupported tag <{tag}>")
            for name in re.findall(r"\s([a-z-]+)(?=\s|$)", m.group(3) or ""):
                if closing or (tag, name) not in _BARE:
                    raise ValueError(f"unsupported attribute {name} on <{tag}>")
            if closing:
                if not stack or stack.pop() != tag:
                    raise ValueError(f"unbalanced </{tag}>")
            else:
                stack.append(tag)
        else:
            visible.append(html.unescape(m.group(0)))
        pos = m.end()
    tail = message[pos:]
    if "<" in tail or ">" in tail or "&" in tail:
        raise ValueError(f"bare markup character in {tail!r}")
    visible.append(tail)
    if stack:
        raise ValueError(f"unclosed <{stack[-1]}>")
    text = "".join(visible)
    if not text.strip():
        raise ValueError("message is empty")
    if len(text.encode("utf-16-le")) // 2 > 4096:
        raise ValueError("message is too long")
    return text
