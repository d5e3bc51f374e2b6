"""Sentences and passages: never cut a sentence, never lose or repeat text, offsets exact."""

from __future__ import annotations

import itertools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunk import chunk, sentence_spans, sentences
from index.clean import split_articles

from .conftest import CHANGZHI, JINZHONG, sample_text


def split(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text, 0, len(text))]


def test_chinese_sentences_keep_their_closing_quotes() -> None:
    text = "他说：“我们到了。”然后走了！真的吗？是的；好……结束"
    assert split(text) == ["他说：“我们到了。”", "然后走了！", "真的吗？", "是的；", "好……", "结束"]


def test_english_periods_but_not_decimals_or_domains() -> None:
    text = "It costs 3.14 yuan. See www.jz12380.gov.cn for more. Done!"
    assert split(text) == ["It costs 3.14 yuan.", "See www.jz12380.gov.cn for more.", "Done!"]


def test_half_width_punctuation_ends_sentences_too() -> None:
    assert split("第一句;第二句?第三句!") == ["第一句;", "第二句?", "第三句!"]


def test_an_ender_inside_quotes_or_brackets_does_not_end_the_sentence() -> None:
    text = "曾起草告示称「金钱鼠尾，乃新朝之雅政；峨冠博带，实亡国之陋规」。后来（据说。）走了。"
    assert split(text) == [
        "曾起草告示称「金钱鼠尾，乃新朝之雅政；峨冠博带，实亡国之陋规」。",
        "后来（据说。）走了。",
    ]


def test_the_words_after_a_quoted_sentence_stay_with_it() -> None:
    text = "协会以「提升环境意识，善尽地球公民之责任。」为宗旨。会员有三千人。"
    assert split(text) == ["协会以「提升环境意识，善尽地球公民之责任。」为宗旨。", "会员有三千人。"]


def test_a_quote_left_open_does_not_swallow_the_paragraph() -> None:
    text = "他说「我们到了。然后走了！真的吗？"
    assert split(text) == ["他说「我们到了。", "然后走了！", "真的吗？"]


def test_initials_are_not_sentence_ends() -> None:
    text = (
        "Terry A. Gates与其同事研究了它。A．Ｌ．纳戴是学生。2004年由A.D. Vision出版。"
        "In the USA. Next."
    )
    assert split(text) == [
        "Terry A. Gates与其同事研究了它。",
        "A．Ｌ．纳戴是学生。",
        "2004年由A.D. Vision出版。",
        "In the USA.",
        "Next.",
    ]


def _chunks_of(text: str, target: int = 200, maximum: int = 300):
    sents = sentences(text, split_articles(text), maximum)
    return sents, chunk(sents, target, maximum)


def test_seed_chunks_respect_target_and_sentence_ends() -> None:
    for name in (JINZHONG, CHANGZHI):
        text = sample_text(name)
        sents, chunks = _chunks_of(text)
        ends = {s.end for s in sents}
        para_ends = {p.end for a in split_articles(text) for p in a.paragraphs}
        for c in chunks:
            assert c.end in ends
            assert c.end - c.start <= 300
            # A chunk ends where a sentence or a paragraph (a byline, say) ends.
            assert text[c.end - 1] in "。！？!?；;…”」）)" or c.end in para_ends
        lengths = [c.end - c.start for c in chunks]
        assert sum(lengths) / len(lengths) >= 150


def test_one_long_sentence_is_cut_at_commas() -> None:
    text = "，".join(["这是一个很长的分句"] * 60) + "。"
    sents, _ = _chunks_of(text, 100, 150)
    assert len(sents) > 1
    assert all(s.end - s.start <= 150 for s in sents)
    assert all(text[s.end - 1] in "，。" for s in sents)


texts = st.text(
    alphabet=st.sampled_from(list("中文字句段落。，！？；…“”「」()（）abc .!?\n  0123456789")),
    max_size=600,
) | st.text(max_size=300)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_chunking_loses_and_repeats_nothing(text: str) -> None:
    articles = split_articles(text)
    sents, chunks = _chunks_of(text, 60, 120)
    # Sentences tile the article paragraphs: in order, disjoint, together all their visible text.
    for a, s in itertools.pairwise(sents):
        assert a.end <= s.start
    para_text = "".join(text[p.start : p.end] for art in articles for p in art.paragraphs)
    sent_text = "".join(text[s.start : s.end] for s in sents)
    assert re.sub(r"\s", "", sent_text) == re.sub(r"\s", "", para_text)
    # Chunks tile the sentences exactly once.
    covered = [i for c in chunks for i in range(c.first, c.last + 1)]
    assert covered == list(range(len(sents)))
    for c in chunks:
        assert c.start == sents[c.first].start and c.end == sents[c.last].end
        assert all(sents[i].article == c.article for i in range(c.first, c.last + 1))
