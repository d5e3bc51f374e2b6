"""Ranking and quoting over the real sample pages and over tiny collections."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import opencc
import pytest

from bot.format import lead_html
from index.build import update_index
from index.config import Config
from index.evaluate import load_gold
from index.quote import span_text
from index.search import Searcher
from index.store import Passage, Words, add_article_words, connect, count_in, load_document
from index.tokenize import Tokenizer

from .conftest import (
    CHANGZHI,
    ENGINES,
    JINZHONG,
    SEED_QA,
    index_texts,
    samples_index,
    with_engine,
)


def test_city_in_the_question_picks_that_citys_page(sample_searcher: Searcher) -> None:
    changzhi = sample_searcher.search("长治有多少名五级人大代表走进代表联络站？").results[0]
    assert changzhi.doc == CHANGZHI and "8984名" in changzhi.quote
    jinzhong = sample_searcher.search("晋中有多少名各级人大代表参与了主题活动？").results[0]
    assert jinzhong.doc == JINZHONG and "8500余名" in jinzhong.quote


def test_answer_is_quoted_with_its_sentence_source_and_paragraph(
    sample_searcher: Searcher,
) -> None:
    result = sample_searcher.search("李新文是哪年出生的？").results[0]
    assert result.doc == JINZHONG
    assert result.title == "中共晋中市委组织部公示"
    assert "1977年8月" in result.highlight
    assert result.highlight in result.quote
    assert result.paragraph == 3


def test_traditional_question_finds_simplified_text(sample_searcher: Searcher) -> None:
    question = opencc.OpenCC("s2t").convert("长治废止了哪部地方性法规？")
    assert question != "长治废止了哪部地方性法规？"
    quotes = [r.quote for r in sample_searcher.search(question).results]
    assert any("《长治市禁止燃放烟花爆竹规定》" in q for q in quotes)


def test_traditional_documents_answer_simplified_questions(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    text = "長治市人大常委會召開常委會會議7次。\n\n晉中市舉辦了培訓。\n\n其他內容在這裡。\n"
    (folder / "big5.txt").write_bytes(text.encode("big5"))
    cfg = config.with_index_path(tmp_path / "index")
    update_index([folder], cfg, tokenizer, progress=False)
    result = (
        Searcher.open(cfg.index.path, cfg, tokenizer).search("长治召开了几次常委会会议").results
    )
    assert result and result[0].quote.startswith("長治市人大常委會召開常委會會議7次。")


def test_questions_that_count_or_list_still_find_their_answer(
    sample_searcher: Searcher, tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """The question's 哪几天 and 几个, and 位于 hoped for by 在哪, are in no passage: weighed,
    they left every passage below the relevance floor, and the bot said nothing."""
    days = sample_searcher.search("公示期是哪几天？").results[0]
    assert "2026年1月8日至1月14日" in days.highlight
    everything = replace(config, search=replace(config.search, min_confidence=0.0))
    searcher = Searcher.open(sample_searcher.index_dir, everything, tokenizer)
    places = searcher.search("晋中基层代表培训是在哪几个地方办的？").results[0]
    assert "榆次、祁县、平遥、寿阳" in places.highlight


@pytest.mark.parametrize("question", ["今天天气怎么样", "asdfgh", "天气预报说明天下雨吗"])
def test_unrelated_questions_get_no_passage(sample_searcher: Searcher, question: str) -> None:
    assert sample_searcher.search(question).results == []


@pytest.mark.parametrize("question", ["", "   ", "？？！！", "😀👍🏽"])
def test_questions_without_words_say_why(sample_searcher: Searcher, question: str) -> None:
    answer = sample_searcher.search(question)
    assert answer.results == [] and answer.note


def test_quotes_are_short_and_never_repeat_a_sentence(sample_searcher: Searcher) -> None:
    for question in ["市人大常委会代表工作", "人大代表", "2025年", "建议办理"]:
        results = sample_searcher.search(question, limit=10).results
        assert len(results) >= 3
        seen: set[tuple[int, int]] = set()
        for r in results:
            assert len(r.quote) <= 400
            sentences = {(r.doc_id, s) for s in range(r.first, r.last + 1)}
            assert not sentences & seen
            seen |= sentences


def test_quote_is_the_documents_own_text(sample_searcher: Searcher) -> None:
    for r in sample_searcher.search("代表建议办理满意度测评", limit=5).results:
        doc = sample_searcher.document(r.doc_id)
        sentences = doc.sentences[r.first : r.last + 1]
        original = "".join(doc.text[s.start : s.stop] for s in sentences)
        assert "".join(r.quote.split()) == "".join(original.split())
        for line in r.quote.split("\n"):  # each line is one stretch of one paragraph
            assert "".join(line.split()) in "".join(doc.text.split())


def test_layout_break_inside_a_sentence_is_not_shown(sample_searcher: Searcher) -> None:
    results = sample_searcher.search("主任会议成员分工联系县（区、市）带队开展集中走访活动").results
    quote = next(r.quote for r in results if "带队开" in r.quote)
    assert "带队开展集中走访活动" in quote


def _tiny(folder: Path, tokenizer: Tokenizer, config: Config, texts: list[str]) -> Searcher:
    return index_texts(folder, {f"{n}.txt": t for n, t in enumerate(texts)}, config, tokenizer)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_tiny_collections_still_rank(
    tmp_path: Path, tokenizer: Tokenizer, config: Config, size: int, engine: str
) -> None:
    texts = [
        "长治市召开常委会会议7次。",
        "晋中市组织基层代表培训四期。",
        "长治市人大代表提出建议175件。",
        "晋中市收到代表建议327件。",
    ][:size]
    searcher = _tiny(tmp_path, tokenizer, with_engine(config, engine), texts)
    assert searcher.engine.name == engine
    result = searcher.search("长治市召开了几次常委会会议？").results
    assert result and result[0].doc == "0.txt"
    assert searcher.search("完全无关的天气问题").results == []


@pytest.mark.parametrize("engine", ENGINES)
def test_empty_index_answers_politely(
    tmp_path: Path, tokenizer: Tokenizer, config: Config, engine: str
) -> None:
    answer = _tiny(tmp_path, tokenizer, with_engine(config, engine), []).search("长治")
    assert answer.results == [] and "no documents" in answer.note


def test_span_text_puts_paragraphs_on_lines(
    tmp_path: Path, tokenizer: Tokenizer, config: Config
) -> None:
    searcher = _tiny(tmp_path, tokenizer, config, ["第一段第一句。第一段\n\n第二句。\n\n第二段。"])
    doc = searcher.document(searcher.sources()[0].id)
    assert span_text(doc, 0, len(doc.sentences) - 1) == "第一段第一句。第一段第二句。\n第二段。"


def test_context_widens_a_result_to_its_paragraphs(sample_searcher: Searcher) -> None:
    result = sample_searcher.search("长治组织了多少次任前法律知识考试？").results[0]
    wide = sample_searcher.context(result, max_chars=3000)
    assert "".join(result.quote.split()) in "".join(wide.quote.split())
    doc = sample_searcher.document(result.doc_id)
    paragraphs = {(s.article, s.paragraph) for s in doc.sentences[result.first : result.last + 1]}
    whole = [i for i, s in enumerate(doc.sentences) if (s.article, s.paragraph) in paragraphs]
    assert (wide.first, wide.last) == (whole[0], whole[-1])
    assert sample_searcher.context(result, max_chars=10).quote == result.quote


def test_sources_list_documents_and_headlines(sample_searcher: Searcher) -> None:
    sources = {s.name: s for s in sample_searcher.sources()}
    # Six stories and two photos' captions, which have no headline.
    assert sources[JINZHONG].articles == 8 and sources[CHANGZHI].articles == 1
    assert "中共晋中市委组织部公示" in sources[JINZHONG].titles


def test_question_words_are_counted_in_every_passage_at_once() -> None:
    """The counts behind every candidate's score: an empty passage among others (a headline
    alone) counts nothing and shifts nothing."""

    def made(*bodies: list[int]) -> list[Passage]:
        return [
            Passage(n, 1, 0, n, n, (), len(b), np.array(b, dtype=np.int64))
            for n, b in enumerate(bodies)
        ]

    found = count_in(made([7, 8, 8], [], [8, 9], [9], []), np.array([8, 9, -1]))
    assert found == [[2, 0, 0], [0, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0]]
    assert count_in(made([], []), np.array([8])) == [[0], [0]]
    assert count_in([], np.array([8])) == []


REOPEN_TEXTS = {
    "a.txt": "长治市人大常委会2025年召开常委会会议7次。",
    "b.txt": "晋中市人大常委会分四期开展基层代表培训。",
}


def _add(folder: Path, name: str, text: str, config: Config, tokenizer: Tokenizer) -> None:
    (folder / "docs" / name).write_text(text, encoding="utf-8")
    cfg = config.with_index_path(folder / "index")
    update_index([folder / "docs"], cfg, tokenizer, progress=False)


@pytest.mark.parametrize("engine", ENGINES)
def test_opening_again_after_a_change_reads_only_the_new_words(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, engine: str
) -> None:
    """The bot opens the index again after every upload: the vocabulary it has is kept and
    grown, and the new document's words, new to the index, are found."""
    config = with_engine(config, engine)
    first = index_texts(tmp_path, REOPEN_TEXTS, config, tokenizer)
    assert first.search("鲟鱼销往哪里？").results == []  # no word of it is in the index yet
    _add(tmp_path, "c.txt", "左权县的鲟鱼销往甘肃、河北等地。", config, tokenizer)
    again = Searcher.open(first.index_dir, first.config, tokenizer, previous=first)
    assert again.words is first.words
    answer = again.search("鲟鱼销往哪里？").results[0]
    assert answer.doc == "c.txt"
    # Exactly as an index opened afresh answers: every word counted, none thought missing.
    fresh = Searcher.open(first.index_dir, first.config, tokenizer)
    assert answer == fresh.search("鲟鱼销往哪里？").results[0]


