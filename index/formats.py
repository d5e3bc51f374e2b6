"""Text out of PDF, Word, HTML and EPUB files, with their headings kept as Markdown headings.

The format is decided by the bytes, not the file name: a PDF named `.txt` is read as a PDF.
Every format comes out as plain text with `#`/`##`/`###` heading lines and blank lines between
paragraphs, so the one newspaper clean-up in clean.py serves them all.
"""

from __future__ import annotations

import io
import multiprocessing
import re
import resource
import zipfile
import zlib
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import cast

import ebooklib
from bs4 import BeautifulSoup
from docx import Document
from docx.opc.exceptions import PackageNotFoundError
from ebooklib import epub
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from index.reader import Reason, UnreadableFile, to_text

# Archives (docx, epub) whose contents would unpack past this are refused: zip bombs.
MAX_UNPACKED = 200 * 1024 * 1024
MAX_RATIO = 200
PAGE_BREAK = "\f"
REPETITION_MIN_CHARS = 100_000
REPETITION_RATIO = 0.01
HEADINGS = {"h1": "#", "h2": "##", "h3": "###"}
BLOCKS = ("p", "li", "blockquote", "pre", "td", "th", "dd", "dt", "figcaption", "div")
NOISE = ("script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template")


def sniff(data: bytes) -> str:
    """The document kind the bytes hold: pdf, docx, epub, html or text."""
    head = data[:1024].lstrip()
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        names = _zip_names(data)
        if "word/document.xml" in names:
            return "docx"
        if "META-INF/container.xml" in names:
            return "epub"
        raise UnreadableFile("a zip archive that is neither a Word document nor an EPUB")
    if re.match(rb"(?is)(\xef\xbb\xbf)?\s*(<!doctype html|<html|<head|<body)", head):
        return "html"
    return "text"


def _zip_names(data: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise UnreadableFile("a damaged zip archive") from None
    unpacked = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if unpacked > MAX_UNPACKED or unpacked / packed > MAX_RATIO:
        raise UnreadableFile("an archive that unpacks to far more than its size (a zip bomb?)")
    return {i.filename for i in infos}


def _paragraphs(parts: list[str]) -> str:
    return "\n\n".join(p for p in (part.strip() for part in parts) if p) + "\n"


def pdf_text(data: bytes) -> str:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableFile("an encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableFile:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise UnreadableFile("a damaged PDF ({error})", error=type(exc).__name__) from None
    if not any(ch.isalnum() for page in pages for ch in page):
        raise UnreadableFile("a PDF with no text layer (a scan?); it needs OCR first")
    # A form feed between pages, as plain text marks them: passages know their page by it.
    return f"\n{PAGE_BREAK}\n".join(page.strip() for page in pages) + "\n"


def docx_text(data: bytes) -> str:
    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise UnreadableFile(
            "a damaged Word document ({error})", error=type(exc).__name__
        ) from None
    parts = []
    for para in document.paragraphs:
        style = (para.style.name if para.style is not None else "").lower()
        level = {"title": "#", "heading 1": "#", "heading 2": "##", "heading 3": "###"}.get(style)
        if level is None and style.startswith("heading"):
            level = "###"
        text = para.text.strip()
        if text:
            parts.append(f"{level} {text}" if level else text)
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return _paragraphs(parts)


def html_text(markup: str | bytes) -> str:
    """The main text of a page: no navigation, scripts or forms; h1–h3 as headings."""
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup.find_all(NOISE):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    parts: list[str] = []
    for tag in root.find_all((*HEADINGS, *BLOCKS)):
        if tag.find((*HEADINGS, *BLOCKS)) is not None:
            continue  # a container: its blocks are read one by one
        text = " ".join(tag.get_text(" ", strip=True).split())
        if text:
            parts.append(f"{HEADINGS[tag.name]} {text}" if tag.name in HEADINGS else text)
    if not parts:
        parts = [root.get_text("\n", strip=True)]
    return _paragraphs(parts)


def epub_text(data: bytes) -> str:
    """Each chapter an article: its first heading, or its title, as the headline."""
    _zip_names(data)
    try:
        book = epub.read_epub(io.BytesIO(data), options={"ignore_ncx": True})
    except (KeyError, ValueError, zipfile.BadZipFile, epub.EpubException) as exc:
        raise UnreadableFile("a damaged EPUB ({error})", error=type(exc).__name__) from None
    chapters = []
    for item_id, _ in book.spine:
        item = book.get_item_with_id(item_id)
        if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT:
            continue
        text = html_text(item.get_content())
        if text.strip() and not text.lstrip().startswith("#"):
            title = item.title or item.get_name()
            text = f"# {title}\n\n{text}"
        chapters.append(text)
    return _paragraphs(chapters)


_READERS: dict[str, Callable[[bytes], str]] = {
    "pdf": pdf_text,
    "docx": docx_text,
    "epub": epub_text,
    "html": lambda data: html_text(to_text(data)),
    "text": to_text,
}


def _repetitive(text: str) -> bool:
    """Text that compresses to almost nothing is one line repeated, not a document."""
    if len(text) < REPETITION_MIN_CHARS:
        return False
    raw = text.encode("utf-8")
    return len(zlib.compress(raw, 1)) < REPETITION_RATIO * len(raw)


def extract(data: bytes) -> str:
    """The document's text, whatever its format; UnreadableFile says why when there is none."""
    text = _READERS[sniff(data)](data)
    if not any(ch.isalnum() for ch in text):
        raise UnreadableFile("no text in the file")
    if _repetitive(text):
        raise UnreadableFile("the same text repeated over and over, not a document")
    return text


# Parsers of binary formats run in a child process with these bounds, so a hostile file can only
# fail to be read: it can neither hang the program that indexes it nor exhaust its memory. The
# child is forked: it starts in milliseconds and needs nothing but the bytes and extract().
PARSE_SECONDS = 60.0
PARSE_MEMORY = 2 * 1024 * 1024 * 1024
_PROCESSES = multiprocessing.get_context("fork")


def _parse_in_child(conn: Connection, data: bytes, memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    outcome: str | Reason  # the text, or why there is none
    try:
        outcome = extract(data)
    except UnreadableFile as exc:
        outcome = exc.reason
    except MemoryError:
        outcome = Reason("it needs more memory than a document may take")
    except Exception as exc:
        outcome = Reason("its reader failed ({error})", (("error", type(exc).__name__),))
    conn.send(outcome)


def extract_bounded(data: bytes, seconds: float = PARSE_SECONDS, memory: int = PARSE_MEMORY) -> str:
    """extract(), with PDF, Word, EPUB and HTML parsed in a child bounded in time and memory."""
    if sniff(data) == "text":
        return extract(data)  # decoding plain text is linear in its size
    receive, send = _PROCESSES.Pipe(duplex=False)
    child = _PROCESSES.Process(target=_parse_in_child, args=(send, data, memory), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(seconds):
            raise UnreadableFile("reading it took longer than {seconds} s", seconds=f"{seconds:g}")
        value = cast(str | Reason, receive.recv())  # what _parse_in_child sends
    except EOFError:
        raise UnreadableFile("it needs more memory than a document may take") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receive.close()
    if isinstance(value, Reason):
        raise UnreadableFile.because(value)
    return value
