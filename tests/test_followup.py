"""Follow-up questions are read with the one before them; complete ones stand alone."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from index.build import update_index
from index.config import SAMPLES_DIR, Config
from index.evaluate import evaluate, load_gold
from index.followup import Conversations, Reader, Topic, Understood
from index.search import Searcher
from index.tokenize import Tokenizer

from .conftest import CHANGZHI, JINZHONG, SEED_QA

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
        # X的呢 with nothing of X in the last question says which of the asked things; a place
        # still takes its counterpart's place.
        (
            "晋中市五届人大五次会议收到了多少件代表建议？",
            "重点督办的呢？",
            "晋中市五届人大五次会议收到了多少件重点督办的代表建议",
        ),
        (CHANGZHI_MEETINGS, "临时的呢？", "长治市人大常委会2025年召开了几次临时的常委会会议"),
        # A thing with no counterpart, after a question whose subject is named, is the other
        # thing asked about (not 鱼塘了多少栋蔬菜大棚, its subject put in the place's place).
        ("左权县下武村建了多少栋蔬菜大棚？", "鱼塘呢？", "左权县下武村建了多少鱼塘"),
        (CHANGZHI_MEETINGS, "晋中的呢？", "晋中人大常委会2025年召开了几次常委会会议"),
        # A name after a question that names none is its subject (not 晋中了多少件…, the name
        # put in place of the verb the question opens with).
        ("审查了多少件规范性文件？", "晋中呢？", "晋中审查了多少件规范性文件"),
        # A pronoun is the last person named.
        ("孙雨是哪年出生的", "他拟提名为什么人选？", "孙雨拟提名为什么人选"),
        ("孙雨现任什么职务", "她考察了什么项目？", "孙雨考察了什么项目"),
        # A name jieba does not know comes out of it as a surname and the rest.
        ("梁艳萍是什么职务", "她哪天去的？", "梁艳萍哪天去的"),
        # 养老, which jieba tags as a name, is no one: the ranking's test of a person decides.
        ("李新文在养老方面提了什么建议", "他是哪年出生的？", "李新文是哪年出生的"),
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


def test_after_who_a_pronoun_is_the_person_the_answer_names(reader: Reader) -> None:
    """Not 王维 of the question (a poet a town is named for), nor 刘家 of the village 刘家堡村."""
    topic = Topic(
        "王维水墨小镇谁去调研了",
        "在刘家堡村,梁艳萍一行详细了解产业发展,实地考察了农文旅科技融合项目王维水墨小镇。",
    )
    assert reader.understand("她是什么职务？", topic) == Understood("梁艳萍是什么职务", ("梁艳萍",))


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


# Other papers beside the samples, with near-twins of their figures: an archive is never two
# pages, and a follow-up must find the paper its words point to.
OTHERS = {
    "taiyuan.txt": (
        "太原日报\n\n依法履职 服务大局\n\n"
        "过去一年，太原市人大常委会召开常委会会议9次、主任会议12次，制定地方性法规3件。\n\n"
        "市人大代表共提出议案5件、建议402件，已全部办结。\n"
    ),
    "datong.txt": (
        "大同日报\n\n拟任职人选公示\n\n"
        "赵明远，男，汉族，1975年6月生，大学，中共党员，现任云冈区文化局局长，拟提名为区长人选。\n\n"
        "大同市人大常委会全年召开主任会议10次。\n"
    ),
    "sports.txt": (
        "体育新闻\n\n全市运动会闭幕\n\n比赛共设12个大项，来自各县区的1800名运动员参赛。\n"
    ),
}


@pytest.fixture(scope="module")
def archive(
    tmp_path_factory: pytest.TempPathFactory, config: Config, tokenizer: Tokenizer
) -> Searcher:
    folder = tmp_path_factory.mktemp("archive")
    docs = folder / "docs"
    shutil.copytree(SAMPLES_DIR, docs)
    for name, text in OTHERS.items():
        (docs / name).write_text(text, encoding="utf-8")
    cfg = config.with_index_path(folder / "index")
    update_index([docs], cfg, tokenizer, progress=False)
    return Searcher.open(cfg.index.path, cfg, tokenizer)


@pytest.mark.parametrize(
    "conversation",
    [
        [
            (CHANGZHI_MEETINGS, CHANGZHI, "常委会会议7次"),
            ("主任会议呢？", CHANGZHI, "主任会议15次"),
            ("太原呢？", "taiyuan.txt", "主任会议12次"),
            ("制定了几件地方性法规？", "taiyuan.txt", "地方性法规3件"),
        ],
        [
            ("李新文是哪年出生的？", JINZHONG, "1977年8月"),
            ("那孙雨呢？", JINZHONG, "1980年3月"),
            ("他拟提名为什么人选？", JINZHONG, "副县(区、市)长人选"),
        ],
        [
            ("晋中基层代表培训覆盖了多少名基层代表？", JINZHONG, "203名"),
            ("分几期举办？", JINZHONG, "四期"),
            ("在哪些地方？", JINZHONG, "榆次、祁县、平遥、寿阳"),
        ],
    ],
)
def test_conversations_over_an_archive(
    archive: Searcher, conversation: list[tuple[str, str, str]]
) -> None:
    chats = Conversations()
    for question, doc, answer in conversation:
        first = chats.ask(archive, "chat", question).answer.results[0]
        assert first.doc == doc and answer in first.highlight, (question, first)


def test_which_of_the_asked_things_gets_its_own_short_answer(archive: Searcher) -> None:
    """One sentence counts both (收到的327件代表建议…确定11件重点督办建议): the follow-up asks
    for the key ones, and its short answer is theirs."""
    chats = Conversations()
    first = chats.ask(archive, "chat", "晋中市五届人大五次会议收到了多少件代表建议？").answer
    assert first.short == "327件"
    then = chats.ask(archive, "chat", "重点督办的呢？").answer
    assert then.results[0].doc == JINZHONG and then.short == "11件"


def test_seed_questions_asked_in_one_chat_score_as_asked_alone(archive: Searcher) -> None:
    gold = load_gold(SEED_QA).questions
    alone = evaluate(gold, archive.search)
    chats = Conversations()
    in_chat = evaluate(
        [replace(q, chat="seeds") for q in gold],
        archive.search,
        lambda chat, question: chats.ask(archive, chat, question).answer,
    )
    assert in_chat == alone and alone.aiq1 >= 0.9
    # And each question's first quote is the one it gets alone.
    chats = Conversations()
    for q in gold:
        first = archive.search(q.question).results[0]
        again = chats.ask(archive, "seeds", q.question).answer.results[0]
        assert (again.doc, again.highlight) == (first.doc, first.highlight), q


def test_beyond_capacity_the_conversation_quiet_longest_is_forgotten() -> None:
    chats = Conversations(capacity=2)
    chats.remember("a", Topic("长治市人大常委会2025年召开了几次常委会会议"))
    chats.remember("b", Topic("晋中市人大常委会开展了几期基层代表培训"))
    chats.remember("a", Topic("长治市人大常委会2025年召开了几次主任会议"))  # a speaks again
    chats.remember("c", Topic("左权县的鲟鱼卖到了哪些地方"))
    assert chats.topic("b") is None
    assert chats.topic("a") == Topic("长治市人大常委会2025年召开了几次主任会议")
    assert chats.topic("c") is not None
