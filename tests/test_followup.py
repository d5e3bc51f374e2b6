"""Follow-up questions are read with the one before them; complete ones stand alone."""

from __future__ import annotations

import pytest

from index.followup import Conversations, Reader, Topic, Understood
from index.search import Searcher
from index.tokenize import Tokenizer

CHANGZHI_MEETINGS = "长治市人大常委会2025年召开了几次常委会会议？"


@pytest.fixture(scope="module")
def reader(tokenizer: Tokenizer) -> Reader:
    return Reader(tokenizer)


@pytest.mark.parametrize(
    ("before", "question", "meant"),
    [
        # An ellipsis puts its words in place of their counterpart.
        (CHANGZHI_MEETINGS, "主任会议呢？", "长治市人大常委会2025年召开了几次主任会议"),
        (CHANGZHI_MEETINGS, "晋中呢？", "晋中人大常委会2025年召开了几次常委会会议"),
        (CHANGZHI_MEETINGS, "去年呢？", "长治市人大常委会去年召开了几次常委会会议"),
        ("李新文是哪年出生的？", "那孙雨呢？", "孙雨是哪年出生的"),
        (
            "长治的人大代表一共提出了多少件议案和建议？",
            "晋中呢",
            "晋中的人大代表一共提出了多少件议案和建议",
        ),
        # A pronoun is the last person named.
        ("孙雨是哪年出生的", "他拟提名为什么人选？", "孙雨拟提名为什么人选"),
        ("孙雨现任什么职务", "她考察了什么项目？", "孙雨考察了什么项目"),
        # A question without a subject takes the last one's.
        (CHANGZHI_MEETINGS, "制定了几件地方性法规？", "长治市人大常委会2025年制定了几件地方性法规"),
        ("晋中基层代表培训覆盖了多少名基层代表？", "分几期举办？", "晋中基层代表培训分几期举办"),
        ("晋中基层代表培训分几期举办", "在哪些地方？", "晋中基层代表培训在哪些地方"),
        # 其中 narrows the last question.
        (
            "长治的人大代表一共提出了多少件议案和建议",
            "其中重点督办的有几件？",
            "长治的人大代表一共提出了多少件议案和建议，其中重点督办的有几件",
        ),
    ],
)
def test_a_question_that_leans_on_the_last_is_read_with_it(
    reader: Reader, before: str, question: str, meant: str
) -> None:
    understood = reader.understand(question, Topic(before))
    assert understood is not None and understood.text == meant


def test_a_demonstrative_finds_the_title_in_the_last_answer(reader: Reader) -> None:
    topic = Topic(
        "长治市人大常委会制定了哪部地方性法规", "市人大常委会制定出台《长治市养老服务条例》"
    )
    assert reader.understand("这部条例什么时候施行？", topic) == Understood(
        "《长治市养老服务条例》什么时候施行"
    )


def test_the_name_put_in_is_what_the_documents_must_mention(reader: Reader) -> None:
    assert reader.understand("晋中呢？", Topic(CHANGZHI_MEETINGS)) == Understood(
        "晋中人大常委会2025年召开了几次常委会会议", ("晋中",)
    )
    assert reader.understand("他拟提名为什么人选？", Topic("孙雨是哪年出生的")) == Understood(
        "孙雨拟提名为什么人选", ("孙雨",)
    )


@pytest.mark.parametrize(
    "question",
    [
        "晋中市人大常委会确定了几件重点督办建议？",  # names its own place and body
        "新润喜担任什么职务？",  # names its own person
        "宪法宣誓有多少人次？",  # has its own subject
        "2025年10月29日的专题询问聚焦什么议题？",
    ],
)
def test_a_complete_question_stands_alone(reader: Reader, question: str) -> None:
    assert reader.understand(question, Topic(CHANGZHI_MEETINGS)) is None


def test_nothing_to_lean_on(reader: Reader) -> None:
    assert reader.understand("主任会议呢？", None) is None


def test_conversations_are_apart_and_forgotten(sample_searcher: Searcher) -> None:
    now = [0.0]
    chats = Conversations(expire_s=600, clock=lambda: now[0])
    first = chats.ask(sample_searcher, (1, 100), CHANGZHI_MEETINGS)
    assert first.understood is None and first.answer.short == "7次"
    # Another user in the same chat has a conversation of their own.
    other = chats.ask(sample_searcher, (1, 101), "主任会议呢？")
    assert other.understood is None
    # Small talk neither answers nor forgets.
    thanks = chats.ask(sample_searcher, (1, 100), "谢谢！")
    assert thanks.small_talk == "thanks" and thanks.answer.results == []
    now[0] = 599
    followup = chats.ask(sample_searcher, (1, 100), "主任会议呢？")
    assert followup.understood == "长治市人大常委会2025年召开了几次主任会议"
    assert followup.answer.short == "15次"
    now[0] = 599 + 601
    late = chats.ask(sample_searcher, (1, 100), "制定了几件地方性法规？")
    assert late.understood is None  # ten minutes of silence: the topic is gone
