"""Hostile text everywhere: in documents, in questions, in what the answer formatter is given.

Emoji and ZWJ sequences, combining marks, right-to-left text, zero-width and control characters,
lone surrogates, lines thousands of characters long, markup and command look-alikes. Whatever
comes in, the cleaner and the chunker keep every character where it was, every message the bot
would send is one Telegram accepts, every quote is the document's own text, and a question can
do nothing to the index but search it.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import re
import sqlite3
import tempfile
from contextlib import aclosing
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.format import (
    MESSAGE_LIMIT,
    NAME_LIMIT,
    answer_html,
    fitted,
    folded_html,
    result_html,
    utf16_len,
)
from bot.handlers import CONTEXT_CHARS, failed
from bot.i18n import ENGLISH, texts
from index import store, tantivy_engine
from index.build import parse, update_index, upload_source
from index.chunk import CLOSERS, chunk, sentence_spans, sentences
from index.clean import HEADLINE_MAX, split_articles
from index.config import SAMPLES_DIR, Config
from index.library import Library
from index.quote import join_lines, span_text
from index.search import Answer, Result, Searcher
from index.tokenize import Tokenizer

from .bot_api_server import FakeTelegram
from .conftest import ENGINES, with_engine
from .telegram_html import check
from .test_bot import ADMIN, TOKEN, Env, _library, _running, _settings

# ----- what hostile text is made of ---------------------------------------------------------

FAILED = failed(texts(ENGLISH))
EMOJI = ["👨‍👩‍👧‍👦", "🏳️‍🌈", "👍🏽", "🧑🏿‍🚀", "😀", "🇨🇳", "#️⃣"]
COMBINING = ["e\u0301\u0308", "a\u0338", "ก\u0e33", "Z\u0351\u0324\u036b", "\u0301"]
RIGHT_TO_LEFT = ["مرحبا بالعالم", "שָׁלוֹם", "\u202e反转\u202c", "\u2067x\u2069", "\u200f"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad", "\u180e"]
# Controls a text file may hold (decoding refuses NUL and files full of controls).
CONTROLS = ["\x07", "\x1b[31m", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\u2028", "\u2029"]
SPACES = [" ", "\u3000", "\t", "\n", "\n\n", "\xa0"]
ASTRAL = ["𝕏𝔸𝕄", "𠀀𠀁𠀂", "\U0010ffff", "🀄", "𓀀"]
MARKUP = [
    "</blockquote>", "<blockquote>", "<a href='https://x.y/?a=1&b=2'>", "&amp;", "&lt;b&gt;",
    "<b>", "</b>", "&#0;", "&", "<", ">", '"', "<tg-spoiler>", "<!--", "]]>",
]  # fmt: skip
COMMANDS = ["/start@qabot_test_bot", "/ask", "/start", "@qabot_test_bot", "/remove 1", "r:1"]
PUNCTUATION = [
    "。", "！", "？", "…", "……", ".", ". ", "；", "”", "」", "）", "，", "：", "!?", "3.14",
]  # fmt: skip
WORDS = ["长治市人大常委会", "蓝色自行车", "晋中", "代表", "hello", "world", "2025年", "16次"]
SURROGATES = ["\ud800", "\udfff", "\udc80x\ud83d"]
HEADINGS = ["# 标题\n", "## 第二篇 ##\n", "——副标题\n", "本报记者 张三\n", "(图片)\n"]

SAFE_PIECES = (
    EMOJI + COMBINING + RIGHT_TO_LEFT + ZERO_WIDTH + CONTROLS + SPACES + ASTRAL + MARKUP
    + COMMANDS + PUNCTUATION + WORDS + HEADINGS
)  # fmt: skip


def _runs(alphabet: list[str], low: int, high: int) -> st.SearchStrategy[str]:
    """A very long line with no punctuation: one piece repeated thousands of times."""
    return st.builds(lambda piece, n: piece * n, st.sampled_from(alphabet), st.integers(low, high))


LONG_RUNS = _runs(["长", "x", "😀", "e\u0301", "\u200b", "𠀀", "ab "], 300, 4000)


def _insert(pieces: list[str], runs: list[tuple[int, str]]) -> str:
    for at, run in runs:
        pieces.insert(at % (len(pieces) + 1), run)
    return "".join(pieces)


def hostile(
    pieces: list[str], max_pieces: int = 30, chars: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[str]:
    """Hostile pieces and arbitrary characters, with up to two very long lines among them."""
    if chars is None:
        chars = st.characters(codec="utf-8")
    piece = st.sampled_from(pieces) | st.text(chars, max_size=12)
    return st.builds(
        _insert,
        st.lists(piece, max_size=max_pieces),
        st.lists(st.tuples(st.integers(0, max_pieces), LONG_RUNS), max_size=2),
    )


# Any str: lone surrogates included, since Python lets a str hold them.
ANY_TEXT = hostile(SAFE_PIECES + SURROGATES, chars=st.characters()) | st.text(max_size=400)
# What a document's text can be once decoded from bytes: no surrogates, no NUL.
DOCUMENT_TEXT = hostile(SAFE_PIECES, chars=st.characters(codec="utf-8", exclude_characters="\x00"))


# ----- the cleaner and the chunker ----------------------------------------------------------


def _only_space(text: str) -> bool:
    return all(ch.isspace() for ch in text)


def _assert_tiles(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    """Spans of text[start:end] in order, trimmed, with nothing but whitespace between them."""
    pos = start
    for s, e in spans:
        assert pos <= s < e <= end, (pos, s, e, end)
        assert _only_space(text[pos:s]), f"lost {text[pos:s]!r}"
        assert not text[s].isspace() and not text[e - 1].isspace()
        pos = e
    assert _only_space(text[pos:end]), f"lost {text[pos:end]!r}"


@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT, a=st.integers(0, 10_000), b=st.integers(0, 10_000))
def test_sentence_spans_cover_any_window_exactly(text: str, a: int, b: int) -> None:
    start, end = sorted((a % (len(text) + 1), b % (len(text) + 1)))
    spans = sentence_spans(text, start, end)
    _assert_tiles(text, start, end, spans)
    for (_, first_end), (second, _) in itertools.pairwise(spans):
        # A closing quote or bracket right after a sentence's end belongs to that sentence.
        assert not (second == first_end and text[second] in CLOSERS)


def _lines(text: str) -> list[tuple[int, int, str]]:
    """Each non-blank line, stripped, with its offsets."""
    out, pos = [], 0
    for raw in text.split("\n"):
        body = raw.strip()
        if body:
            s = pos + len(raw) - len(raw.lstrip())
            out.append((s, s + len(body), body))
        pos += len(raw) + 1
    return out


@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT, target=st.integers(1, 400), extra=st.integers(0, 400))
def test_cleaner_and_chunker_keep_every_character_where_it_was(
    text: str, target: int, extra: int
) -> None:
    maximum = target + extra
    articles = split_articles(text)
    paragraphs = [p for a in articles for p in a.paragraphs]
    # The cleaner: paragraphs are trimmed spans of the text itself, in order, never overlapping.
    for article in articles:
        assert article.paragraphs and len(article.sections) == len(article.paragraphs)
        assert article.title in text and article.subtitle in text
        assert all(part in text for section in article.sections for part in section.split(" "))
    for p, q in itertools.pairwise(paragraphs):
        assert p.end <= q.start
    for p in paragraphs:
        assert 0 <= p.start < p.end <= len(text)
        assert not text[p.start].isspace() and not text[p.end - 1].isspace()
    # A line is wholly in one paragraph, or is a headline: never is a long line dropped.
    for s, e, body in _lines(text):
        holders = [p for p in paragraphs if p.start < e and s < p.end]
        if holders:
            assert len(holders) == 1 and holders[0].start <= s and e <= holders[0].end
        else:
            assert len(body) <= HEADLINE_MAX + 4 or re.match(r"#{1,6}\s", body), body
    # The chunker: sentences tile each paragraph, none longer than the maximum.
    sents = sentences(text, articles, maximum)
    for s, t in itertools.pairwise(sents):
        assert s.end <= t.start
    for a, article in enumerate(articles):
        for n, para in enumerate(article.paragraphs, start=1):
            mine = [(s.start, s.end) for s in sents if (s.article, s.paragraph) == (a, n)]
            _assert_tiles(text, para.start, para.end, mine)
    assert all(s.end - s.start <= maximum for s in sents)
    # Chunks: every sentence exactly once, one article each, within the maximum.
    chunks = chunk(sents, target, maximum)
    assert [i for c in chunks for i in range(c.first, c.last + 1)] == list(range(len(sents)))
    for c in chunks:
        head, tail = sents[c.first], sents[c.last]
        assert (c.start, c.end, c.paragraph) == (head.start, tail.end, head.paragraph)
        assert {sents[i].article for i in range(c.first, c.last + 1)} == {c.article}
        assert c.end - c.start <= maximum


@settings(max_examples=60, deadline=None)
@given(text=DOCUMENT_TEXT)
def test_parsed_document_quotes_only_its_own_text(text: str, tokenizer: Tokenizer) -> None:
    doc = parse("upload:x", "x", "0" * 64, text, Config(), tokenizer)
    cleaned = join_lines(text)
    for n, sent in enumerate(doc.sentences):
        assert all(token.strip() for token in sent.tokens)
        for line in span_text(doc, n, n).split("\n"):
            assert line and line in cleaned
    for c in doc.chunks:
        for line in span_text(doc, c.first, c.last).split("\n"):
            assert line and line in cleaned


# ----- the message splitter -------------------------------------------------------------


def _sendable(text: str) -> str:
    """What escape() makes of a str: lone surrogates become U+FFFD."""
    return re.sub("[\ud800-\udfff]", "\ufffd", text)


@given(text=hostile(SAFE_PIECES) | st.text(st.characters(codec="utf-8")))
def test_utf16_len_counts_astral_characters_twice(text: str) -> None:
    assert utf16_len(text) == len(text) + sum(ord(ch) > 0xFFFF for ch in text)


def _result(quote: str, highlight: str, doc: str = "a.txt", title: str = "标题", n: int = 1):
    return Result(doc, title, quote, highlight, 1.0, n, 0, 0, 0, 0)


# Sentences of astral-plane and other hostile text, each short enough to fit alone.
_FILLER = EMOJI + COMBINING + RIGHT_TO_LEFT + ZERO_WIDTH + ASTRAL + MARKUP + WORDS + SURROGATES
SENTENCE = st.builds(
    lambda body, end: body + end,
    st.lists(st.sampled_from(_FILLER), min_size=1, max_size=40).map("".join).map(lambda s: s[:150]),
    st.sampled_from(["。", "！", "？", "…", "；", "。”", "!"]),
)
NAME = hostile(SAFE_PIECES + SURROGATES, 12).map(lambda s: s[:200])


def _repeated(sentences: list[str], size: int) -> list[str]:
    """The sentences over and over, to about `size` characters: as long as a widened quote."""
    body: list[str] = []
    for sentence in itertools.cycle(sentences):
        if body and sum(map(len, body)) + len(sentence) > size:
            return body
        body.append(sentence)
    raise AssertionError("unreachable")


@settings(max_examples=60, deadline=None)
@given(
    sentences=st.lists(SENTENCE, min_size=1, max_size=30),
    size=st.integers(2000, 3500) | st.integers(1, 2000),
    answering=st.integers(0, 10_000),
    limit=st.integers(2200, MESSAGE_LIMIT),
    number=st.integers(1, 999),
    doc=NAME,
    title=NAME,
)
def test_fitted_keeps_the_longest_run_of_whole_sentences_that_fits(
    sentences: list[str],
    size: int,
    answering: int,
    limit: int,
    number: int,
    doc: str,
    title: str,
) -> None:
    body = _repeated(sentences, size)
    quote = "".join(body)
    highlight = body[answering % len(body)]
    doc = doc or "d"
    original = _result(quote, highlight, doc, title)
    cut = fitted(original, number, limit)
    message = result_html(number, cut)
    assert utf16_len(message) <= limit
    check(message)
    if utf16_len(result_html(number, original)) <= limit:
        assert cut == original
        return
    assert len(cut.doc) <= NAME_LIMIT and doc.startswith(cut.doc.removesuffix("…"))
    assert len(cut.title) <= NAME_LIMIT and title.startswith(cut.title.removesuffix("…"))
    if cut.quote == quote:  # shorter names were enough
        assert (cut.doc, cut.title) != (doc, title)
        return
    assert cut.quote.endswith("…")
    kept = cut.quote.removesuffix("…")
    assert quote.startswith(kept)
    # The bold answering sentence stays bold as long as it is kept.
    assert cut.highlight == (highlight if highlight in kept else "")
    assert ("<b>" in message) == bool(cut.highlight)
    # Cut at a sentence's end; one sentence more would not have fitted.
    ends = [e for _, e in sentence_spans(quote, 0, len(quote))]
    assert len(kept) in ends
    longer = [e for e in ends if e > len(kept)]
    if longer:
        more = quote[: longer[0]]
        bigger = replace(cut, quote=more + "…", highlight=highlight if highlight in more else "")
        assert utf16_len(result_html(number, bigger)) > limit


@settings(max_examples=150, deadline=None)
@given(
    quotes=st.lists(
        st.lists(SENTENCE, min_size=1, max_size=60).map("".join) | LONG_RUNS, min_size=1, max_size=8
    ),
    start=st.integers(1, 100),
    doc=NAME,
)
def test_answer_html_keeps_as_many_whole_results_as_fit(
    quotes: list[str], start: int, doc: str
) -> None:
    results = [_result(q, q[:20], doc or "d", n=k) for k, q in enumerate(quotes)]
    message = answer_html(Answer("q", results), start=start)
    assert utf16_len(message) <= MESSAGE_LIMIT
    check(message)
    items = _items(message)
    assert [n for n, _, _ in items] == list(range(start, start + len(items)))
    assert 1 <= len(items) <= len(results)
    # The first result is always there (cut if need be); the others whole, or not at all.
    assert _sendable(quotes[0]).startswith(items[0][1].removesuffix("…"))
    for (_, shown, _), quote in zip(items[1:], quotes[1:], strict=False):
        assert shown == _sendable(quote)
    if len(items) < len(results):
        following = folded_html(start + len(items), results[len(items)])
        assert utf16_len(f"{message}\n\n{following}") > MESSAGE_LIMIT


# ----- answers from a real index of hostile documents -----------------------------------------

_LEAD = re.compile(
    r"(\d+)\. <blockquote>(.*?)</blockquote>\n<i>(.*?)</i>"
    r"(?:\n<blockquote expandable>(.*?)</blockquote>)?",
    re.S,
)
_FOLDED = re.compile(r"(\d+)\. <blockquote expandable>(.*?)</blockquote>\n<i>(.*?)</i>", re.S)
_SHORT = re.compile(r"<b>[^<]*</b>\n\n")


def _plain(part: str) -> str:
    return html.unescape(re.sub("</?b>", "", part))


def _items(message: str) -> list[tuple[int, str, str]]:
    """(number, whole quote, source) of each result in an answer, as the reader sees them: the
    first with its answering sentences shown and the whole quote folded, the rest folded."""
    short = _SHORT.match(message)
    pos = short.end() if short else 0
    lead = _LEAD.match(message, pos)
    assert lead is not None, "no first result"
    shown, folded = _plain(lead.group(2)), lead.group(4)
    quote = _plain(folded) if folded is not None else shown
    assert shown.removesuffix("…") in quote, "the first screen is not part of the quote"
    found = [(int(lead.group(1)), quote, _plain(lead.group(3)))]
    pos = lead.end()
    while pos < len(message):
        assert message.startswith("\n\n", pos), "not a list of quoted results"
        more = _FOLDED.match(message, pos + 2)
        assert more is not None, "not a list of quoted results"
        found.append((int(more.group(1)), _plain(more.group(2)), _plain(more.group(3))))
        pos = more.end()
    return found


def _bold(message: str) -> list[str]:
    return [html.unescape(b) for b in re.findall(r"<b>(.*?)</b>", message, re.S)]


ANCHOR = "晋中市今年投放蓝色自行车三千二百辆。"
ANCHOR_QUESTION = "晋中投放了多少辆蓝色自行车？"


def _assert_quotes_own_text(message: str, searcher: Searcher, results: list[Result]) -> None:
    """A message Telegram takes, whose every quote and bold sentence is the document's text."""
    assert utf16_len(message) <= MESSAGE_LIMIT
    check(message)
    if not results:
        assert "No relevant passage" in message
        return
    items = _items(message)
    assert 1 <= len(items) <= len(results)
    texts = [join_lines(searcher.document(r.doc_id).text) for r in results]
    for (_, quote, source), result, cleaned in zip(items, results, texts, strict=False):
        for line in quote.removesuffix("…").split("\n"):
            assert line and line in cleaned, f"{line!r} is not the document's text"
        page = f"p. {result.page}" if result.page else f"¶{result.paragraph}"
        assert source.endswith(page)
    for bold in _bold(message):
        assert any(bold in cleaned for cleaned in texts)


