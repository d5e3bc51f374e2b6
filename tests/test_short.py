"""Short answers: the asked thing cut from the highlighted sentence, or none at all."""

from __future__ import annotations

import json

import pytest

from bot.format import answer_html
from index.features import ASKED
from index.search import Searcher
from index.short import asked_kind, short_answer

from .telegram_html import check
from .test_cli import qabot

# IDF-like weights: the test only needs the question's words to count.
W = {"常委会": 2.0, "会议": 1.5, "主任": 2.5, "召开": 1.0, "面积": 2.0, "总面积": 3.0}
TWO_COUNTS = "召开常委会会议7次、主任会议15次，制定地方性法规1件。"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("召开了几次常委会会议？", "count"),
        ("总面积是多少？", "amount"),
        ("哪天召开的？", "date"),
        ("李新文是哪年出生的？", "date"),
        ("她是第几位皇后？", "ordinal"),
        ("专题询问是在哪次会议上举行的？", "ordinal"),
        ("李新文现任什么职务？", ""),
        ("你好", ""),
        ("几何学研究什么？", ""),
        ("几内亚法郎的辅币单位是什么？", ""),
    ],
)
def test_the_kind_of_question(question: str, kind: str) -> None:
    assert asked_kind(question) == kind


@pytest.mark.parametrize(
    "question", ["几何学研究什么？", "他几乎赢得了所有奖项吗？", "茶几是谁设计的？"]
)
def test_the_ji_inside_a_word_asks_no_count(question: str) -> None:
    assert "count" not in [kind for kind, pattern in ASKED if pattern.search(question)]


def test_the_count_beside_the_asked_words_wins() -> None:
    assert short_answer("召开了几次常委会会议？", TWO_COUNTS, W) == "7次"
    assert short_answer("开了多少次主任会议？", TWO_COUNTS, W) == "15次"
    assert short_answer("制定了几件地方性法规？", TWO_COUNTS, W) == "1件"


def test_two_candidates_nothing_tells_apart_give_no_short_answer() -> None:
    assert short_answer("开了几次会？", "上午开会2次，下午开会3次。", {"开会": 1.0}) is None


def test_a_day_is_not_a_year_and_a_year_is_not_an_amount() -> None:
    sentence = "1月7日,2026年立法工作推进会召开。"
    assert short_answer("推进会是哪天召开的？", sentence, {"推进会": 2.0, "召开": 1.0}) == "1月7日"
    sentence = "旅游区于2003年开始兴建，总面积为1.44平方公里。"
    assert short_answer("旅游区的总面积是多少？", sentence, W) == "1.44平方公里"


def test_a_number_of_a_date_is_not_an_amount() -> None:
    """The day of 2026年1月1日 was the short answer to how large a GDP was."""
    weights = {"晋中市": 2.0, "2025": 3.0, "年": 0.5, "gdp": 5.0}
    sentence = "2026年1月1日,《晋中市餐饮服务从业人员佩戴口罩规定》正式施行。"
    assert short_answer("晋中市2025年GDP是多少？", sentence, weights) is None
    sentence = "2026年1月1日起，晋中市GDP为1850亿元。"
    assert short_answer("晋中市2025年GDP是多少？", sentence, weights) == "1850亿元"


def test_a_candidate_in_a_last_clause_that_says_nothing_gives_none() -> None:
    """A clause of its own is read with the one after it; at the end of a sentence with no
    mark after it there is none (this raised IndexError and lost the whole answer)."""
    question = "鬣齿兽属中最小的大约多大?"
    assert short_answer(question, "by Egi, 2001", {"鬣齿兽": 3.0}) is None
    assert short_answer(question, "by Egi, 2001.", {"鬣齿兽": 3.0}) is None


def test_a_sentence_without_the_asked_kind_gives_none() -> None:
    assert short_answer("召开了几次常委会会议？", "常委会会议如期召开。", W) is None
    assert short_answer("李新文现任什么职务？", "李新文现任党委书记。", W) is None


def test_a_range_is_one_answer() -> None:
    sentence = "这种树的果实长约15至20厘米，重约2公斤。"
    assert (
        short_answer("果实的长度是多少厘米？", sentence, {"果实": 2.0, "长度": 1.0}) == "15至20厘米"
    )
    sentence = "它在平地上每小时可跑70-80公里。"
    assert short_answer("它每小时能跑多少公里？", sentence, {"小时": 1.0, "跑": 1.0}) == "70-80公里"


