"""Build and run the Telegram application: long polling or webhook, safe to leave running."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sqlite3
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, Defaults, ExtBot
from telegram.request import BaseRequest

from bot.admin import add_admin_handlers
from bot.config import Settings
from bot.delivery import PatientLimiter
from bot.handlers import NO_PREVIEW, BotState, add_handlers, commands
from bot.i18n import ENGLISH, SIMPLIFIED, texts
from bot.journal import RETRY_AFTER_S, Journal, JournalQueue, default_journal_path
from bot.service import AnswerService, RateLimiter
from index.library import Library
from index.search import Searcher

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 64


class MaskingFormatter(logging.Formatter):
    """Formats records, tracebacks included, with the token replaced, so it never reaches a log."""

    def __init__(self, secret: str, fmt: str) -> None:
        super().__init__(fmt)
        self.secret = secret

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace(self.secret, "<token>") if self.secret else text


def setup_logging(token: str, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter(token, "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and the URL holds the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


class JournaledApplication(Application):
    """Crosses each update off the journal once handled; answers what is left, now and later."""

    def __init__(self, *, journal: Journal, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.journal = journal
        self._retrying: asyncio.Task[None] | None = None

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            if isinstance(update, Update):
                self.journal.finished(update.update_id)

    async def start(self) -> None:
        await super().start()
        self._retrying = asyncio.create_task(self._answer_leftovers())

    async def stop(self) -> None:
        if self._retrying is not None:
            self._retrying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retrying
        await super().stop()
        self.journal.close()

    async def _answer_leftovers(self) -> None:
        """At start, every update left unanswered; then, now and then, replies that failed."""
        queue = self.update_queue
        assert isinstance(queue, JournalQueue)
        waited = 0.0
        while True:
            due = self.journal.due(waited)
            if due:
                log.info("handling %d updates left unanswered", len(due))
                await queue.requeue([Update.de_json(json.loads(body), self.bot) for _, body in due])
            self.journal.prune()
            waited = RETRY_AFTER_S
            await asyncio.sleep(RETRY_AFTER_S)


def open_journal(settings: Settings) -> Journal | None:
    """The update journal; without one (an unwritable folder) the bot runs, less safely."""
    path = settings.telegram.journal or default_journal_path(settings.token())
    try:
        return Journal(path)
    except (OSError, sqlite3.Error) as exc:
        log.warning(
            "cannot keep the update journal at %s (%s): updates in flight when the bot stops "
            "are lost",
            path,
            exc,
        )
        return None


def build_application(
    settings: Settings,
    library: Library,
    searcher: Searcher | None = None,
    request: BaseRequest | None = None,
    rate_limiter: bool = True,
) -> Application:
    """The bot as it runs. `request` and `rate_limiter` exist for benchmarks of its own work."""
    cfg = settings.telegram
    # ExtBot[int] with a PatientLimiter (int being its rate-limit arguments), ExtBot[None] without.
    builder: ApplicationBuilder[ExtBot[Any], Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(settings.token())
        .base_url(cfg.base_url)
        .base_file_url(cfg.base_file_url)
        .defaults(
            Defaults(parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW, do_quote=True)
        )
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if rate_limiter:
        builder = builder.rate_limiter(PatientLimiter(cfg.messages_per_second, cfg.send_attempts))
    journal = open_journal(settings)
    if journal is not None:
        builder = builder.update_queue(JournalQueue(journal)).application_class(
            JournaledApplication, {"journal": journal}
        )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        timeout = cfg.request_timeout
        builder = (
            builder.connect_timeout(timeout)
            .read_timeout(timeout)
            .write_timeout(timeout)
            .pool_timeout(timeout)
            .get_updates_read_timeout(timeout + 30)
        )
    app = builder.build()
    app.bot_data["state"] = BotState(
        service=AnswerService(
            library, searcher, cfg.search_threads, settings.chat.followup_minutes * 60
        ),
        config=cfg,
        limiter=RateLimiter(cfg.questions_per_minute),
        top_k=settings.engine.answers.top_k,
        journal=journal,
    )
    add_admin_handlers(app)
    add_handlers(app)
    return app


async def _post_init(app: Application) -> None:
    state: BotState = app.bot_data["state"]
    await state.service.start()
    # Telegram tells languages apart by two letters only: "zh" gets Simplified.
    await app.bot.set_my_commands(commands(texts(state.config.language)))
    await app.bot.set_my_commands(commands(texts(SIMPLIFIED)), language_code="zh")
    await app.bot.set_my_commands(commands(texts(ENGLISH)), language_code="en")
    log.info("running as @%s", app.bot.username)


async def _post_shutdown(app: Application) -> None:
    state: BotState = app.bot_data["state"]
    state.service.close()


def run(app: Application, settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM; replies in flight are finished before the process ends."""
    cfg = settings.telegram
    stop = (signal.SIGINT, signal.SIGTERM)
    if cfg.mode == "webhook":
        app.run_webhook(
            listen=cfg.webhook_listen,
            port=cfg.webhook_port,
            url_path=cfg.webhook_path,
            webhook_url=cfg.webhook_url,
            secret_token=cfg.webhook_secret or None,
            allowed_updates=Update.ALL_TYPES,
            stop_signals=stop,
        )
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES, stop_signals=stop, timeout=30)
