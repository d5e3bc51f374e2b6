"""Tokens fold width, case and script, so that a question finds text written another way."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.config import TokenizerConfig
from index.tokenize import Tokenizer, answer_type_tokens, fold


def test_fold_width_case_and_script() -> None:
    assert fold("ＡＢＣ１２３，長治市人大常委會") == "abc123,长治市人大常委会"


def test_search_mode_finds_the_parts_of_long_compounds(plain_tokenizer: Tokenizer) -> None:
    tokens = plain_tokenizer.tokens("中国农业发展银行")
    assert "农业" in tokens and "银行" in tokens
    precise = Tokenizer(TokenizerConfig(mode="default", numbers=False))
    assert "农业" not in precise.tokens("中国农业发展银行")


def test_traditional_and_simplified_give_the_same_tokens(plain_tokenizer: Tokenizer) -> None:
    assert plain_tokenizer.tokens("長治市人大常委會召開會議") == plain_tokenizer.tokens(
        "长治市人大常委会召开会议"
    )


def test_full_width_digits_match_half_width(plain_tokenizer: Tokenizer) -> None:
    assert plain_tokenizer.tokens("召开１５次") == plain_tokenizer.tokens("召开15次")


def test_punctuation_spaces_and_question_words_are_dropped(plain_tokenizer: Tokenizer) -> None:
    tokens = plain_tokenizer.tokens("长治 废止了哪部法规？！……")
    assert "？" not in tokens and " " not in tokens and "了" not in tokens and "哪部" not in tokens
    assert "废止" in tokens and "法规" in tokens
    keep = Tokenizer(TokenizerConfig(stopwords=False, numbers=False))
    assert "了" in keep.tokens("长治废止了哪部法规")


def test_a_question_word_with_its_measure_is_dropped_in_any_combination(
    plain_tokenizer: Tokenizer,
) -> None:
    """No passage writes 哪几个 or 几天: kept, they would weigh more than any word of the topic."""
    for question in [
        "分几期开展了培训？",
        "在哪几个地方办的？",
        "公示期是哪几天？",
        "是哪一部法规？",
    ]:
        tokens = plain_tokenizer.tokens(question)
        assert not [t for t in tokens if t[0] in "哪几"], (question, tokens)
    assert "哪吒" in plain_tokenizer.tokens("哪吒的父亲是谁？")
    assert "几何" in plain_tokenizer.tokens("几何学是什么？")


def test_a_measure_jieba_cuts_off_which_is_dropped_with_it(plain_tokenizer: Tokenizer) -> None:
    """哪/座/山: the 座 was a word no passage holds, and 座山 a place no page names."""
    _, tokens, _ = plain_tokenizer.query("清漳河发源于哪座山？")
    assert "座" not in tokens and "座山" not in tokens
    assert "山" in tokens
    _, tokens, _ = plain_tokenizer.query("推事一词在哪本法典中沿用？")
    assert "本" not in tokens and "法典" in tokens
    _, tokens, _ = plain_tokenizer.query("美洲版本在哪两国收看？")
    assert "两国" not in tokens and "国" not in tokens and "收看" in tokens
    # A date's unit stays, and so does the measure after 多少: they meet 1977年 and 5件.
    assert "年" in plain_tokenizer.query("李新文是哪年出生的？")[1]
    assert "件" in plain_tokenizer.query("收到了多少件代表建议？")[1]
    assert "天" in plain_tokenizer.query("公示要多少天？")[1]  # a count of days: 7天


@pytest.mark.parametrize(
    ("question", "gone", "kept"),
    [
        ("2026年立法工作推进会是哪天召开的？", "天", "召开"),
        ("长治市人大常委会什么时候召开会议？", "时候", "会议"),
        ("王维水墨小镇的门票多少钱？", "钱", "门票"),
    ],
)
def test_the_rest_of_a_question_phrase_no_answer_writes_is_dropped(
    plain_tokenizer: Tokenizer, question: str, gone: str, kept: str
) -> None:
    """哪/天 is answered by 1月7日 and 多少/钱 by 60元: a 天 or 钱 searched for only weighs
    down the passages that answer (and in a small collection, a word no passage holds weighs
    most of all)."""
    _, tokens, _ = plain_tokenizer.query(question)
    assert gone not in tokens
    assert kept in tokens


def test_a_name_jieba_does_not_know_ends_at_the_questions_verb(plain_tokenizer: Tokenizer) -> None:
    """前/肛/鳗/有: the page writes 前肛鳗, never 前肛鳗有, and a word no page holds weighs most."""
    _, tokens, _ = plain_tokenizer.query("前肛鳗有几枚前上颌骨齿？")
    assert "前肛鳗" in tokens and "前肛鳗有" not in tokens
    assert "李新文" in plain_tokenizer.query("李新文现任什么职务？")[1]
    # A page's own runs are as before: its stored words do not change.
    assert "前肛鳗有" in plain_tokenizer.tokens("前肛鳗有两枚齿")


def test_only_punctuation_or_emoji_gives_no_tokens(plain_tokenizer: Tokenizer) -> None:
    assert plain_tokenizer.tokens("？？！！……") == []
    assert plain_tokenizer.tokens("😀👍🏽") == []


def test_a_count_question_meets_counts_of_the_same_unit() -> None:
    assert answer_type_tokens(fold("召开了几次会议")) == ["#次"]
    assert answer_type_tokens(fold("召开常委会会议7次、主任会议15次")) == ["#次", "#次"]
    assert answer_type_tokens(fold("分四期组织")) == ["#期"]
    assert "#年" in answer_type_tokens(fold("李新文是哪年出生的"))
    assert "#日" in answer_type_tokens(fold("是哪天召开的"))


def test_user_dictionary_keeps_domain_terms_whole(tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("激发表活活力 100 n\n", encoding="utf-8")
    config = TokenizerConfig(mode="default", numbers=False)
    assert "激发表活活力" not in Tokenizer(config).tokens("全面激发表活活力")
    with_dict = Tokenizer(config, user_dict=words)
    assert "激发表活活力" in with_dict.tokens("全面激发表活活力")
    assert with_dict.signature != Tokenizer(config).signature


def test_a_dates_unit_starts_no_name_in_a_question(plain_tokenizer: Tokenizer) -> None:
    """2025/年/开 made 年开, a word no page holds that weighed most of the question, and the
    passage that answers (召开常委会会议7次) lost its confidence."""
    _, tokens, _ = plain_tokenizer.query("长治市人大常委会2025年开了几次常委会会议？")
    assert "年开" not in tokens and "2025" in tokens
    assert "号线" in plain_tokenizer.query("10号线站台有什么特点？")[1], "only a date's unit"
    assert "年开" in plain_tokenizer.tokens("2025年开了几次会议"), "a page's runs are as before"
