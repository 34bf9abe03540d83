"""Founder-facing handlers: greet, choose a language, answer questions, take feedback.

An answer is one message: its lead, a compact sources line, and buttons — "More" and
"Sources" (which edit the same message to expand it, see ``expand_answer``), 👍/👎, and the
hand-off to staff, which stays under every answer whatever is expanded.
"""

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
from telegram.error import BadRequest, TelegramError

from bot.core import Core
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
from bot.tg.expand import EXPAND_PATTERN, EXPAND_PREFIX, expand_data
from bot.tg.format import MORE, SOURCES, AnswerView, answer_view, render_answer
from bot.tg.i18n import LANGUAGES, normalise_language, t
from bot.tg.ratelimit import Verdict

logger = logging.getLogger(__name__)

FEEDBACK_PREFIX = "fb"
HANDOFF_PREFIX = "ho"
# Telegram allows about one edit per second per chat; 1.5 s leaves room for the final one.
STREAM_EDIT_SECONDS = 1.5
PREVIEW_CHARS = 3500
FEEDBACK_PATTERN = rf"^{FEEDBACK_PREFIX}:(-?1):(\d+)$"
EXAMPLE_PREFIX = "ex"
EXAMPLE_PATTERN = rf"^{EXAMPLE_PREFIX}:({'|'.join(LANGUAGES)}):(\d)$"
# /start offers this many example questions, from up to EXAMPLE_CANDIDATES headings.
EXAMPLES_SHOWN = 3
EXAMPLE_CANDIDATES = 6
# Languages × re-indexes remembered before the example cache starts over.
EXAMPLE_CACHE_SIZE = 16


# --- handlers ------------------------------------------------------------------------------


async def greet(update: Update, context: Context) -> None:
    """Greet the user in their language, say what the bot knows and offer example questions
    from the knowledge base as buttons (/start, /help)."""
    d = deps(context)
    lang = user_language(update, d)
    name = update.effective_user.first_name if update.effective_user else ""
    text = t("greeting", lang, name=escape(name))
    examples = await example_questions(d, lang)
    markup = None
    if examples:
        text += "\n\n" + escape(t("examples_intro", lang))
        markup = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(question, callback_data=f"{EXAMPLE_PREFIX}:{lang}:{index}")]
                for index, question in enumerate(examples)
            ]
        )
    await update.effective_message.reply_html(text, reply_markup=markup)


async def ask_example(update: Update, context: Context) -> None:
    """A tapped example question from /start: asked as if the founder had typed it."""
    d, query = deps(context), update.callback_query
    match = re.match(EXAMPLE_PATTERN, query.data or "")
    examples = await example_questions(d, match.group(1)) if match else []
    index = int(match.group(2)) if match else -1
    if not 0 <= index < len(examples):  # the knowledge base changed since the greeting
        await query.answer(t("example_expired", user_language(update, d)))
        return
    await query.answer()
    await ask(update, context, examples[index], tapped=True)


