"""The bot's handlers over real python-telegram-bot objects and HTTP, against a strict fake API."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from bot import handlers, service
from bot.app import MaskingFormatter, build_application
from bot.config import Settings, TelegramConfig
from bot.handlers import not_allowed, out_of_date, slow_down, unavailable
from bot.i18n import ENGLISH, texts
from index.build import update_index
from index.config import SAMPLES_DIR, Config
from index.library import Library
from index.search import Searcher
from index.tokenize import Tokenizer

from . import documents
from .bot_api_server import FakeTelegram
from .conftest import CHANGZHI, JINZHONG
from .telegram_html import check

TOKEN = "123456:TEST-token"
EN = texts(ENGLISH)  # the test users' Telegram apps are in English
NOT_ALLOWED, OUT_OF_DATE = not_allowed(EN), out_of_date(EN)
SLOW_DOWN, UNAVAILABLE = slow_down(EN), unavailable(EN)
ADMIN = 7
STRANGER = 666


@dataclass
class Env:
    tg: FakeTelegram
    library: Library

    async def reply_to(self, chat: dict, question_id: int) -> dict:
        """Wait for the bot's message that replies to a given message of the user."""

        def found() -> dict | None:
            for m in self.tg.sent_messages(chat["id"]):
                if (m.get("reply_to_message") or {}).get("message_id") == question_id:
                    return m
            return None

        await self.tg.await_for(lambda: found() is not None)
        message = found()
        assert message is not None
        return message


async def _running(
    tg: FakeTelegram, settings: Settings, library: Library, searcher: Searcher | None = None
) -> AsyncIterator[None]:
    app = build_application(settings, library, searcher)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()


def _settings(tg: FakeTelegram, **telegram: object) -> Settings:
    cfg = TelegramConfig(
        token=TOKEN,
        base_url=tg.base_url,
        base_file_url=tg.base_file_url,
        admins=(ADMIN,),
        request_timeout=5.0,
    )
    return Settings(Config(), replace(cfg, **telegram))


def _library(folder: Path, index: Path, config: Config, tokenizer: Tokenizer) -> Library:
    """A real index on disk, of its own, since uploads and /remove change it."""
    cfg = config.with_index_path(index)
    update_index([folder], cfg, tokenizer, progress=False)
    return Library(cfg, tokenizer)


@pytest.fixture
async def env(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Env]:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    library = _library(SAMPLES_DIR, tmp_path / "index", config, tokenizer)
    with FakeTelegram(token=TOKEN) as tg:
        settings = _settings(tg, questions_per_minute=5, allowed_users=(), admins=(ADMIN,))
        async for _ in _running(tg, settings, library):
            yield Env(tg, library)
        assert tg.rejections == [], "the bot sent something Telegram would refuse"
        for call in tg.calls:
            text = call.params.get("text")
            if isinstance(text, str) and call.params.get("parse_mode") == "HTML":
                check(text)


def _user(tg: FakeTelegram, uid: int = 100, name: str = "Li") -> dict:
    return tg.user(uid, name)


