"""The real `qabot run` process against a strict fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from .bot_api_server import FakeTelegram
from .conftest import REPO
from .processes import assert_clean_output, stop_cleanly
from .telegram_html import check

TOKEN = "987654:E2E-secret-token"
ADMIN = 77


def _sample_index(tmp_path: Path) -> Path:
    index = tmp_path / "index"
    subprocess.run(
        [sys.executable, "-m", "bot", "index", str(REPO / "samples"), "--index", str(index),
         "--quiet"],
        check=True, capture_output=True, cwd=tmp_path,
    )  # fmt: skip
    return index


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[FakeTelegram, subprocess.Popen[str]]]:
    with FakeTelegram(token=TOKEN) as tg:
        config = tmp_path / "qabot.toml"
        config.write_text(
            "[telegram]\n"
            f'base_url = "{tg.base_url}"\n'
            f'base_file_url = "{tg.base_file_url}"\n'
            "request_timeout = 5.0\n"
            "questions_per_minute = 100\n"
            f"admins = [{ADMIN}]\n",
            encoding="utf-8",
        )
        index = _sample_index(tmp_path)
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "XDG_DATA_HOME": str(tmp_path)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(config), "--index", str(index)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        try:
            tg.wait_for(lambda: tg.polls > 0, timeout=30)
            yield tg, proc
        finally:
            if proc.poll() is None:  # the test did not stop it: its output is checked here
                stop_cleanly(proc, TOKEN)


def _restartable(tg: FakeTelegram, tmp_path: Path) -> Callable[[], subprocess.Popen[str]]:
    """Starts `qabot run` over the samples against the fake server, as often as asked, with
    the same journal each time: a bot that is killed and started again."""
    config = tmp_path / "qabot.toml"
    config.write_text(
        f'[telegram]\nbase_url = "{tg.base_url}"\nbase_file_url = "{tg.base_file_url}"\n',
        encoding="utf-8",
    )
    index = _sample_index(tmp_path)
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "XDG_DATA_HOME": str(tmp_path)}
    command = [sys.executable, "-m", "bot", "run", "--config", str(config), "--index",
               str(index)]  # fmt: skip

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
            cwd=tmp_path,
        )  # fmt: skip

    return start


def _replies(tg: FakeTelegram, chat_id: int) -> dict[int, dict]:
    return {
        m["reply_to_message"]["message_id"]: m
        for m in tg.sent_messages(chat_id)
        if m.get("reply_to_message")
    }


def test_run_answers_questions_and_buttons_then_stops_cleanly(
    running: tuple[FakeTelegram, subprocess.Popen[str]],
) -> None:
    tg, proc = running
    # The command menu for each language Telegram tells apart, and for everyone else.
    menus = {
        c.params.get("language_code", ""): {
            m["command"]: m["description"] for m in c.params["commands"]
        }
        for c in tg.calls_of("setMyCommands")
    }
    assert set(menus) == {"", "zh", "en"}
    assert all(set(menu) == {"ask", "sources", "help", "start"} for menu in menus.values())
    assert menus["en"]["ask"] == "Ask a question about the documents"
    assert menus["zh"]["ask"] == "就文件内容提问"
    assert menus[""] == menus["zh"]  # the configured language: Simplified by default
    user = tg.user(100, "Li")
    chat = tg.private_chat(user)
    q = tg.send_text(chat, user, "长治市人大常委会2025年召开了几次常委会会议？")
    tg.wait_for(lambda: q["message_id"] in _replies(tg, chat["id"]), timeout=30)
    reply = _replies(tg, chat["id"])[q["message_id"]]
    assert "常委会会议7次" in reply["text"]
    buttons = {b["text"]: b for row in reply["reply_markup"]["inline_keyboard"] for b in row}
    tg.press_button(chat, user, reply["message_id"], buttons["More"]["callback_data"])
    tg.press_button(chat, user, reply["message_id"], buttons["Context 2"]["callback_data"])
    tg.wait_for(lambda: len(tg.sent_messages(chat["id"])) == 3, timeout=30)
    later = sorted(m["text"] for m in tg.sent_messages(chat["id"])[1:])
    assert later[0].startswith("2. ") and later[1].startswith("4. ")  # Context 2, then More
    assert len(tg.calls_of("answerCallbackQuery")) == 2

    stop_cleanly(proc, TOKEN)
    assert tg.rejections == []
    for call in tg.calls:
        if call.params.get("parse_mode") == "HTML" and "text" in call.params:
            check(call.params["text"])


QUOTED = {  # a question, and words of the passage that answers it
    "宪法宣誓有多少人次？": "宪法宣誓38人次",
    "李新文是哪年出生的？": "1977年8月生",
    "长治废止了哪部地方性法规？": "禁止燃放烟花爆竹规定",
}


def test_burst_with_a_429_loses_no_reply(
    running: tuple[FakeTelegram, subprocess.Popen[str]],
) -> None:
    """The 429 is waited out and the request sent again: each user gets the answer, not an
    apology (python-telegram-bot does that only because qabot asks its limiter to retry)."""
    tg, _ = running
    questions = list(QUOTED)
    asked = []
    tg.fail_next("sendMessage", status=429, retry_after=1)
    for n in range(12):
        user = tg.user(200 + n, f"U{n}")
        chat = tg.private_chat(user)
        question = questions[n % 3]
        asked.append((chat["id"], tg.send_text(chat, user, question)["message_id"], question))
    tg.wait_for(lambda: all(mid in _replies(tg, cid) for cid, mid, _ in asked), timeout=60)
    assert any(c.method == "sendMessage" and c.status == 429 for c in tg.calls)
    for cid, mid, question in asked:
        replies = [
            m for m in tg.sent_messages(cid)
            if (m.get("reply_to_message") or {}).get("message_id") == mid
        ]  # fmt: skip
        assert len(replies) == 1
        assert QUOTED[question] in replies[0]["text"], question
        assert "<" not in replies[0]["text"]
    assert [r for r in tg.rejections if "Too Many Requests" not in r[1]] == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_mode_answers_only_requests_with_the_secret(tmp_path: Path) -> None:
    port = _free_port()
    with FakeTelegram(token=TOKEN) as tg:
        config = tmp_path / "qabot.toml"
        config.write_text(
            "[telegram]\n"
            'mode = "webhook"\n'
            f'base_url = "{tg.base_url}"\n'
            f'base_file_url = "{tg.base_file_url}"\n'
            f"webhook_port = {port}\n"
            'webhook_path = "hook"\n'
            'webhook_url = "https://bot.example.org/hook"\n'
            'webhook_secret = "s3cret-value"\n',
            encoding="utf-8",
        )
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "XDG_DATA_HOME": str(tmp_path)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(config),
             "--index", str(_sample_index(tmp_path))],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
        )  # fmt: skip
        try:
            tg.wait_for(lambda: tg.webhook is not None, timeout=60)
            assert tg.webhook is not None
            assert tg.webhook["url"] == "https://bot.example.org/hook"
            assert tg.webhook["secret_token"] == "s3cret-value"
            user = tg.user(100, "Li")
            chat = tg.private_chat(user)
            question = "宪法宣誓有多少人次？"
            update = {"update_id": 1, "message": {
                "message_id": 1, "date": 0, "chat": chat, "from": user, "text": question,
            }}  # fmt: skip
            tg.send_text(chat, user, "placeholder")  # registers message 1 for the reply
            url = f"http://127.0.0.1:{port}/hook"
            for _ in range(100):
                try:
                    forged = httpx.post(url, json=update, timeout=5)
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            assert forged.status_code == 403
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-value"}
            assert httpx.post(url, json=update, headers=headers, timeout=5).status_code == 200
            tg.wait_for(lambda: len(tg.sent_messages(100)) == 1, timeout=30)
            assert "38人次" in tg.sent_messages(100)[0]["text"]
        finally:
            stop_cleanly(proc, TOKEN)


def test_upload_answers_at_once_and_remove_takes_it_away(
    running: tuple[FakeTelegram, subprocess.Popen[str]],
) -> None:
    tg, _ = running
    admin = tg.user(ADMIN, "Admin")
    chat = tg.private_chat(admin)
    page = (
        "<html><body><nav>导航</nav><article><h1>湖边城堡</h1>"
        "<p>青蛙王子住在湖边的白色城堡里，城堡有十二座塔楼。</p></article></body></html>"
    )
    tg.send_document(chat, admin, "castle.html", page.encode(), mime_type="text/html")
    tg.wait_for(lambda: any("Added" in m["text"] for m in tg.sent_messages(ADMIN)), timeout=30)
    doc_id = next(
        m["text"].split("(#")[1].split(")")[0]
        for m in tg.sent_messages(ADMIN) if m["text"].startswith("Added")
    )  # fmt: skip
    q = tg.send_text(chat, admin, "城堡有几座塔楼？")
    tg.wait_for(lambda: q["message_id"] in _replies(tg, ADMIN), timeout=30)
    answer = _replies(tg, ADMIN)[q["message_id"]]["text"]
    assert "十二座塔楼" in answer and "castle.html · 湖边城堡" in answer

    ask_remove = tg.send_text(chat, admin, f"/remove {doc_id}")
    tg.wait_for(lambda: ask_remove["message_id"] in _replies(tg, ADMIN), timeout=30)
    confirm = _replies(tg, ADMIN)[ask_remove["message_id"]]
    button = confirm["reply_markup"]["inline_keyboard"][0][0]
    tg.press_button(chat, admin, confirm["message_id"], button["callback_data"])
    tg.wait_for(
        lambda: any(m["text"] == "Removed castle.html." for m in tg.sent_messages(ADMIN)),
        timeout=30,
    )
    again = tg.send_text(chat, admin, "城堡有几座塔楼？")
    tg.wait_for(lambda: again["message_id"] in _replies(tg, ADMIN), timeout=30)
    assert "十二座塔楼" not in _replies(tg, ADMIN)[again["message_id"]]["text"]
    assert tg.rejections == []


def test_killed_mid_burst_it_answers_every_question_after_a_restart(tmp_path: Path) -> None:
    """SIGKILL with questions in flight: after a restart each is answered, none lost.

    Ten replies had reached Telegram when the bot was killed, but not their confirmation: the
    bot cannot know they were delivered, so it sends them again (twice is what a Bot API
    client can promise; never is not acceptable). The other ten were still being answered
    and are answered once.
    """
    with FakeTelegram(token=TOKEN) as tg:
        start = _restartable(tg, tmp_path)

        users = [tg.user(300 + n, f"U{n}") for n in range(20)]
        chats = [tg.private_chat(u) for u in users]
        answering = {c["id"] for c in chats[:10]}
        delivered = {c["id"] for c in chats[10:]}
        tg.hold("sendMessage", chats=answering)  # these are still being answered …
        tg.hold("sendMessage", chats=delivered, after=True)  # … these were sent, unconfirmed
        proc = start()
        try:
            tg.wait_for(lambda: tg.polls > 0, timeout=30)
            asked = [
                (chat["id"], tg.send_text(chat, user, "宪法宣誓有多少人次？")["message_id"])
                for chat, user in zip(chats, users, strict=True)
            ]
            tg.wait_for(lambda: len(tg.held) == 20 and tg.unconfirmed() == 0, timeout=30)
            proc.kill()
            killed_output, _ = proc.communicate(timeout=10)
            assert_clean_output(killed_output, TOKEN)
            tg.release()
            proc = start()
            tg.wait_for(lambda: all(mid in _replies(tg, cid) for cid, mid in asked), timeout=60)
        finally:
            stop_cleanly(proc, TOKEN)
        for chat_id, message_id in asked:
            replies = [
                m for m in tg.sent_messages(chat_id)
                if (m.get("reply_to_message") or {}).get("message_id") == message_id
            ]  # fmt: skip
            assert len(replies) == (2 if chat_id in delivered else 1)
            assert all("38人次" in r["text"] for r in replies)


def test_an_update_delivered_again_after_a_restart_is_not_answered_twice(tmp_path: Path) -> None:
    """Telegram offers an update again when the bot's confirmation of it was lost; the
    journal remembers it was answered, so the user does not get the answer twice."""
    with FakeTelegram(token=TOKEN) as tg:
        start = _restartable(tg, tmp_path)

        user = tg.user(400, "Li")
        chat = tg.private_chat(user)
        proc = start()
        try:
            first = tg.send_text(chat, user, "宪法宣誓有多少人次？")
            tg.wait_for(lambda: first["message_id"] in _replies(tg, chat["id"]), timeout=30)
            stop_cleanly(proc, TOKEN)
            tg.deliver_again(first)
            proc = start()
            tg.wait_for(lambda: tg.unconfirmed() == 0, timeout=30)  # taken and confirmed
            second = tg.send_text(chat, user, "李新文是哪年出生的？")
            tg.wait_for(lambda: second["message_id"] in _replies(tg, chat["id"]), timeout=30)
        finally:
            stop_cleanly(proc, TOKEN)  # answers in flight are finished before it ends
        texts = [m["text"] for m in tg.sent_messages(chat["id"])]
        assert len(texts) == 2, texts
        assert "宪法宣誓38人次" in texts[0] and "1977年8月生" in texts[1]