async def expand_answer(update: Update, context: Context) -> None:
    """A press on More / Sources (or Less / Hide sources): edit the answer in place to show
    what the button says, keeping every other button (the hand-off, 👍/👎 if not yet used)."""
    d, query, chat = deps(context), update.callback_query, update.effective_chat
    match = re.match(EXPAND_PATTERN, query.data or "")
    view = d.answers.get(chat.id, int(match.group(1))) if match and chat else None
    if view is None:  # dropped from memory, or a restart: never an error
        await query.answer(t("answer_expired", user_language(update, d)))
        return
    question_id, shown = int(match.group(1)), int(match.group(2))
    markup = keyboard_showing(query.message, question_id, view, shown, d)
    try:
        await query.edit_message_text(render_answer(view, shown), reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():  # not a double tap: deleted, too old
            logger.warning("answer not expanded: %s", exc.message)
            await query.answer(t("answer_expired", user_language(update, d)))
            return
    await query.answer()


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
    await ask(update, context, text)


async def ask(update: Update, context: Context, text: str, tapped: bool = False) -> None:
    """A founder's question (typed, or ``tapped`` as an example): rate-limited, relayed to
    staff while a hand-off is open, else answered."""
    d, chat = deps(context), update.effective_chat
    verdict = d.limiter.check(update.effective_user.id if update.effective_user else 0)
    if verdict is not Verdict.ALLOW:
        d.metrics.rate_limited.labels(route="telegram").inc()
    if verdict is Verdict.REFUSE_SILENTLY:
        return
    if verdict is Verdict.REFUSE_AND_TELL:
        await deliver(update, context, escape(t("rate_limited", user_language(update, d))),
                      tapped=tapped)  # fmt: skip
        return
    open_handoff = d.state.open_handoff_for(conversation_key(chat.id))
    if open_handoff is not None:
        await handoff.relay_founder_message(update, context, open_handoff, text)
        return
    await send_answer(update, context, text, tapped)


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
    # One vote per answer: the votes go, More / Sources and the hand-off stay.
    view = d.answers.get(chat.id, question_id)
    await query.edit_message_reply_markup(without_votes(query.message, question_id, view, lang))
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


async def send_answer(
    update: Update, context: Context, question: str, tapped: bool = False
) -> None:
    """Answer with its lead first, then the buttons: More / Sources, 👍/👎 and the hand-off,
    showing "typing…" meanwhile."""
    d, chat = deps(context), update.effective_chat
    if d.assistant.generative:
        await send_streamed_answer(update, context, question, tapped)
        return
    async with typing(context.bot, chat.id, thread_of(update.effective_message)):
        answer, question_id = await asyncio.to_thread(
            answer_and_log, d, conversation_key(chat.id), question, None,
            user_language(update, d),
        )  # fmt: skip
    html, markup = prepare_answer(update, d, answer, question_id, question if tapped else "")
    await deliver(update, context, html, markup, tapped=tapped)


async def send_streamed_answer(
    update: Update, context: Context, question: str, tapped: bool = False
) -> None:
    """Generative answers: a preview message edited as text arrives, then the final answer
    (with its buttons, like any other answer).

    At most one edit per STREAM_EDIT_SECONDS per chat (Telegram's flood limits).
    """
    d, chat = deps(context), update.effective_chat
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
            conversation_key(chat.id),
            question,
            on_token,
            user_language(update, d),
        )
    )
    preview: Message | None = None
    shown = ""
    last_edit = -STREAM_EDIT_SECONDS
    async with typing(context.bot, chat.id, thread_of(update.effective_message)):
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
                    preview = await deliver(update, context, text + " …", tapped=tapped,
                                            parse_mode=None)  # fmt: skip
                else:  # raw model text: shown as plain text until the final answer
                    await preview.edit_text(text + " …", parse_mode=None)
            except TelegramError as exc:
                logger.warning("streamed preview not shown: %s", exc)
            shown = text
            last_edit = loop.time()
    answer, question_id = await task
    html, markup = prepare_answer(update, d, answer, question_id, question if tapped else "")
    if preview is not None:
        try:
            await preview.edit_text(html, parse_mode=ParseMode.HTML, reply_markup=markup)
            return
        except TelegramError as exc:
            logger.warning("streamed preview not replaced: %s", exc)
    await deliver(update, context, html, markup, tapped=tapped)


def prepare_answer(
    update: Update, d: Deps, answer: Answer, question_id: int, asked: str
) -> tuple[str, InlineKeyboardMarkup]:
    """The answer message (collapsed) and its keyboard; what it can expand to is kept for its
    buttons before it is sent, so a press can never arrive first."""
    lang = answer.language if answer.language in LANGUAGES else user_language(update, d)
    view = answer_view(answer, lang, asked)
    if view.expandable:
        d.answers.put(update.effective_chat.id, question_id, view)
    markup = answer_keyboard(question_id, lang, view=view, votes=answer.answered)
    return render_answer(view), markup


async def deliver(
    update: Update,
    context: Context,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    tapped: bool = False,
    parse_mode: str | None = ParseMode.HTML,
) -> Message:
    """Send to the update's chat: a reply to the founder's message, or — for a tapped
    example, whose message is the bot's own greeting — a plain message in its thread."""
    message = update.effective_message
    if not tapped and message is not None:
        return await message.reply_text(text, parse_mode=parse_mode, reply_markup=markup)
    return await context.bot.send_message(
        update.effective_chat.id,
        text,
        parse_mode=parse_mode,
        reply_markup=markup,
        message_thread_id=thread_of(message),
    )


def thread_of(message: Message | None) -> int | None:
    """The forum topic a message is in, if any."""
    return message.message_thread_id if message is not None and message.is_topic_message else None


# --- example questions -----------------------------------------------------------------------


async def example_questions(d: Deps, lang: str) -> list[str]:
    """Up to EXAMPLES_SHOWN questions from the knowledge base's headings in ``lang`` that the
    assistant answers (checked once per language and index; [] if the index cannot be read)."""
    try:
        candidates = tuple(
            await asyncio.to_thread(d.assistant.example_questions, lang, EXAMPLE_CANDIDATES)
        )
        key = (lang, candidates)
        if key not in d.examples:
            checked = await asyncio.to_thread(answered_examples, d.assistant, candidates)
            if len(d.examples) >= EXAMPLE_CACHE_SIZE:
                d.examples.clear()
            d.examples[key] = checked
    except Exception as exc:  # a greeting without examples beats no greeting
        logger.warning("example questions unavailable error=%s", type(exc).__name__,
                       exc_info=exc)  # fmt: skip
        return []
    return d.examples[key]


