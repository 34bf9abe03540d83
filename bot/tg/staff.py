"""Staff handlers (STAFF_USER_IDS only): upload documents, list sources and changes, undo,
reindex, gaps, stats.

An upload is published by the shared queue (bot/publish.py): the bot replies at once, edits
that reply with the indexing progress, then reports the outcome with an "Undo" button.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError

from bot.filenames import UnsafeFileName, upload_file_name
from bot.metrics import tracked_ingest
from bot.publish import Job, PublishError
from bot.tg.deps import Context, Deps, deps, is_staff, user_language
from bot.tg.format import ingest_summary, pack
from bot.tg.i18n import t

logger = logging.getLogger(__name__)

UPLOADS_FOLDER = "uploads"
# Markdown front matter is not required for uploads; every supported format is accepted.
DEFAULT_GAP_DAYS = 30
MAX_GAP_GROUPS = 20
MAX_CHANGES_LISTED = 10
UNDO_PATTERN = r"^undo:([0-9a-f]{1,32})$"
# How often a job's progress message is edited (Telegram allows about one edit a second).
PROGRESS_SECONDS = 3.0


def staff_name(user) -> str:
    """How a staff member is recorded in the change log and FAQ files."""
    return f"{user.full_name} (Telegram id {user.id})"


async def refused(update: Update, d: Deps) -> bool:
    """Refuse politely unless the sender is on the staff allowlist; True if refused."""
    if is_staff(update.effective_user, d.settings):
        return False
    await update.effective_message.reply_html(escape(t("staff_only", user_language(update, d))))
    return True


async def receive_document(update: Update, context: Context) -> None:
    """Receive a staff member's document and publish it as knowledge/uploads/<name>."""
    d, message = deps(context), update.effective_message
    if await refused(update, d):
        return
    document = message.document
    try:  # the same rule as the admin page's uploads
        name = upload_file_name(document.file_name)
    except UnsafeFileName as exc:
        await message.reply_html(escape(f"Not added: {exc.message}."))
        return
    # Checked on the size Telegram reports, before anything is downloaded.
    if document.file_size is not None and document.file_size > d.settings.max_file_bytes:
        await message.reply_html(escape(
            f"Not added: {name} is {document.file_size / 1048576:.1f} MB, over the "
            f"{d.settings.max_file_mb:g} MB limit."
        ))  # fmt: skip
        return
    publisher = d.publisher
    received = publisher.incoming()  # hidden: never indexed while it downloads
    try:
        telegram_file = await document.get_file()
        await telegram_file.download_to_drive(received)
        job = publisher.upload(received, name, staff_name(message.from_user), "telegram_upload")
    except PublishError as exc:
        received.unlink(missing_ok=True)
        await message.reply_html(escape(f"Not added: {exc.message}"))
        return
    except BaseException:
        received.unlink(missing_ok=True)
        raise
    status = await message.reply_html(escape(f"⏳ Received {UPLOADS_FOLDER}/{name}: indexing…"))
    await follow_job(status, job)
    await message.reply_html(job_result_html(job), reply_markup=undo_markup(job))


async def follow_job(status: Message, job: Job) -> None:
    """Edit ``status`` with the job's progress until the job ends."""
    shown = status.text_html if status.text else ""
    while not job.finished:
        await asyncio.to_thread(job.wait, PROGRESS_SECONDS)
        if job.finished:
            break
        if job.total:
            text = escape(f"⏳ Indexing {job.source}: {job.done:,} of {job.total:,} chunks")
            if text != shown:
                with contextlib.suppress(TelegramError):
                    await status.edit_text(text)
                shown = text
    final = {"done": "✓ Indexing finished", "failed": "✗ Not published",
             "cancelled": "⏸ Interrupted"}.get(job.state, job.state)  # fmt: skip
    with contextlib.suppress(TelegramError):
        await status.edit_text(escape(f"{final}: {job.source}"))


def job_result_html(job: Job) -> str:
    """What a finished upload, FAQ or undo job did, for staff."""
    source = escape(job.source)
    if job.state != "done":
        return f"<b>{source}</b>\n{escape(job.message)}"
    lines = [f"<b>{source}</b> — {escape(job.message)}"]
    change = job.change or {}
    if job.kind in ("upload", "faq") and change:
        how = "uploaded by staff" if job.kind == "upload" else "saved from a staff answer"
        lines.append(
            f"Founders see it as “{escape(how)} on {escape(str(change.get('at', ''))[:10])}”: "
            "its own date, topic and sources are not used."
        )
    if job.report is not None:
        from bot.rag.indexer import IngestReport

        lines.append(ingest_summary(IngestReport.from_dict(job.report)))
    return "\n".join(lines)


def undo_markup(job: Job) -> InlineKeyboardMarkup | None:
    """An "Undo" button under a published upload or FAQ."""
    change_id = (job.change or {}).get("id")
    if job.state != "done" or job.kind not in ("upload", "faq") or not change_id:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton("Undo", callback_data=f"undo:{change_id}")]])


async def undo_last(update: Update, context: Context) -> None:
    """Undo the last upload or saved FAQ (/undo): removed, or the version it replaced is back."""
    d, message = deps(context), update.effective_message
    if await refused(update, d):
        return
    await run_undo(d, message, staff_name(update.effective_user), None)