def _build(
    folder: Path, name: str, text: str, config: Config, tokenizer: Tokenizer
) -> list[Searcher]:
    """An index of the one document, opened by each engine, with short and long quotes."""
    cfg = config.with_index_path(folder / "index")
    library = Library(cfg, tokenizer)
    report = library.add([upload_source(name, text.encode("utf-8"))])
    assert report.added, report.skipped
    return [
        Searcher.open(cfg.index.path, replace(with_engine(cfg, engine), answers=answers), tokenizer)
        for engine in ENGINES
        # The default quotes, and quotes longer than a message, which must be cut to fit.
        for answers in (cfg.answers, replace(cfg.answers, quote_chars=6000))
    ]


def _document(parts: list[str]) -> str:
    """The parts as paragraphs, with the anchor; diluted where control characters are so many
    that the file would be refused as binary data."""
    text = "\n\n".join([*parts, ANCHOR])
    controls = sum(1 for ch in text if ch < " " and ch not in "\n\t\f\v")
    return text + "\n\n" + "平" * (200 * controls) if controls else text


DOCUMENT = st.lists(
    DOCUMENT_TEXT | st.sampled_from([ANCHOR, f"{ANCHOR}{ANCHOR}"]), min_size=1, max_size=5
).map(_document)
QUESTION = st.lists(
    st.sampled_from([*SAFE_PIECES, "\x00", "晋中", "自行车", "三千二百辆", "几辆"])
    | st.text(max_size=10),
    min_size=1,
    max_size=10,
).map("".join)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=DOCUMENT, name=NAME, question=QUESTION)
def test_answers_from_hostile_documents_are_sendable_and_quote_the_document(
    text: str, name: str, question: str, config: Config, tokenizer: Tokenizer
) -> None:
    name = _sendable(name).strip() or "doc"
    with tempfile.TemporaryDirectory() as tmp:
        for searcher in _build(Path(tmp), name, text, config, tokenizer):
            for asked in (ANCHOR_QUESTION, question):
                answer = searcher.search(asked, limit=4)
                if asked == ANCHOR_QUESTION:
                    assert answer.results, "the document's own sentence was not found"
                for start in (1, 3):
                    _assert_quotes_own_text(answer_html(answer, start), searcher, answer.results)
                for k, result in enumerate(answer.results, start=1):
                    # What inline mode sends, and what the Context button sends.
                    inline = result_html(k, fitted(result, k, MESSAGE_LIMIT))
                    _assert_quotes_own_text(inline, searcher, [result])
                    wide = searcher.context(result, CONTEXT_CHARS)
                    shown = result_html(k, fitted(wide, k, MESSAGE_LIMIT))
                    _assert_quotes_own_text(shown, searcher, [wide])


