"""Who may use the bot, on every way in: messages, commands, groups, inline mode, buttons, uploads.

With an allow-list, a stranger gets the polite refusal (or silence, in a group that did not
address the bot) wherever he knocks, and learns nothing of the documents. Admin actions are for
admins only, members included. Buttons carry ids that mean nothing outside the chat they were
sent to, so forged or garbage callback data is answered politely and reveals nothing. The token
is never in what the bot sends nor in what it logs, failures included.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from pathlib import Path

import pytest

from bot.app import setup_logging
from bot.handlers import failed, not_allowed, out_of_date
from bot.i18n import ENGLISH
from bot.i18n import texts as texts_in
from index.config import SAMPLES_DIR, Config
from index.tokenize import Tokenizer

from .bot_api_server import FakeTelegram
from .conftest import CHANGZHI
from .test_bot import ADMIN, STRANGER, TOKEN, Env, _library, _running, _settings

MEMBER = 100
OTHER_MEMBER = 101
GROUP = -2002  # a group on the allow-list
FOREIGN_GROUP = -3003  # one that is not
EN = texts_in(ENGLISH)  # the test users' Telegram apps are in English
ADMINS_ONLY = "Only the bot's admins may add documents; nothing was downloaded."
ADMINS_ONLY_BUTTON = "Only the bot's admins may do that."
NOT_ALLOWED = not_allowed(EN)
OUT_OF_DATE = out_of_date(EN)
FAILED = failed(EN)
QUESTION = "长治市人大常委会2025年召开了几次常委会会议？"
ANSWER = "常委会会议7次"
SECRET = TOKEN.partition(":")[2]


def _sent(tg: FakeTelegram) -> str:
    """Everything the bot asked Telegram to do, as one string."""
    return "\n".join(json.dumps(c.params, ensure_ascii=False) for c in tg.calls)


def _assert_token_never_sent(tg: FakeTelegram) -> None:
    sent = _sent(tg)
    assert TOKEN not in sent and SECRET not in sent


@asynccontextmanager
async def _guarded(folder: Path, config: Config, tokenizer: Tokenizer) -> AsyncIterator[Env]:
    """The bot over the sample pages, for two members, one group and one admin."""
    library = _library(SAMPLES_DIR, folder / "index", config, tokenizer)
    with FakeTelegram(token=TOKEN) as tg:
        settings = _settings(
            tg, allowed_users=(MEMBER, OTHER_MEMBER), allowed_chats=(GROUP,), admins=(ADMIN,)
        )
        # Closed here, so that the bot stops before the server even when the test fails.
        async with aclosing(_running(tg, settings, library)) as running:
            async for _ in running:
                yield Env(tg, library)


@pytest.fixture
async def bot(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Env]:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    async with _guarded(tmp_path, config, tokenizer) as env:
        yield env
    assert env.tg.rejections == [], "the bot sent something Telegram would refuse"
    _assert_token_never_sent(env.tg)
    # Now that the bot has stopped, no handler is left to answer a press a second time.
    twice = {q: a for q, a in _callback_answers(env.tg).items() if len(a) != 1}
    assert twice == {}, "each press is answered exactly once"


def _texts(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m["text"] for m in tg.sent_messages(chat_id)]


def _buttons(message: dict) -> dict[str, str]:
    """A message's buttons: label → callback data."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def _callback_answers(tg: FakeTelegram) -> dict[str, list[str | None]]:
    """Every answer the bot gave (or tried to give) to each button press, in order."""
    answers: dict[str, list[str | None]] = {}
    for call in list(tg.calls):
        if call.method == "answerCallbackQuery":
            answers.setdefault(call.params["callback_query_id"], []).append(call.params.get("text"))
    return answers


async def _pressed(tg: FakeTelegram, presses: list[str]) -> dict[str, list[str | None]]:
    """Wait until each press is answered; the answers to them."""
    await tg.await_for(lambda: all(q in _callback_answers(tg) for q in presses))
    answers = _callback_answers(tg)
    return {q: answers[q] for q in presses}


