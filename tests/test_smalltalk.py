"""Small talk is told apart from questions, in both scripts and in English."""

from __future__ import annotations

import pytest

from index.smalltalk import (
    ABILITIES,
    ACKNOWLEDGED,
    GOODBYE,
    GREETING,
    IDENTITY,
    NOISE,
    THANKS,
    small_talk,
)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("你好", GREETING),
        ("您好！", GREETING),
        ("hi", GREETING),
        ("Hello bot", GREETING),
        ("在嗎？", GREETING),
        ("谢谢", THANKS),
        ("謝謝！", THANKS),
        ("多谢", THANKS),
        ("多謝", THANKS),
        ("thanks", THANKS),
        ("Thank you!", THANKS),
        ("你是谁", IDENTITY),
        ("你是誰？", IDENTITY),
        ("你好，你是谁？", IDENTITY),
        ("你能做什么", ABILITIES),
        ("你能做什麼？", ABILITIES),
        ("what can you do?", ABILITIES),
        ("再见", GOODBYE),
        ("好的", ACKNOWLEDGED),
        ("？？？", NOISE),
        ("哈哈哈", NOISE),
        ("👍", NOISE),
        ("😀🎉", NOISE),
        ("", NOISE),
        ("1", NOISE),
        ("６６６", NOISE),
    ],
)
def test_small_talk(text: str, kind: str) -> None:
    assert small_talk(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "你好，长治市人大常委会2025年召开了几次常委会会议？",
        "谢谢，那主任会议呢？",
        "怎么做红烧肉？",
        "现在几点了？",
        "长治",
        "2025",
        "1234",
        "Who is the mayor of Changzhi?",
        "好的条例是什么",
    ],
)
def test_questions_are_not_small_talk(text: str) -> None:
    assert small_talk(text) is None
