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
from bot.i18n import Texts
from index.build import BuildReport
from index.store import IndexUnavailable

log = logging.getLogger(__name__)

MAX_NAME = 120


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
    t = state.texts(update, message.caption)
    if not is_admin(state, update):
        await message.reply_text(
            t._("Only the bot's admins may add documents; nothing was downloaded.")
        )
        return
    # Messages go out as HTML (the application's default): a name like "<b>.txt" is escaped.
    name = safe_name(document.file_name)
    shown = html.escape(name)
    limit = FileSizeLimit.FILESIZE_DOWNLOAD
    if document.file_size is not None and document.file_size > limit:
        await message.reply_text(
            t._(
                "{name} is {size}; bots can download files up to {limit}. "
                "Split it, or index it on the server with `qabot index`."
            ).format(name=shown, size=_megabytes(document.file_size), limit=_megabytes(limit))
        )
        return
    status = await message.reply_text(t._("Downloading {name}…").format(name=shown))
    try:
        file = await document.get_file()
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("download of %s failed: %s", name, exc)
        await status.edit_text(
            t._("{name} could not be downloaded; please send it again.").format(name=shown)
        )
        return
    await status.edit_text(
        t._("Indexing {name} ({size})…").format(name=shown, size=_megabytes(len(data)))
    )
    try:
        report = await state.service.add(name, data)
    except IndexUnavailable as exc:
        log.warning("indexing %s failed: %s", name, exc)
        reason = html.escape(str(exc).removesuffix("; it is as it was"))
        await status.edit_text(
            t._("{name} could not be indexed: {reason}. The index is as it was.").format(
                name=shown, reason=reason
            )
        )
        return
    except Exception:
        log.exception("indexing %s failed", name)
        await status.edit_text(
            t._("{name} could not be indexed; the index is as it was.").format(name=shown)
        )
        return
    await status.edit_text(await _report_text(state, shown, report, t))


async def _report_text(state: BotState, name: str, report: BuildReport, t: Texts) -> str:
    if report.skipped:
        reason = report.skipped[0][1]
        why = html.escape(t._(reason.message).format(**dict(reason.fields)))
        return t._("{name} was not added: {reason}. The index is as it was.").format(
            name=name, reason=why
        )
    if report.unchanged:
        return t._("{name} is already in the index, unchanged.").format(name=name)
    summaries = {s.id: s for s in await state.service.sources()}
    summary = summaries.get(report.doc_ids[0]) if report.doc_ids else None
    if summary is None:
        done = t._("Replaced {name}.") if report.replaced else t._("Added {name}.")
        return done.format(name=name)
    done = (
        t._("Replaced {name} (#{id}): {articles} articles, {passages} passages.")
        if report.replaced
        else t._("Added {name} (#{id}): {articles} articles, {passages} passages.")
    )
    details = done.format(
        name=name, id=summary.id, articles=summary.articles, passages=summary.passages
    )
    return details + " " + t._("It answers questions now.")


@on_message(admin=True)
async def on_docs(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    t = state.texts(update, message.text)
    text, markup = await sources_page(state, 0, t, with_ids=True)
    await message.reply_html(text, reply_markup=markup)


@on_message(admin=True)
async def on_remove(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState, message: Message
) -> None:
    t = state.texts(update, message.text)
    arg = (context.args or [""])[0].lstrip("#")
    found = {s.id: s for s in await state.service.sources()}.get(whole_number(arg) or 0)
    if found is None:
        await message.reply_text(
            t._("Which document? Send /remove &lt;id&gt;; /docs lists the ids.")
        )
        return
    buttons = [
        InlineKeyboardButton(t._("Remove"), callback_data=f"r:{found.id}"),
        InlineKeyboardButton(t._("Cancel"), callback_data=f"x:{found.id}"),
    ]
    await message.reply_html(
        t._("Remove #{id} {name} ({articles} articles) from the index?").format(
            id=found.id, name=html.escape(found.name), articles=found.articles
        ),
        reply_markup=InlineKeyboardMarkup([buttons]),
    )


async def on_admin_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    state = state_of(context)
    query = update.callback_query
    if query is None:
        return
    t = state.texts(update)
    if not is_admin(state, update):
        await query.answer(t._("Only the bot's admins may do that."), show_alert=True)
        return
    kind, _, arg = (query.data or "").partition(":")
    await query.answer()
    if kind == "d":
        text, markup = await sources_page(state, whole_number(arg) or 0, t, with_ids=True)
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    elif kind == "x":
        await query.edit_message_text(t._("Nothing was removed."))
    elif kind == "r" and (doc_id := whole_number(arg)) is not None:
        name = await state.service.remove(doc_id)
        done = (
            t._("Removed {name}.").format(name=html.escape(name))
            if name is not None
            else t._("That document was already removed.")
        )
        await query.edit_message_text(done)


def add_admin_handlers(app: Application) -> None:
    """Registered before the question handlers, which would take a document for a message."""
    private = filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(private & filters.Document.ALL, on_document))
    app.add_handler(CommandHandler("docs", on_docs))
    app.add_handler(CommandHandler("remove", on_remove))
    app.add_handler(CallbackQueryHandler(on_admin_button, pattern=r"^[drx]:"))
