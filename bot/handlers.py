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
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

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
from bot.format import (
    MESSAGE_LIMIT,
    answer_html,
    example_question,
    fitted,
    headlines,
    result_html,
    small_talk_html,
    source_line,
)
from bot.i18n import Remembered, Texts, from_code, of_text, texts
from bot.journal import Journal
from bot.service import AnswerService, RateLimiter, Record
from index.search import Answer
from index.smalltalk import small_talk
from index.store import IndexUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

CONTEXT_CHARS = 3000
SOURCES_PER_PAGE = 15
INLINE_RESULTS = 5
TYPING_AFTER_S = 1.0
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def commands(t: Texts) -> list[BotCommand]:
    """The command menu in one language."""
    return [
        BotCommand("ask", t._("Ask a question about the documents")),
        BotCommand("sources", t._("List the documents I know")),
        BotCommand("help", t._("How to ask")),
        BotCommand("start", t._("What this bot does")),
    ]


def out_of_date(t: Texts) -> str:
    return t._("This answer is out of date. Please ask again.")


def slow_down(t: Texts) -> str:
    return t._("You are asking faster than I can answer. Please wait a minute and ask again.")


def not_allowed(t: Texts) -> str:
    return t._("Sorry, this bot answers only its own members.")


def unavailable(t: Texts) -> str:
    return t._("Sorry, the documents cannot be searched right now. Please try again later.")


def failed(t: Texts) -> str:
    return t._("Sorry, something went wrong while answering. Please try again.")


@dataclass
class BotState:
    """Everything the handlers share, kept in application.bot_data["state"]."""

    service: AnswerService
    config: TelegramConfig
    limiter: RateLimiter
    top_k: int
    journal: Journal | None = None
    languages: Remembered = field(default_factory=Remembered)

    def texts(self, update: Update, text: str | None = None) -> Texts:
        """The user's language: Telegram's language code, else the script of what they wrote
        (remembered for the buttons they press later), else the configured one."""
        user = update.effective_user
        language = from_code(user.language_code if user else None)
        if language is None and text:
            language = of_text(text)
            if language is not None and user is not None:
                self.languages.note(user.id, language)
        if language is None and user is not None:
            language = self.languages.get(user.id)
        return texts(language or self.config.language)


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
                t = state.texts(update, message.text)
                await message.reply_text(
                    t._("Only the bot's admins may use /{command}.").format(command=command)
                )
            elif members_only and not _allowed(state, update):
                await message.reply_text(not_allowed(state.texts(update, message.text)))
            else:
                await fn(update, context, state, message)

        return handler

    return wrap


def _answer_markup(
    key: str, answer: Answer, start: int, more: bool, t: Texts
) -> InlineKeyboardMarkup | None:
    row = [
        InlineKeyboardButton(
            t._("Context {number}").format(number=start + k), callback_data=f"c:{key}:{start + k}"
        )
        for k in range(len(answer.results))
    ]
    rows = [row] if row else []
    if more:
        rows.append(
            [InlineKeyboardButton(t._("More"), callback_data=f"m:{key}:{start + len(row)}")]
        )
    return InlineKeyboardMarkup(rows) if rows else None


async def _no_answer_help(
    state: BotState, answer: Answer, t: Texts, understood: str | None = None
) -> str:
    sources = await state.service.sources()
    titles = headlines(sources)[:3]
    lines = [answer_html(answer, t=t, understood=understood)]
    if titles:
        about = "、".join(f"「{html.escape(title)}」" for title in titles)
        lines.append(
            t.ngettext(
                "I know about {count} document, for example {about}.",
                "I know about {count} documents, for example {about}.",
                len(sources),
            ).format(count=len(sources), about=about)
        )
    lines.append(t._("Send /sources to see them all."))
    return "\n\n".join(lines)


async def _example(state: BotState, t: Texts) -> str:
    """A question to try, made of an indexed headline."""
    sources = await state.service.sources()
    return example_question(headlines(sources), t)