# ----- questions that try to be more than questions -------------------------------------------

REAL_QUESTION = "长治市人大常委会2025年召开了几次常委会会议？"
ANSWER = "常委会会议7次"
INJECTIONS = [
    # SQL
    "'; DROP TABLE chunks; --", '" OR 1=1 --', "1); DELETE FROM documents; --",
    "%' OR '1'='1", "长治'; UPDATE totals SET documents = 0; --", "\\x00'; VACUUM; --",
    # regular expressions
    ".*", "(a+)+$", "[", "(?i)长治", "a{99999999}", "\\", "(((((((((((", "长治|晋中", "^$",
    # jieba user-dictionary lines
    "词 100 n", "长治 999999 n\n晋中 1 ns", "蓝色\t100\tn", "人大常委会 0 x\n\n\t\r\n",
    # format strings
    "{0}", "%s%n", "{__class__}", "{0.__class__.__mro__}", "%(question)s", "${HOME}", "{}",
    # FTS and tantivy query syntax
    "title:x AND y", '"unclosed', "*", "-", "NOT", "OR", "AND", "body:长治", "doc:1 OR doc:2",
    "passage:1", "长治^100", "长治~2", "[1 TO 9]", "长治 AND NOT 晋中", "+长治 -晋中", "NEAR(a b)",
    # and the rest
    "\x00", "\x00长治", "长治\x00晋中", "/start@qabot_test_bot", "</blockquote><b>", "&amp;",
    "", " \n\t", "\u200b" * 50,
]  # fmt: skip
HUGE = ["👨‍👩‍👧‍👦" * 500, "长" * 20_000, "x" * 100_000, "长治" + "，" * 50_000]


