"""Telegram handlers: questions in, quoted answers out, never a raw error in a chat.

In private chats every text is a question. In groups the bot speaks only when asked: `/ask`, a
mention of the bot, or a reply to one of its messages, so it works with privacy mode on.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.config import TelegramConfig
from bot.delivery import transient
from bot.format import MESSAGE_LIMIT, answer_html, fitted, result_html, source_line
from bot.journal import Journal
from bot.service import AnswerService, RateLimiter, Record
from index.search import Answer
from index.store import IndexUnavailable

log = logging.getLogger(__name__)

CONTEXT_CHARS = 3000
SOURCES_PER_PAGE = 15
INLINE_RESULTS = 5
TYPING_AFTER_S = 1.0
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

COMMANDS = [
    BotCommand("ask", "Ask a question about the documents"),
    BotCommand("sources", "List the documents I know"),
    BotCommand("help", "How to ask"),
    BotCommand("start", "What this bot does"),
]

OUT_OF_DATE = "This answer is out of date. Please ask again."
SLOW_DOWN = "You are asking faster than I can answer. Please wait a minute and ask again."
NOT_ALLOWED = "Sorry, this bot answers only its own members."
UNAVAILABLE = "Sorry, the documents cannot be searched right now. Please try again later."
FAILED = "Sorry, something went wrong while answering. Please try again."


@dataclass
class BotState:
    """Everything the handlers share, kept in application.bot_data["state"]."""

    service: AnswerService
    config: TelegramConfig
    limiter: RateLimiter
    top_k: int
    journal: Journal | None = None


def whole_number(text: str) -> int | None:
    """ASCII digits only: str.isdigit() also takes "²", which int() refuses."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def state_of(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    state: BotState = context.application.bot_data["state"]
    return state


def _allowed(state: BotState, update: Update) -> bool:
    cfg = state.config
    if not cfg.allowed_users and not cfg.allowed_chats:
        return True
    user = update.effective_user
    chat = update.effective_chat
    return bool(
        (user is not None and user.id in cfg.allowed_users + cfg.admins)
        or (chat is not None and chat.id in cfg.allowed_chats)
    )


def is_admin(state: BotState, update: Update) -> bool:
    user = update.effective_user
    return user is not None and user.id in state.config.admins


MessageHandlerFn = Callable[[Update, ContextTypes.DEFAULT_TYPE, BotState, Message], Awaitable[None]]
# PTB's handlers take coroutine functions, not any callable that returns an awaitable.
TelegramCallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def on_message(
    *, admin: bool = False, members_only: bool = True
) -> Callable[[MessageHandlerFn], TelegramCallback]:
    """Give a handler its state and message, after the allow-list and admin checks."""

    def wrap(fn: MessageHandlerFn) -> TelegramCallback:
        command = fn.__name__.removeprefix("on_")

        @functools.wraps(fn)
        async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            state = state_of(context)
            message = update.effective_message
            if message is None or update.effective_user is None:
                return
            if admin and not is_admin(state, update):
                await message.reply_text(f"Only the bot's admins may use /{command}.")
            elif members_only and not _allowed(state, update):
                await message.reply_text(NOT_ALLOWED)
            else:
                await fn(update, context, state, message)

        return handler

    return wrap


def _answer_markup(key: str, answer: Answer, start: int, more: bool) -> InlineKeyboardMarkup | None:
    row = [
        InlineKeyboardButton(f"Context {start + k}", callback_data=f"c:{key}:{start + k}")
        for k in range(len(answer.results))
    ]
    rows = [row] if row else []
    if more:
        rows.append([InlineKeyboardButton("More", callback_data=f"m:{key}:{start + len(row)}")])
    return InlineKeyboardMarkup(rows) if rows else None


async def _no_answer_help(state: BotState, answer: Answer) -> str:
    sources = await state.service.sources()
    titles = [t for s in sources for t in s.titles][:3]
    lines = [answer_html(answer)]
    if titles:
        about = "、".join(f"「{html.escape(t)}」" for t in titles)
        lines.append(f"I know about {len(sources)} documents, for example {about}.")
    lines.append("Send /sources to see them all.")
    return "\n\n".join(lines)


