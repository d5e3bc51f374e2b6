"""The newspaper pages' layout: broken paragraphs rejoined, articles found with their headlines."""

from __future__ import annotations

from index.clean import split_articles

from .conftest import CHANGZHI, JINZHONG, sample_text


def paragraphs(text: str) -> list[str]:
    return [text[p.start : p.end] for a in split_articles(text) for p in a.paragraphs]


def test_paragraph_broken_by_the_page_is_joined() -> None:
    text = sample_text(JINZHONG)
    paras = paragraphs(text)
    joined = [p for p in paras if "带队开" in p]
    assert len(joined) == 1
    assert "带队开\n\n展集中走访活动" in joined[0]
    assert next(p for p in paras if "机构对" in p).endswith("大幅提升了建议的合理性与可行性。")
    assert not any(
        p.startswith(("展集中走访活动", "口审核", "升立法质量", "运手续")) for p in paras
    )


def test_short_continuation_after_long_broken_line_is_joined() -> None:
    text = sample_text(CHANGZHI)
    paras = paragraphs(text)
    assert any(p.endswith("、主动\n\n性进一步增强。") for p in paras)
    assert any("综合\n\n运用多种方式" in p for p in paras)


def test_jinzhong_page_splits_into_its_articles() -> None:
    titles = [a.title for a in split_articles(sample_text(JINZHONG))]
    assert titles == [
        "依法履职强担当 提质增效促发展",
        "李军新润喜参加2026年立法工作推进会暨依法治市立法协调小组工作会",
        "梁艳萍在祁县乡村振兴联系点开展调研",
        "中共晋中市委组织部公示",
        "我市全面推进《晋中市餐饮服务从业人员佩戴口罩规定》落地见效 织密食安防护网 引领文明餐饮风",
        "",  # two photos' captions, each with its credit
        "",
        "90万元背后的服务温度",
    ]


def test_a_photos_caption_after_an_article_is_not_that_articles() -> None:
    """The sturgeon farm's photo is printed after the article on face masks: its caption is
    an untitled article of its own, so a quote of it is not shown under the masks' headline."""
    text = sample_text(JINZHONG)
    articles = split_articles(text)
    masks = next(a for a in articles if "口罩" in a.title)
    sturgeon = next(
        a for a in articles if "鲟鱼" in text[a.paragraphs[0].start : a.paragraphs[0].end]
    )
    assert sturgeon.title == ""
    assert [text[p.start : p.end] for p in sturgeon.paragraphs][1] == "本报记者 裴晓军 摄"
    assert not any("鲟鱼" in text[p.start : p.end] for p in masks.paragraphs)


def test_a_photo_inside_an_article_stays_with_it() -> None:
    """A credit followed by more of the article is a photo printed within it: nothing splits."""
    text = (
        "清水县举办春季招聘会\n\n本报讯 3月2日,清水县春季招聘会在县体育馆举办。\n\n"
        "招聘会现场,求职者在展位前咨询。\n\n本报记者 王明 摄\n\n"
        "本次招聘会共有86家企业参加,提供岗位1200余个。\n"
    )
    articles = split_articles(text)
    assert [a.title for a in articles] == ["清水县举办春季招聘会"]
    assert len(articles[0].paragraphs) == 4


def test_subtitle_and_section_headings_are_kept_apart_from_the_headline() -> None:
    first = split_articles(sample_text(JINZHONG))[0]
    assert first.subtitle == "市人大常委会2025年代表工作综述"
    assert "搭建履职平台 激发表活活力" in first.sections
    assert "强化建议办理 提升办理质效" in first.sections


def test_lead_before_the_headline_belongs_to_the_first_article() -> None:
    text = sample_text(CHANGZHI)
    articles = split_articles(text)
    assert len(articles) == 1
    article = articles[0]
    assert article.title == "围绕中心依法履职 紧贴民心担当作为"
    first = article.paragraphs[0]
    assert text[first.start : first.end] == "时序更替，征程再启。"
    assert "召开常委会会议7次" in text[article.paragraphs[1].start : article.paragraphs[1].end]


def test_bylines_are_paragraphs_not_headlines() -> None:
    articles = split_articles(sample_text(JINZHONG))
    titles = {a.title for a in articles}
    assert not any("本报记者" in t or t.startswith("(") for t in titles)


def test_markdown_headings_are_headlines() -> None:
    text = "# 第一篇\n\n正文一。\n\n## 第二篇\n\n正文二。\n\n### 小节\n\n正文三。\n"
    articles = split_articles(text)
    assert [a.title for a in articles] == ["第一篇", "第二篇"]
    assert articles[1].sections == ["", "小节"]


def test_a_title_that_ends_in_what_it_names_is_a_headline() -> None:
    """Entries of a handbook or an encyclopedia say which 劲松站 in brackets; a line that ends
    a sentence in brackets is still a paragraph."""
    text = (
        "劲松站 (北京市)\n\n劲松站位于北京市朝阳区。\n\n"
        "芝加哥（电影）\n\n这是一部歌舞片。\n\n"
        "会议要求各单位抓好落实。（完）\n\n下一篇正文。\n"
    )
    articles = split_articles(text)
    assert [a.title for a in articles] == ["劲松站 (北京市)", "芝加哥（电影）"]
    assert len(articles[1].paragraphs) == 3


def test_text_without_headings_is_one_untitled_article() -> None:
    text = "第一句话。第二句话。\n\n第三句话。"
    articles = split_articles(text)
    assert len(articles) == 1 and articles[0].title == ""
    assert len(articles[0].paragraphs) == 2


def test_hard_wrapped_lines_make_one_paragraph() -> None:
    text = "This line is wrapped by an editor\nand continues here, ending now.\n"
    assert paragraphs(text) == [
        "This line is wrapped by an editor\nand continues here, ending now."
    ]
