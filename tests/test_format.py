"""Answers as Telegram HTML: escaped, bold where it answers, within Telegram's limits."""

from __future__ import annotations

import re
import statistics
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.format import answer_html, html_to_terminal, utf16_len
from index.evaluate import load_gold
from index.search import Answer, Result, Searcher

from .conftest import SEED_QA
from .telegram_html import check


def _result(quote: str, highlight: str, title: str = "标题", doc: str = "a.txt") -> Result:
    return Result(doc, title, quote, highlight, 1.0, 2, 0, 0, 0, 0)


def test_answer_message_bolds_the_answering_sentence(sample_searcher: Searcher) -> None:
    answer = sample_searcher.search("长治组织了多少次任前法律知识考试？")
    message = answer_html(answer)
    text = check(message)
    assert message.startswith("<b>16次</b>\n\n1. <blockquote>")
    assert "<b>开展宪法宣传周等普法活动，组织任前法律知识考试16次、宪法宣誓38人次；</b>" in message
    assert "003_dbe9603fad007b0c.txt · 围绕中心依法履职 紧贴民心担当作为 · ¶" in text


def test_document_text_that_looks_like_html_is_escaped() -> None:
    quote = "if a < b && c > d: print('<b>x</b>') & done"
    message = answer_html(Answer("q", [_result(quote, "print('<b>x</b>')", title="<i>t</i>")]))
    text = check(message)
    assert quote in text and "<i>t</i>" in text


def test_no_answer_is_a_plain_polite_sentence() -> None:
    text = check(answer_html(Answer("今天天气怎么样", [])))
    assert "No relevant passage" in text
    assert "The question is empty." in check(answer_html(Answer("", [], "The question is empty.")))


def test_results_that_would_pass_the_limit_are_left_out() -> None:
    results = [_result("长" * 1500, "长" * 10) for _ in range(4)]
    message = answer_html(Answer("q", results))
    check(message)
    assert "1. <blockquote>" in message and "2. <blockquote expandable>" in message
    assert "3. " not in message


def test_terminal_rendering_keeps_bold_and_sources() -> None:
    message = answer_html(Answer("q", [_result("前一句。答案句。后一句。", "答案句。")]))
    plain = html_to_terminal(message, color=False)
    assert "**答案句。**" in plain and "a.txt · 标题 · ¶2" in plain
    assert "<" not in plain
    assert "\033[1m答案句。\033[0m" in html_to_terminal(message, color=True)


pieces = st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["</blockquote>", "<a href='x'>", "&amp;", "&", "<", "/start", "\u200d", "👨‍👩‍👧", "\u202e"]
)
hostile = st.lists(pieces, min_size=1, max_size=20).map("".join).filter(bool)


@settings(max_examples=200, deadline=None)
@given(quote=hostile, title=hostile, cut=st.integers(0, 500))
def test_any_text_gives_a_valid_message(quote: str, title: str, cut: int) -> None:
    highlight = quote[cut % len(quote) :][:50]
    message = answer_html(Answer("q", [_result(quote, highlight, title=title)] * 3))
    text = check(message)
    assert quote in text


@pytest.mark.parametrize("bad", ["<b>x", "x</b>", "<script>x</script>", "a < b", "R&D"])
def test_the_checker_refuses_what_telegram_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        check(bad)


def test_paged_documents_cite_the_page() -> None:
    result = replace(_result("正文。", "正文。", doc="book.pdf"), page=3)
    assert "book.pdf · 标题 · p. 3" in check(answer_html(Answer("q", [result])))


# What users and documents can hold: emoji with ZWJ and skin tones, combining marks, right-to-left
# text, zero-width and control characters, lone surrogates (a Python str allows them), markup and
# command look-alikes, very long runs.
HOSTILE_PIECES = [
    "👨‍👩‍👧‍👦", "👍🏽", "e\u0301\u0301", "مرحبا", "\u202e反转\u202c", "\u200b\u200c\u200d\ufeff",
    "\x00\x07\x1b[31m", "\ud800", "\udfff", "</blockquote>", "<a href='javascript:x'>",
    "&amp;", "&#0;", "/start@bot", "{0}%s", "长" * 300, "x" * 2000,
]  # fmt: skip
hostile_text = st.lists(
    st.sampled_from(HOSTILE_PIECES) | st.text(max_size=20), min_size=1, max_size=12
).map("".join)


@settings(max_examples=300, deadline=None)
@given(quote=hostile_text, title=hostile_text, doc=hostile_text, cut=st.integers(0, 10_000))
def test_hostile_unicode_always_makes_a_sendable_message(
    quote: str, title: str, doc: str, cut: int
) -> None:
    highlight = quote[cut % len(quote) :][:80] if quote else ""
    results = [_result(quote, highlight, title=title, doc=doc)] * 3
    message = answer_html(Answer("q", results, short=highlight[:30] or None))
    check(message)
    message.encode("utf-8")  # what the HTTP request will need


def test_a_result_too_long_for_one_message_is_cut_at_a_sentence_end() -> None:
    quote = "答案就在这里。" + "".join(f"第{n}句话说了一些别的事情。" for n in range(600))
    long = _result(quote, "答案就在这里。", title="标" * 500, doc="d" * 300 + ".txt")
    text = check(answer_html(Answer("q", [long])))
    assert "答案就在这里。" in text and "句话说了一些别的事情。…" in text
    # A short answer first still leaves room for the quote.
    text = check(answer_html(Answer("q", [long], short="7次")))
    assert text.startswith("7次") and "答案就在这里。" in text
    assert "<b>答案就在这里。</b>" in answer_html(Answer("q", [long]))


def _first_screen(message: str) -> str:
    """What a phone shows before anything is expanded."""
    return check(re.sub(r"\n?<blockquote expandable>.*?</blockquote>", "", message, flags=re.S))


def test_the_first_screen_is_the_answer_and_its_source(sample_searcher: Searcher) -> None:
    screens = [
        _first_screen(answer_html(sample_searcher.search(q.question)))
        for q in load_gold(SEED_QA).questions
    ]
    assert statistics.median(len(s) for s in screens) <= 350
    answer = sample_searcher.search("长治组织了多少次任前法律知识考试？")
    first = _first_screen(answer_html(answer))
    assert first.startswith("16次\n\n1. ") and "组织任前法律知识考试16次" in first
    assert "003_dbe9603fad007b0c.txt · " in first
    # Results 2 and 3 are folded: their quotes are not on the first screen.
    assert answer.results[1].highlight not in first


def test_a_followup_opens_with_how_it_was_understood_and_stays_within_the_limit() -> None:
    answer = Answer(
        "主任会议呢？",
        [_result("召开常委会会议7次、主任会议15次。", "召开常委会会议7次、主任会议15次。")],
        short="15次",
    )
    message = answer_html(answer, understood="长治市人大常委会2025年召开了几次主任会议")
    assert message.startswith(
        "<i>(Read as “长治市人大常委会2025年召开了几次主任会议”)</i>\n<b>15次</b>\n\n1. "
    )
    huge = answer_html(answer, understood="长治" * 5000)
    assert utf16_len(huge) <= 4096 and "主任会议15次" in check(huge)