async def _with_typing(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, work: Awaitable[Answer]
) -> Answer:
    """Show "typing…" only when the answer is slow to come: most take milliseconds, and every
    chat action counts against the bot's flood limit."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=TYPING_AFTER_S)
    if not done:
        try:
            await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as exc:
            log.info("no typing action in chat %d: %s", chat_id, exc)
    return await task


async def answer_question(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    state: BotState,
    message: Message,
    question: str,
) -> None:
    """The one path every question takes, from a private text, /ask, a mention or a reply."""
    user = update.effective_user
    assert user is not None
    if not _allowed(state, update):
        await message.reply_text(NOT_ALLOWED)
        return
    question = question.strip()
    if not question:
        await message.reply_text("Ask me a question, for example: /ask 长治召开了几次常委会会议？")
        return
    if not state.limiter.allow(user.id):
        await message.reply_text(SLOW_DOWN)
        return
    try:
        answer = await _with_typing(
            context, message.chat_id, state.service.ask(question, state.top_k + 1)
        )
    except IndexUnavailable as exc:
        log.error("cannot answer: %s", exc)
        await message.reply_text(UNAVAILABLE)
        return
    shown = replace(answer, results=answer.results[: state.top_k])
    if not shown.results:
        await message.reply_html(
            await _no_answer_help(state, shown), link_preview_options=NO_PREVIEW
        )
        return
    key = state.service.records.add(
        Record(message.chat_id, question, state.service.generation, len(shown.results))
    )
    more = len(answer.results) > state.top_k
    await message.reply_html(
        answer_html(shown),
        reply_markup=_answer_markup(key, shown, 1, more),
        link_preview_options=NO_PREVIEW,
    )


@on_message(members_only=False)
async def on_private_text(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    await answer_question(update, context, state, message, message.text or "")


@on_message(members_only=False)
async def on_ask(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    await answer_question(update, context, state, message, " ".join(context.args or []))


def _without_mention(message: Message, username: str) -> str | None:
    """The text with the bot's @mention taken out, or None when the bot was not mentioned."""
    text = message.text or ""
    mentions = message.parse_entities([MessageEntity.MENTION])
    ours = [e for e, value in mentions.items() if value.lower() == f"@{username.lower()}"]
    if not ours:
        return None
    for entity in sorted(ours, key=lambda e: e.offset, reverse=True):
        # Entity offsets count UTF-16 code units.
        encoded = text.encode("utf-16-le")
        start, end = entity.offset * 2, (entity.offset + entity.length) * 2
        text = (encoded[:start] + encoded[end:]).decode("utf-16-le")
    return text