def _doc_id(env: Env, name: str) -> int:
    return next(d.id for d in env.library.open().sources() if d.name == name)


async def _answered(env: Env, chat: dict, user: dict, question: str = QUESTION) -> dict:
    """A member's question and the bot's answer, with its buttons."""
    asked = env.tg.send_text(chat, user, question)
    reply = await env.reply_to(chat, asked["message_id"])
    if question == QUESTION:
        assert ANSWER in reply["text"]
    return reply


async def test_strangers_get_the_polite_refusal_on_every_message(bot: Env) -> None:
    tg = bot.tg
    stranger = tg.user(STRANGER, "X")
    chat = tg.private_chat(stranger)
    sent = [
        tg.send_text(chat, stranger, text)["message_id"]
        for text in (
            QUESTION, f"/ask {QUESTION}", "/ask", "/start", "/start help", "/help", "/sources",
            "/start@qabot_test_bot", "/nonsense",
        )
    ]  # fmt: skip
    for message_id in sent:
        assert (await bot.reply_to(chat, message_id))["text"] == NOT_ALLOWED
    group = tg.group_chat(FOREIGN_GROUP, "Not ours")
    chatter = tg.send_text(group, stranger, QUESTION)
    mention = tg.send_text(group, stranger, f"@{tg.bot_user['username']} {QUESTION}")
    refusal = await bot.reply_to(group, mention["message_id"])
    assert refusal["text"] == NOT_ALLOWED
    follow = tg.send_text(group, stranger, QUESTION, reply_to=refusal)
    asked = tg.send_text(group, stranger, f"/ask {QUESTION}")
    assert (await bot.reply_to(group, follow["message_id"]))["text"] == NOT_ALLOWED
    assert (await bot.reply_to(group, asked["message_id"]))["text"] == NOT_ALLOWED
    # The chatter that did not address the bot got nothing, not even a refusal.
    assert _texts(tg, FOREIGN_GROUP) == [NOT_ALLOWED] * 3
    assert _texts(tg, STRANGER) == [NOT_ALLOWED] * len(sent)
    assert all(
        (m.get("reply_to_message") or {}).get("message_id") != chatter["message_id"]
        for m in tg.sent_messages(FOREIGN_GROUP)
    )
    assert ANSWER not in _sent(tg) and "<blockquote>" not in _sent(tg)


async def test_strangers_get_no_inline_results(bot: Env) -> None:
    tg = bot.tg
    strangers = tg.inline_query(tg.user(STRANGER, "X"), QUESTION)
    members = tg.inline_query(tg.user(MEMBER, "Li"), QUESTION)
    await tg.await_for(lambda: len(tg.calls_of("answerInlineQuery")) == 2)
    answers = {c.params["inline_query_id"]: c.params for c in tg.calls_of("answerInlineQuery")}
    assert answers[strangers]["results"] == []
    assert ANSWER not in json.dumps(answers[strangers], ensure_ascii=False)
    assert any(
        ANSWER in r["input_message_content"]["message_text"] for r in answers[members]["results"]
    )


async def test_strangers_cannot_press_answer_or_page_buttons(bot: Env) -> None:
    tg = bot.tg
    member = tg.user(MEMBER, "Li")
    member_chat = tg.private_chat(member)
    reply = await _answered(bot, member_chat, member)
    buttons = _buttons(reply)
    assert {"Context 1", "More"} <= set(buttons)
    stranger = tg.user(STRANGER, "X")
    own_chat = tg.private_chat(stranger)
    data = [buttons["Context 1"], buttons["More"], "s:0", "s:1"]
    presses = [tg.press_button(own_chat, stranger, reply["message_id"], d) for d in data]
    # A stranger pressing the buttons of the member's own message (a forwarded keyboard, say).
    presses += [tg.press_button(member_chat, stranger, reply["message_id"], d) for d in data]
    answers = await _pressed(tg, presses)
    assert all(texts == [NOT_ALLOWED] for texts in answers.values())
    assert tg.sent_messages(STRANGER) == []
    assert tg.sent_messages(MEMBER) == [reply]
    assert tg.calls_of("editMessageText") == []