def test_a_backup_put_back_is_read_whole(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """The same index put back from a copy made before words were added, then changed, holds
    other words under the ids the open searcher knew: it must not lend them."""
    first = index_texts(tmp_path, REOPEN_TEXTS, config, tokenizer)
    index_dir = first.index_dir
    shutil.copytree(index_dir, tmp_path / "backup")
    _add(tmp_path, "c.txt", "左权县的鲟鱼销往甘肃、河北等地。", config, tokenizer)
    grown = Searcher.open(index_dir, first.config, tokenizer, previous=first)
    shutil.rmtree(index_dir)
    shutil.copytree(tmp_path / "backup", index_dir)
    (tmp_path / "docs" / "c.txt").unlink()
    _add(tmp_path, "d.txt", "太谷区的饼子远销海外二十多个国家。", config, tokenizer)
    again = Searcher.open(index_dir, first.config, tokenizer, previous=grown)
    assert again.words is not grown.words
    result = again.search("太谷饼子销往多少个国家？").results[0]
    assert result.doc == "d.txt" and "远销海外" in result.quote


def test_a_page_read_one_article_at_a_time_ends_as_the_page_read_whole(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    conn = connect(samples_index(tmp_path, config, tokenizer))
    words = Words(conn)
    (doc_id,) = conn.execute("SELECT id FROM documents WHERE name=?", (JINZHONG,)).fetchone()
    whole = load_document(conn, words, doc_id)
    assert whole is not None
    articles = sorted({s.article for s in whole.sentences})
    assert len(articles) == 8  # six stories and two photos' captions
    for last in (articles[-1], articles[2]):
        part = load_document(conn, words, doc_id, [last])
        assert part is not None
        assert all(s.tokens for s in part.sentences if s.article == last)
        assert not any(s.tokens for s in part.sentences if s.article != last)
        for article in articles:
            add_article_words(conn, words, part, article)
        assert part.sentences == whole.sentences


def test_questions_on_pages_kept_in_part_answer_as_on_a_fresh_index(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """One searcher keeps the pages its questions read, with only the articles they read in
    words (none, for a page only asked whether it names a place); a later question on another
    article of a kept page must see that article whole."""
    index_dir = samples_index(tmp_path, config, tokenizer)
    cfg = config.with_index_path(index_dir)
    questions = [g.question for g in load_gold(SEED_QA).questions]
    kept = Searcher.open(index_dir, cfg, tokenizer)
    # A follow-up that names a place reads whether each candidate's page names it: those pages
    # are kept without words until a question reads one of their articles.
    kept.search("长治市人大常委会有多少名委员？", focus=["晋中"])

    def seen(searcher: Searcher, question: str) -> list[tuple[str, int, str, float]]:
        return [
            (r.doc, r.sentence, r.quote, r.confidence) for r in searcher.search(question).results
        ]

    in_turn = [seen(kept, q) for q in questions]
    alone = [seen(Searcher.open(index_dir, cfg, tokenizer), q) for q in questions]
    assert in_turn == alone
    assert all(results for results in alone)


# A handbook of parrotfish: one long page on 瘤头鹦嘴鱼, whose last passage says what it eats
# in other words (以珊瑚共生藻为生), and short pages on its kin that say 以…为食. The page's
# headline is a chapter's, which the question names only in part.
PARROTFISH = (
    "第三章 瘤头鹦嘴鱼的形态与习性\n\n"
    "瘤头鹦嘴鱼，又名青衣鹦哥，为辐鳍鱼纲鲈形目鹦哥鱼科的其中一种。"
    "瘤头鹦嘴鱼的食性曾长期不明，早年的图鉴多语焉不详。"
    "本鱼分布于印度洋及西太平洋区，包括红海、东非、马达加斯加、斯里兰卡、台湾、菲律宾、印尼及澳洲北部等海域。"
    "水深一至三十公尺。本鱼体延长而略侧扁，头部轮廓呈平滑的弧形。"
    "开始型雌鱼体红棕色，各鳞片具深色边缘；终端型雄鱼体蓝绿色，颊部有橙色条纹，胸鳍基部具黑斑。"
    "本种最早由法国博物学家于十九世纪初描述，模式标本采自红海北部，其后在印度洋各地陆续有记录。"
    "由于体色随成长变化很大，早年的学者曾把幼鱼、雌鱼和雄鱼当作三个不同的物种，直到二十世纪中叶才确认为同一种。"
    "各地渔民对它的称呼不一，台湾称为青衣，香港称为青鹦哥，菲律宾则以当地语言称之为蓝色的鹦鹉。"
    "背鳍硬棘九枚、背鳍软条十枚，臀鳍硬棘三枚、臀鳍软条九枚，尾鳍截形，随体长增长而呈双凹形。体长可达四十公分。"
    "幼鱼多在浅水的海藻床中长大，长到十公分左右才迁往外侧的礁区，夜间会分泌黏液把自己包裹起来休息。"
    "繁殖期在春夏之交，雄鱼会占据礁坡上的一块领域，雌鱼在黄昏时成对产卵，卵随海流漂散，约一天后孵化。"
    "二十世纪末以来，因珊瑚白化与过度捕捞，部分海域的族群明显减少，一些地方已划设保护区加以保育。"
    "喜欢生活在沿岸礁区或潟湖中，常成小群活动。常在珊瑚间游动，以珊瑚共生藻为生。肉质细嫩，可作成鱼松。"
)
_SHAPE = (
    "本鱼体呈长椭圆形而侧扁，头部钝圆，吻短，体被大型圆鳞，侧线在体后部中断，背鳍连续，"
    "尾鳍呈截形或略凹入，体色随成长与性别而有明显变化，幼鱼多具纵带，成鱼则转为单一的色调。"
)
KIN = {
    "b.txt": "瘤头鹦嘴鱼的近亲：青点鹦嘴鱼\n\n青点鹦嘴鱼为鹦哥鱼科的一种。"
    + _SHAPE
    + "本鱼分布于西太平洋区。喜成群生活于岩礁中，以礁石上的藻类为食。一般作为观赏鱼。",
    "c.txt": "瘤头鹦嘴鱼的近亲：斑鳍鹦嘴鱼\n\n斑鳍鹦嘴鱼为鹦哥鱼科的一种。"
    + _SHAPE
    + "本鱼分布于印度洋区。以底栖的藻类及小型无脊椎动物为食。可食用。",
    **{
        f"{name}.txt": f"{fish}\n\n{fish}为鹦哥鱼科的一种。本鱼分布于{sea}。以{food}为食。"
        for name, fish, sea, food in (
            ("d", "青鳍鹦嘴鱼", "太平洋区", "海草"),
            ("e", "斑头鹦嘴鱼", "红海", "珊瑚礁上的丝状藻"),
            ("f", "绿唇鹦嘴鱼", "南海", "珊瑚表面的藻类"),
            ("g", "长头鹦嘴鱼", "夏威夷", "岩石上的藻类"),
        )
    },
}


@pytest.mark.parametrize("more_of_first", [True, False])
def test_the_third_result_is_more_of_the_article_that_answers_best(
    tmp_path: Path,
    config: Config,
    tokenizer: Tokenizer,
    monkeypatch: pytest.MonkeyPatch,
    more_of_first: bool,
) -> None:
    """The page on 瘤头鹦嘴鱼 is quoted first, from its opening; what it eats is said at its end,
    in words the kin's pages beat (以…为食). Its next passage comes third, before a third
    page of kin: the answer is among the first three."""
    if not more_of_first:
        monkeypatch.setattr("index.search.MORE_OF_FIRST", 99)
    searcher = index_texts(tmp_path, {"a.txt": PARROTFISH, **KIN}, config, tokenizer)
    results = searcher.search("瘤头鹦嘴鱼以什么为食？").results
    assert len(results) == 3
    assert results[0].doc == "a.txt" and "珊瑚共生藻" not in results[0].quote
    assert results[1].doc != "a.txt"
    assert (results[2].doc == "a.txt") is more_of_first
    assert any("以珊瑚共生藻为生" in r.quote for r in results) is more_of_first


BRIDGE = (
    "青石桥，又名通济桥，是清水县一座石拱桥，横跨清水河，现为县级文物保护单位。"
    "青石桥建于明朝万历年间，由当地商人王德顺出资修造。桥长四十二米，共有七孔。"
)


@pytest.mark.parametrize("near_tie", [True, False])
def test_a_neighbour_nearly_as_likely_to_answer_is_bold_too(
    tmp_path: Path,
    config: Config,
    tokenizer: Tokenizer,
    monkeypatch: pytest.MonkeyPatch,
    near_tie: bool,
) -> None:
    """The model scores the bridge's opening about as high as the sentence that names who
    paid for it: both are bold, so the reader sees 王德顺 in bold, on the phone's first screen
    as in the quote. A clear pick stays one sentence."""
    if not near_tie:
        monkeypatch.setattr("index.search.NEAR_TIE", 0.0)
    searcher = index_texts(tmp_path, {"bridge.txt": BRIDGE}, config, tokenizer)
    result = searcher.search("青石桥是谁出资修建的？").results[0]
    both = BRIDGE[: BRIDGE.index("桥长")]
    assert (result.highlight == both) is near_tie
    assert ("王德顺" in result.highlight) is near_tie
    assert (f"<b>{both}</b>" in lead_html(1, result)) is near_tie
    clear = searcher.search("青石桥横跨哪条河？").results[0]
    assert clear.highlight == BRIDGE[: BRIDGE.index("青石桥建于")]


def test_a_sentence_that_points_back_is_bold_with_the_one_it_leans_on(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """因此，当地的茶叶产业十分发达 repeats the question but gives no reason; the sentence before
    it does, so both are bold, on the phone's first screen as in the quote."""
    page = (
        "清水县\n\n清水县位于山区，气候湿润，雨量充沛，土壤肥沃。因此，当地的茶叶产业十分发达。"
        "全县共有茶园三万亩。\n\n清水县还有一座石拱桥，名为青石桥。"
    )
    searcher = index_texts(tmp_path, {"county.txt": page}, config, tokenizer)
    result = searcher.search("为什么清水县的茶叶产业十分发达？").results[0]
    assert result.highlight == (
        "清水县位于山区，气候湿润，雨量充沛，土壤肥沃。因此，当地的茶叶产业十分发达。"
    )
    assert (
        "<b>清水县位于山区，气候湿润，雨量充沛，土壤肥沃。因此，当地的茶叶产业十分发达。</b>"
        in (lead_html(1, result))
    )