@on_message(members_only=False)
async def on_group_text(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    """Strangers' chatter in a group is none of the bot's business: it stays silent."""
    if message.text is None:
        return
    replied = message.reply_to_message
    if (
        replied is not None
        and replied.from_user is not None
        and replied.from_user.id == context.bot.id
    ):
        await answer_question(update, context, state, message, message.text)
        return
    question = _without_mention(message, context.bot.username)
    if question is not None:
        await answer_question(update, context, state, message, question)


@on_message()
async def on_other_private(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    if message.text and message.text.startswith("/"):
        await message.reply_text("I don't know that command. Send /help to see what I can do.")
    else:
        await message.reply_text("I answer questions written as text. Send /help for examples.")


@on_message()
async def on_start(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    sources = await state.service.sources()
    titles = [t for s in sources for t in s.titles][:3]
    lines = [
        "I answer questions about a collection of documents by quoting the passages that "
        "answer them, with the answering sentence in <b>bold</b> and its source.",
        f"I know {len(sources)} documents. Just write a question, for example:",
    ]
    lines += [f"• <code>{html.escape(t)}</code>" for t in titles]
    lines.append("Send /help for more, /sources for the documents.")
    await message.reply_html("\n".join(lines), link_preview_options=NO_PREVIEW)


@on_message()
async def on_help(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    username = html.escape(context.bot.username or "bot")
    text = (
        "<b>Ask</b>: in a private chat, write your question. In a group, use "
        f"/ask &lt;question&gt;, mention @{username}, or reply to one of my messages.\n"
        "<b>Buttons</b>: <i>Context</i> shows the whole paragraph around a quote, "
        "<i>More</i> the next results.\n"
        f"<b>Anywhere</b>: type @{username} and a question to quote an answer into any chat.\n"
        "/sources lists the documents I know."
    )
    if is_admin(state, update):
        text += (
            "\n<b>Admin</b>: send me a file (PDF, Word, HTML, EPUB, text) to add it; "
            "/docs lists documents with ids, /remove &lt;id&gt; takes one out; "
            "/stats and /reload."
        )
    await message.reply_html(text, link_preview_options=NO_PREVIEW)


async def sources_page(
    state: BotState, page: int, with_ids: bool = False
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of the document list; admins see the ids that /remove takes."""
    sources = await state.service.sources()
    pages = max(1, -(-len(sources) // SOURCES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    chunk = sources[page * SOURCES_PER_PAGE : (page + 1) * SOURCES_PER_PAGE]
    lines = [f"<b>{len(sources)} documents</b> (page {page + 1} of {pages})"]
    for n, source in enumerate(chunk, start=page * SOURCES_PER_PAGE + 1):
        articles = "1 article" if source.articles == 1 else f"{source.articles} articles"
        label = f"#{source.id}" if with_ids else f"{n}."
        lines.append(f"{label} {html.escape(source.name)} · {articles}")
    kind = "d" if with_ids else "s"
    buttons = []
    if page > 0:
        buttons.append(InlineKeyboardButton("Previous", callback_data=f"{kind}:{page - 1}"))
    if page + 1 < pages:
        buttons.append(InlineKeyboardButton("Next", callback_data=f"{kind}:{page + 1}"))
    return "\n".join(lines), InlineKeyboardMarkup([buttons]) if buttons else None


@on_message()
async def on_sources(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    text, markup = await sources_page(state, 0)
    await message.reply_html(text, reply_markup=markup)


@on_message(admin=True)
async def on_stats(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    s = await state.service.stats()
    memory = "unknown" if s.resident_mb is None else f"{s.resident_mb:.0f} MB"
    waiting = "no journal" if state.journal is None else f"{state.journal.pending()} waiting"
    await message.reply_text(
        f"Questions served: {s.questions}\n"
        f"Latency: p50 {s.p50_ms:.1f} ms, p99 {s.p99_ms:.1f} ms\n"
        f"Index: {s.documents} documents, {s.passages} passages (generation {s.generation})\n"
        f"Up for {s.uptime_s / 3600:.1f} h\n"
        f"Memory: {memory} resident; {s.tasks} tasks, {s.threads} threads\n"
        f"Updates: {waiting}"
    )


@on_message(admin=True)
async def on_reload(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    try:
        searcher = await state.service.reload()
    except Exception as exc:
        log.warning("reload failed: %s", exc)
        await message.reply_text(
            "The index could not be reopened; still answering from the old one. "
            f"({html.escape(str(exc))})"
        )
        return
    await message.reply_text(
        f"Index reloaded: {searcher.document_count} documents, {searcher.passage_count} passages."
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    state = state_of(context)
    query = update.callback_query
    if query is None:
        return
    if not _allowed(state, update):
        await query.answer(NOT_ALLOWED, show_alert=True)
        return
    kind, _, rest = (query.data or "").partition(":")
    if kind == "s":
        await query.answer()
        text, markup = await sources_page(state, whole_number(rest) or 0)
        if query.message is not None:
            await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        return
    key, _, number = rest.partition(":")
    record = state.service.records.get(key)
    chat = update.effective_chat
    n = whole_number(number)
    if (
        kind not in ("m", "c")
        or n is None
        or record is None
        or record.generation != state.service.generation
        or chat is None
        or record.chat_id != chat.id
    ):
        await query.answer(OUT_OF_DATE, show_alert=True)
        return
    await query.answer()
    markup = None
    if kind == "c":
        if not 1 <= n <= record.shown:
            return
        wide = await state.service.context(record.question, n, CONTEXT_CHARS)
        if wide is None:
            return
        text = result_html(n, fitted(wide, n, MESSAGE_LIMIT))
    else:
        answer = await state.service.ask(record.question, n + state.top_k)
        page = replace(answer, results=answer.results[n - 1 : n - 1 + state.top_k])
        text = answer_html(page, start=n) if page.results else "No more results for this question."
        if page.results and record.shown == n - 1:
            state.service.records.update(
                key, replace(record, shown=record.shown + len(page.results))
            )
        if page.results:
            markup = _answer_markup(key, page, n, len(answer.results) > n - 1 + state.top_k)
    await context.bot.send_message(
        chat.id,
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        link_preview_options=NO_PREVIEW,
        reply_to_message_id=query.message.message_id if query.message else None,
    )


async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    state = state_of(context)
    query = update.inline_query
    if query is None:
        return
    text = query.query.strip()
    if not _allowed(state, update) or not text:
        await query.answer(
            [],
            button=InlineQueryResultsButton(
                text="Type a question about the documents", start_parameter="help"
            ),
            cache_time=5,
        )
        return
    answer = await state.service.ask(text, INLINE_RESULTS)
    results = [
        InlineQueryResultArticle(
            id=str(k),
            title=r.highlight[:100],
            description=source_line(r)[:200],
            input_message_content=InputTextMessageContent(
                result_html(k, fitted(r, k, MESSAGE_LIMIT)),
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
            ),
        )
        for k, r in enumerate(answer.results, start=1)
    ]
    button = None
    if not results:
        button = InlineQueryResultsButton(
            text="No relevant passage: open the bot", start_parameter="help"
        )
    await query.answer(results, button=button, cache_time=30)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with its traceback; tell the user briefly, never with details.

    A reply that could not get through to Telegram is not an error of the answer: the update
    stays in the journal and is handled again later, with no apology in between.
    """
    journal = state_of(context).journal
    if isinstance(update, Update) and journal is not None and transient(context.error):
        log.warning(
            "update %d could not be answered (%s); will try again", update.update_id, context.error
        )
        journal.undelivered(update.update_id)
        return
    log.error("error while handling an update: %r", update, exc_info=context.error)
    if isinstance(update, Update):
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(FAILED, show_alert=True)
            elif update.effective_message is not None:
                await update.effective_message.reply_text(FAILED)
        except TelegramError as exc:
            log.warning("could not tell the user about the error: %s", exc)


def add_handlers(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CommandHandler("help", on_help))
    app.add_handler(CommandHandler("ask", on_ask))
    app.add_handler(CommandHandler("sources", on_sources))
    app.add_handler(CommandHandler("stats", on_stats))
    app.add_handler(CommandHandler("reload", on_reload))
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_private_text))
    app.add_handler(MessageHandler(groups & filters.TEXT & ~filters.COMMAND, on_group_text))
    app.add_handler(MessageHandler(private & ~filters.StatusUpdate.ALL, on_other_private))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(InlineQueryHandler(on_inline))
    app.add_error_handler(on_error)
