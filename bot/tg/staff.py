"""Staff handlers (STAFF_USER_IDS only): upload documents, list sources, reindex, gaps, stats."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from html import escape
from pathlib import Path

from telegram import Update

from bot.metrics import tracked_ingest
from bot.rag.loaders import SUPPORTED_SUFFIXES
from bot.tg.deps import Context, Deps, deps, is_staff, user_language
from bot.tg.faq import safe_file_name
from bot.tg.format import ingest_summary, pack
from bot.tg.i18n import t

logger = logging.getLogger(__name__)

UPLOADS_FOLDER = "uploads"
# Markdown front matter is not required for uploads; every supported format is accepted.
UPLOAD_SUFFIXES = frozenset(SUPPORTED_SUFFIXES)
DEFAULT_GAP_DAYS = 30
MAX_GAP_GROUPS = 20


async def refused(update: Update, d: Deps) -> bool:
    """Refuse politely unless the sender is on the staff allowlist; True if refused."""
    if is_staff(update.effective_user, d.settings):
        return False
    await update.effective_message.reply_html(escape(t("staff_only", user_language(update, d))))
    return True


async def receive_document(update: Update, context: Context) -> None:
    """Store a staff member's document under knowledge/uploads/ and ingest it."""
    d, message = deps(context), update.effective_message
    if await refused(update, d):
        return
    document = message.document
    name = safe_file_name(document.file_name, fallback=f"upload-{document.file_unique_id}")
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        allowed = " ".join(sorted(UPLOAD_SUFFIXES))
        await message.reply_html(escape(f"Not added: {suffix or 'no extension'} files are not "
                                        f"supported (use {allowed})."))  # fmt: skip
        return
    # Checked on the size Telegram reports, before anything is downloaded.
    if document.file_size is not None and document.file_size > d.settings.max_file_bytes:
        await message.reply_html(escape(
            f"Not added: {name} is {document.file_size / 1048576:.1f} MB, over the "
            f"{d.settings.max_file_mb:g} MB limit."
        ))  # fmt: skip
        return
    folder = d.settings.knowledge_dir / UPLOADS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    partial = folder / f".{name}.part"  # hidden: ingestion skips it while it downloads
    telegram_file = await document.get_file()
    await telegram_file.download_to_drive(partial)
    os.replace(partial, target)
    report = await asyncio.to_thread(
        tracked_ingest, d.metrics, "telegram_upload", d.assistant,
        lambda: d.assistant.ingest([target]),
    )  # fmt: skip
    note = ""
    if report.failed:
        # A file that cannot be parsed would fail again at every reindex: do not keep it.
        with contextlib.suppress(OSError):
            target.unlink()
        note = "\nThe file was not kept."
    await message.reply_html(
        f"<b>{escape(f'{UPLOADS_FOLDER}/{name}')}</b>\n{ingest_summary(report)}{escape(note)}"
    )


async def list_sources(update: Update, context: Context) -> None:
    """List the indexed documents with the date each was last verified (/sources)."""
    d = deps(context)
    if await refused(update, d):
        return
    documents = await asyncio.to_thread(d.assistant.sources)
    lines = [f"<b>{len(documents)} indexed documents</b>"]
    for doc in documents:
        verified = f" · verified {escape(doc.last_verified)}" if doc.last_verified else ""
        lines.append(f"• {escape(doc.title or doc.source)} — <code>{escape(doc.source)}</code>"
                     f"{verified}")  # fmt: skip
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
