"""A conversation in the reader's language, over real python-telegram-bot HTTP and a strict fake
Bot API: the language each user gets, small talk, and follow-up questions."""

from __future__ import annotations

from .test_bot import ADMIN, Env, env  # noqa: F401  (the fixture: a bot over the samples)

CHANGZHI_MEETINGS = "长治市人大常委会2025年召开了几次常委会会议？"


def _buttons(message: dict) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def test_each_user_gets_their_own_language(env: Env) -> None:  # noqa: F811
    tg = env.tg
    # Telegram says: Traditional for zh-hant, English for en, Simplified for zh-cn.
    cases = [
        (tg.user(201, "Chan", language="zh-hant"), "上下文 1", "更多", "沒有找到相關的段落"),
        (tg.user(202, "Smith", language="en"), "Context 1", "More", "No relevant passage"),
        (tg.user(203, "Wang", language="zh-cn"), "上下文 1", "更多", "没有找到相关的段落"),
    ]
    for user, context, more, nothing in cases:
        chat = tg.private_chat(user)
        asked = tg.send_text(chat, user, CHANGZHI_MEETINGS)
        reply = await env.reply_to(chat, asked["message_id"])
        assert "常委会会议7次" in reply["text"]  # the quote stays in the document's script
        assert _buttons(reply) == [context, "上下文 2" if more == "更多" else "Context 2",
                                   "上下文 3" if more == "更多" else "Context 3", more]  # fmt: skip
        odd = tg.send_text(chat, user, "火星上有几座城堡？")
        assert nothing in (await env.reply_to(chat, odd["message_id"]))["text"]


async def test_without_a_language_code_the_script_of_the_question_decides(env: Env) -> None:  # noqa: F811
    tg = env.tg
    traditional = tg.user(204, "Lam", language=None)
    chat = tg.private_chat(traditional)
    asked = tg.send_text(chat, traditional, "火星上有幾座城堡？")
    assert "沒有找到相關的段落" in (await env.reply_to(chat, asked["message_id"]))["text"]
    # A button carries no text: the language the user wrote in last is kept for it.
    asked = tg.send_text(chat, traditional, "長治市人大常委會2025年召開了幾次常委會會議？")
    reply = await env.reply_to(chat, asked["message_id"])
    assert "常委会会议7次" in reply["text"] and _buttons(reply)[0] == "上下文 1"
    more = next(
        b for row in reply["reply_markup"]["inline_keyboard"] for b in row if b["text"] == "更多"
    )
    tg.press_button(chat, traditional, reply["message_id"], more["callback_data"])
    page = await env.reply_to(chat, reply["message_id"])
    assert _buttons(page)[0] == "上下文 4"
    english = tg.user(205, "Ann", language=None)
    chat = tg.private_chat(english)
    asked = tg.send_text(chat, english, "what is on Mars")
    assert "No relevant passage" in (await env.reply_to(chat, asked["message_id"]))["text"]


async def test_small_talk_gets_a_friendly_line_and_never_a_quote(env: Env) -> None:  # noqa: F811
    tg = env.tg
    user = tg.user(206, "Zhao", language="zh-cn")
    chat = tg.private_chat(user)
    expected = {
        "你好": "你好！",
        "謝謝": "不客气！",
        "你是谁？": "我是一个问答机器人",
        "你能做什么": "就文件内容向我提问",
        "？？？": "请就文件内容向我提问",
        "👍": "请就文件内容向我提问",
    }
    for text, start in expected.items():
        asked = tg.send_text(chat, user, text)
        reply = await env.reply_to(chat, asked["message_id"])
        assert reply["text"].startswith(start), (text, reply["text"])
        assert "¶" not in reply["text"] and "reply_markup" not in reply
        # An example question made of an indexed headline: one the documents answer.
        assert "“依法履职强担当 提质增效促发展”讲了什么？" in reply["text"]
    hello = tg.send_text(chat, tg.user(207, "Lee", language="en"), "hi")
    assert (await env.reply_to(chat, hello["message_id"]))["text"].startswith("Hello!")


async def test_a_followup_is_read_with_the_question_before_it(env: Env) -> None:  # noqa: F811
    tg = env.tg
    user = tg.user(208, "Liu", language="zh-cn")
    chat = tg.private_chat(user)
    first = tg.send_text(chat, user, CHANGZHI_MEETINGS)
    assert (await env.reply_to(chat, first["message_id"]))["text"].startswith("7次")
    followup = tg.send_text(chat, user, "主任会议呢？")
    reply = await env.reply_to(chat, followup["message_id"])
    assert reply["text"].startswith("（按“长治市人大常委会2025年召开了几次主任会议”理解）\n15次")
    # More results are of the question as understood.
    more = next(
        b for row in reply["reply_markup"]["inline_keyboard"] for b in row if b["text"] == "更多"
    )
    tg.press_button(chat, user, reply["message_id"], more["callback_data"])
    page = await env.reply_to(chat, reply["message_id"])
    assert page["text"].startswith("4. ")
    # A complete question stands alone, and is not read with the last.
    alone = tg.send_text(chat, user, "宪法宣誓有多少人次？")
    reply = await env.reply_to(chat, alone["message_id"])
    assert reply["text"].startswith("38人次")


async def test_two_users_in_a_group_never_share_a_conversation(env: Env) -> None:  # noqa: F811
    tg = env.tg
    group = tg.group_chat(-1002, "Council watchers")
    li, wang = tg.user(209, "Li", language="zh-cn"), tg.user(210, "Wang", language="zh-cn")
    first = tg.send_text(group, li, f"/ask {CHANGZHI_MEETINGS}")
    assert "7次" in (await env.reply_to(group, first["message_id"]))["text"]
    theirs = tg.send_text(group, wang, "/ask 主任会议呢？")
    reply = (await env.reply_to(group, theirs["message_id"]))["text"]
    assert "按“" not in reply  # Wang asked nothing before: nothing to lean on
    mine = tg.send_text(group, li, "/ask 主任会议呢？")
    reply = (await env.reply_to(group, mine["message_id"]))["text"]
    assert reply.startswith("（按“长治市人大常委会2025年召开了几次主任会议”理解）\n15次")


async def test_inline_small_talk_offers_no_quote(env: Env) -> None:  # noqa: F811
    tg = env.tg
    user = tg.user(211, "Xu", language="zh-hant")
    hello = tg.inline_query(user, "你好")
    await tg.await_for(lambda: len(tg.calls_of("answerInlineQuery")) == 1)
    answer = tg.calls_of("answerInlineQuery")[0].params
    assert answer["inline_query_id"] == hello and answer["results"] == []
    assert answer["button"]["text"] == "輸入關於檔案的問題"


async def test_an_admin_hears_why_a_file_was_refused_in_their_language(env: Env) -> None:  # noqa: F811
    tg = env.tg
    admin = tg.user(ADMIN, "Admin", language="zh-hant")
    chat = tg.private_chat(admin)
    tg.send_document(chat, admin, "notes.txt", b"\x89PNG\r\n\x1a\n" + bytes(64))
    await tg.await_for(lambda: any("未加入" in m["text"] for m in tg.sent_messages(ADMIN)))
    assert [m["text"] for m in tg.sent_messages(ADMIN)] == [
        "notes.txt 未加入：這是 PNG 圖片，不是純文本。索引保持原樣。"
    ]