@pytest.mark.parametrize("uid", [STRANGER, MEMBER])
async def test_admin_commands_are_refused_to_non_admins(bot: Env, uid: int) -> None:
    tg = bot.tg
    member = tg.user(MEMBER, "Li")
    member_chat = tg.private_chat(member)
    reply = await _answered(bot, member_chat, member)
    user = tg.user(uid, "Somebody")
    chat = tg.private_chat(user)
    doc_id = _doc_id(bot, CHANGZHI)
    commands = ["/stats", "/reload", "/docs", f"/remove {doc_id}"]
    asked = [tg.send_text(chat, user, c)["message_id"] for c in commands]
    for command, message_id in zip(commands, asked, strict=True):
        name = command.split()[0].removeprefix("/")
        assert (await bot.reply_to(chat, message_id))["text"] == (
            f"Only the bot's admins may use /{name}."
        )
    # Nothing else was said to them: no statistics, no list of ids, no confirmation to press.
    others = [m for m in tg.sent_messages(uid) if m["message_id"] != reply["message_id"]]
    assert len(others) == len(commands)
    assert not any(_buttons(m) for m in others)
    # No reload happened: the member's answer is as fresh as before, its buttons still work.
    tg.press_button(member_chat, member, reply["message_id"], _buttons(reply)["Context 1"])
    context = await bot.reply_to(member_chat, reply["message_id"])
    assert ANSWER in context["text"]
    assert bot.library.open().document_count == 2


@pytest.mark.parametrize("uid", [STRANGER, MEMBER])
async def test_forged_admin_buttons_change_nothing(bot: Env, uid: int) -> None:
    tg = bot.tg
    admin = tg.user(ADMIN, "Admin")
    admin_chat = tg.private_chat(admin)
    doc_id = _doc_id(bot, CHANGZHI)
    confirm = await bot.reply_to(
        admin_chat, tg.send_text(admin_chat, admin, f"/remove {doc_id}")["message_id"]
    )
    assert _buttons(confirm) == {"Remove": f"r:{doc_id}", "Cancel": f"x:{doc_id}"}
    user = tg.user(uid, "Somebody")
    chat = tg.private_chat(user)
    own = await _answered(bot, chat, user) if uid == MEMBER else {"message_id": 1}
    forged = [f"r:{doc_id}", "d:0", f"x:{doc_id}", "r:1", "r:2", "d:1"]
    presses = [tg.press_button(chat, user, own["message_id"], data) for data in forged]
    # The admin's own confirmation, pressed by someone else.
    presses += [
        tg.press_button(admin_chat, user, confirm["message_id"], data)
        for data in _buttons(confirm).values()
    ]
    answers = await _pressed(tg, presses)
    assert all(texts == [ADMINS_ONLY_BUTTON] for texts in answers.values())
    assert tg.calls_of("editMessageText") == []
    assert tg.sent_messages(ADMIN) == [confirm]
    # Both documents are still there, and still answer.
    assert doc_id in {d.id for d in bot.library.open().sources()}
    assert bot.library.open().document_count == 2
    member = tg.user(MEMBER, "Li")
    member_chat = tg.private_chat(member)
    asked = tg.send_text(member_chat, member, QUESTION)
    assert ANSWER in (await bot.reply_to(member_chat, asked["message_id"]))["text"]


