"""A strict fake Telegram Bot API server on 127.0.0.1, for end-to-end tests.

It speaks the Bot API as python-telegram-bot calls it and refuses, as Telegram does, what
Telegram refuses: HTML it cannot parse, text over 4096 characters, callback data over 64 bytes,
unknown chats, callback and inline query ids. Tests drive it as users would: they send texts,
press buttons and type inline queries, and read what the bot sent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from .telegram_html import check

STRING_PARAMS = {
    "text", "message_text", "query", "action", "parse_mode", "callback_query_id",
    "inline_query_id", "url", "next_offset", "secret_token", "file_id", "offset_text",
}  # fmt: skip
CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
}  # fmt: skip


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200  # 0 when no answer came: the server hung up or reset the connection
    response: Any = None
    at: float = field(default_factory=time.monotonic)  # when the request arrived


@dataclass
class _Fault:
    kind: str  # "status", "hang" or "reset"
    times: int
    status: int = 500
    retry_after: int = 1
    seconds: float = 0.0


@dataclass
class _Hold:
    """Requests kept waiting until `release`: before Telegram acts on them, or after."""

    chats: set[int] | None
    after: bool


@dataclass
class FakeTelegram:
    token: str = "123:TEST"
    bot_id: int = 1000
    bot_username: str = "qabot_test_bot"
    calls: list[Call] = field(default_factory=list)
    rejections: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bot_user = {
            "id": self.bot_id, "is_bot": True, "first_name": "qabot",
            "username": self.bot_username, "supports_inline_queries": True,
        }  # fmt: skip
        self._lock = threading.Condition()
        self._updates: list[dict[str, Any]] = []
        self._delivered: dict[int, dict[str, Any]] = {}  # every update ever offered, by id
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._bot_messages: dict[int, list[int]] = {}
        self._callbacks: dict[str, bool] = {}
        self._inline: set[str] = set()
        self._files: dict[str, tuple[str, bytes]] = {}
        self._faults: dict[str, _Fault] = {}
        self._holds: dict[str, list[_Hold]] = {}
        self.held: list[Call] = []
        self._ids = itertools.count(1)
        self._closing = False
        self.polls = 0  # getUpdates requests received, finished or not
        self.webhook: dict[str, Any] | None = None
        self._server: ThreadingHTTPServer | None = None

    # ----- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> FakeTelegram:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            self._closing = True
            self._lock.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ----- what tests do as users ----------------------------------------------------------

    def user(
        self,
        uid: int,
        first_name: str,
        username: str | None = None,
        language: str | None = "en",
    ) -> dict[str, Any]:
        """A user; `language` is the `language_code` their Telegram app sends (None: none)."""
        user: dict[str, Any] = {"id": uid, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language is not None:
            user["language_code"] = language
        return user

    def private_chat(self, user: dict[str, Any]) -> dict[str, Any]:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        with self._lock:
            self._chats[chat["id"]] = chat
        return chat

    def group_chat(self, cid: int, title: str, type: str = "supergroup") -> dict[str, Any]:
        chat = {"id": cid, "type": type, "title": title}
        with self._lock:
            self._chats[cid] = chat
        return chat

    def _new_message(self, chat: dict[str, Any], sender: dict[str, Any]) -> dict[str, Any]:
        counter = self._message_ids.setdefault(chat["id"], itertools.count(1))
        return {
            "message_id": next(counter),
            "date": int(time.time()),
            "chat": chat,
            "from": sender,
        }

    def _push(self, update: dict[str, Any]) -> None:
        update["update_id"] = next(self._update_ids)
        self._delivered[update["update_id"]] = update
        self._updates.append(update)
        self._lock.notify_all()

    def deliver_again(self, message: dict[str, Any]) -> int:
        """Offer the update that brought `message` once more, with its id, as Telegram does
        when the bot's confirmation of it was lost (the bot killed before its next poll)."""
        with self._lock:
            update = next(u for u in self._delivered.values() if u.get("message") is message)
            self._updates.append(update)
            self._updates.sort(key=lambda u: u["update_id"])
            self._lock.notify_all()
            return update["update_id"]

    def send_text(
        self,
        chat: dict[str, Any],
        user: dict[str, Any],
        text: str,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            message = self._new_message(chat, user)
            message["text"] = text
            entities = []
            if text.startswith("/"):
                length = len(text.split()[0])
                entities.append({"type": "bot_command", "offset": 0, "length": length})
            at = 0
            while (at := text.find("@", at)) >= 0:
                end = at + 1
                while end < len(text) and (text[end].isalnum() or text[end] == "_"):
                    end += 1
                if end - at > 1 and (at == 0 or text[at - 1].isspace()):
                    entities.append(
                        {"type": "mention", "offset": _u16(text[:at]), "length": end - at}
                    )
                at = end
            if entities:
                message["entities"] = entities
            if reply_to is not None:
                message["reply_to_message"] = reply_to
            self._messages[(chat["id"], message["message_id"])] = message
            self._push({"message": message})
            return message

    def send_document(
        self,
        chat: dict[str, Any],
        user: dict[str, Any],
        file_name: str,
        data: bytes,
        mime_type: str = "application/octet-stream",
        file_size: int | None = None,
    ) -> dict[str, Any]:
        """A file sent to the bot; file_size may claim more than data holds (a big file)."""
        with self._lock:
            file_id = f"file{next(self._ids)}"
            self._files[file_id] = (f"documents/{file_id}", data)  # as Telegram names them
            message = self._new_message(chat, user)
            message["document"] = {
                "file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": file_name,
                "mime_type": mime_type, "file_size": file_size or len(data),
            }  # fmt: skip
            self._messages[(chat["id"], message["message_id"])] = message
            self._push({"message": message})
            return message

    def press_button(
        self, chat: dict[str, Any], user: dict[str, Any], message_id: int, data: str
    ) -> str:
        with self._lock:
            message = self._messages.get((chat["id"], message_id)) or {
                "message_id": message_id, "date": int(time.time()), "chat": chat,
                "from": self.bot_user, "text": "?",
            }  # fmt: skip
            query_id = f"cb{next(self._ids)}"
            self._callbacks[query_id] = False
            self._push(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": user,
                        "message": message,
                        "chat_instance": str(chat["id"]),
                        "data": data,
                    }
                }
            )
            return query_id

    def inline_query(self, user: dict[str, Any], query: str, offset: str = "") -> str:
        with self._lock:
            query_id = f"iq{next(self._ids)}"
            self._inline.add(query_id)
            self._push(
                {"inline_query": {"id": query_id, "from": user, "query": query, "offset": offset}}
            )
            return query_id

    def fail_next(
        self, method: str, status: int = 429, retry_after: int = 1, times: int = 1
    ) -> None:
        """The next calls answer with an HTTP error (429 with retry_after, 500, 502 …)."""
        with self._lock:
            self._faults[method] = _Fault("status", times, status, retry_after)

    def hang_next(self, method: str, seconds: float, times: int = 1) -> None:
        """The next calls get no answer for `seconds`, then the connection is closed."""
        with self._lock:
            self._faults[method] = _Fault("hang", times, seconds=seconds)

    def reset_next(self, method: str, times: int = 1) -> None:
        """The next calls have their connection reset (a TCP RST) instead of an answer."""
        with self._lock:
            self._faults[method] = _Fault("reset", times)

    def hold(self, method: str, chats: set[int] | None = None, after: bool = False) -> None:
        """Keep calls of `method` (to `chats`, or all) waiting until `release`.

        With after=False the calls are then dropped unanswered, never acted on, as if lost on
        the way. With after=True Telegram has acted on them (the message is sent) and only the
        answer is held back, as when a reply is delivered but the response is lost.
        """
        with self._lock:
            self._holds.setdefault(method, []).append(_Hold(chats, after))

    def release(self) -> None:
        with self._lock:
            self._holds.clear()
            self._lock.notify_all()

    # ----- what tests read -----------------------------------------------------------------

    def unconfirmed(self) -> int:
        """Updates the bot has not yet confirmed by asking for later ones."""
        with self._lock:
            return len(self._updates)

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and c.status == 200]

    def sent_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat, as they are now (after edits), in order."""
        with self._lock:
            return [dict(self._messages[(chat_id, m)]) for m in self._bot_messages.get(chat_id, [])]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        """For tests whose bot runs in another process."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        self._timed_out()

    async def await_for(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        """For tests whose bot runs on the test's own event loop."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            await asyncio.sleep(0.02)
        self._timed_out()

    def _timed_out(self) -> None:
        methods = [(c.method, c.status) for c in self.calls[-20:]]
        raise AssertionError(
            f"timed out waiting; last calls: {methods}; refused: {self.rejections}"
        )

    # ----- the server ----------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = unquote(request.path.split("?", 1)[0])
        prefix_file = f"/file/bot{self.token}/"
        if path.startswith(prefix_file):
            self._serve_file(request, path[len(prefix_file) :])
            return
        if not path.startswith("/bot"):
            self._reply(request, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token, _, method = path[4:].partition("/")
        if token != self.token:
            body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            self._reply(request, 401, body)
            return
        params = _params(request)
        call = Call(method, params)
        fault = self._take_fault(method)
        if fault is not None and fault.kind != "status":
            call.status = 0
            with self._lock:
                self.calls.append(call)
            if fault.kind == "hang":
                time.sleep(fault.seconds)
            else:  # close with SO_LINGER 0: the kernel answers with a reset
                request.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            request.close_connection = True
            return
        hold = self._hold_of(method, params)
        if hold is not None and not hold.after:  # lost on the way: never acted on
            self._wait_release(call)
            call.status = 0
            request.close_connection = True
            return
        try:
            if fault is not None and fault.status == 429:
                reason = f"Too Many Requests: retry after {fault.retry_after}"
                raise ApiError(429, reason, fault.retry_after)
            if fault is not None:
                raise ApiError(fault.status, _REASONS.get(fault.status, "Internal Server Error"))
            result = self._dispatch(method, params)
        except ApiError as err:
            call.status = err.status
            body: dict[str, Any] = {
                "ok": False, "error_code": err.status, "description": err.description
            }  # fmt: skip
            if err.retry_after is not None:
                body["parameters"] = {"retry_after": err.retry_after}
            with self._lock:
                if 400 <= err.status < 500:
                    self.rejections.append((method, err.description))
                call.response = body
                self.calls.append(call)
            self._reply(request, err.status, body)
            return
        call.response = result
        with self._lock:
            self.calls.append(call)
        if hold is not None and hold.after:
            self._wait_release(call)
        self._reply(request, 200, {"ok": True, "result": result})

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            fault = self._faults.get(method)
            if fault is None or fault.times <= 0:
                return None
            fault.times -= 1
            return fault

    def _hold_of(self, method: str, params: dict[str, Any]) -> _Hold | None:
        with self._lock:
            chat = params.get("chat_id")
            holds = self._holds.get(method, [])
            return next((h for h in holds if h.chats is None or chat in h.chats), None)

    def _wait_release(self, call: Call) -> None:
        with self._lock:
            self.held.append(call)
            while call.method in self._holds and not self._closing:
                self._lock.wait(0.2)

    def _serve_file(self, request: BaseHTTPRequestHandler, file_path: str) -> None:
        for path, data in self._files.values():
            if path == file_path:
                request.send_response(200)
                request.send_header("Content-Length", str(len(data)))
                request.end_headers()
                request.wfile.write(data)
                return
        self._reply(request, 404, {"ok": False, "error_code": 404, "description": "Not Found"})

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a poll cut short at shutdown); nothing to tell it

    def _dispatch(self, method: str, p: dict[str, Any]) -> Any:
        if method == "getUpdates":
            return self._get_updates(p)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found")
        with self._lock:
            return handler(p)

    def _get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(p.get("offset") or 0)
        limit = int(p.get("limit") or 100)
        deadline = time.monotonic() + float(p.get("timeout") or 0)
        with self._lock:
            self.polls += 1
            if offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(min(left, 0.2))
            return list(self._updates[:limit])

    # ----- methods -------------------------------------------------------------------------

    def _chat(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._chats.get(int(p.get("chat_id", 0)))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _m_getMe(self, p: dict[str, Any]) -> Any:
        return self.bot_user

    def _m_deleteWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = None
        return True

    def _m_setWebhook(self, p: dict[str, Any]) -> Any:
        if not str(p.get("url", "")).startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        self.webhook = p
        return True

    def _m_setMyCommands(self, p: dict[str, Any]) -> Any:
        commands = p.get("commands")
        if not isinstance(commands, list) or not commands:
            raise ApiError(400, "Bad Request: commands must be a non-empty list")
        language = p.get("language_code", "")
        if language and not re.fullmatch(r"[a-z]{2}", str(language)):
            # Telegram takes two-letter ISO 639-1 codes only: "zh", not "zh-hant".
            raise ApiError(400, "Bad Request: invalid language code specified")
        return True

    def _m_getMyCommands(self, p: dict[str, Any]) -> Any:
        for call in reversed(self.calls):
            if call.method == "setMyCommands" and call.status == 200:
                return call.params["commands"]
        return []

    def _m_sendChatAction(self, p: dict[str, Any]) -> Any:
        self._chat(p)
        if p.get("action") not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _text(self, text: Any, parse_mode: Any) -> str:
        if not isinstance(text, str):
            raise ApiError(400, "Bad Request: message text is empty")
        if parse_mode == "HTML":
            try:
                return check(text)
            except ValueError as err:
                if "too long" in str(err):
                    raise ApiError(400, "Bad Request: message is too long") from None
                if "empty" in str(err):
                    raise ApiError(400, "Bad Request: message text is empty") from None
                raise ApiError(400, f"Bad Request: can't parse entities: {err}") from None
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    @staticmethod
    def _markup(markup: Any) -> None:
        if markup is None:
            return
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if not isinstance(rows, list):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in rows:
            for button in row:
                data = button.get("callback_data")
                if not button.get("text") or (
                    data is not None and not 1 <= len(data.encode()) <= 64
                ):
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    def _m_sendMessage(self, p: dict[str, Any]) -> Any:
        chat = self._chat(p)
        text = self._text(p.get("text"), p.get("parse_mode"))
        self._markup(p.get("reply_markup"))
        message = self._new_message(chat, self.bot_user)
        message["text"] = text
        message["html"] = p.get("text")
        if p.get("reply_markup"):
            message["reply_markup"] = p["reply_markup"]
        reply = p.get("reply_parameters") or {}
        target = reply.get("message_id") or p.get("reply_to_message_id")
        if target:
            original = self._messages.get((chat["id"], int(target)))
            if original is None:
                raise ApiError(400, "Bad Request: message to be replied not found")
            message["reply_to_message"] = original
        self._messages[(chat["id"], message["message_id"])] = message
        self._bot_messages.setdefault(chat["id"], []).append(message["message_id"])
        return {k: v for k, v in message.items() if k != "html"}

    def _m_editMessageText(self, p: dict[str, Any]) -> Any:
        chat = self._chat(p)
        message = self._messages.get((chat["id"], int(p.get("message_id", 0))))
        if message is None or message["message_id"] not in self._bot_messages.get(chat["id"], []):
            raise ApiError(400, "Bad Request: message to edit not found")
        text = self._text(p.get("text"), p.get("parse_mode"))
        self._markup(p.get("reply_markup"))
        if message.get("html") == p.get("text") and message.get("reply_markup") == p.get(
            "reply_markup"
        ):
            raise ApiError(400, "Bad Request: message is not modified")
        message.update(text=text, html=p.get("text"), edit_date=int(time.time()))
        message["reply_markup"] = p.get("reply_markup")
        return {k: v for k, v in message.items() if k != "html"}

    def _m_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        query_id = p.get("callback_query_id")
        if self._callbacks.get(query_id) is not False:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if len(p.get("text") or "") > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._callbacks[query_id] = True
        return True

    def _m_answerInlineQuery(self, p: dict[str, Any]) -> Any:
        if p.get("inline_query_id") not in self._inline:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._inline.discard(p["inline_query_id"])
        results = p.get("results") or []
        if len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [r.get("id") for r in results]
        if len(set(ids)) != len(ids) or any(not i or len(str(i).encode()) > 64 for i in ids):
            raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
        for result in results:
            content = result.get("input_message_content") or {}
            self._text(content.get("message_text"), content.get("parse_mode"))
        return True

    def _m_getFile(self, p: dict[str, Any]) -> Any:
        found = self._files.get(p.get("file_id", ""))
        if found is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, data = found
        return {
            "file_id": p["file_id"], "file_unique_id": f"u{p['file_id']}",
            "file_size": len(data), "file_path": path,
        }  # fmt: skip


_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode(name: str, value: str) -> Any:
    if name in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _params(request: BaseHTTPRequestHandler) -> dict[str, Any]:
    length = int(request.headers.get("Content-Length") or 0)
    body = request.rfile.read(length) if length else b""
    ctype = request.headers.get("Content-Type") or ""
    query = request.path.partition("?")[2]
    pairs = parse_qsl(query)
    if ctype.startswith("application/json") and body:
        return dict(json.loads(body))
    if ctype.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if part.get_filename() is None and name:
                pairs.append((name, part.get_content()))
    elif body:
        pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    return {name: _decode(name, value) for name, value in pairs}