def _snapshot(index_dir: Path) -> dict[str, object]:
    """Everything on disk that a search must not change: every table, row by row, and tantivy's."""
    conn = sqlite3.connect(f"file:{store.db_path(index_dir)}?mode=ro", uri=True)
    try:
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        tables = {}
        for kind, name, _ in schema:
            if kind == "table" and not name.startswith("sqlite_"):
                rows = conn.execute(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall()
                tables[name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()
    return {
        "schema": schema,
        "tables": tables,
        "tantivy": tantivy_engine.marker(index_dir),
    }


def _answers(searcher: Searcher) -> list[tuple[str, str, str, float]]:
    return [(r.doc, r.quote, r.highlight, r.score) for r in searcher.search(REAL_QUESTION).results]


@pytest.fixture(scope="module")
def sample_index(
    tmp_path_factory: pytest.TempPathFactory, config: Config, tokenizer: Tokenizer
) -> Path:
    cfg = config.with_index_path(tmp_path_factory.mktemp("hostile") / "index")
    update_index([SAMPLES_DIR], cfg, tokenizer, progress=False)
    return cfg.index.path


def _open(index_dir: Path, config: Config, tokenizer: Tokenizer, engine: str) -> Searcher:
    searcher = Searcher.open(index_dir, with_engine(config, engine), tokenizer)
    assert searcher.engine.name == engine
    return searcher


@pytest.mark.parametrize("engine", ENGINES)
def test_injected_questions_only_search(
    engine: str, sample_index: Path, config: Config, tokenizer: Tokenizer
) -> None:
    before = _snapshot(sample_index)
    searcher = _open(sample_index, config, tokenizer, engine)
    tokens = tokenizer.query(REAL_QUESTION)
    expected = _answers(searcher)
    assert any(ANSWER in quote for _, quote, _, _ in expected)
    documents = searcher.document_count
    for question in INJECTIONS + HUGE:
        answer = searcher.search(question)
        assert answer.question == question
        check(answer_html(answer))
    # Nothing changed: not the open index, not the files, not the tokenizer's dictionary.
    assert _answers(searcher) == expected
    assert tokenizer.query(REAL_QUESTION) == tokens
    assert _snapshot(sample_index) == before
    reopened = _open(sample_index, config, tokenizer, engine)
    assert reopened.document_count == documents == 2
    assert _answers(reopened) == expected


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parts=st.lists(
        st.sampled_from(INJECTIONS + SAFE_PIECES + ["长治", "常委会会议", "几次"]),
        min_size=1,
        max_size=6,
    ),
    engine=st.sampled_from(ENGINES),
)
def test_questions_mixing_injections_and_words_only_search(
    parts: list[str], engine: str, sample_index: Path, config: Config, tokenizer: Tokenizer
) -> None:
    searcher = _open(sample_index, config, tokenizer, engine)
    question = "".join(parts)
    answer = searcher.search(question, limit=5)
    check(answer_html(answer))
    for result in answer.results:
        assert result.highlight in result.quote
        for line in result.quote.split("\n"):
            assert line and line in join_lines(searcher.document(result.doc_id).text)
    assert searcher.document_count == 2
    assert any(ANSWER in quote for _, quote, _, _ in _answers(searcher))


@pytest.mark.parametrize("engine", ENGINES)
def test_questions_with_lone_surrogates_only_search(
    engine: str, sample_index: Path, config: Config, tokenizer: Tokenizer
) -> None:
    # As `qabot ask` gets a question that is not UTF-8: its bytes as lone surrogates.
    searcher = _open(sample_index, config, tokenizer, engine)
    for question in ["\udcff长治", "长治\ud800", "\udc80\udcff"]:
        check(answer_html(searcher.search(question)))
    found = searcher.search("长治市人大常委会\udcff召开了几次常委会会议？").results
    assert any(ANSWER in r.quote for r in found)


# ----- through the bot ------------------------------------------------------------------------

MARKUP_NAME = "R&D <draft> “报告” & <b>.txt"  # no "/": a name has no folders


async def test_an_upload_named_like_markup_is_added_and_reported(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    library = _library(SAMPLES_DIR, tmp_path / "index", config, tokenizer)
    with FakeTelegram(token=TOKEN) as tg:
        async with aclosing(_running(tg, _settings(tg), library)) as running:
            async for _ in running:
                admin = tg.user(ADMIN, "Admin")
                chat = tg.private_chat(admin)

                def said(*starts: str) -> list[str]:
                    return [
                        t for m in tg.sent_messages(ADMIN) if (t := m["text"]).startswith(starts)
                    ]

                data = "紫色独角兽住在火星上的水晶宫殿里。".encode()
                tg.send_document(chat, admin, MARKUP_NAME, data, mime_type="text/plain")
                await tg.await_for(lambda: bool(said("Added", FAILED)))
                assert said("Added") and said("Added")[0].startswith(f"Added {MARKUP_NAME} (#")
                env = Env(tg, library)
                asked = tg.send_text(chat, admin, "独角兽住在哪里？")
                answer = await env.reply_to(chat, asked["message_id"])
                assert "水晶宫殿" in answer["text"] and f"{MARKUP_NAME} · ¶1" in answer["text"]
                doc_id = next(d.id for d in library.open().sources() if d.name == MARKUP_NAME)
                remove = tg.send_text(chat, admin, f"/remove {doc_id}")
                confirm = await env.reply_to(chat, remove["message_id"])
                tg.press_button(chat, admin, confirm["message_id"], f"r:{doc_id}")
                await tg.await_for(lambda: bool(said("Removed") or tg.rejections))
                assert said("Removed") == [f"Removed {MARKUP_NAME}."]
                assert library.open().document_count == 2
        assert tg.rejections == []
