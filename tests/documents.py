"""Real files of each format, made in the tests: PDF (reportlab), Word, HTML and EPUB."""

from __future__ import annotations

import io
import textwrap

from docx import Document
from ebooklib import epub
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))


def pdf(paragraphs: list[str], line_chars: int = 34, lines_per_page: int = 44) -> bytes:
    """Paragraphs wrapped into lines and pages the way a layout program does it."""
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    y = 800
    lines = 0
    for paragraph in paragraphs:
        for line in textwrap.wrap(paragraph, line_chars) or [""]:
            if lines == lines_per_page:
                page.showPage()
                y, lines = 800, 0
            page.setFont("STSong-Light", 12)
            page.drawString(40, y, line)
            y -= 17
            lines += 1
        y -= 17
        lines += 1
    page.save()
    return out.getvalue()


def blank_pdf() -> bytes:
    """A page with a drawing and no text, as a scan without OCR looks to a reader."""
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.rect(100, 100, 300, 300, fill=1)
    page.save()
    return out.getvalue()


def docx(blocks: list[tuple[str, str]]) -> bytes:
    """(style, text) pairs: style "title", "h1", "h2" or "p"."""
    document = Document()
    for style, text in blocks:
        if style == "title":
            document.add_heading(text, level=0)
        elif style in ("h1", "h2", "h3"):
            document.add_heading(text, level=int(style[1]))
        else:
            document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def epub_book(chapters: list[tuple[str, list[str]]]) -> bytes:
    book = epub.EpubBook()
    book.set_identifier("qabot-test")
    book.set_title("测试书")
    book.set_language("zh")
    items = []
    for n, (title, paragraphs) in enumerate(chapters, start=1):
        item = epub.EpubHtml(title=title, file_name=f"chap{n}.xhtml", lang="zh")
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        item.content = f"<html><body><h1>{title}</h1>{body}</body></html>"
        book.add_item(item)
        items.append(item)
    book.toc = items
    book.spine = ["nav", *items]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    out = io.BytesIO()
    epub.write_epub(out, book)
    return out.getvalue()
