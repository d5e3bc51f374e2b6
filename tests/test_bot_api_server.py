"""The fake Bot API refuses what Telegram refuses, so the bot's tests can trust a silence."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, InvalidToken, RetryAfter

from .bot_api_server import FakeTelegram

TOKEN = "42:FAKE"


@pytest.fixture
async def bot():
    with FakeTelegram(token=TOKEN) as tg:
        async with Bot(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url) as b:
            yield tg, b


async def test_valid_html_is_delivered_as_visible_text(bot) -> None:
    tg, b = bot
    chat = tg.private_chat(tg.user(5, "Li"))
    await b.send_message(
        chat["id"], "1. <blockquote>a &lt; b <b>粗体</b></blockquote>", parse_mode="HTML"
    )
    assert tg.sent_messages(5)[0]["text"] == "1. a < b 粗体"


@pytest.mark.parametrize(
    "text", ["<script>x</script>", "<b>x", "x</b>", "a < b", "R&D", "<b><i>x</b></i>", "x" * 4097]
)
async def test_what_telegram_refuses_is_refused(bot, text: str) -> None:
    tg, b = bot
    chat = tg.private_chat(tg.user(5, "Li"))
    with pytest.raises(BadRequest):
        await b.send_message(chat["id"], text, parse_mode="HTML")
    assert tg.rejections and tg.sent_messages(5) == []


async def test_long_callback_data_and_unknown_chats_are_refused(bot) -> None:
    tg, b = bot
    chat = tg.private_chat(tg.user(5, "Li"))
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="长" * 22)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await b.send_message(chat["id"], "hi", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await b.send_message(999, "hi")


async def test_429_carries_retry_after_and_bad_token_is_refused(bot) -> None:
    tg, b = bot
    chat = tg.private_chat(tg.user(5, "Li"))
    tg.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as err:
        await b.send_message(chat["id"], "hi")
    assert "3 seconds" in str(err.value)
    await b.send_message(chat["id"], "hi")
    with pytest.raises(InvalidToken):
        async with Bot("42:WRONG", base_url=tg.base_url) as other:
            await other.get_me()


async def test_updates_are_long_polled_and_callbacks_answered_once(bot) -> None:
    tg, b = bot
    user = tg.user(5, "Li")
    chat = tg.private_chat(user)
    sent = await b.send_message(chat["id"], "pick")
    tg.send_text(chat, user, "你好")
    query_id = tg.press_button(chat, user, sent.message_id, "c:1")
    updates = await b.get_updates(timeout=1)
    assert updates[0].message.text == "你好" and updates[1].callback_query.data == "c:1"
    assert await b.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    await b.answer_callback_query(query_id)
    with pytest.raises(BadRequest):
        await b.answer_callback_query(query_id)
