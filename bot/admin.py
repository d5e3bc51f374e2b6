"""Feeding and pruning the knowledge base from the chat: uploads, /docs and /remove (admins only).

An upload is checked against the Bot API's download limit before anything is fetched, indexed in
one transaction (a refused file leaves the index exactly as it was), and answered from the new
state at once: the running bot swaps to the updated index without a restart.
"""

from __future__ import annotations

import html
import logging
import unicodedata

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import FileSizeLimit, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.handlers import BotState, is_admin, on_message, sources_page, state_of, whole_number
from index.build import BuildReport
from index.store import IndexUnavailable

log = logging.getLogger(__name__)

MAX_NAME = 120
ADMINS_ONLY = "Only the bot's admins may add documents; nothing was downloaded."


def safe_name(raw: str | None) -> str:
    """A file name fit to show and to key a document: no folders, no control characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return name[:MAX_NAME] or "document"


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


@on_message(members_only=False)
async def on_document(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    document = message.document
    if document is None:
        return
    if not is_admin(state, update):
        await message.reply_text(ADMINS_ONLY)
        return
    # Messages go out as HTML (the application's default): a name like "<b>.txt" is escaped.
    name = safe_name(document.file_name)
    shown = html.escape(name)
    limit = FileSizeLimit.FILESIZE_DOWNLOAD
    if document.file_size is not None and document.file_size > limit:
        await message.reply_text(
            f"{shown} is {_megabytes(document.file_size)}; bots can download files up to "
            f"{_megabytes(limit)}. Split it, or index it on the server with `qabot index`."
        )
        return
    status = await message.reply_text(f"Downloading {shown}…")
    try:
        file = await document.get_file()
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("download of %s failed: %s", name, exc)
        await status.edit_text(f"{shown} could not be downloaded; please send it again.")
        return
    await status.edit_text(f"Indexing {shown} ({_megabytes(len(data))})…")
    try:
        report = await state.service.add(name, data)
    except IndexUnavailable as exc:
        log.warning("indexing %s failed: %s", name, exc)
        reason = html.escape(str(exc).removesuffix("; it is as it was"))
        await status.edit_text(f"{shown} could not be indexed: {reason}. The index is as it was.")
        return
    except Exception:
        log.exception("indexing %s failed", name)
        await status.edit_text(f"{shown} could not be indexed; the index is as it was.")
        return
    await status.edit_text(await _report_text(state, shown, report))


async def _report_text(state: BotState, name: str, report: BuildReport) -> str:
    if report.skipped:
        why = html.escape(report.skipped[0][1])
        return f"{name} was not added: {why}. The index is as it was."
    if report.unchanged:
        return f"{name} is already in the index, unchanged."
    summaries = {s.id: s for s in await state.service.sources()}
    summary = summaries.get(report.doc_ids[0]) if report.doc_ids else None
    verb = "Replaced" if report.replaced else "Added"
    if summary is None:
        return f"{verb} {name}."
    return (
        f"{verb} {name} (#{summary.id}): {summary.articles} articles, "
        f"{summary.passages} passages. It answers questions now."
    )


@on_message(admin=True)
async def on_docs(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    text, markup = await sources_page(state, 0, with_ids=True)
    await message.reply_html(text, reply_markup=markup)


@on_message(admin=True)
async def on_remove(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    arg = (context.args or [""])[0].lstrip("#")
    found = {s.id: s for s in await state.service.sources()}.get(whole_number(arg) or 0)
    if found is None:
        await message.reply_text("Which document? Send /remove &lt;id&gt;; /docs lists the ids.")
        return
    buttons = [
        InlineKeyboardButton("Remove", callback_data=f"r:{found.id}"),
        InlineKeyboardButton("Cancel", callback_data=f"x:{found.id}"),
    ]
    await message.reply_html(
        f"Remove #{found.id} {html.escape(found.name)} ({found.articles} articles) from the index?",
        reply_markup=InlineKeyboardMarkup([buttons]),
    )


async def on_admin_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    state = state_of(context)
    query = update.callback_query
    if query is None:
        return
    if not is_admin(state, update):
        await query.answer("Only the bot's admins may do that.", show_alert=True)
        return
    kind, _, arg = (query.data or "").partition(":")
    await query.answer()
    if kind == "d":
        text, markup = await sources_page(state, whole_number(arg) or 0, with_ids=True)
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    elif kind == "x":
        await query.edit_message_text("Nothing was removed.")
    elif kind == "r" and (doc_id := whole_number(arg)) is not None:
        name = await state.service.remove(doc_id)
        done = (
            f"Removed {html.escape(name)}."
            if name is not None
            else "That document was already removed."
        )
        await query.edit_message_text(done)


def add_admin_handlers(app: Application) -> None:
    """Registered before the question handlers, which would take a document for a message."""
    private = filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(private & filters.Document.ALL, on_document))
    app.add_handler(CommandHandler("docs", on_docs))
    app.add_handler(CommandHandler("remove", on_remove))
    app.add_handler(CallbackQueryHandler(on_admin_button, pattern=r"^[drx]:"))
