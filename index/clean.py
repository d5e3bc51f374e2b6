"""Recover what a page layout hides: paragraphs broken mid-sentence, articles, headlines.

Nothing here rewrites the text. Paragraphs and articles are spans of the original string, so a
quote can always be shown as the document has it. A change to how a page splits into articles
changes chunk.SPLITTER too, or indexes made before keep their old articles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# What may end a sentence or a paragraph, half- and full-width alike.
CLOSING = "。！？!?；;…：:.．—”’\"'」』）)】》〕>"
SENTENCE_PUNCT = "，,。；;！？!?：:、"
HEADLINE_MAX = 60
_BYLINE = re.compile(
    r"^(本报记者|本报通讯员|记者|通讯员|文字|图片|摄影|版式|编辑|责任编辑|责编|校对|来源)(\s|/|:|：|$)"
    r"|\s摄$"
    r"|^[(（][^()（）]{1,10}[)）]$"
)
# A photographer's credit: 本报记者 裴晓军 摄, 图/新华社.
_PHOTO_CREDIT = re.compile(r"(?:\s|/)摄$|^图\s*/")
_NEWS_LEAD = re.compile(r"^(本报讯|本报记者|新华社|据新华社|记者)")
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# What a title may end with and a sentence does not: 劲松站 (北京市), 芝加哥（电影）.
_QUALIFIER = re.compile(r"\s*[(（][^()（），,。；;：:！？!?]{1,20}[)）]$")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass
class Article:
    title: str
    subtitle: str
    paragraphs: list[Span] = field(default_factory=list)
    # Section heading in force at each paragraph (same length as paragraphs).
    sections: list[str] = field(default_factory=list)

    def add(self, block: _Block, section: str = "") -> None:
        self.paragraphs.append(Span(block.start, block.end))
        self.sections.append(section)


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str
    isolated: bool


def _lines(text: str) -> list[_Line]:
    raw: list[tuple[int, int]] = []
    pos = 0
    for piece in text.split("\n"):
        raw.append((pos, pos + len(piece)))
        pos += len(piece) + 1
    out = []
    for i, (start, end) in enumerate(raw):
        body = text[start:end]
        stripped = body.strip()
        if not stripped:
            continue
        lead = len(body) - len(body.lstrip())
        before_blank = i == 0 or not text[raw[i - 1][0] : raw[i - 1][1]].strip()
        after_blank = i == len(raw) - 1 or not text[raw[i + 1][0] : raw[i + 1][1]].strip()
        s = start + lead
        out.append(_Line(s, s + len(stripped), stripped, before_blank and after_blank))
    return out


def is_byline(line: str) -> bool:
    return bool(_BYLINE.search(line))


def _is_subtitle(line: str) -> bool:
    return line.startswith(("——", "--", "—")) and len(line) <= HEADLINE_MAX + 4


def _looks_like_heading(line: _Line) -> bool:
    if _MARKDOWN_HEADING.match(line.text):
        return True
    t = line.text
    if not line.isolated or len(t) > HEADLINE_MAX or is_byline(t):
        return False
    if _is_subtitle(t):
        return True
    t = _QUALIFIER.sub("", t)
    if not t or t[-1] in CLOSING or any(ch in SENTENCE_PUNCT for ch in t):
        return False
    return any(ch.isalnum() for ch in t)


def _heading_text(line: str) -> str:
    m = _MARKDOWN_HEADING.match(line)
    return m.group(2) if m else line


@dataclass
class _Block:
    kind: str  # "heading" or "para"
    start: int
    end: int
    text: str


def _blocks(text: str) -> list[_Block]:
    """Headings and paragraphs, with lines that stop mid-sentence joined to their continuation."""
    lines = _lines(text)
    heading = [_looks_like_heading(line) for line in lines]
    for i in range(1, len(lines)):
        prev = lines[i - 1]
        # A long line cut off mid-sentence continues on the next line, however that line looks.
        if (
            heading[i]
            and not heading[i - 1]
            and prev.text[-1] not in CLOSING
            and (len(prev.text) > HEADLINE_MAX or any(ch in SENTENCE_PUNCT for ch in prev.text))
            and not _MARKDOWN_HEADING.match(lines[i].text)
        ):
            heading[i] = False
    blocks: list[_Block] = []
    open_para: _Block | None = None
    for i, line in enumerate(lines):
        if heading[i]:
            open_para = None
            blocks.append(_Block("heading", line.start, line.end, line.text))
            continue
        if open_para is not None and not is_byline(line.text):
            open_para.end = line.end
            open_para.text += line.text
        else:
            open_para = _Block("para", line.start, line.end, line.text)
            blocks.append(open_para)
        nxt_is_heading = i + 1 < len(lines) and heading[i + 1]
        if line.text[-1] in CLOSING or nxt_is_heading or is_byline(line.text):
            open_para = None
    return blocks


def _starts_article(group: list[_Block], following: _Block | None) -> bool:
    texts = [b.text for b in group]
    if any(_is_subtitle(t) for t in texts):
        return True
    md = [_MARKDOWN_HEADING.match(t) for t in texts]
    if any(md):
        return any(m is not None and len(m.group(1)) <= 2 for m in md)
    if following is not None and (is_byline(following.text) or _NEWS_LEAD.match(following.text)):
        return True
    # Section headings in Chinese papers pair two short phrases with a space between them.
    return " " not in texts[-1] and "\u3000" not in texts[-1]


def _captions(blocks: list[_Block]) -> set[int]:
    """The paragraphs that caption a photo printed after an article: each is followed by its
    photographer's credit, then by a new article, another such caption or the page's end. A
    caption says what the photo shows, not what the article above it reports."""
    found: set[int] = set()
    for i in range(len(blocks) - 2, -1, -1):
        credit = blocks[i + 1]
        if blocks[i].kind != "para" or is_byline(blocks[i].text):
            continue
        if credit.kind != "para" or not _PHOTO_CREDIT.search(credit.text):
            continue
        j = i + 2
        if j == len(blocks) or j in found:
            found.add(i)
            continue
        group = []
        while j < len(blocks) and blocks[j].kind == "heading":
            group.append(blocks[j])
            j += 1
        if group and _starts_article(group, blocks[j] if j < len(blocks) else None):
            found.add(i)
    return found


def split_articles(text: str) -> list[Article]:
    """Articles in reading order; paragraphs before the first headline join the first article,
    and a photo's caption after an article is an untitled article of its own."""
    blocks = _blocks(text)
    captions = _captions(blocks)
    articles: list[Article] = []
    pending: list[_Block] = []  # paragraphs seen before any headline
    current: Article | None = None
    section = ""
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if i in captions and current is not None:
            caption = Article("", "")
            caption.add(block)
            caption.add(blocks[i + 1])
            articles.append(caption)
            i += 2
            continue
        if block.kind == "para":
            if current is None:
                pending.append(block)
            else:
                current.add(block, section)
            i += 1
            continue
        group = []
        while i < len(blocks) and blocks[i].kind == "heading":
            group.append(blocks[i])
            i += 1
        following = blocks[i] if i < len(blocks) else None
        texts = [_heading_text(b.text) for b in group]
        if current is None or _starts_article(group, following):
            sub_at = next((k for k, t in enumerate(texts) if _is_subtitle(t)), None)
            if sub_at is not None and sub_at > 0:
                title, subtitle = texts[sub_at - 1], texts[sub_at].lstrip("—-").strip()
                section = " ".join(texts[sub_at + 1 :])
            elif any(_MARKDOWN_HEADING.match(b.text) for b in group):
                title, subtitle, section = texts[0], "", " ".join(texts[1:])
            else:
                title, subtitle, section = texts[-1], "", ""
            current = Article(title, subtitle)
            articles.append(current)
            for para in pending:
                current.add(para)
            pending = []
        else:
            section = " ".join(texts)
    if pending:
        untitled = Article("", "")
        for para in pending:
            untitled.add(para)
        articles.append(untitled)
    return [a for a in articles if a.paragraphs]