def test_a_time_that_leads_its_clause_is_read_with_the_clause_it_leads() -> None:
    sentence = "1970年，他在师范大学取得学士学位，1975年在美国取得硕士学位。"
    weights = {"取得": 1.0, "学士": 3.0, "学位": 2.0}
    assert short_answer("他是何时取得学士学位的？", sentence, weights) == "1970年"
    sentence = "自1962年起，国铁开始制作近郊型电车。"
    assert short_answer("国铁何时开始制作电车？", sentence, {"国铁": 2.0, "制作": 1.0}) == "1962年"


def test_a_value_after_a_colon_answers_for_its_label() -> None:
    """Fields laid out on one line: each number belongs to the label before it, not to the
    next field's, and two numbers a comma parts are two numbers."""
    sentence = (
        "来信地址:晋中市榆次区新华街199号晋中市委组织部干部监督科,"
        "邮政编码:030600 联系电话:0354-12380,0354-2021528(传真)"
    )
    weights = {"市委组织部": 5.0, "联系电话": 4.0, "联系": 2.0, "电话": 3.0}
    assert short_answer("市委组织部的联系电话是多少？", sentence, weights) == "0354-12380"
    assert short_answer("邮政编码是多少？", sentence, {"邮政编码": 5.0}) == "030600"
    # A house number names a house: the question's word for the code (邮编) is not on the page,
    # and 199 of 新华街199号, in the clause that names 组织部, is no answer.
    assert short_answer("组织部的邮编是多少？", sentence, {"组织部": 4.0, "邮编": 5.0}) is None


def test_a_lead_is_read_with_the_clauses_after_it_up_to_the_next_candidate() -> None:
    sentence = (
        "2025年10月29日，市十五届人大常委会第二十九次会议现场，"
        "一场聚焦义务教育优质均衡发展的专题询问掷地有声。"
    )
    weights = {"专题": 2.0, "询问": 2.0, "举行": 1.0}
    assert short_answer("专题询问是哪天举行的？", sentence, weights) == "2025年10月29日"
    sentence = "1970年，他在师范大学读书，1975年取得硕士学位。"
    weights = {"取得": 1.0, "硕士": 3.0, "学位": 2.0}
    assert short_answer("他何时取得硕士学位？", sentence, weights) == "1975年"


def test_a_lead_that_nothing_after_it_names_is_read_with_the_fields_before_it() -> None:
    """A record of comma-parted fields names its subject first: 1977年8月生 is 李新文's birth
    date though no field after it says anything of the question."""
    sentence = "李新文,男,汉族,1977年8月生,大学,中共党员,现任寿阳县朝阳镇党委书记。"
    weights = {"李新文": 4.0, "出生": 3.0, "一年": 3.0}
    assert short_answer("李新文是哪一年出生的？", sentence, weights) == "1977年8月"
    # A bracketed year glosses what is before it, and is not read with it.
    sentence = "许国佐为天启七年（1627年）举人，崇祯四年（1631年）成进士，授富顺县正堂。"
    weights = {"许国佐": 4.0, "进士": 3.0}
    assert short_answer("许国佐是哪一年的进士？", sentence, weights) == "1631年"


def test_a_count_followed_by_the_thing_asked_counts_it() -> None:
    """共提出3件议案、175件建议: the clause of 3件 holds more of the question's words, but
    175件 is the one followed by 建议."""
    sentence = "集中民智，共提出3件议案、175件建议。"
    weights = {"长治市": 3.0, "人大代表": 2.0, "共": 1.0, "提出": 1.5, "建议": 1.2}
    assert short_answer("长治市人大代表共提出了多少件建议？", sentence, weights) == "175件"
    assert short_answer("长治市人大代表提出了几件议案？", sentence, weights) == "3件"


def test_a_sessions_name_is_no_count_of_meetings() -> None:
    sentence = "圆满完成市十五届人大五次会议确定的目标任务。"
    weights = {"常委会": 1.0, "会议": 1.0, "召开": 1.0}
    assert short_answer("开了几次常委会会议？", sentence, weights) is None
    assert short_answer("十五届人大开了几次会议？", sentence, weights) == "五次"
    assert short_answer("召开了几次会议？", "今年共召开五次会议。", weights) == "五次"


