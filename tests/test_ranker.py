"""The learned model: its weights file, its confidence, abstaining, and the fitting code."""

from __future__ import annotations

import importlib.util
import json
import random
import sqlite3
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.config import Config, ConfigError, parse_config
from index.features import ASKED, PASSAGE_FEATURES, SENTENCE_FEATURES, TOP_FEATURES, Question
from index.quote import span_text
from index.ranker import CONFIDENCE_FEATURES, DEFAULT_WEIGHTS, ORDER_WITHIN, PAIRS, Model
from index.search import Result, Searcher
from index.store import IndexUnavailable
from index.tokenize import Tokenizer, question_cues

from .conftest import CHANGZHI, REPO, index_texts, samples_index

OFF_TOPIC = ["怎么做红烧肉？", "现在几点了？", "长城有多长？", "香港現在幾點？"]


def _fitting():
    """train/fit_ranker.py as a module: it is a script, not part of the package."""
    spec = importlib.util.spec_from_file_location("fit_ranker", REPO / "train" / "fit_ranker.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fit_ranker"] = module
    spec.loader.exec_module(module)
    return module


def test_the_shipped_weights_name_every_feature_and_how_they_were_made() -> None:
    data = json.loads(DEFAULT_WEIGHTS.read_text(encoding="utf-8"))
    assert set(data["passage"]) == set(PASSAGE_FEATURES + TOP_FEATURES)
    assert set(data["within article"]) == set(ORDER_WITHIN)
    assert set(data["sentence"]) == set(SENTENCE_FEATURES)
    assert set(data["confidence"]) == {"bias", *CONFIDENCE_FEATURES}
    assert set(data["confidence pairs"]) == set(PAIRS)
    assert set(data["confidence scale"]) == set(CONFIDENCE_FEATURES)
    assert all(spread > 0 for _, spread in data["confidence scale"].values())
    assert data["command"].startswith("train/fit_ranker.py")


def test_a_weights_file_round_trips_and_a_missing_feature_weighs_nothing(tmp_path: Path) -> None:
    model = Model.load()
    path = tmp_path / "w.json"
    path.write_text(model.to_json(), encoding="utf-8")
    assert Model.load(path) == model
    data = json.loads(model.to_json())
    del data["sentence"]["s_local"]
    path.write_text(json.dumps(data), encoding="utf-8")
    assert Model.load(path).sentence[SENTENCE_FEATURES.index("s_local")] == 0.0


def test_every_result_carries_a_confidence_and_the_first_passes_the_floor(
    sample_searcher: Searcher,
) -> None:
    answer = sample_searcher.search("长治市人大常委会2025年召开了几次常委会会议？")
    first = answer.results[0]
    assert first.doc == CHANGZHI and "常委会会议7次" in first.highlight
    floor = sample_searcher.config.search.min_confidence
    assert all(0 <= r.confidence <= 1 for r in answer.results)
    assert first.confidence >= floor


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_are_withheld_by_the_confidence(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, question: str
) -> None:
    """They get no passage at the default floor, and the floor is what withholds them."""
    index_dir = samples_index(tmp_path, config, tokenizer)
    default = Searcher.open(index_dir, config, tokenizer)
    assert default.search(question).results == []
    anything = replace(config, search=replace(config.search, min_confidence=0.0))
    assert Searcher.open(index_dir, anything, tokenizer).search(question).results


# A handbook of fish: a page on 鲾 and pages on 短鲾 and 白鲾 among others, each giving its
# count of fin rays in the same words; the question names 鲾, so it asks of the page whose title
# it names.
PONYFISH = {
    "a.txt": "短鲾\n\n短鲾，又称短印鲾，为鲾形目的一种。本鱼分布于温暖的海域，水深零至五十公尺。"
    "本鱼体形粗短，背鳍有16至20根鳍条，胸鳍钝圆。",
    "b.txt": "白鲾\n\n白鲾，又称白印鲾，为鲾形目的一种。本鱼分布于全球温暖海域。"
    "本鱼体延长，头部扁平，背鳍有11至13根鳍条，尾鳍截形。",
    "c.txt": "鲾\n\n鲾，又称长印鲾，为鲾形目的一种。本鱼分布于全世界暖温带海域，水深零至五十公尺，"
    "常吸附在鲨鱼、海龟或船底随之远行。远洋地区的本鱼体延长，胸鳍尖锐，头顶的吸盘由第一背鳍"
    "变形而成，有21至28根鳍条，体长为盘长的三倍半至四倍多，尾部较吻短。",
    **{
        f"{name}.txt": f"{fish}\n\n{fish}为鲈形目的一种。本鱼分布于{sea}，背鳍有{rays}根鳍条。"
        for name, fish, sea, rays in (
            ("d", "黄鲷", "南海", "12"),
            ("e", "银鲳", "东海", "40至45"),
            ("f", "黑鲪", "黄海", "13至15"),
        )
    },
}