async def undo_button(update: Update, context: Context) -> None:
    """The "Undo" button under an upload or FAQ report."""
    d, query = deps(context), update.callback_query
    if not is_staff(update.effective_user, d.settings):
        await query.answer(t("staff_only", user_language(update, d)), show_alert=True)
        return
    match = re.match(UNDO_PATTERN, query.data or "")
    await query.answer()
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(None)  # one press only
    await run_undo(d, query.message, staff_name(update.effective_user),
                   match.group(1) if match else None)  # fmt: skip


async def run_undo(d: Deps, message: Message, by: str, change_id: str | None) -> None:
    """Queue an undo, follow it, report what it did."""
    publisher = d.publisher
    try:
        job = await asyncio.to_thread(publisher.undo, by, "telegram_undo", change_id)
    except PublishError as exc:
        await message.reply_html(escape(f"Nothing undone: {exc.message}"))
        return
    status = await message.reply_html(escape(f"↩ Undoing {job.source}…"))
    await follow_job(status, job)
    await message.reply_html(job_result_html(job))


async def list_changes(update: Update, context: Context) -> None:
    """The recent uploads, saved FAQs and undos, newest first (/changes)."""
    d = deps(context)
    if await refused(update, d):
        return
    publisher = d.publisher
    changes = await asyncio.to_thread(publisher.changes, MAX_CHANGES_LISTED)
    if not changes:
        await update.effective_message.reply_html("No uploads or saved FAQs yet.")
        return
    last = await asyncio.to_thread(publisher.last_undoable)
    lines = ["<b>Recent changes</b> (newest first; /undo undoes the one marked ↩)"]
    for change in changes:
        mark = " ↩" if last is not None and change.id == last.id else ""
        undone = " <i>(undone)</i>" if change.undone else ""
        lines.append(f"• {escape(change.at[:16].replace('T', ' '))} {escape(change.action)} "
                     f"<code>{escape(change.path)}</code> by {escape(change.by)}{undone}{mark}")  # fmt: skip
    for html in pack(lines, separator="\n"):
        await update.effective_message.reply_html(html)


async def list_sources(update: Update, context: Context) -> None:
    """List the indexed documents with the date each was last verified or published (/sources)."""
    d = deps(context)
    if await refused(update, d):
        return
    documents = await asyncio.to_thread(d.assistant.sources)
    lines = [f"<b>{len(documents)} indexed documents</b>"]
    for doc in documents:
        if doc.origin:
            how = "uploaded" if doc.origin == "upload" else "saved from a hand-off"
            by = f" by {doc.added_by}" if doc.added_by else ""
            dated = f" · {escape(how)}{escape(by)} on {escape(doc.added_on)}"
        else:
            dated = f" · verified {escape(doc.last_verified)}" if doc.last_verified else ""
        lines.append(f"• {escape(doc.title or doc.source)} — <code>{escape(doc.source)}</code>"
                     f"{dated}")  # fmt: skip
    for html in pack(lines, separator="\n"):
        await update.effective_message.reply_html(html)


async def reindex(update: Update, context: Context) -> None:
    """Re-run ingestion of the knowledge folder and report what changed (/reindex)."""
    d = deps(context)
    if await refused(update, d):
        return
    await update.effective_message.reply_html("Re-indexing the knowledge folder…")
    report = await asyncio.to_thread(tracked_ingest, d.metrics, "telegram_reindex", d.assistant)
    await update.effective_message.reply_html(ingest_summary(report))


async def show_gaps(update: Update, context: Context) -> None:
    """List declined, low-confidence and 👎 questions, grouped, most frequent first (/gaps)."""
    d, message = deps(context), update.effective_message
    if await refused(update, d):
        return
    days = parse_days(context.args, DEFAULT_GAP_DAYS)
    if days is None:
        await message.reply_html("Usage: /gaps [days], e.g. /gaps 7")
        return
    groups = await asyncio.to_thread(d.state.gaps, days)
    if not groups:
        await message.reply_html(f"No gaps in the last {days} days.")
        return
    lines = [f"<b>Gaps, last {days} days</b> (most frequent first)"]
    for number, group in enumerate(groups[:MAX_GAP_GROUPS], start=1):
        languages = ", ".join(sorted(set(group.languages)))
        reasons = ", ".join(sorted(set(group.reasons)))
        lines.append(f"{number}. {group.count}× {escape(group.example)} "
                     f"<i>({escape(languages)}; {escape(reasons)})</i>")  # fmt: skip
    for html in pack(lines, separator="\n"):
        await message.reply_html(html)


async def show_stats(update: Update, context: Context) -> None:
    """Count questions, answered rate, feedback and hand-offs per language (/stats [days])."""
    d, message = deps(context), update.effective_message
    if await refused(update, d):
        return
    days = parse_days(context.args, None)
    if context.args and days is None:
        await message.reply_html("Usage: /stats [days], e.g. /stats 30")
        return
    stats = await asyncio.to_thread(d.state.stats, days)
    period = f"last {days} days" if days else "all time"
    if not stats:
        await message.reply_html(f"No questions yet ({period}).")
        return
    lines = [f"<b>Stats, {period}</b>"]
    for language, s in sorted(stats.items()):
        lines.append(
            f"<b>{escape(language)}</b>: {s.questions} questions, "
            f"{s.answered_rate:.0%} answered, 👍 {s.thumbs_up} 👎 {s.thumbs_down}, "
            f"hand-offs {s.handoffs}"
        )
    await message.reply_html("\n".join(lines))


def parse_days(args: list[str] | None, default: int | None) -> int | None:
    """The optional day count of /gaps and /stats; None when it is not a positive number."""
    if not args:
        return default
    try:
        days = int(args[0])
    except ValueError:
        return None
    return days if 0 < days <= 3650 else None