def answered_examples(assistant: Core, candidates: tuple[str, ...]) -> list[str]:
    """The candidates a founder's tap would get an answer to (asked exactly as the tap will
    ask them), confident answers first; at most EXAMPLES_SHOWN, in their order."""
    sure: list[str] = []
    unsure: list[str] = []
    for question in candidates:
        outcome = assistant.answer(question).outcome
        if outcome == "answered":
            sure.append(question)
            if len(sure) == EXAMPLES_SHOWN:
                break
        elif outcome == "unsure":
            unsure.append(question)
    chosen = set((sure + unsure)[:EXAMPLES_SHOWN])
    return [q for q in candidates if q in chosen]


# --- keyboards -------------------------------------------------------------------------------


def without_votes(
    message: MaybeInaccessibleMessage | None, question_id: int, view: AnswerView | None, lang: str
) -> InlineKeyboardMarkup:
    """The message's keyboard minus 👍/👎 (rebuilt without them if it is not readable)."""
    markup = message.reply_markup if isinstance(message, Message) else None
    if markup is None:
        return answer_keyboard(question_id, lang, view=view, votes=False)
    rows = [
        [b for b in row if not str(b.callback_data or "").startswith(f"{FEEDBACK_PREFIX}:")]
        for row in markup.inline_keyboard
    ]
    return InlineKeyboardMarkup([row for row in rows if row])


def keyboard_showing(
    message: MaybeInaccessibleMessage | None,
    question_id: int,
    view: AnswerView,
    shown: int,
    d: Deps,
) -> InlineKeyboardMarkup:
    """The message's keyboard with its More/Sources row set for ``shown`` and every other row
    as it is (votes already used stay gone, the hand-off stays)."""
    row = expand_row(question_id, view, shown)
    markup = message.reply_markup if isinstance(message, Message) else None
    if markup is None:  # not readable: rebuild (only answers, never declines, are kept)
        voted = bool(d.state.feedback_for(question_id))
        return answer_keyboard(question_id, view.lang, view=view, votes=not voted, shown=shown)
    rows = [
        row if any(is_expand_button(b) for b in old) else list(old)
        for old in markup.inline_keyboard
    ]
    return InlineKeyboardMarkup(rows)


def is_expand_button(button: InlineKeyboardButton) -> bool:
    """Whether a button is "More"/"Sources" (or their "Less"/"Hide" forms)."""
    return str(button.callback_data or "").startswith(f"{EXPAND_PREFIX}:")


def expand_row(question_id: int, view: AnswerView, shown: int) -> list[InlineKeyboardButton]:
    """The row of "More" (when there are details) and "Sources (n)" (when there are sources);
    each turns into "Less" / "Hide sources" while its part is shown, and carries the state
    it leads to."""
    lang, buttons = view.lang, []
    if view.details:
        label = f"{t('less', lang)} ▴" if shown & MORE else f"{t('more', lang)} ▾"
        buttons.append(
            InlineKeyboardButton(label, callback_data=expand_data(question_id, shown ^ MORE))
        )
    if view.sources:
        label = (
            t("sources_hide", lang)
            if shown & SOURCES
            else t("sources_button", lang, n=str(len(view.sources)))
        )
        buttons.append(
            InlineKeyboardButton(label, callback_data=expand_data(question_id, shown ^ SOURCES))
        )
    return buttons


def answer_keyboard(
    question_id: int,
    lang: str,
    *,
    view: AnswerView | None = None,
    votes: bool = True,
    shown: int = 0,
) -> InlineKeyboardMarkup:
    """The buttons under an answer: More / Sources (when there is something to show), 👍/👎
    (``votes``: answers only, not declines), and always "Ask a staff member"."""
    rows: list[list[InlineKeyboardButton]] = []
    expand = expand_row(question_id, view, shown) if view is not None else []
    if expand:
        rows.append(expand)
    if votes:
        rows.append(
            [
                InlineKeyboardButton("👍", callback_data=f"{FEEDBACK_PREFIX}:1:{question_id}"),
                InlineKeyboardButton("👎", callback_data=f"{FEEDBACK_PREFIX}:-1:{question_id}"),
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                t("ask_staff", lang), callback_data=f"{HANDOFF_PREFIX}:{question_id}"
            )
        ]
    )
    return InlineKeyboardMarkup(rows)