async def _with_typing(context: ContextTypes.DEFAULT_TYPE, chat_id: int, work: Awaitable[T]) -> T:
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
    t = state.texts(update, question)
    if not _allowed(state, update):
        await message.reply_text(not_allowed(t))
        return
    question = question.strip()
    kind = small_talk(question)
    if kind is not None:
        # Greetings, thanks and emoji are not searched, and cost nothing of the rate limit.
        example = await _example(state, t)
        await message.reply_html(small_talk_html(kind, t, example))
        return
    if not state.limiter.allow(user.id):
        await message.reply_text(slow_down(t))
        return
    try:
        turn = await _with_typing(
            context,
            message.chat_id,
            state.service.converse((message.chat_id, user.id), question, state.top_k + 1),
        )
    except IndexUnavailable as exc:
        log.error("cannot answer: %s", exc)
        await message.reply_text(unavailable(t))
        return
    answer = turn.answer
    shown = replace(answer, results=answer.results[: state.top_k])
    if not shown.results:
        await message.reply_html(
            await _no_answer_help(state, shown, t, turn.understood),
            link_preview_options=NO_PREVIEW,
        )
        return
    # The buttons search again for what was searched: the question as understood.
    searched = turn.understood or question
    key = state.service.records.add(
        Record(message.chat_id, searched, state.service.generation, len(shown.results))
    )
    more = len(answer.results) > state.top_k
    await message.reply_html(
        answer_html(shown, t=t, understood=turn.understood),
        reply_markup=_answer_markup(key, shown, 1, more, t),
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
    t = state.texts(update, message.text)
    if message.text and message.text.startswith("/"):
        await message.reply_text(t._("I don't know that command. Send /help to see what I can do."))
    else:
        await message.reply_text(
            t._("I answer questions written as text. Send /help for examples.")
        )


@on_message()
async def on_start(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    t = state.texts(update, message.text)
    sources = await state.service.sources()
    titles = headlines(sources)[:3]
    lines = [
        t._(
            "I answer questions about a collection of documents by quoting the passages that "
            "answer them, with the answering sentence in <b>bold</b> and its source."
        ),
        t.ngettext(
            "I know {count} document. Just write a question, for example:",
            "I know {count} documents. Just write a question, for example:",
            len(sources),
        ).format(count=len(sources)),
    ]
    lines += [f"• <code>{html.escape(title)}</code>" for title in titles]
    lines.append(t._("Send /help for more, /sources for the documents."))
    await message.reply_html("\n".join(lines), link_preview_options=NO_PREVIEW)


@on_message()
async def on_help(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    t = state.texts(update, message.text)
    username = html.escape(context.bot.username or "bot")
    text = t._(
        "<b>Ask</b>: in a private chat, write your question. In a group, use "
        "/ask &lt;question&gt;, mention @{username}, or reply to one of my messages.\n"
        "<b>Follow-ups</b>: ask on, as in a conversation; I read a short question with "
        "the one before it.\n"
        "<b>Buttons</b>: <i>Context</i> shows the whole paragraph around a quote, "
        "<i>More</i> the next results.\n"
        "<b>Anywhere</b>: type @{username} and a question to quote an answer into any chat.\n"
        "/sources lists the documents I know."
    ).format(username=username)
    if is_admin(state, update):
        text += "\n" + t._(
            "<b>Admin</b>: send me a file (PDF, Word, HTML, EPUB, text) to add it; "
            "/docs lists documents with ids, /remove &lt;id&gt; takes one out; "
            "/stats and /reload."
        )
    await message.reply_html(text, link_preview_options=NO_PREVIEW)


async def sources_page(
    state: BotState, page: int, t: Texts, with_ids: bool = False
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of the document list; admins see the ids that /remove takes."""
    sources = await state.service.sources()
    pages = max(1, -(-len(sources) // SOURCES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    chunk = sources[page * SOURCES_PER_PAGE : (page + 1) * SOURCES_PER_PAGE]
    count = t.ngettext("{count} document", "{count} documents", len(sources))
    lines = [
        t._("<b>{count}</b> (page {page} of {pages})").format(
            count=count.format(count=len(sources)), page=page + 1, pages=pages
        )
    ]
    for n, source in enumerate(chunk, start=page * SOURCES_PER_PAGE + 1):
        articles = t.ngettext("{count} article", "{count} articles", source.articles)
        label = f"#{source.id}" if with_ids else f"{n}."
        lines.append(
            f"{label} {html.escape(source.name)} · {articles.format(count=source.articles)}"
        )
    kind = "d" if with_ids else "s"
    buttons = []
    if page > 0:
        buttons.append(InlineKeyboardButton(t._("Previous"), callback_data=f"{kind}:{page - 1}"))
    if page + 1 < pages:
        buttons.append(InlineKeyboardButton(t._("Next"), callback_data=f"{kind}:{page + 1}"))
    return "\n".join(lines), InlineKeyboardMarkup([buttons]) if buttons else None


@on_message()
async def on_sources(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    text, markup = await sources_page(state, 0, state.texts(update, message.text))
    await message.reply_html(text, reply_markup=markup)


@on_message(admin=True)
async def on_stats(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    t = state.texts(update, message.text)
    s = await state.service.stats()
    memory = t._("unknown") if s.resident_mb is None else f"{s.resident_mb:.0f} MB"
    waiting = (
        t._("no journal")
        if state.journal is None
        else t._("{count} waiting").format(count=state.journal.pending())
    )
    await message.reply_text(
        t._(
            "Questions served: {questions}\n"
            "Latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms\n"
            "Index: {documents} documents, {passages} passages (generation {generation})\n"
            "Up for {hours:.1f} h\n"
            "Memory: {memory} resident; {tasks} tasks, {threads} threads\n"
            "Updates: {waiting}"
        ).format(
            questions=s.questions,
            p50=s.p50_ms,
            p99=s.p99_ms,
            documents=s.documents,
            passages=s.passages,
            generation=s.generation,
            hours=s.uptime_s / 3600,
            memory=memory,
            tasks=s.tasks,
            threads=s.threads,
            waiting=waiting,
        )
    )


@on_message(admin=True)
async def on_reload(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    t = state.texts(update, message.text)
    try:
        searcher = await state.service.reload()
    except Exception as exc:
        log.warning("reload failed: %s", exc)
        await message.reply_text(
            t._(
                "The index could not be reopened; still answering from the old one. ({reason})"
            ).format(reason=html.escape(str(exc)))
        )
        return
    await message.reply_text(
        t._("Index reloaded: {documents} documents, {passages} passages.").format(
            documents=searcher.document_count, passages=searcher.passage_count
        )
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    state = state_of(context)
    query = update.callback_query
    if query is None:
        return
    t = state.texts(update)
    if not _allowed(state, update):
        await query.answer(not_allowed(t), show_alert=True)
        return
    kind, _, rest = (query.data or "").partition(":")
    if kind == "s":
        await query.answer()
        text, markup = await sources_page(state, whole_number(rest) or 0, t)
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
        await query.answer(out_of_date(t), show_alert=True)
        return
    await query.answer()
    markup = None
    if kind == "c":
        if not 1 <= n <= record.shown:
            return
        wide = await state.service.context(record.question, n, CONTEXT_CHARS)
        if wide is None:
            return
        text = result_html(n, fitted(wide, n, MESSAGE_LIMIT, t=t), t=t)
    else:
        answer = await state.service.ask(record.question, n + state.top_k)
        page = replace(answer, results=answer.results[n - 1 : n - 1 + state.top_k])
        text = (
            answer_html(page, start=n, t=t)
            if page.results
            else t._("No more results for this question.")
        )
        if page.results and record.shown == n - 1:
            state.service.records.update(
                key, replace(record, shown=record.shown + len(page.results))
            )
        if page.results:
            markup = _answer_markup(key, page, n, len(answer.results) > n - 1 + state.top_k, t)
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
    t = state.texts(update, text)
    if not _allowed(state, update) or small_talk(text) is not None:
        await query.answer(
            [],
            button=InlineQueryResultsButton(
                text=t._("Type a question about the documents"), start_parameter="help"
            ),
            cache_time=5,
        )
        return
    answer = await state.service.ask(text, INLINE_RESULTS)
    results = [
        InlineQueryResultArticle(
            id=str(k),
            title=r.highlight[:100],
            description=source_line(r, t)[:200],
            input_message_content=InputTextMessageContent(
                result_html(k, fitted(r, k, MESSAGE_LIMIT, t=t), t=t),
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
            ),
        )
        for k, r in enumerate(answer.results, start=1)
    ]
    button = None
    if not results:
        button = InlineQueryResultsButton(
            text=t._("No relevant passage: open the bot"), start_parameter="help"
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
        message = update.effective_message
        t = state_of(context).texts(update, message.text if message else None)
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(failed(t), show_alert=True)
            elif message is not None:
                await message.reply_text(failed(t))
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