async def test_uploads_from_non_admins_are_not_downloaded(bot: Env) -> None:
    tg = bot.tg
    before = [(d.id, d.name) for d in bot.library.open().sources()]
    data = "紫色独角兽住在火星上的水晶宫殿里。".encode()
    for uid in (STRANGER, MEMBER, OTHER_MEMBER):
        user = tg.user(uid, "Somebody")
        chat = tg.private_chat(user)
        upload = tg.send_document(chat, user, "独角兽.txt", data, mime_type="text/plain")
        assert (await bot.reply_to(chat, upload["message_id"]))["text"] == ADMINS_ONLY
    # In a group, files are nobody's business: not even an admin's is fetched there.
    group = tg.group_chat(GROUP, "Ours")
    tg.send_document(group, tg.user(MEMBER, "Li"), "独角兽.txt", data)
    tg.send_document(group, tg.user(ADMIN, "Admin"), "独角兽.txt", data)
    member = tg.user(MEMBER, "Li")
    member_chat = tg.private_chat(member)
    asked = tg.send_text(member_chat, member, "独角兽住在哪里？")
    reply = await bot.reply_to(member_chat, asked["message_id"])
    assert "水晶宫殿" not in reply["text"]
    assert tg.calls_of("getFile") == []
    assert [(d.id, d.name) for d in bot.library.open().sources()] == before
    assert tg.sent_messages(GROUP) == []


async def test_a_button_pressed_in_another_chat_reveals_nothing(bot: Env) -> None:
    tg = bot.tg
    member = tg.user(MEMBER, "Li")
    chat_a = tg.private_chat(member)
    reply = await _answered(bot, chat_a, member)
    buttons = _buttons(reply)
    other = tg.user(OTHER_MEMBER, "Wang")
    chat_b = tg.private_chat(other)
    group = tg.group_chat(GROUP, "Ours")
    presses = [tg.press_button(chat_b, other, reply["message_id"], d) for d in buttons.values()]
    # The same member, pressing his own buttons where they were not sent.
    presses += [tg.press_button(group, member, reply["message_id"], d) for d in buttons.values()]
    answers = await _pressed(tg, presses)
    assert all(texts == [OUT_OF_DATE] for texts in answers.values())
    assert tg.sent_messages(OTHER_MEMBER) == [] and tg.sent_messages(GROUP) == []
    assert tg.calls_of("editMessageText") == []
    # In its own chat the very same button works: it was the chat that made it refuse.
    tg.press_button(chat_a, member, reply["message_id"], buttons["Context 1"])
    context = await bot.reply_to(chat_a, reply["message_id"])
    assert ANSWER in context["text"]


def _garbage(key: str) -> list[str]:
    # A key in other letters' case; a key of digits only has none, so it gets one digit more.
    other = key.upper() if key.upper() != key else key + "0"
    return [
        "", "c", "c:", "c::", ":", "::::", "m:", "m:x", "c:x:", "c:x:1:2", "c:../../x:1",
        "m:../../x:1", "c:" + "x" * 5000, "长治:长治:长治", "c:🙂:1", "\x00", "c:%s:{0}", "z:1",
        "r", "d", "x", "r:abc", "d:", "x:", "r:-1", "r:99999", f"C:{key}:1", f"c:{other}:1",
        f"c: {key}:1", f"c:{key}:0", f"c:{key}:999", f"c:{key}:-1", f"c:{key}", f"c:{key}:",
        f"c:{key}:1:2", f"m:{key}:abc", f"m:{key}:0", f"c:{key}:1\n", f"c:{key}:" + "9" * 60,
    ]  # fmt: skip