async def test_private_question_gets_quoted_answer_with_buttons(env: Env) -> None:
    tg = env.tg
    user = _user(tg)
    chat = tg.private_chat(user)
    q = tg.send_text(chat, user, "长治市人大常委会2025年召开了几次常委会会议？")
    reply = await env.reply_to(chat, q["message_id"])
    assert tg.calls_of("sendChatAction") == [], "answered at once: no typing… shown"
    call = next(c for c in tg.calls_of("sendMessage") if c.params.get("reply_parameters"))
    assert call.params["parse_mode"] == "HTML"
    assert call.params["link_preview_options"]["is_disabled"] is True
    text = call.params["text"]
    assert text.startswith("<b>7次</b>\n\n1. <blockquote>")
    assert "常委会会议7次" in reply["text"]
    assert f"{CHANGZHI} · 围绕中心依法履职 紧贴民心担当作为 · ¶" in reply["text"]
    buttons = [b for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == ["Context 1", "Context 2", "Context 3", "More"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)


async def test_more_and_context_buttons(env: Env) -> None:
    tg = env.tg
    user = _user(tg)
    chat = tg.private_chat(user)
    q = tg.send_text(chat, user, "人大代表建议办理")
    reply = await env.reply_to(chat, q["message_id"])
    buttons = {b["text"]: b for row in reply["reply_markup"]["inline_keyboard"] for b in row}
    tg.press_button(chat, user, reply["message_id"], buttons["More"]["callback_data"])
    more = await env.reply_to(chat, reply["message_id"])
    assert more["text"].startswith("4. ")
    tg.press_button(chat, user, reply["message_id"], buttons["Context 1"]["callback_data"])
    await tg.await_for(lambda: len(tg.sent_messages(chat["id"])) >= 3)
    context = tg.sent_messages(chat["id"])[-1]
    lines = reply["text"].split("\n2. ")[0].strip().split("\n")
    source = next(n for n, line in enumerate(lines) if " · ¶" in line)
    shown = "".join("".join(lines[:source]).removeprefix("1. ").split())  # the first screen's
    assert shown in "".join(context["text"].split())
    assert len(tg.calls_of("answerCallbackQuery")) == 2


async def test_stale_and_forged_buttons_get_a_polite_answer(env: Env) -> None:
    tg = env.tg
    user = _user(tg)
    chat = tg.private_chat(user)
    q = tg.send_text(chat, user, "李新文是哪年出生的？")
    reply = await env.reply_to(chat, q["message_id"])
    data = reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    tg.press_button(chat, user, reply["message_id"], "c:deadbeef:1")
    other = tg.private_chat(tg.user(101, "Wang"))
    tg.press_button(other, tg.user(101, "Wang"), reply["message_id"], data)
    admin = tg.user(ADMIN, "Admin")
    admin_chat = tg.private_chat(admin)
    tg.send_text(admin_chat, admin, "/reload")
    await tg.await_for(
        lambda: any("reloaded" in m["text"] for m in tg.sent_messages(admin_chat["id"]))
    )
    tg.press_button(chat, user, reply["message_id"], data)
    await tg.await_for(lambda: len(tg.calls_of("answerCallbackQuery")) == 3)
    assert [c.params.get("text") for c in tg.calls_of("answerCallbackQuery")] == [OUT_OF_DATE] * 3


async def test_group_answers_only_when_asked(env: Env) -> None:
    tg = env.tg
    user = _user(tg)
    group = tg.group_chat(-1001, "Council watchers")
    tg.send_text(group, user, "长治组织了多少次任前法律知识考试？")
    asked = tg.send_text(group, user, "/ask 长治组织了多少次任前法律知识考试？")
    reply = await env.reply_to(group, asked["message_id"])
    assert "16次" in reply["text"]
    mention = tg.send_text(group, user, f"@{tg.bot_user['username']} 宪法宣誓有多少人次？")
    assert "38人次" in (await env.reply_to(group, mention["message_id"]))["text"]
    follow = tg.send_text(group, user, "晋中的基层代表培训覆盖了多少名基层代表？", reply_to=reply)
    assert "203名" in (await env.reply_to(group, follow["message_id"]))["text"]
    other = tg.send_text(group, user, "@someone_else 宪法宣誓有多少人次？")
    tg.send_text(group, user, "/ask 李新文是哪年出生的？")
    await tg.await_for(lambda: len(tg.sent_messages(group["id"])) == 4)
    replied_to = {
        (m.get("reply_to_message") or {}).get("message_id") for m in tg.sent_messages(group["id"])
    }
    assert other["message_id"] not in replied_to


async def test_inline_mode_offers_formatted_quotes(env: Env) -> None:
    tg = env.tg
    user = _user(tg)
    asked = tg.inline_query(user, "李新文是哪年出生的？")
    blank = tg.inline_query(user, "")
    await tg.await_for(lambda: len(tg.calls_of("answerInlineQuery")) == 2)
    answers = {c.params["inline_query_id"]: c.params for c in tg.calls_of("answerInlineQuery")}
    full, empty = answers[asked], answers[blank]
    results = full["results"]
    assert 1 <= len(results) <= 5
    content = results[0]["input_message_content"]
    assert content["parse_mode"] == "HTML" and "1977年8月" in check(content["message_text"])
    assert JINZHONG in check(content["message_text"])
    assert empty["results"] == [] and empty["button"]["text"]


async def test_commands(env: Env) -> None:
    tg = env.tg
    user = _user(tg)
    chat = tg.private_chat(user)
    asked = {
        c: tg.send_text(chat, user, c)["message_id"]
        for c in ("/start", "/help", "/sources", "/stats", "/nonsense")
    }
    start, help_, sources, stats, unknown = [
        (await env.reply_to(chat, mid))["text"] for mid in asked.values()
    ]
    assert "依法履职强担当 提质增效促发展" in start
    assert "/ask" in help_ and "@" in help_
    assert f"{JINZHONG} · 8 articles" in sources and f"{CHANGZHI} · 1 article" in sources
    assert "Only the bot's admins" in stats
    assert "/help" in unknown
    admin = tg.user(ADMIN, "Admin")
    admin_chat = tg.private_chat(admin)
    tg.send_text(admin_chat, admin, "宪法宣誓有多少人次？")
    tg.send_text(admin_chat, admin, "/stats")
    await tg.await_for(
        lambda: any("Questions served" in m["text"] for m in tg.sent_messages(admin_chat["id"]))
    )
    # The answer to the question may come before or after it: updates run concurrently.
    stats_reply = next(
        m["text"] for m in tg.sent_messages(admin_chat["id"]) if "Questions served" in m["text"]
    )
    assert "2 documents" in stats_reply


async def test_no_relevant_passage_and_odd_messages(env: Env) -> None:
    tg = env.tg
    user = _user(tg)
    chat = tg.private_chat(user)
    q = tg.send_text(chat, user, "今天天气怎么样")
    text = (await env.reply_to(chat, q["message_id"]))["text"]
    assert "No relevant passage" in text and "/sources" in text
    odd = tg.send_text(chat, user, "<b>&amp; </blockquote> 😀")
    assert (await env.reply_to(chat, odd["message_id"]))["text"]
    sticker_like = tg.send_document(chat, user, "notes.pdf", b"%PDF-1.4 ...")
    reply = await env.reply_to(chat, sticker_like["message_id"])
    assert reply["text"].startswith("Only the bot's admins may add documents")


async def test_rate_limit_says_slow_down(env: Env) -> None:
    tg = env.tg
    user = _user(tg, 300)
    chat = tg.private_chat(user)
    asked = [tg.send_text(chat, user, f"人大代表 {n}") for n in range(6)]
    await tg.await_for(lambda: len(tg.sent_messages(chat["id"])) == 6)
    texts = [m["text"] for m in tg.sent_messages(chat["id"])]
    assert texts.count(SLOW_DOWN) == 1
    assert len(
        {(m.get("reply_to_message") or {}).get("message_id") for m in tg.sent_messages(chat["id"])}
    ) == len(asked)


async def test_allow_list(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    library = _library(SAMPLES_DIR, tmp_path / "index", config, tokenizer)
    with FakeTelegram(token=TOKEN) as tg:
        settings = _settings(tg, allowed_users=(100,), allowed_chats=(-2002,))
        async for _ in _running(tg, settings, library):
            member, stranger = tg.user(100, "Li"), tg.user(STRANGER, "X")
            allowed_group = tg.group_chat(-2002, "Allowed")
            tg.send_text(tg.private_chat(stranger), stranger, "宪法宣誓有多少人次？")
            tg.send_text(tg.private_chat(member), member, "宪法宣誓有多少人次？")
            tg.send_text(allowed_group, stranger, "/ask 宪法宣誓有多少人次？")
            tg.inline_query(stranger, "宪法宣誓有多少人次？")
            await tg.await_for(
                lambda: (
                    len(tg.calls_of("sendMessage")) == 3
                    and len(tg.calls_of("answerInlineQuery")) == 1
                )
            )
            assert tg.sent_messages(STRANGER)[0]["text"] == NOT_ALLOWED
            assert "38人次" in tg.sent_messages(100)[0]["text"]
            assert "38人次" in tg.sent_messages(-2002)[0]["text"]
            assert tg.calls_of("answerInlineQuery")[0].params["results"] == []
        assert tg.rejections == []


async def test_a_slow_answer_shows_typing_first(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    library = _library(SAMPLES_DIR, tmp_path / "index", config, tokenizer)
    searcher = library.open()
    search = searcher.search
    monkeypatch.setattr(handlers, "TYPING_AFTER_S", 0.2)
    release = threading.Event()

    def slow(question: str, limit: int | None = None):
        release.wait(timeout=30)
        return search(question, limit)

    monkeypatch.setattr(searcher, "search", slow)
    with FakeTelegram(token=TOKEN) as tg:
        async for _ in _running(tg, _settings(tg), library, searcher):
            user = tg.user(100, "Li")
            chat = tg.private_chat(user)
            tg.send_text(chat, user, "宪法宣誓有多少人次？")
            await tg.await_for(lambda: len(tg.calls_of("sendChatAction")) == 1)
            assert tg.sent_messages(100) == []
            release.set()
            await tg.await_for(lambda: len(tg.sent_messages(100)) == 1)
            assert "38人次" in tg.sent_messages(100)[0]["text"]
            assert tg.calls_of("sendChatAction")[0].params["action"] == "typing"


async def test_a_failing_handler_gets_a_short_apology(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    library = _library(SAMPLES_DIR, tmp_path / "index", config, tokenizer)
    searcher = library.open()

    def broken(question: str, limit: int | None = None):
        raise RuntimeError(f"boom {TOKEN}")

    monkeypatch.setattr(searcher, "search", broken)
    with FakeTelegram(token=TOKEN) as tg:
        async for _ in _running(tg, _settings(tg), library, searcher):
            user = tg.user(100, "Li")
            chat = tg.private_chat(user)
            tg.send_text(chat, user, "长治")
            chat_id = chat["id"]
            await tg.await_for(lambda: len(tg.sent_messages(chat_id)) == 1)  # noqa: B023
            text = tg.sent_messages(chat_id)[0]["text"]
            assert text.startswith("Sorry, something went wrong")
            assert "boom" not in text and "Traceback" not in text


async def test_sources_are_paged_with_buttons(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(40):
        (folder / f"d{n:02}.txt").write_text(f"第{n}号文件。", encoding="utf-8")
    library = _library(folder, tmp_path / "index", config, tokenizer)
    with FakeTelegram(token=TOKEN) as tg:
        async for _ in _running(tg, _settings(tg), library):
            user = tg.user(100, "Li")
            chat = tg.private_chat(user)
            tg.send_text(chat, user, "/sources")
            await tg.await_for(lambda: len(tg.sent_messages(100)) == 1)
            first = tg.sent_messages(100)[0]
            assert "40 documents</b> (page 1 of 3)" in first["html"]
            assert "d00.txt" in first["text"] and "d15.txt" not in first["text"]
            (button,) = first["reply_markup"]["inline_keyboard"][0]
            tg.press_button(chat, user, first["message_id"], button["callback_data"])
            await tg.await_for(lambda: "page 2 of 3" in tg.sent_messages(100)[0]["text"])
            second = tg.sent_messages(100)[0]
            assert "d15.txt" in second["text"] and len(tg.sent_messages(100)) == 1
            labels = [b["text"] for b in second["reply_markup"]["inline_keyboard"][0]]
            assert labels == ["Previous", "Next"]
        assert tg.rejections == []


def test_log_lines_and_tracebacks_never_show_the_token() -> None:
    formatter = MaskingFormatter(TOKEN, "%(message)s")
    try:
        raise RuntimeError(f"request to /bot{TOKEN}/getMe failed")
    except RuntimeError:
        record = logging.LogRecord(
            "httpx", logging.ERROR, __file__, 1, "POST %s", (f"/bot{TOKEN}/x",), sys.exc_info()
        )
    text = formatter.format(record)
    assert TOKEN not in text and text.count("<token>") >= 2 and "Traceback" in text


async def test_admin_uploads_asks_lists_and_removes_a_document(env: Env) -> None:
    tg = env.tg
    admin = tg.user(ADMIN, "Admin")
    chat = tg.private_chat(admin)
    data = documents.docx(
        [("title", "蓝色自行车计划"), ("p", "晋中市今年投放蓝色自行车三千二百辆。")]
    )
    upload = tg.send_document(chat, admin, "../../etc/单车\x07计划.docx", data)
    status = await env.reply_to(chat, upload["message_id"])
    await tg.await_for(lambda: "Added" in tg.sent_messages(ADMIN)[0]["text"])
    added = tg.sent_messages(ADMIN)[0]["text"]
    assert added.startswith("Added 单车计划.docx (#") and "1 articles" in added
    assert len(tg.calls_of("getFile")) == 1 and status["message_id"]
    doc_id = int(added.split("(#")[1].split(")")[0])

    question = tg.send_text(chat, admin, "晋中投放了多少辆蓝色自行车？")
    answer = await env.reply_to(chat, question["message_id"])
    assert "三千二百辆" in answer["text"] and "单车计划.docx · 蓝色自行车计划" in answer["text"]

    again = tg.send_document(chat, admin, "copy.docx", data)
    assert "the same content as 单车计划.docx" in (
        await _final_status(env, chat, again["message_id"])
    )

    changed = documents.docx(
        [("title", "蓝色自行车计划"), ("p", "晋中市今年投放蓝色自行车四千辆。")]
    )
    newer = tg.send_document(chat, admin, "单车计划.docx", changed)
    assert (await _final_status(env, chat, newer["message_id"])).startswith(
        "Replaced 单车计划.docx (#"
    )
    question = tg.send_text(chat, admin, "晋中投放了多少辆蓝色自行车？")
    answer = (await env.reply_to(chat, question["message_id"]))["text"]
    assert "四千辆" in answer and "三千二百辆" not in answer
    doc_id = next(d.id for d in env.library.open().sources() if d.name == "单车计划.docx")

    listing = await env.reply_to(chat, tg.send_text(chat, admin, "/docs")["message_id"])
    assert f"#{doc_id} 单车计划.docx · 1 article" in listing["text"]
    confirm = await env.reply_to(chat, tg.send_text(chat, admin, f"/remove {doc_id}")["message_id"])
    remove = confirm["reply_markup"]["inline_keyboard"][0][0]
    tg.press_button(chat, admin, confirm["message_id"], remove["callback_data"])
    await tg.await_for(
        lambda: any(m["text"] == "Removed 单车计划.docx." for m in tg.sent_messages(ADMIN))
    )
    gone = tg.send_text(chat, admin, "晋中投放了多少辆蓝色自行车？")
    assert "三千二百辆" not in (await env.reply_to(chat, gone["message_id"]))["text"]


async def _final_status(env: Env, chat: dict, upload_id: int) -> str:
    """The upload's status message once it no longer says what it is doing."""
    status = await env.reply_to(chat, upload_id)

    def settled() -> str | None:
        for m in env.tg.sent_messages(chat["id"]):
            if m["message_id"] == status["message_id"] and not m["text"].endswith("…"):
                return m["text"]
        return None

    await env.tg.await_for(lambda: settled() is not None)
    text = settled()
    assert text is not None
    return text


async def test_uploads_that_cannot_be_indexed_leave_the_index_alone(env: Env) -> None:
    tg = env.tg
    admin = tg.user(ADMIN, "Admin")
    chat = tg.private_chat(admin)
    before = [d.name for d in env.library.open().sources()]
    broken = tg.send_document(chat, admin, "report.pdf", documents.pdf(["长治"])[:200])
    assert "report.pdf was not added: a damaged PDF" in await _final_status(
        env, chat, broken["message_id"]
    )
    big = tg.send_document(chat, admin, "huge.pdf", b"%PDF", file_size=25_000_000)
    text = (await env.reply_to(chat, big["message_id"]))["text"]
    assert "huge.pdf is 25.0 MB" in text and "20.0 MB" in text
    stranger = tg.user(500, "Zhang")
    other = tg.private_chat(stranger)
    refused = tg.send_document(other, stranger, "x.txt", "长治".encode())
    assert (await env.reply_to(other, refused["message_id"]))["text"].startswith(
        "Only the bot's admins may add documents"
    )
    assert len(tg.calls_of("getFile")) == 1
    assert [d.name for d in env.library.open().sources()] == before


async def test_running_bot_follows_qabot_index_in_another_process(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "FRESHNESS_CHECK_S", 0.0)
    tg = env.tg
    user = _user(tg)
    chat = tg.private_chat(user)
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "frogs.md").write_text("# 青蛙\n\n青蛙王子住在湖边的城堡里。\n", encoding="utf-8")
    update_index([folder], env.library.config, env.library.tokenizer, progress=False)
    q = tg.send_text(chat, user, "青蛙王子住在哪里？")
    assert "湖边的城堡" in (await env.reply_to(chat, q["message_id"]))["text"]


class GatedLibrary(Library):
    """A real library whose opening waits until the test opens the gate: a very large index."""

    gate = threading.Event()

    def open(self) -> Searcher:
        assert self.gate.wait(timeout=30)
        return super().open()


@asynccontextmanager
async def _chatting(library: Library) -> AsyncIterator[tuple[Env, dict, dict]]:
    """A bot over `library`, and a user in a private chat with it."""
    with FakeTelegram(token=TOKEN) as tg:
        async for _ in _running(tg, _settings(tg), library):
            user = _user(tg)
            yield Env(tg, library), tg.private_chat(user), user
        assert tg.rejections == []


QUESTION = "长治市人大常委会2025年召开了几次常委会会议？"


async def test_bot_keeps_answering_while_a_large_index_opens(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    cfg = config.with_index_path(tmp_path / "index")
    update_index([SAMPLES_DIR], cfg, tokenizer, progress=False)
    library = GatedLibrary(cfg, tokenizer)
    library.gate.clear()
    async with _chatting(library) as (env, chat, user):
        question = env.tg.send_text(chat, user, QUESTION)
        help_ = env.tg.send_text(chat, user, "/help")
        await env.reply_to(chat, help_["message_id"])
        assert not library.gate.is_set()  # the index is still opening
        assert not any(
            (m.get("reply_to_message") or {}).get("message_id") == question["message_id"]
            for m in env.tg.sent_messages(chat["id"])
        )
        library.gate.set()
        answer = await env.reply_to(chat, question["message_id"])
        assert "常委会会议7次" in answer["text"]


async def test_unreadable_index_gets_a_polite_reply_and_is_tried_again(
    tmp_path: Path, config: Config, tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    cfg = config.with_index_path(tmp_path / "index")
    cfg.index.path.mkdir()
    (cfg.index.path / "index.sqlite").write_bytes(b"this is not a database" * 100)
    async with _chatting(Library(cfg, tokenizer)) as (env, chat, user):
        first = env.tg.send_text(chat, user, QUESTION)
        assert (await env.reply_to(chat, first["message_id"]))["text"] == UNAVAILABLE
        (cfg.index.path / "index.sqlite").unlink()
        update_index([SAMPLES_DIR], cfg, tokenizer, progress=False)
        second = env.tg.send_text(chat, user, QUESTION)
        assert "常委会会议7次" in (await env.reply_to(chat, second["message_id"]))["text"]
