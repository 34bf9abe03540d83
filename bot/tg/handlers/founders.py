"""Founder-facing handlers: greet, choose a language, answer questions, take feedback."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import asdict
from html import escape

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError

from bot.metrics import timed_answer
from bot.rag.answer import Answer
from bot.tg import handoff
from bot.tg.deps import (
    CHANNEL,
    Context,
    Deps,
    conversation_key,
    deps,
    typing,
    user_language,
)
from bot.tg.format import format_answer
from bot.tg.i18n import LANGUAGES, normalise_language, t
from bot.tg.ratelimit import Verdict

logger = logging.getLogger(__name__)

FEEDBACK_PREFIX = "fb"
HANDOFF_PREFIX = "ho"
# Telegram allows about one edit per second per chat; 1.5 s leaves room for the final one.
STREAM_EDIT_SECONDS = 1.5
PREVIEW_CHARS = 3500
FEEDBACK_PATTERN = rf"^{FEEDBACK_PREFIX}:(-?1):(\d+)$"


# --- handlers ------------------------------------------------------------------------------


async def greet(update: Update, context: Context) -> None:
    """Greet the user in their language and say what the bot knows (/start, /help)."""
    lang = user_language(update, deps(context))
    name = update.effective_user.first_name if update.effective_user else ""
    await update.effective_message.reply_html(t("greeting", lang, name=escape(name)))


async def choose_language(update: Update, context: Context) -> None:
    """Set the chat's language with /lang ko|en|vi|ja."""
    d = deps(context)
    choice = normalise_language(context.args[0]) if context.args else None
    if choice is None:
        await update.effective_message.reply_html(
            escape(t("language_usage", user_language(update, d)))
        )
        return
    d.chats.set_language(update.effective_chat.id, choice)
    await update.effective_message.reply_html(escape(t("language_set", choice)))


async def answer_question(update: Update, context: Context) -> None:
    """Answer a founder's text: a 👎 comment, a message for staff, or a question for the core."""
    d, message = deps(context), update.effective_message
    text = addressed_text(message, context.bot)
    if text is None:
        return
    if await take_feedback_comment(update, d, text):
        return
    verdict = d.limiter.check(update.effective_user.id if update.effective_user else 0)
    if verdict is not Verdict.ALLOW:
        d.metrics.rate_limited.labels(route="telegram").inc()
    if verdict is Verdict.REFUSE_SILENTLY:
        return
    if verdict is Verdict.REFUSE_AND_TELL:
        await message.reply_html(escape(t("rate_limited", user_language(update, d))))
        return
    open_handoff = d.state.open_handoff_for(conversation_key(message.chat_id))
    if open_handoff is not None:
        await handoff.relay_founder_message(update, context, open_handoff, text)
        return
    await send_answer(update, context, text)


async def ask_for_text(update: Update, context: Context) -> None:
    """Tell a founder who sent a photo, sticker or voice note that only text is understood."""
    await update.effective_message.reply_html(
        escape(t("text_only", user_language(update, deps(context))))
    )


async def rate_answer(update: Update, context: Context) -> None:
    """Store 👍/👎 for an answer; a 👎 also asks what was wrong."""
    d, query = deps(context), update.callback_query
    match = re.match(FEEDBACK_PATTERN, query.data or "")
    chat = update.effective_chat
    lang = user_language(update, d)
    if match is None or chat is None:
        await query.answer(t("feedback_unknown", lang))
        return
    rating, question_id = int(match.group(1)), int(match.group(2))
    feedback_id = d.state.record_feedback(question_id, CHANNEL, conversation_key(chat.id), rating)
    if feedback_id is None:
        await query.answer(t("feedback_unknown", lang))
        return
    d.metrics.record_feedback(CHANNEL, rating)
    await query.answer(t("thanks_feedback", lang))
    # One vote per answer: keep only the hand-off button (with its label) under it.
    await query.edit_message_reply_markup(without_votes(query.message, question_id, lang))
    if rating < 0:
        user = update.effective_user
        # In groups ForceReply(selective) reaches only mentioned users: mention the voter.
        mention = f"{user.mention_html()} " if user and chat.type != ChatType.PRIVATE else ""
        prompt = await context.bot.send_message(
            chat.id,
            mention + escape(t("what_was_wrong", lang)),
            reply_markup=ForceReply(selective=True),
            reply_parameters=(
                ReplyParameters(query.message.message_id, allow_sending_without_reply=True)
                if query.message
                else None
            ),
        )
        user_id = user.id if user else None
        d.chats.expect_comment(chat.id, feedback_id, user_id, prompt.message_id)