async def test_garbage_callback_data_gets_a_polite_answer(bot: Env) -> None:
    tg = bot.tg
    member = tg.user(MEMBER, "Li")
    chat = tg.private_chat(member)
    reply = await _answered(bot, chat, member)
    key = _buttons(reply)["Context 1"].split(":")[1]
    garbage = _garbage(key)
    presses = [tg.press_button(chat, member, reply["message_id"], d) for d in garbage]
    # Page numbers the sources list cannot show: each on a message of its own to turn into it.
    pages = ["s:abc", "s:-1", "s:" + "9" * 60, "s:１", "s:"]
    targets = [await _answered(bot, chat, member, f"人大代表 {n}") for n in range(len(pages))]
    presses += [
        tg.press_button(chat, member, t["message_id"], d)
        for t, d in zip(targets, pages, strict=True)
    ]
    answers = await _pressed(tg, presses)
    # A press is answered silently only where the data names the live answer and a number
    # out of its range (nothing to show, or "no more results"), and a page turns the message.
    silent = {f"c:{key}:0", f"c:{key}:999", f"m:{key}:0", *pages}
    for data, texts in zip(garbage + pages, answers.values(), strict=True):
        if data in silent:
            assert texts == [None], (data, texts)
        else:
            assert len(texts) == 1 and texts[0] in {OUT_OF_DATE, ADMINS_ONLY_BUTTON}, (data, texts)
    # Each page press showed the first page of the sources in place of the answer.
    ids = {t["message_id"] for t in targets}
    await tg.await_for(
        lambda: all(
            "documents (page 1 of 1)" in m["text"]
            for m in tg.sent_messages(MEMBER)
            if m["message_id"] in ids
        )
    )
    texts = _texts(tg, MEMBER)
    assert not any(FAILED in t or "Traceback" in t or "Exception" in t for t in texts)


async def test_unicode_digits_in_callback_data_get_a_polite_answer(bot: Env) -> None:
    """ "²" is a digit to str.isdigit() and not to int()."""
    tg = bot.tg
    member = tg.user(MEMBER, "Li")
    chat = tg.private_chat(member)
    reply = await _answered(bot, chat, member)
    key = _buttons(reply)["Context 1"].split(":")[1]
    presses = [
        tg.press_button(chat, member, reply["message_id"], f"{kind}:{key}:²") for kind in "cm"
    ]
    page = await _answered(bot, chat, member, "人大代表")
    presses.append(tg.press_button(chat, member, page["message_id"], "s:²"))
    await _pressed(tg, presses)

    def turned() -> bool:
        now = next(m for m in tg.sent_messages(MEMBER) if m["message_id"] == page["message_id"])
        return "documents (page 1 of 1)" in now["text"]

    # Either the page shows, or the bot tried a second answer (an apology) to the press.
    await tg.await_for(lambda: turned() or len(_callback_answers(tg)[presses[-1]]) > 1)
    answers = _callback_answers(tg)
    assert [answers[q] for q in presses] == [[OUT_OF_DATE], [OUT_OF_DATE], [None]]
    assert turned()


async def test_admin_buttons_with_odd_numbers_do_nothing_harmful(bot: Env) -> None:
    tg = bot.tg
    admin = tg.user(ADMIN, "Admin")
    chat = tg.private_chat(admin)
    help_ = await bot.reply_to(chat, tg.send_text(chat, admin, "/help")["message_id"])
    odd = ["r:²", "r:" + "9" * 30, "r:-1", "r:1.0", "r: 1", "r:１"]
    presses = [tg.press_button(chat, admin, help_["message_id"], data) for data in odd]
    answers = await _pressed(tg, presses)
    assert all(texts == [None] for texts in answers.values())
    press = tg.press_button(chat, admin, help_["message_id"], "d:²")

    def listed() -> bool:
        now = next(m for m in tg.sent_messages(ADMIN) if m["message_id"] == help_["message_id"])
        return "documents (page 1 of 1)" in now["text"]

    await tg.await_for(lambda: listed() or len(_callback_answers(tg).get(press, [])) > 1)
    assert listed() and _callback_answers(tg)[press] == [None]
    assert bot.library.open().document_count == 2
    assert not any(FAILED in t for t in _texts(tg, ADMIN))