@pytest.mark.parametrize("named", [True, False])
def test_the_page_whose_title_the_question_names_comes_first(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, named: bool
) -> None:
    """短鲾's and 白鲾's pages say 背鳍有…根鳍条 in fewer words than 鲾's own page; the passage
    model reads that the question names 鲾's title whole and theirs in part (`named`)."""
    cfg = config
    if not named:
        blind = _without(tmp_path, "passage", "named")
        cfg = replace(config, search=replace(config.search, model=blind))
    searcher = index_texts(tmp_path / "index", PONYFISH, cfg, tokenizer)
    first = searcher.search("鲾的背鳍有多少根鳍条？").results[0]
    assert (first.title == "鲾" and "21至28根" in first.highlight) is named


# An office's notices: three headed 通知 alone, and the holiday schedule headed by what it is.
NOTICES = {
    "n1.txt": "通知\n\n各部门：定于下周一召开安全生产会议，请各部门负责人准时参加。\n",
    "n2.txt": "通知\n\n各部门：办公楼将于本周六停电检修，请提前做好准备，放假期间注意安全。\n",
    "n3.txt": "通知\n\n各部门：请于月底前提交年度总结材料，春节前完成归档。\n",
    "h.txt": "2026年春节放假安排\n\n春节放假时间为2月15日至2月23日，共9天。"
    "2月14日、2月28日上班。\n",
}