# --- steps ---------------------------------------------------------------------------------


def addressed_text(message: Message, bot: Bot) -> str | None:
    """The question in ``message``: all of it in private chats; in groups only when the
    bot is mentioned or replied to (mention removed), else None."""
    text = (message.text or "").strip()
    if message.chat.type == ChatType.PRIVATE:
        return text or None
    username = (bot.username or "").lower()
    mentions = message.parse_entities([MessageEntity.MENTION]).values()
    mentioned = bool(username) and any(m.lower() == f"@{username}" for m in mentions)
    replied = message.reply_to_message is not None and (
        message.reply_to_message.from_user is not None
        and message.reply_to_message.from_user.id == bot.id
    )
    if not (mentioned or replied):
        return None
    if username:
        text = re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE)
    return " ".join(text.split()) or None


async def take_feedback_comment(update: Update, d: Deps, text: str) -> bool:
    """Store ``text`` as the "what was wrong?" reply if this chat owes one; True if it did."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    pending = d.chats.pending_comment(chat.id)
    if pending is None or (pending.user_id is not None and user and user.id != pending.user_id):
        return False
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    if reply_to != pending.prompt_message_id and (
        chat.type != ChatType.PRIVATE or reply_to is not None
    ):
        # Groups: only a reply to the prompt counts. Private: the next message, unless it
        # explicitly replies to something else.
        return False
    if not d.chats.clear_pending_comment(chat.id, pending.feedback_id):
        return False
    d.state.add_feedback_comment(pending.feedback_id, conversation_key(chat.id), text)
    await message.reply_html(escape(t("comment_saved", user_language(update, d))))
    return True


def answer_and_log(
    d: Deps,
    conversation: str,
    question: str,
    on_token: Callable[[str], None] | None = None,
    fallback_language: str | None = None,
) -> tuple[Answer, int]:
    """Ask the core and log the question (runs in a worker thread: both block)."""
    # Emoji or symbols alone say nothing about the language: answer in the user's.
    language = None if any(ch.isalpha() for ch in question) else fallback_language
    answer = timed_answer(
        d.metrics,
        CHANNEL,
        lambda: d.assistant.answer(
            question, language, conversation=conversation, on_token=on_token
        ),
    )
    question_id = d.state.log_question(CHANNEL, conversation, question, answer, answer.confidence)
    sources = [{k: v for k, v in asdict(s).items() if k != "snippet"} for s in answer.sources]
    d.chats.save_sources(question_id, sources)
    return answer, question_id


async def send_answer(update: Update, context: Context, question: str) -> None:
    """Answer with sources, 👍/👎 and the hand-off button, showing "typing…" meanwhile."""
    d, message = deps(context), update.effective_message
    if getattr(d.assistant, "generator", None) is not None:
        await send_streamed_answer(update, context, question)
        return
    thread_id = message.message_thread_id if message.is_topic_message else None
    async with typing(context.bot, message.chat_id, thread_id):
        answer, question_id = await asyncio.to_thread(
            answer_and_log, d, conversation_key(message.chat_id), question, None,
            user_language(update, d),
        )  # fmt: skip
    lang = answer.language if answer.language in LANGUAGES else user_language(update, d)
    parts = format_answer(answer, lang)
    for index, html in enumerate(parts):
        last = index == len(parts) - 1
        markup = answer_keyboard(question_id, answer.answered, lang) if last else None
        await message.reply_html(html, reply_markup=markup, do_quote=None if index == 0 else False)


async def send_streamed_answer(update: Update, context: Context, question: str) -> None:
    """Generative answers: a preview message edited as text arrives, then the final answer.

    At most one edit per STREAM_EDIT_SECONDS per chat (Telegram's flood limits).
    """
    d, message = deps(context), update.effective_message
    thread_id = message.message_thread_id if message.is_topic_message else None
    loop = asyncio.get_running_loop()
    pieces: list[str] = []
    arrived = asyncio.Event()

    def add(text: str) -> None:
        pieces.append(text)
        arrived.set()

    def on_token(text: str) -> None:
        loop.call_soon_threadsafe(add, text)

    task = asyncio.ensure_future(
        asyncio.to_thread(
            answer_and_log,
            d,
            conversation_key(message.chat_id),
            question,
            on_token,
            user_language(update, d),
        )
    )
    preview: Message | None = None
    shown = ""
    last_edit = -STREAM_EDIT_SECONDS
    async with typing(context.bot, message.chat_id, thread_id):
        while not task.done():
            waiter = asyncio.ensure_future(arrived.wait())
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if task.done():
                break
            arrived.clear()
            pause = last_edit + STREAM_EDIT_SECONDS - loop.time()
            if pause > 0:
                # Rate limit, not synchronisation: the answer may finish meanwhile.
                await asyncio.wait({task}, timeout=pause)
                if task.done():
                    break
            text = "".join(pieces)[:PREVIEW_CHARS]
            if not text.strip() or text == shown:
                continue
            try:
                if preview is None:
                    preview = await message.reply_text(text + " …")
                else:
                    await preview.edit_text(text + " …")
            except TelegramError as exc:
                logger.warning("streamed preview not shown: %s", exc)
            shown = text
            last_edit = loop.time()
    answer, question_id = await task
    lang = answer.language if answer.language in LANGUAGES else user_language(update, d)
    parts = format_answer(answer, lang)
    for index, html in enumerate(parts):
        last = index == len(parts) - 1
        markup = answer_keyboard(question_id, answer.answered, lang) if last else None
        if index == 0 and preview is not None:
            try:
                await preview.edit_text(html, parse_mode=ParseMode.HTML, reply_markup=markup)
                continue
            except TelegramError as exc:
                logger.warning("streamed preview not replaced: %s", exc)
        await message.reply_html(html, reply_markup=markup, do_quote=None if index == 0 else False)


def without_votes(
    message: MaybeInaccessibleMessage | None, question_id: int, lang: str
) -> InlineKeyboardMarkup:
    """The message's keyboard minus 👍/👎 (a fresh hand-off button if it is not readable)."""
    markup = message.reply_markup if isinstance(message, Message) else None
    if markup is None:
        return handoff_keyboard(question_id, lang)
    rows = [
        [b for b in row if not str(b.callback_data or "").startswith(f"{FEEDBACK_PREFIX}:")]
        for row in markup.inline_keyboard
    ]
    return InlineKeyboardMarkup([row for row in rows if row])


def handoff_keyboard(question_id: int, lang: str) -> InlineKeyboardMarkup:
    """Just the "Ask a staff member" button."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("ask_staff", lang), callback_data=f"{HANDOFF_PREFIX}:{question_id}"
                )
            ]
        ]
    )


def answer_keyboard(question_id: int, answered: bool, lang: str) -> InlineKeyboardMarkup:
    """👍 / 👎 and "Ask a staff member" under an answer; only the latter under a decline."""
    staff = InlineKeyboardButton(
        t("ask_staff", lang), callback_data=f"{HANDOFF_PREFIX}:{question_id}"
    )
    if not answered:
        return InlineKeyboardMarkup([[staff]])
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("👍", callback_data=f"{FEEDBACK_PREFIX}:1:{question_id}"),
                InlineKeyboardButton("👎", callback_data=f"{FEEDBACK_PREFIX}:-1:{question_id}"),
            ],
            [staff],
        ]
    )