def test_items_listed_with_a_pause_mark_are_counted_together() -> None:
    """执法检查、视察及调研29次 counts all three; the 、 that parts two counts
    (会议7次、主任会议15次) still parts them."""
    sentence = (
        "召开常委会会议7次、主任会议15次，开展专题询问1次，组织或配合执法检查、视察及调研29次。"
    )
    weights = {"开展": 1.3, "执法": 2.0, "检查": 1.5, "视察": 2.0, "调研": 1.5}
    assert short_answer("开展了多少次执法检查视察调研？", sentence, weights) == "29次"
    assert short_answer("开了多少次主任会议？", sentence, W) == "15次"


def test_rounds_are_counted() -> None:
    sentence = "比赛分为两轮，接著有一个训练课程。"
    assert short_answer("比赛一共分为几轮？", sentence, {"比赛": 2.0, "分为": 1.0}) == "两轮"


def test_a_space_before_a_number_ends_a_field() -> None:
    """A newspaper's dateline (本报讯 1月6日,…) is not part of the date's clause, which leads
    the clause after it."""
    sentence = "本报讯 1月6日,副市长梁艳萍深入乡村振兴联系点祁县昭馥镇刘家堡村,开展调研指导。"
    weights = {"梁艳萍": 4.0, "刘家堡村": 4.0, "调研": 2.0}
    assert short_answer("梁艳萍是哪天去刘家堡村调研的？", sentence, weights) == "1月6日"


def test_which_of_a_series_is_answered_by_its_ordinal() -> None:
    sentence = (
        "2025年10月29日，市十五届人大常委会第二十九次会议现场，"
        "一场聚焦义务教育优质均衡发展的专题询问掷地有声。"
    )
    weights = {"专题": 2.0, "询问": 2.0, "会议": 1.0, "举行": 1.0}
    assert short_answer("专题询问是在哪次会议上举行的？", sentence, weights) == "第二十九次"


def test_amounts_in_chinese_numerals_before_a_unit() -> None:
    sentence = "它是一个占地约两平方公里的公园。"
    assert short_answer("公园占地面积多大？", sentence, {"占地": 2.0, "公园": 1.0}) == "两平方公里"
    # 三个 counts things; it does not measure the weight asked for.
    sentence = "这种袋鼠共有三个亚种，体重约只有8公斤。"
    assert short_answer("这种袋鼠的体重是多少？", sentence, {"体重": 2.0, "袋鼠": 1.0}) == "8公斤"


def test_years_before_the_common_era_and_decades() -> None:
    sentence = "这座城是罗马人在公元前25年建立的。"
    assert short_answer("这座城是何时建立的？", sentence, {"建立": 2.0}) == "公元前25年"
    sentence = "1990年代以来，酒吧在市政厅附近开设。"
    assert short_answer("酒吧是从哪一年开始开设的？", sentence, {"酒吧": 2.0, "开设": 1.0}) == (
        "1990年代"
    )
    sentence = "1990年代表大会在市政厅召开。"
    assert short_answer("代表大会是哪一年召开的？", sentence, {"代表大会": 2.0}) == "1990年"


def test_the_same_thing_said_twice_is_not_two_answers() -> None:
    sentence = "条约初订的期限为二十年，条约续订的期限也是二十年。"
    assert short_answer("条约的期限是多少年？", sentence, {"条约": 2.0, "期限": 2.0}) == "二十年"
    sentence = "条约初订的期限为二十年，条约续订的期限为十年。"
    assert short_answer("条约的期限是多少年？", sentence, {"条约": 2.0, "期限": 2.0}) is None


def test_traditional_text_keeps_its_script() -> None:
    sentence = "山東女子學院現有兩個校區，藏書81.6萬冊。"
    assert short_answer("图书馆藏书量是多少册？", sentence, {"藏书": 2.0}) == "81.6萬冊"


def test_the_reply_starts_with_the_short_answer(sample_searcher: Searcher) -> None:
    answer = sample_searcher.search("长治市人大常委会2025年召开了几次常委会会议？")
    assert answer.short == "7次"
    message = answer_html(answer)
    check(message)
    assert message.startswith("<b>7次</b>\n\n1. <blockquote>")
    assert sample_searcher.search("李新文是哪年出生的？").short == "1977年8月"
    assert sample_searcher.search("新润喜担任什么职务？").short is None


def test_ask_json_carries_the_short_answer(tmp_path) -> None:
    out = qabot("ask", "--json", "长治组织了多少次任前法律知识考试？", home=tmp_path)
    item = json.loads(out.stdout)
    assert item["answer"] == "16次" and "16次" in item["results"][0]["highlight"]
