"""Turn files on disk into text: find the supported files and decode them without mojibake."""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

SUPPORTED_SUFFIXES = frozenset(
    {".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm", ".xhtml", ".epub"}
)
# Encodings that real Chinese files arrive in; detection is limited to them so that a short GBK
# file is not read as, say, a Cyrillic code page.
CANDIDATE_ENCODINGS = ("gb18030", "big5", "utf_16", "utf_8")


@dataclass(frozen=True)
class Reason:
    """Why a file was skipped: a message with named fields, so that an interface can say it in
    its reader's language (`make messages` extracts every message given to UnreadableFile)."""

    message: str
    fields: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return self.message.format(**dict(self.fields))


class UnreadableFile(Exception):
    """A file that cannot be turned into text; the reason says why, for the user."""

    def __init__(self, message: str, **fields: object) -> None:
        self.reason = Reason(message, tuple((k, str(v)) for k, v in fields.items()))
        super().__init__(str(self.reason))

    @classmethod
    def because(cls, reason: Reason) -> UnreadableFile:
        return cls(reason.message, **dict(reason.fields))


# Formats that are sometimes saved under a .txt name; their bytes would decode as garbage.
MAGIC = (
    (b"%PDF", Reason("a PDF file, not plain text")),
    (b"PK\x03\x04", Reason("a zip archive (docx, epub or zip), not plain text")),
    (b"\xd0\xcf\x11\xe0", Reason("an old Office document, not plain text")),
    (b"{\\rtf", Reason("an RTF document, not plain text")),
    (b"\x89PNG", Reason("a PNG image, not plain text")),
    (b"\xff\xd8\xff", Reason("a JPEG image, not plain text")),
    (b"GIF8", Reason("a GIF image, not plain text")),
    (b"\x7fELF", Reason("a program, not plain text")),
)
_CONTROL_SHARE = 0.01


def decode(data: bytes) -> str:
    """Decode bytes as UTF-8 (with or without BOM) first, then as the detected Chinese encoding."""
    for magic, what in MAGIC:
        if data.startswith(magic):
            raise UnreadableFile.because(what)
    if b"\x00" in data and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UnreadableFile("binary data, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = from_bytes(data, cp_isolation=list(CANDIDATE_ENCODINGS)).best()
        if best is None:
            raise UnreadableFile("not text in UTF-8, GB18030/GBK or Big5") from None
        text = data.decode(best.encoding, errors="strict")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    control = sum(1 for ch in text if ch < " " and ch not in "\n\t\f\v")
    if control > _CONTROL_SHARE * len(text):
        raise UnreadableFile("binary data, not text")
    return text


def has_text(text: str) -> bool:
    """True when the text holds at least one letter, digit or CJK character."""
    return any(ch.isalnum() for ch in text)


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every supported file under the given files and folders, in a stable order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if (
                    child.is_file()
                    and child.suffix.lower() in SUPPORTED_SUFFIXES
                    and not any(part.startswith(".") for part in child.relative_to(path).parts)
                ):
                    yield child
        else:
            yield path


def read_bytes(path: Path) -> bytes:
    """The raw bytes of a supported file, or UnreadableFile naming the reason."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise UnreadableFile("unsupported file type {suffix}", suffix=path.suffix or "(none)")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableFile("cannot be read: {error}", error=exc.strerror or exc) from None


def to_text(data: bytes) -> str:
    """Decoded text that holds something worth indexing, or UnreadableFile."""
    text = decode(data)
    if not has_text(text):
        raise UnreadableFile("no text in the file")
    return text
