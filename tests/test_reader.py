"""Files arrive in every encoding Chinese text is kept in; none may turn into mojibake."""

from __future__ import annotations

import codecs
from pathlib import Path

import opencc
import pytest

from index.reader import UnreadableFile, decode, iter_files, read_bytes, to_text

from .conftest import CHANGZHI, sample_text

SIMPLIFIED = sample_text(CHANGZHI)
# Big5 holds traditional characters only; Taiwan standard forms are the ones it can encode.
TRADITIONAL = opencc.OpenCC("s2tw").convert(SIMPLIFIED[:600]).replace("〇", "零")


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-8", SIMPLIFIED),
        ("utf-8-sig", SIMPLIFIED),
        ("gb18030", SIMPLIFIED),
        ("gbk", SIMPLIFIED[:300]),
        ("gb18030", "长治市人大常委会"),
        ("big5", TRADITIONAL),
        ("big5", TRADITIONAL[:80]),
        ("utf-16", SIMPLIFIED[:200]),
    ],
)
def test_decodes_chinese_encodings(encoding: str, text: str) -> None:
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        pytest.fail(f"test text must be encodable in {encoding}")
    assert decode(data) == text


def test_crlf_and_cr_become_lf() -> None:
    text = "第一段。\r\n\r\n第二段。\r第三段。"
    assert decode(text.encode("gb18030")) == "第一段。\n\n第二段。\n第三段。"


def test_bom_is_not_part_of_the_text() -> None:
    assert decode(codecs.BOM_UTF8 + "标题".encode()) == "标题"


def test_binary_file_is_refused() -> None:
    with pytest.raises(UnreadableFile, match="binary"):
        decode(bytes(range(256)) * 4)


def test_empty_or_blank_file_is_refused() -> None:
    for data in (b"", b"  \n\n \t", "，。！".encode()):
        with pytest.raises(UnreadableFile, match="no text"):
            to_text(data)


def test_unsupported_suffix_is_named(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnreadableFile, match=r"\.xlsx"):
        read_bytes(path)


def test_folders_are_walked_in_order_and_hidden_files_skipped(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ("b/2.md", "a.txt", ".git/x.txt", "c.pdf", "b/1.TXT", "d.xlsx", "e.html"):
        (tmp_path / name).write_text("文字", encoding="utf-8")
    names = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path])]
    assert names == ["a.txt", "b/1.TXT", "b/2.md", "c.pdf", "e.html"]


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(1, 200)), "zip"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(1, 200)), "PNG"),
        (bytes(range(1, 32)) * 20 + "中文".encode(), "binary"),
    ],
)
def test_binary_formats_named_txt_are_refused(data: bytes, what: str) -> None:
    with pytest.raises(UnreadableFile, match=what):
        decode(data)