def test_a_headline_of_one_common_word_does_not_name_the_article(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """关于春节放假的通知 holds the whole of every headline 通知, but 通知 is the least of what it
    asks: `named` weighs the headline's words the question holds by their share of it, so the
    page headed 春节放假 comes first."""
    searcher = index_texts(tmp_path, NOTICES, config, tokenizer)
    assert searcher.search("关于春节放假的通知").results[0].doc == "h.txt"


def test_a_passage_whose_best_sentence_holds_the_asked_kind_says_so(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """新润喜 is named alike in the passage where he speaks and in the one that gives his
    offices; for a question asking his office, the passage model reads that the second's best
    sentence holds a title (s_best_type) and the first's does not."""
    searcher = Searcher.open(samples_index(tmp_path, config, tokenizer), config, tokenizer)
    ranking = searcher.candidates("新润喜担任什么职务？", 4)
    typed = TOP_FEATURES.index("s_best_type")
    kinds = {
        span_text(c.doc, c.best, c.best)[:9]: c.top(searcher.model, ranking.question)[typed]
        for c in ranking.shortlist
        if "新润喜" in span_text(c.doc, c.best, c.best)
    }
    assert kinds == {"市人大常委会副主任": 1.0, "新润喜强调,要提高": 0.0}


@pytest.mark.parametrize(
    ("feature", "page", "question", "bold", "without"),
    [
        # One sentence names the bridge and where it stands; the next says when it was
        # built. Only 建 of 哪一年建的 tells them apart: its pairs (建的) are not in the page.
        (
            "s_focus_chars",
            "清水县境内古桥众多。"
            "青石桥，又名通济桥，是清水县一座石拱桥，横跨清水河，现为县级文物保护单位。"
            "青石桥建于明朝万历年间，由当地商人王德顺出资修造。桥长四十二米，共有七孔。",
            "青石桥是哪一年建的？",
            "青石桥建于明朝万历年间，由当地商人王德顺出资修造。",
            "青石桥，又名通济桥",
        ),
        # The first sentence repeats the headline's name, the heaviest word of the question;
        # the one that says what the fish eats calls it 本鱼 and holds only the question's light
        # words (以, 为食): their share of what the headline lacks picks it.
        (
            "s_rest",
            "长吻银鲈\n\n长吻银鲈，为辐鳍鱼纲鲈形目银鲈科的其中一个种。本鱼分布于西太平洋海域。"
            "属于底栖鱼类，以小型甲壳类及多毛类为食。",
            "长吻银鲈以什么为食？",
            "属于底栖鱼类，以小型甲壳类及多毛类为食。",
            "长吻银鲈，为辐鳍鱼纲",
        ),
        # Both sentences hold 龙山文化, 出现 and 文化; the one that answers says 出现前 … 出现过
        # as the question does, and is shorter than the opening that names the topic.
        (
            "s_order",
            "龙山文化\n\n龙山文化是新石器时代晚期的一种文化，出现在黄河中下游地区，以黑陶而闻名于世。"
            "在龙山文化出现前，黄河中下游地区曾出现过仰韶文化。龙山文化的居民以农耕为生，种植粟和黍。",
            "龙山文化之前出现过什么文化？",
            "在龙山文化出现前，黄河中下游地区曾出现过仰韶文化。",
            "龙山文化是新石器时代晚期",
        ),
    ],
)
def test_one_sentence_feature_picks_the_answering_sentence(
    tmp_path: Path,
    config: Config,
    tokenizer: Tokenizer,
    feature: str,
    page: str,
    question: str,
    bold: str,
    without: str,
) -> None:
    """With the shipped weights the answering sentence is bold; with the one feature that
    tells it apart weighing nothing, the sentence that only names the topic is."""
    shipped, blind = _bold_with_and_without(tmp_path, config, tokenizer, page, question, feature)
    assert shipped == bold
    assert blind.startswith(without)


@pytest.mark.parametrize("seed", range(5))
def test_the_characters_in_order_are_the_longest_common_subsequence(seed: int) -> None:
    """The bit-parallel count agrees with the textbook table on random strings."""
    rng = random.Random(seed)
    for _ in range(200):
        letters = "".join(rng.choice("甲乙丙丁戊") for _ in range(rng.randint(1, 12)))
        text = "".join(rng.choice("甲乙丙丁戊己") for _ in range(rng.randint(0, 30)))
        table = [[0] * (len(text) + 1) for _ in range(len(letters) + 1)]
        for i, a in enumerate(letters):
            for j, b in enumerate(text):
                table[i + 1][j + 1] = (
                    table[i][j] + 1 if a == b else max(table[i][j + 1], table[i + 1][j])
                )
        q = Question.make(letters, [], [], {}, set(), lambda t: 0.0, {})
        assert q.letters == letters
        assert q.in_order(text) == table[-1][-1] / len(letters)


def test_a_number_is_a_date_only_where_a_date_unit_follows_it(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """第二十次 and 十五项 are no dates though 过去一年 writes a 年 in the same sentence: the
    sentence that dates the meeting answers, not the one that repeats the question's words."""
    page = (
        "过去一年，市人大常委会第二十次会议审议通过了十五项议案。该次会议于2023年在市政府礼堂召开。"
    )
    searcher = index_texts(tmp_path, {"council.txt": page}, config, tokenizer)
    result = searcher.search("市人大常委会第二十次会议是哪一年召开的？").results[0]
    assert _picked(searcher, result) == "该次会议于2023年在市政府礼堂召开。"
    assert result.short == "2023年"


def test_a_question_that_names_a_level_of_place_wants_a_place_of_that_level(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """哪些省 is answered by 广东、浙江, not by the village and township beside the question's
    words: any place would do for 在哪里, a province for 哪些省."""
    page = (
        "1月8日,平顺县东寺头乡神龙湾村村民在苹果园里采摘苹果。"
        "近年来,该村扩大种植面积,建设冷库两座,所产苹果远销广东、浙江等地,带动村民增收。"
    )
    cfg = replace(config, search=replace(config.search, min_confidence=0))
    searcher = index_texts(tmp_path, {"apples.txt": page}, cfg, tokenizer)
    result = searcher.search("平顺县的苹果卖到了哪些省？").results[0]
    assert "广东、浙江" in result.highlight
    assert "广东、浙江" in _picked(searcher, result)


def test_which_of_a_series_is_answered_by_an_ordinal_not_a_count(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """在哪次会议 asks which meeting, 第二十九次, not how many (召开常委会会议7次); and 在哪 before
    次 does not ask where."""
    page = (
        "过去一年，市人大常委会履职尽责。全年召开常委会会议7次，开展专题询问1次。"
        "10月29日，市人大常委会第二十九次会议上，委员们就义务教育开展专题询问。"
    )
    searcher = index_texts(tmp_path, {"council.txt": page}, config, tokenizer)
    question = "专题询问是在哪次会议上举行的？"
    result = searcher.search(question).results[0]
    assert _picked(searcher, result).startswith("10月29日，市人大常委会第二十九次会议上")
    assert result.short == "第二十九次"
    assert [kind for kind, pattern in ASKED if pattern.search(question)] == ["count"]
    assert not question_cues(question)


def test_a_person_is_a_name_not_a_word_jieba_tags_as_one(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """jieba's dictionary tags 养老 as a person's name and does not know 李新文 or 康晓渊: a
    question asking who is answered by the sentence that names people."""
    page = (
        "市人大常委会制定出台《长治市养老服务条例》，为养老服务发展提供全方位保障。"
        "李新文、康晓渊当选市人大常委会委员。"
    )
    searcher = index_texts(tmp_path, {"council.txt": page}, config, tokenizer)
    result = searcher.search("谁当选了长治市人大常委会委员？").results[0]
    assert result.highlight == "李新文、康晓渊当选市人大常委会委员。"


@pytest.mark.parametrize(
    ("page", "question", "bold"),
    [
        # 哪座山 came out of jieba as 哪/座/山, and 座山 read as a place the page never names.
        (
            "清漳河\n\n清漳河是海河水系漳河的上源之一，全长146公里。"
            "清漳河发源于太行山西麓的和顺县，流经左权县、黎城县，在河北省涉县合漳村与浊漳河汇合。",
            "清漳河发源于哪座山？",
            "发源于太行山",
        ),
        # The page writes 香港 where the question says 香港地区: the place is not lost.
        (
            "《青衣》是一部电视剧，1998年在香港首播，由香港女演员陈美琪主演，共二十集。"
            "该剧在台湾和新加坡也曾播出。",
            "香港地区的哪位女演员主演了《青衣》？",
            "陈美琪",
        ),
    ],
    ids=["which-mountain", "bare-place-name"],
)
def test_a_question_read_right_is_answered_not_withheld(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, page: str, question: str, bold: str
) -> None:
    """Each was withheld: a word of the question, misread, was one no page holds, and the
    confidence fell below the threshold."""
    searcher = index_texts(tmp_path, {"page.txt": page}, config, tokenizer)
    results = searcher.search(question).results
    assert results and bold in results[0].highlight


WANG = (
    "王守拙\n\n"
    "王守拙（1602年－1650年），字廷贞，山西平阳人。原为闯军部将，后降明，又降清，一生叛降无常。\n\n"
    "其早年事迹，史书记载不多。据地方志所记，少时家贫，以贩盐为业，往来于河东与关中之间，结识"
    "各路豪杰。崇祯末年，天下大乱，流民四起，河东一带盗贼横行，官府无力禁止。乡里少年多投身行伍，"
    "或从官军，或入义军，各为其主。时人评论，当时风气如此，非一人之过。其后数年间，战事连绵，"
    "百姓流离失所，田地荒芜，十室九空。地方志又载，其人身长七尺，膂力过人，善骑射，能使长枪。\n\n"
    "顺治二年，王守拙率所部降清，随军攻福建，授广东提督。顺治四年正月，王守拙陷肇庆。王守拙认为"
    "自己对清廷有大功，却仅授以提督，内心不快。王守拙养子劝他反清，王守拙遂于同年四月反正。"
    "王守拙反正后，颇能尊重朝廷。王守拙集结洞蛮土著，号百万人。王守拙率兵三万出南雄，攻赣州。"
    "王守拙策马先奔，士卒争相渡河逃命，溺死者以万计。"
)


def test_of_one_articles_passages_the_one_whose_sentence_answers_is_quoted(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """The passage where 新润喜 speaks and the one that gives his offices are of one article
    and name him alike; the passage model puts the first first, and the within-article model,
    reading the passages' sentences, quotes the second for a question asking his office.
    Where to quote is all it decides: whether to answer is judged as without it."""
    index_dir = samples_index(tmp_path, config, tokenizer)
    question = "新润喜担任什么职务？"
    answer = Searcher.open(index_dir, config, tokenizer).search(question).results[0]
    assert "副市长、市公安局局长新润喜" in answer.highlight
    data = json.loads(DEFAULT_WEIGHTS.read_text(encoding="utf-8"))
    data["within article"] = dict.fromkeys(data["within article"], 0.0)
    blind = tmp_path / "without-within.json"
    blind.write_text(json.dumps(data), encoding="utf-8")
    without = replace(config, search=replace(config.search, model=blind))
    first = Searcher.open(index_dir, without, tokenizer).search(question).results[0]
    assert first.highlight.startswith("新润喜强调")
    assert answer.confidence == first.confidence


def test_the_order_within_an_article_knows_which_passage_opens_it(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """A page's lede or an entry's definition opens its article: the within-article model
    reads that (`opening`), and only it, since it says nothing across articles."""
    searcher = index_texts(tmp_path, {"wang.txt": WANG}, config, tokenizer)
    ranking = searcher.candidates("王守拙是哪里人？", 4)
    opening = {c.passage.first: c.placed() for c in ranking.shortlist}
    assert opening == {0: [1.0], max(opening): [0.0]} and len(opening) == 2
    model = Model.load()
    assert model.within[ORDER_WITHIN.index("opening")] > 0
    assert len(model.passage) == ORDER_WITHIN.index("opening")


def _bold_with_and_without(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, page: str, question: str, feature: str
) -> tuple[str, str]:
    """The sentence the model picks as the first result's answer, for a one-page index, with
    the shipped weights and with one sentence feature weighing nothing (every answer shown)."""
    shown = []
    blind = _without(tmp_path, "sentence", feature)
    without = replace(config, search=replace(config.search, model=blind, min_confidence=0.0))
    for name, cfg in (("with", config), ("without", without)):
        searcher = index_texts(tmp_path / name, {"page.txt": page}, cfg, tokenizer)
        shown.append(_picked(searcher, searcher.search(question).results[0]))
    return shown[0], shown[1]


def _picked(searcher: Searcher, result: Result) -> str:
    """The sentence the model picked as the result's answer: the bold holds it, and a near
    tie's neighbour too."""
    return span_text(searcher.document(result.doc_id), result.sentence, result.sentence)


def _without(tmp_path: Path, section: str, feature: str) -> Path:
    """The shipped weights with one feature weighing nothing, in pairs too."""
    data = json.loads(DEFAULT_WEIGHTS.read_text(encoding="utf-8"))
    data[section][feature] = 0.0
    if section == "confidence":
        for pair in data["confidence pairs"]:
            if feature in pair.split("*"):
                data["confidence pairs"][pair] = 0.0
    out = tmp_path / f"without-{feature}.json"
    out.write_text(json.dumps(data), encoding="utf-8")
    return out


@pytest.mark.parametrize(
    ("feature", "question"),
    [
        # No page names 忻州 or 大同: the passages that match are about 长治 and 晋中.
        ("lost_name", "忻州市餐饮服务从业人员佩戴口罩规定什么时候施行？"),
        ("lost_name", "大同市开展了几期基层代表培训？"),
        # A page speaks of 招商引资, but no sentence says 长治 … 招商引资签约额 in that order.
        ("s_order", "长治市2025年招商引资签约额是多大？"),
    ],
)
def test_the_confidence_withholds_what_the_page_does_not_say(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, feature: str, question: str
) -> None:
    """Withheld at the default floor; with the one feature that tells weighing nothing, quoted."""
    index_dir = samples_index(tmp_path, config, tokenizer)
    assert Searcher.open(index_dir, config, tokenizer).search(question).results == []
    blind = replace(
        config, search=replace(config.search, model=_without(tmp_path, "confidence", feature))
    )
    assert Searcher.open(index_dir, blind, tokenizer).search(question).results


def test_the_confidence_reads_features_together(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    """The pages name a 副市长 and 长治's offices, so word overlap alone makes 运城市的副市长是谁
    look answered; the products of features (the page holds the words, the bold sentence no
    person, the city nowhere) withhold it. Without them the same weights quote it."""
    index_dir = samples_index(tmp_path, config, tokenizer)
    question = "运城市的副市长是谁？"
    assert Searcher.open(index_dir, config, tokenizer).search(question).results == []
    data = json.loads(DEFAULT_WEIGHTS.read_text(encoding="utf-8"))
    data["confidence pairs"] = dict.fromkeys(data["confidence pairs"], 0.0)
    sums = tmp_path / "sums.json"
    sums.write_text(json.dumps(data), encoding="utf-8")
    alone = replace(config, search=replace(config.search, model=sums))
    assert Searcher.open(index_dir, alone, tokenizer).search(question).results


def test_a_model_without_pairs_scores_by_sums_alone() -> None:
    """A weights file of an earlier fit has no pairs: its confidence is the plain logistic."""
    model = Model.load()
    plain = Model(model.passage, model.sentence, model.confidence)
    x = [1.0] * len(CONFIDENCE_FEATURES)
    z = model.confidence[0] + sum(model.confidence[1:])
    assert plain.probability(x) == pytest.approx(1 / (1 + np.exp(-z)))
    assert model.probability(x) != pytest.approx(plain.probability(x))


def test_a_floor_of_one_withholds_every_answer(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    strict = replace(config, search=replace(config.search, min_confidence=1.0))
    index_dir = samples_index(tmp_path, config, tokenizer)
    searcher = Searcher.open(index_dir, strict, tokenizer)
    assert searcher.search("长治市人大常委会2025年召开了几次常委会会议？").results == []


def test_min_confidence_is_a_probability() -> None:
    assert parse_config({"search": {"min_confidence": 0.3}}, Path()).search.min_confidence == 0.3
    with pytest.raises(ConfigError, match="min_confidence"):
        parse_config({"search": {"min_confidence": 3}}, Path())


def test_storage_errors_reach_the_caller_as_index_unavailable(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    index_dir = samples_index(tmp_path, config, tokenizer)
    searcher = Searcher.open(index_dir, config, tokenizer)
    conn = sqlite3.connect(index_dir / "index.sqlite")
    conn.execute("DROP TABLE chunks")
    conn.commit()
    conn.close()
    with pytest.raises(IndexUnavailable, match="could not be read"):
        searcher.search("长治市人大常委会2025年召开了几次常委会会议？")
    with pytest.raises(IndexUnavailable, match="could not be read"):
        searcher.sources()


def test_the_softmax_fit_puts_the_weight_on_the_feature_that_picks_the_answer() -> None:
    fit = _fitting()
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(200):
        x = rng.normal(size=(5, 3))
        y = np.zeros(5)
        y[np.argmax(x[:, 1])] = 1  # the second feature alone tells the answer
        groups.append((x, y))
    w = fit.fit_softmax(groups, np.ones(3))
    assert w[1] > 5 * max(abs(w[0]), abs(w[2]))
    dropped = fit.fit_softmax(groups, np.array([1.0, 0.0, 1.0]))
    assert dropped[1] == 0.0


def test_the_confidence_scores_pairs_as_the_fit_made_them() -> None:
    """The fit's design (features, then products of scaled pairs) and the model's inference
    read the pairs in the same order."""
    fit = _fitting()
    rng = np.random.default_rng(1)
    n = len(CONFIDENCE_FEATURES)
    x = rng.normal(size=(600, n))
    y = (x[:, 0] * x[:, 3] + x[:, 5] > 0).astype(float)
    mean, spread = x.mean(axis=0), x.std(axis=0)
    design = fit.with_pairs(x, mean, spread)
    w = fit.fit_logistic(design, y, np.ones(design.shape[1]), 0.01)
    model = replace(
        Model.load(),
        confidence=tuple(w[: n + 1]),
        pairs=tuple(w[n + 1 :]),
        scale=tuple(zip(mean.tolist(), spread.tolist(), strict=True)),
    )
    expected = 1 / (1 + np.exp(-(w[0] + design @ w[1:])))
    got = [model.probability(list(row)) for row in x[:50]]
    assert got == pytest.approx(expected[:50].tolist())
    assert ((np.array(got) > 0.5) == y[:50]).mean() > 0.9  # it learnt the product


def test_the_logistic_fit_is_calibrated() -> None:
    fit = _fitting()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 2))
    p = 1 / (1 + np.exp(-(0.5 + 2 * x[:, 0])))
    y = (rng.random(4000) < p).astype(float)
    w = fit.fit_logistic(x, y, np.ones(2))
    assert w[0] == pytest.approx(0.5, abs=0.2) and w[1] == pytest.approx(2.0, abs=0.3)
    assert abs(w[2]) < 0.2