async def test_remove_without_a_valid_id_says_how_to_use_it(
    tmp_path: Path, config: Config, tokenizer: Tokenizer
) -> None:
    async with _guarded(tmp_path, config, tokenizer) as bot:
        tg = bot.tg
        admin = tg.user(ADMIN, "Admin")
        chat = tg.private_chat(admin)
        for command in ("/remove", "/remove abc", "/remove ²", "/remove 99999"):
            asked = tg.send_text(chat, admin, command)
            reply = (await bot.reply_to(chat, asked["message_id"]))["text"]
            assert reply.startswith("Which document?"), (command, reply)
        assert tg.rejections == []
        assert bot.library.open().document_count == 2


# ----- the token ------------------------------------------------------------------------------


class _Logs:
    """What the bot logs as it runs, formatted as setup_logging formats it: into a string."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        root = logging.getLogger()
        self._saved: list[tuple[logging.Logger, int]] = [
            (logging.getLogger(name), logging.getLogger(name).level)
            for name in ("", "httpx", "httpcore")
        ]
        self._handlers = root.handlers[:]
        setup_logging(TOKEN, logging.DEBUG)
        handler = root.handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(self.stream)
        # Let the request URLs through, so that the formatter alone stands between them and
        # the log.
        logging.getLogger("httpx").setLevel(logging.DEBUG)

    def text(self) -> str:
        return self.stream.getvalue()

    def close(self) -> None:
        logging.getLogger().handlers[:] = self._handlers
        for logger, level in self._saved:
            logger.setLevel(level)


async def _ask(tg: FakeTelegram, chat: dict, user: dict, text: str) -> None:
    """Ask, and wait for whatever the bot replies."""
    before = len(tg.sent_messages(chat["id"]))
    tg.send_text(chat, user, text)
    await tg.await_for(lambda: len(tg.sent_messages(chat["id"])) > before)


async def test_the_token_is_never_sent_nor_logged_even_when_requests_fail(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    library = _library(SAMPLES_DIR, tmp_path / "index", config, tokenizer)
    searcher = library.open()
    search = searcher.search

    def leaky(question: str, limit: int | None = None):
        if "boom" in question:
            raise RuntimeError(f"boom while calling /bot{TOKEN}/sendMessage")
        return search(question, limit)

    monkeypatch.setattr(searcher, "search", leaky)
    logs = _Logs()
    try:
        with FakeTelegram(token=TOKEN) as tg:
            settings = _settings(tg, allowed_users=(MEMBER,), admins=(ADMIN,))
            async for _ in _running(tg, settings, library, searcher):
                member = tg.user(MEMBER, "Li")
                chat = tg.private_chat(member)

                tg.fail_next("sendMessage", status=400)  # refused: the handler fails
                await _ask(tg, chat, member, QUESTION)
                await _ask(tg, chat, member, "boom 长治")  # fails, with the token in its message
                tg.fail_next("sendMessage", status=502)  # fails on the way
                await _ask(tg, chat, member, QUESTION)
                tg.reset_next("sendMessage")  # the connection is reset
                await _ask(tg, chat, member, QUESTION)
                stranger = tg.user(STRANGER, "X")
                tg.send_text(tg.private_chat(stranger), stranger, "/stats")
                await tg.await_for(lambda: len(tg.sent_messages(STRANGER)) == 1)
            statuses = [c.status for c in tg.calls if c.method == "sendMessage"]
            assert {400, 502, 0} <= set(statuses), "every kind of failure happened"
            texts = _texts(tg, MEMBER)
            assert FAILED in texts and not any("boom" in t for t in texts)
            _assert_token_never_sent(tg)
    finally:
        logs.close()
    text = logs.text()
    assert "boom while calling /bot<token>/sendMessage" in text  # the failure is logged …
    assert "/bot<token>/getUpdates" in text  # … and so is every request, masked
    assert TOKEN not in text and SECRET not in text
    kept = [path for path in (tmp_path / "state").rglob("*") if path.is_file()]
    assert any(path.name.startswith("updates-") for path in kept), "the update journal is kept"
    for path in kept:
        assert SECRET.encode() not in path.read_bytes()
