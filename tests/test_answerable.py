"""A quote that cannot hold what the question asks (the office's holder, the seat, a year, a
sum, a count of people or of years, a change, a count by its measure) is passed over: the
next passage that can is quoted, or none is."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import opencc
import pytest

from index.answerable import need, speaks_of
from index.config import Config
from index.search import SHORTLIST, Searcher
from index.tokenize import Tokenizer, fold

from .conftest import CHANGZHI, JINZHONG, index_texts, sample_text

COUNCIL = (
    "清水县人大常委会2025年工作回顾\n\n"
    "清水县人大常委会副主任王刚主持召开清水县人大常委会主任会议12次。\n\n"
    "清水县人大常委会听取审议专项报告8个，清水县人大常委会开展执法检查3次。"
)
HEAD = "清水县人大常委会主任李明出席全县代表培训班开班式并讲话。"
BRIDGE = "清水桥建成通车，清水桥是清水县最长的桥，清水桥横跨清水河。"
BRIDGE_YEAR = "清水河上的这座桥于1998年动工，两年后建成。"
PARK = "清水公园门票实行预约，游客需在清水公园官网预约门票，门票当日有效。"
PARK_PRICE = "清水公园门票成人每位30元。"
NO_ONE = "清水县人大常委会主任交流工作经验的座谈会在县城召开。"
SCHOOLS = "清水县新建学校有什么规划？清水县学校建设稳步推进。"
SCHOOLS_COUNT = "清水县今年新建学校3所。"
GROWTH = "清水县经济增长目标完成情况良好，经济运行平稳。"
GROWTH_RATE = "清水县经济增长目标为6%。"


def _everything(folder: Path, tokenizer: Tokenizer, config: Config, texts: list[str]) -> Searcher:
    """The texts indexed with every answer shown, so that only the rule withholds one."""
    shown = replace(config, search=replace(config.search, min_confidence=0.0))
    return index_texts(folder, {f"{n}.txt": t for n, t in enumerate(texts)}, shown, tokenizer)


def test_who_holds_an_office_is_not_answered_by_its_deputy_or_its_meeting(
    tmp_path: Path, tokenizer: Tokenizer, config: Config
) -> None:
    searcher = _everything(tmp_path, tokenizer, config, [COUNCIL])
    assert searcher.search("清水县人大常委会主任是谁？").results == []
    # Its deputy is what the page names, and then it answers.
    deputy = searcher.search("清水县人大常委会副主任是谁？").results
    assert deputy and "王刚" in deputy[0].quote


def test_who_holds_an_office_is_answered_by_the_page_that_names_it(
    tmp_path: Path, tokenizer: Tokenizer, config: Config
) -> None:
    searcher = _everything(tmp_path, tokenizer, config, [COUNCIL, HEAD])
    question = opencc.OpenCC("s2t").convert("清水县人大常委会主任是谁？")
    results = searcher.search(question).results
    assert results and "李明" in results[0].quote
    # The page that names only the deputy and the meeting is no answer, but more to read
    # after it.
    assert [("主任李明" in r.quote, "王刚" in r.quote) for r in results] == [
        (True, False),
        (False, True),
    ]


def test_a_passage_past_the_shortlist_that_names_the_office_is_still_found(
    tmp_path: Path, tokenizer: Tokenizer, config: Config
) -> None:
    """Passages past the model's shortlist are skipped unread when nothing within a quote's
    reach holds what the question needs; the one that does is read and quoted."""
    meetings = [
        f"清水县人大常委会第{n}次主任会议召开，清水县人大常委会主任会议研究代表工作。"
        for n in "一二三四五六"
    ]
    searcher = _everything(tmp_path, tokenizer, config, [*meetings, HEAD])
    question = "清水县人大常委会主任是谁？"
    shortlist = searcher.candidates(question, SHORTLIST).shortlist
    assert all(c.doc.name != f"{len(meetings)}.txt" for c in shortlist)
    results = searcher.search(question).results
    assert results and "李明" in results[0].quote


@pytest.mark.parametrize(
    ("page", "answering", "question", "answer"),
    [
        (BRIDGE, BRIDGE_YEAR, "清水桥是哪一年建成的？", "1998年"),
        (PARK, PARK_PRICE, "清水公园门票多少钱？", "30元"),
        (NO_ONE, HEAD, "清水县人大常委会主任是谁？", "李明"),
        (SCHOOLS, SCHOOLS_COUNT, "清水县新建了几所学校？", "3所"),
        (GROWTH, GROWTH_RATE, "清水县经济增长目标是多少？", "6%"),
    ],
)
def test_what_is_asked_is_answered_by_a_quote_that_holds_it(
    tmp_path: Path,
    tokenizer: Tokenizer,
    config: Config,
    page: str,
    answering: str,
    question: str,
    answer: str,
) -> None:
    assert _everything(tmp_path, tokenizer, config, [page]).search(question).results == []
    searcher = _everything(tmp_path / "more", tokenizer, config, [page, answering])
    results = searcher.search(question).results
    assert results and answer in results[0].quote


@pytest.mark.parametrize(
    ("question", "quote", "met"),
    [
        ("长治市的市长是谁？", "副市长梁艳萍深入刘家堡村调研。", False),
        ("长治市的副市长是谁？", "副市长梁艳萍深入刘家堡村调研。", True),
        ("晋中市委书记是谁？", "现任祁县城赵镇党委书记。", False),
        ("晋中市委书记是谁？", "市委书记张三出席会议。", True),
        ("县长叫什么名字？", "县长办公会研究了此事。", False),
        ("县长叫什么名字？", "县长王五介绍了情况。", True),
        ("哪一年召开的？", "过去一年，常委会深入学习贯彻党的二十大精神。", False),
        ("哪一年去世？", "顺治十一年卒。", True),
        ("哪一年建成？", "一九九七年建成。", True),
        ("哪一年建的？", "建于明朝万历年间。", True),
        ("门票多少钱？", "景区对游客免费开放。", True),
        ("门票多少钱？", "景区接待游客30万人次。", False),
        ("投资了多少钱？", "投资120余万元建成养殖基地。", True),
        ("游船收费多少？", "游船每人收费30多元。", True),
        ("计划通过多少经费？", "通过4亿5000万加元挹注此计划。", True),
        ("晋中市2025年GDP是多少？", "晋中市2025年代表工作计划印发。", False),
        ("山西省的省会是哪里？", "太原是山西省的省会。", True),
        ("山西省的省会是哪里？", "山西省社区居家养老服务条例施行。", False),
        ("北京的人口是多少？", "促进人口高质量发展，连续3年跟踪检查。", False),
        ("北京的人口是多少？", "全市常住人口约二千一百万。", True),
        ("有多少人参加？", "覆盖203名基层代表。", True),
        ("代表的任期是几年？", "组织230余人次代表参与视察。", False),
        ("代表的任期是几年？", "人大代表每届任期五年。", True),
        ("人大常委会主任是谁？", "邀请四区人大常委会主任交流工作经验。", False),
        ("人大常委会主任是谁？", "李新文现任朝阳镇一级主任科员。", False),
        ("马其顿的总统是谁？", "现任总统为布兰科·茨尔文科夫斯基。", True),
        ("该公司的总裁是谁？", "该公司总裁为Curtis Stevens。", True),
        ("该公司的社长是谁？", "目前社长是藤岛茱莉景子。", True),
        ("代表法是哪一年修订的？", "常委会印发《2025年代表工作计划》。", False),
        ("《2025年代表工作计划》是哪一年印发的？", "常委会印发《2025年代表工作计划》。", True),
        ("哪一年提出的？", "收集近5年相关建议。", False),
        ("哪一年起事？", "庆应2年1月23日，阿龙察觉有异。", True),
        ("经济增长目标是多少？", "听取环境保护年度目标完成情况的报告。", False),
        ("经济增长目标是多少？", "经济增长目标为5%左右。", True),
        ("收入增长了多少？", "农民收入增长了一倍。", True),
        ("新建了几所学校？", "在滨湖片区义务教育学校建设方面有什么规划？", False),
        ("新建了几所学校？", "新建学校3所。", True),
        ("这是第多少届联赛？", "是第 26 届亚洲冠军联赛。", True),
        ("开展了几次视察？", "多次开展视察。", True),
        ("开了几次常委会会议？", "圆满完成市十五届人大五次会议确定的目标任务。", False),
        ("今年召开了几次会议？", "今年共召开五次会议。", True),
        ("询问是在第几次会议上举行的？", "市十五届人大常委会第二十九次会议现场。", True),
        ("十五届人大六次会议哪天开幕？", "市十五届人大常委会第二十九次会议现场。", False),
        ("十五届人大六次会议哪天开幕？", "市十五届人大常委会第十六次会议现场。", False),
        ("十四屆全國人大三次會議何時開幕？", "十四届全国人大三次会议3月5日开幕。", True),
        ("抽检合格率是多少？", "把保障食品安全作为核心任务。", False),
        ("抽检合格率是多少？", "抽检合格率为98.5%。", True),
        ("节目的收视率是多少？", "该节目收视率达22.5。", True),
        ("产值比上年增长了多少？", "1月5日，村民在养殖场内喂饲鲟鱼。", False),
        ("宣传活动是哪天搞的？", "近日，民警深入辖区开展宣传活动。", False),
        ("推进会是哪天开的？", "1月7日，推进会召开。", True),
        ("活动是哪一天举行的？", "活动在国庆期间举行。", True),
    ],
)
def test_what_a_quote_must_hold(tokenizer: Tokenizer, question: str, quote: str, met: bool) -> None:
    needed = need(fold(question))
    assert needed is not None and needed.met(quote, tokenizer) is met


def test_a_year_the_question_names_is_one_its_page_speaks_of(
    tmp_path: Path, tokenizer: Tokenizer, config: Config
) -> None:
    searcher = _everything(tmp_path, tokenizer, config, [COUNCIL])
    assert searcher.search("清水县人大常委会2027年开展了几次执法检查？").results == []
    results = searcher.search("清水县人大常委会2025年开展了几次执法检查？").results
    assert results and "执法检查3次" in results[0].quote
    # A page that tells years from its own date (过去一年) may be about any year.
    report = "清水县人大常委会过去一年开展执法检查4次，听取审议专项报告6个。"
    searcher = _everything(tmp_path / "report", tokenizer, config, [report])
    results = searcher.search("清水县人大常委会2025年开展了几次执法检查？").results
    assert results and "执法检查4次" in results[0].quote


@pytest.mark.parametrize(
    "question",
    [
        "他的特长是什么？",
        "GDP增长的原因是什么？",
        "主任会议有几个议题？",
        "建了几座桥？",
        "谁主持了会议？",
        "近几年有什么变化？",
        "宪法宣誓有多少人次？",
    ],
)
def test_other_questions_need_nothing_more(question: str) -> None:
    assert need(fold(question)) is None


@pytest.mark.parametrize("question", ["全国人大代表的任期是几年？", "晋中市营商环境局局长是谁？"])
def test_quotes_that_cannot_answer_are_read_after_the_rest_but_never_twice(
    tmp_path: Path, tokenizer: Tokenizer, config: Config, question: str
) -> None:
    pages = [sample_text(name) for name in (JINZHONG, CHANGZHI)]
    results = _everything(tmp_path, tokenizer, config, pages).search(question, 10).results
    quoted = [(r.doc_id, s) for r in results for s in range(r.first, r.last + 1)]
    assert len(results) > 3, "the rest are still there to read"
    assert len(quoted) == len(set(quoted)), "no sentence is quoted twice"


@pytest.mark.parametrize(
    ("page", "speaks"),
    [
        ("2025年，常委会召开会议7次。", True),
        ("２０２５年，常委会召开会议7次。", True),
        ("過去一年，常委會召開會議7次。", True),
        ("2024年，常委会召开会议6次。", False),
    ],
)
def test_a_page_speaks_of_a_year_it_names_or_tells_from_its_date(page: str, speaks: bool) -> None:
    assert speaks_of(page, ("2025",)) is speaks
