"""Every common format read by its content, its headings kept, bad files refused by name."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from index.build import update_index
from index.clean import split_articles
from index.config import Config
from index.evaluate import evaluate, load_gold
from index.formats import extract, extract_bounded, sniff
from index.reader import UnreadableFile
from index.search import Searcher
from index.tokenize import Tokenizer

from . import documents
from .conftest import CHANGZHI, JINZHONG, SEED_QA, sample_text

CHINESE = ["长治市人大常委会召开常委会会议7次、主任会议15次。", "组织任前法律知识考试16次。"]


def titles(text: str) -> list[str]:
    return [a.title for a in split_articles(text)]


def test_pdf_text_layer_is_read_even_when_named_txt(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    data = documents.pdf([*CHINESE, "English words in a PDF, too."])
    assert sniff(data) == "pdf"
    text = extract(data)
    assert "常委会会议7次" in text and "English words in a PDF" in text
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "report.txt").write_bytes(data)
    cfg = config.with_index_path(tmp_path / "index")
    assert update_index([folder], cfg, tokenizer, progress=False).added == ["report.txt"]
    result = Searcher.open(cfg.index.path, cfg, tokenizer).search("任前法律知识考试几次").results
    assert "16次" in result[0].quote


def test_pdf_without_text_layer_encrypted_or_truncated_is_refused() -> None:
    with pytest.raises(UnreadableFile, match="no text layer"):
        extract(documents.blank_pdf())
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(documents.pdf(CHINESE))))
    writer.encrypt("secret")
    locked = io.BytesIO()
    writer.write(locked)
    with pytest.raises(UnreadableFile, match="encrypted"):
        extract(locked.getvalue())
    with pytest.raises(UnreadableFile, match="PDF"):
        extract(documents.pdf(CHINESE)[:300])


def test_word_headings_become_headlines() -> None:
    data = documents.docx(
        [("title", "长治人大年度综述"), ("p", CHINESE[0]), ("h1", "法治保障"), ("p", CHINESE[1])]
    )
    assert sniff(data) == "docx"
    assert titles(extract(data)) == ["长治人大年度综述", "法治保障"]


def test_html_main_text_only_with_headlines() -> None:
    page = (
        "<!DOCTYPE html><html><head><title>t</title><script>var menu = '导航脚本';</script>"
        "<style>p {color: red}</style></head><body><nav><a href='/'>首页</a> 导航栏目</nav>"
        "<main><h1>长治人大</h1><p>" + CHINESE[0] + "</p><h2>法治保障</h2>"
        "<div><p>" + CHINESE[1] + "</p><ul><li>列表项目一。</li></ul></div></main>"
        "<footer>版权所有 页脚</footer></body></html>"
    )
    data = page.encode("gb18030")
    assert sniff(data) == "html"
    text = extract(data)
    assert "导航" not in text and "页脚" not in text and "var menu" not in text
    assert "列表项目一。" in text
    assert titles(text) == ["长治人大", "法治保障"]


def test_epub_chapters_become_articles() -> None:
    data = documents.epub_book([("第一章", [CHINESE[0]]), ("第二章", [CHINESE[1]])])
    assert sniff(data) == "epub"
    assert titles(extract(data)) == ["第一章", "第二章"]


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (_zip({"word/document.xml": b"\0" * 50_000_000}), "zip bomb"),
        (_zip({"readme.txt": b"hello"}), "neither a Word document nor an EPUB"),
        (b"PK\x03\x04" + b"\x00garbage" * 100, "damaged zip"),
        (_zip({"word/document.xml": b"<not xml"}), "damaged Word document"),
        (b"", "no text"),
    ],
)
def test_bad_archives_and_empty_files_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(UnreadableFile, match=reason):
        extract(data)


def _as_pdf_and_docx(folder: Path) -> None:
    for name in (JINZHONG, CHANGZHI):
        paragraphs = [p for p in sample_text(name).split("\n") if p.strip()]
        stem = name.removesuffix(".txt")
        (folder / f"{stem}.pdf").write_bytes(documents.pdf(paragraphs))
        (folder / f"{stem}.docx").write_bytes(documents.docx([("p", p) for p in paragraphs]))


@pytest.mark.parametrize("suffix", [".pdf", ".docx"])
def test_samples_as_pdf_and_word_still_meet_the_eval_targets(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, suffix: str
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    _as_pdf_and_docx(folder)
    for other in folder.glob("*"):
        if other.suffix != suffix:
            other.unlink()
    cfg = config.with_index_path(tmp_path / "index")
    report = update_index([folder], cfg, tokenizer, progress=False)
    assert len(report.added) == 2 and not report.skipped
    searcher = Searcher.open(cfg.index.path, cfg, tokenizer)
    gold = [
        q.__class__(q.id, q.question, q.answers, q.doc.removesuffix(".txt") + suffix)
        for q in load_gold(SEED_QA).questions
    ]
    metrics = evaluate(gold, searcher.search)
    assert metrics.aiq1 >= 0.95 and metrics.aiq3 == 1.0


def test_a_huge_file_of_one_repeated_line_is_refused() -> None:
    line = "这一行一遍又一遍地重复出现。\n".encode()
    data = line * (19_900_000 // len(line))
    assert len(data) > 19_000_000
    with pytest.raises(UnreadableFile, match="repeated"):
        extract(data)
    real = "\n\n".join(sample_text(n) for n in (JINZHONG, CHANGZHI)) * 4
    assert "人大" in extract(real.encode())


def test_pdf_passages_know_their_page(tmp_path: Path, config: Config, tokenizer: Tokenizer) -> None:
    filler = [f"第{n}段只是填充的文字，用来把后面的内容推到下一页去。" for n in range(60)]
    data = documents.pdf([*filler, "青蛙王子住在湖边的城堡里。"])
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "book.pdf").write_bytes(data)
    cfg = config.with_index_path(tmp_path / "index")
    update_index([folder], cfg, tokenizer, progress=False)
    searcher = Searcher.open(cfg.index.path, cfg, tokenizer)
    first = searcher.search("第0段只是填充的文字").results[0]
    frog = searcher.search("青蛙王子住在哪里？").results[0]
    assert first.page == 1 and frog.page is not None and frog.page >= 2
    assert "\f" not in frog.quote


def test_binary_formats_are_parsed_within_time_and_memory_bounds() -> None:
    data = documents.pdf(CHINESE)
    assert "常委会会议7次" in extract_bounded(data)
    with pytest.raises(UnreadableFile, match="longer than"):
        extract_bounded(data, seconds=0.0001)
    with pytest.raises(UnreadableFile, match="damaged PDF"):
        extract_bounded(data[:300])
    page = "<html><body>" + "".join(f"<p>第{n}段。</p>" for n in range(100_000)) + "</body></html>"
    with pytest.raises(UnreadableFile, match="memory"):
        extract_bounded(page.encode(), memory=100 * 1024 * 1024)
