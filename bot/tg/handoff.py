"""Hand-off to staff: the founder's question goes to the staff chat, replies come back.

The staff chat is either a forum (one topic per founder, created with createForumTopic) or a
plain group (the bot's hand-off message is the thread root; replies to it, or to any message
the bot posted for that hand-off, belong to it). Every link between a staff-chat message and
a hand-off is in the database (``StateStore.staff_thread_id`` and ``ChatStore`` staff posts),
so a restart in the middle of a conversation loses nothing.
"""

from __future__ import annotations

import contextlib
import logging
import re
from html import escape

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, TelegramError

from bot.errors import ConfigError
from bot.publish import PublishError
from bot.rag.answer import Source
from bot.rag.provenance import utc_now
from bot.state import Handoff
from bot.tg.chats import FaqDraft
from bot.tg.deps import (
    CHANNEL,
    Context,
    Deps,
    conversation_key,
    deps,
    display_name,
    is_staff,
    user_language,
)
from bot.tg.faq import MAX_QUESTION_CHARS, faq_file_stem, faq_markdown, faq_question
from bot.tg.format import pack, source_line, text_blocks
from bot.tg.i18n import LANGUAGES, t
from bot.tg.staff import follow_job, job_result_html, staff_name, undo_markup

logger = logging.getLogger(__name__)

HANDOFF_PATTERN = r"^ho:(\d+)$"
FAQ_PATTERN = r"^faq:(\d+):(\d+)$"
# The FAQ prompt's buttons: use the founder's wording as the question, or cancel.
FAQ_CHOICE_PATTERN = r"^faq(use|no):(\d+)$"
TOPIC_NAME_MAX = 128
CLIP_QUESTION = 1000
CLIP_ANSWER = 1500


# --- handlers ------------------------------------------------------------------------------


async def request_handoff(update: Update, context: Context) -> None:
    """Pass the founder's question, the bot's answer and its sources to the staff chat."""
    d, query, chat = deps(context), update.callback_query, update.effective_chat
    lang = user_language(update, d)
    match = re.match(HANDOFF_PATTERN, query.data or "")
    question = d.state.question(int(match.group(1)), conversation_key(chat.id)) if match else None
    if question is None:
        await query.answer(t("feedback_unknown", lang))
        return
    await query.answer()
    if d.settings.staff_chat_id is None:
        await context.bot.send_message(chat.id, escape(t("handoff_unavailable", lang)))
        return
    language = str(question["language"]) if question["language"] in LANGUAGES else lang
    # The founder's later messages are relayed as they come (relay_founder_message), so an
    # open hand-off is not added to here.
    opened, created = d.handoffs.open(
        CHANNEL,
        conversation_key(chat.id),
        str(question["question"]),
        answer=str(question["answer"]),
        sources=d.chats.sources(int(question["id"])),
        language=language,
        chat_id=chat.id,
    )
    if not created:
        if opened.staff_thread_id is None:  # a crash came between opening and posting
            await post_handoff(context.bot, d, opened, founder_html(update))
        await context.bot.send_message(chat.id, escape(t("handoff_already_open", lang)))
        return
    logger.info(
        "hand-off opened",
        extra={"channel": CHANNEL, "handoff_id": opened.id, "language": language},
    )
    await post_handoff(context.bot, d, opened, founder_html(update))
    await context.bot.send_message(chat.id, escape(t("handoff_opened", language)))


async def relay_staff_reply(update: Update, context: Context) -> None:
    """Relay a staff message written in a hand-off thread to the founder."""
    d, message = deps(context), update.effective_message
    if message.from_user is None or message.from_user.is_bot:
        return
    if await faq_question_reply(update, context):  # the question of an FAQ being saved
        return
    handoff = find_handoff(message, d)
    if handoff is None:  # ordinary conversation among staff
        return
    if not handoff.open:
        await message.reply_html(
            f"Hand-off #{handoff.id} is already resolved; this message was not relayed."
        )
        return
    author = f"{display_name(message.from_user)} [{message.from_user.id}]"
    text = message.text or ""  # the handler's filter lets only text messages through
    if await d.handoffs.relay(handoff, author, text):
        done = "✓ Sent to the founder."
    else:
        done = f"✓ Saved to {escape(handoff.channel)} hand-off #{handoff.id}."
    saved = latest_staff_message_id(d, handoff.id, author, text)
    button = InlineKeyboardButton("Save as FAQ", callback_data=f"faq:{handoff.id}:{saved}")
    confirmation = await message.reply_html(done, reply_markup=InlineKeyboardMarkup([[button]]))
    d.chats.remember_staff_post(confirmation.chat_id, confirmation.message_id, handoff.id)


async def resolve_handoff(update: Update, context: Context) -> None:
    """Close the hand-off of this thread (/resolve) and tell the founder."""
    d, message = deps(context), update.effective_message
    if not is_staff(update.effective_user, d.settings):
        await message.reply_html(escape(t("staff_only", user_language(update, d))))
        return
    handoff = find_handoff(message, d)
    if handoff is None:
        await message.reply_html(
            "Use /resolve inside a hand-off topic, or as a reply to a hand-off message."
        )
        return
    closed, told = await d.handoffs.resolve(handoff)
    if not closed:
        await message.reply_html(f"Hand-off #{handoff.id} was already resolved.")
        return
    also = " The founder has been told." if told else ""
    await message.reply_html(f"✓ Hand-off #{handoff.id} resolved.{also}")


async def save_faq(update: Update, context: Context) -> None:
    """"Save as FAQ" under a relayed staff answer: ask which question it answers.

    The founder's text is shown for review only: a hand-off question is anonymous input (it
    may be stuffed with keywords to take over other answers), so it becomes the FAQ's heading
    only when a staff member chooses it, or staff reply with the question in their words.
    """
    d, query, user = deps(context), update.callback_query, update.effective_user
    if not is_staff(user, d.settings):
        await query.answer(t("staff_only", user_language(update, d)), show_alert=True)
        return
    match = re.match(FAQ_PATTERN, query.data or "")
    handoff = d.state.handoff(int(match.group(1))) if match else None
    staff_answer = staff_message(d, handoff.id, int(match.group(2))) if handoff else None
    if handoff is None or staff_answer is None:
        await query.answer("That staff answer is no longer available.", show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)  # one press only: a second would duplicate
    draft = d.chats.open_faq_draft(handoff.id, int(staff_answer["id"]))
    usable = faq_question(handoff.question) is not None
    buttons = [InlineKeyboardButton("Cancel", callback_data=f"faqno:{draft}")]
    if usable:
        buttons.insert(
            0, InlineKeyboardButton("Use the founder's wording", callback_data=f"faquse:{draft}")
        )
    prompt = await query.message.reply_html(
        faq_prompt_html(handoff.question, usable), reply_markup=InlineKeyboardMarkup([buttons])
    )
    d.chats.set_faq_prompt(draft, prompt.chat_id, prompt.message_id)


def faq_prompt_html(founder_text: str, usable: bool) -> str:
    """The bot's question to staff: which question does the saved answer answer?"""
    lines = [
        "📝 <b>Save as FAQ: which question does this answer answer?</b>",
        "Founders' questions are matched against it, and it becomes the FAQ's heading.",
        "",
        "The founder wrote (shown for your review; it is not used unless you choose it):",
        f"<blockquote>{escape(clip(founder_text, CLIP_QUESTION))}</blockquote>",
        "",
        f"<b>Reply to this message</b> with the question as founders would ask it "
        f"(one line, at most {MAX_QUESTION_CHARS} characters)"
        + (", or use the founder's wording as it is." if usable else "."),
    ]
    if not usable:
        lines.append(
            f"<i>The founder's text cannot be a heading as it is (over {MAX_QUESTION_CHARS} "
            "characters, or too short).</i>"
        )
    return "\n".join(lines)


async def choose_faq_wording(update: Update, context: Context) -> None:
    """The FAQ prompt's buttons: the founder's wording as the question, or cancel."""
    d, query, user = deps(context), update.callback_query, update.effective_user
    if not is_staff(user, d.settings):
        await query.answer(t("staff_only", user_language(update, d)), show_alert=True)
        return
    match = re.match(FAQ_CHOICE_PATTERN, query.data or "")
    draft = d.chats.faq_draft(int(match.group(2))) if match else None
    if draft is None or draft.state != "open":
        await query.answer("This FAQ was already saved or cancelled.", show_alert=True)
        return
    if match.group(1) == "no":
        await query.answer()
        if d.chats.close_faq_draft(draft.id, "cancelled"):
            await query.edit_message_text("FAQ not saved.")
        return
    handoff = d.state.handoff(draft.handoff_id)
    question = faq_question(handoff.question) if handoff else None
    if question is None:
        await query.answer("Reply with the question instead.", show_alert=True)
        return
    await query.answer("Saving as FAQ…")
    await publish_faq(d, draft, question, staff_name(user), query.message)


async def faq_question_reply(update: Update, context: Context) -> bool:
    """A staff reply to an FAQ prompt: the question, in the staff member's words. True when
    the message was such a reply (it is then never relayed to the founder)."""
    d, message = deps(context), update.effective_message
    reply = message.reply_to_message
    if reply is None:
        return False
    draft = d.chats.faq_draft_of_prompt(message.chat_id, reply.message_id)
    if draft is None:
        return False
    if not is_staff(message.from_user, d.settings):
        await message.reply_html("Only staff on STAFF_USER_IDS can save FAQs; nothing was saved.")
        return True
    if draft.state != "open":
        await message.reply_html("This FAQ was already saved or cancelled; nothing changed.")
        return True
    question = faq_question(message.text)
    if question is None:
        await message.reply_html(escape(
            f"Please reply with the question in one line of 5 to {MAX_QUESTION_CHARS} "
            "characters; nothing was saved yet."
        ))  # fmt: skip
        return True
    await publish_faq(d, draft, question, staff_name(message.from_user), message)
    return True


async def publish_faq(d: Deps, draft: FaqDraft, question: str, by: str, where: Message) -> None:
    """Write the staff answer under the confirmed question to knowledge/faq/ and index it."""
    handoff = d.state.handoff(draft.handoff_id)
    answer = staff_message(d, draft.handoff_id, draft.staff_message_id) if handoff else None
    if handoff is None or answer is None:
        await where.reply_html("That staff answer is no longer available; nothing was saved.")
        return
    if not d.chats.close_faq_draft(draft.id, "saved"):  # a second click or reply: once only
        await where.reply_html("This FAQ was already saved or cancelled; nothing changed.")
        return
    if draft.chat_id is not None and draft.prompt_message_id is not None:
        with contextlib.suppress(TelegramError):
            await where.get_bot().edit_message_reply_markup(
                draft.chat_id, draft.prompt_message_id, reply_markup=None
            )
    now = utc_now()
    text = faq_markdown(question, str(answer["text"]), handoff.language, by, now)
    try:
        job = d.publisher.save_faq(
            text, faq_file_stem(question, now), by, "telegram_faq"
        )
    except PublishError as exc:
        await where.reply_html(escape(f"Not saved: {exc.message}"))
        return
    status = await where.reply_html(f"⏳ Saving as FAQ: “{escape(question)}”…")
    await follow_job(status, job)
    head = "✓ Saved as FAQ" if job.state == "done" else "✗ FAQ not saved"
    await where.reply_html(
        f"{head}: “{escape(question)}”\n{job_result_html(job)}", reply_markup=undo_markup(job)
    )


# --- the founder's side of staff answers --------------------------------------------------


class TelegramFounders:
    """How hand-offs opened in Telegram hear back (registered with ``Handoffs.connect``)."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def staff_reply(self, handoff: Handoff, text: str) -> bool:
        """Send a staff answer to the founder's chat, under a "staff says" header."""
        if handoff.chat_id is None:
            return False
        header = f"💬 <b>{escape(t('staff_says', handoff.language))}</b>"
        for html in pack([header, *text_blocks(text)]):
            await self._bot.send_message(handoff.chat_id, html)
        return True

    async def resolved(self, handoff: Handoff) -> bool:
        """Tell the founder their hand-off is closed."""
        if handoff.chat_id is None:
            return False
        await self._bot.send_message(
            handoff.chat_id, escape(t("handoff_resolved", handoff.language))
        )
        return True


# --- the staff chat ------------------------------------------------------------------------


class TelegramStaffNotifier:
    """Posts hand-offs from other channels (the web widget) to the staff chat."""

    def __init__(self, bot: Bot, d: Deps) -> None:
        self._bot = bot
        self._deps = d

    async def notify_handoff(self, handoff: Handoff) -> None:
        """Post ``handoff`` (with the visitor's contact) to the staff chat."""
        if self._deps.settings.staff_chat_id is None:
            raise ConfigError("STAFF_CHAT_ID is not set: no staff chat to post hand-offs to")
        who = f"{escape(handoff.channel)} visitor · contact: {escape(handoff.contact or 'none')}"
        await post_handoff(self._bot, self._deps, handoff, who)

    async def __call__(self, handoff: Handoff) -> None:
        """Same as ``notify_handoff``: the web app takes any ``async (Handoff) -> None``."""
        await self.notify_handoff(handoff)


async def relay_founder_message(
    update: Update, context: Context, handoff: Handoff, text: str
) -> None:
    """Forward a founder's message to the staff thread of their open hand-off."""
    d = deps(context)
    if handoff.staff_thread_id is None:  # opened but never posted (crash in between)
        await post_handoff(context.bot, d, handoff, founder_html(update))
        handoff = d.state.handoff(handoff.id) or handoff
    d.state.add_handoff_message(handoff.id, "founder", display_name(update.effective_user), text)
    header = f"👤 {founder_html(update)} · hand-off #{handoff.id}:"
    for html in pack([header, *text_blocks(text)]):
        await send_to_thread(context.bot, d, handoff, html)


async def post_handoff(bot: Bot, d: Deps, handoff: Handoff, who: str) -> None:
    """Open the hand-off's thread in the staff chat (topic or root message) and remember it."""
    staff_chat = d.settings.staff_chat_id
    forum = await staff_chat_is_forum(bot, d)
    parts = pack(handoff_card(handoff, who, forum))
    if forum:
        topic = d.chats.staff_topic(handoff.chat_id) if handoff.chat_id is not None else None
        root: Message | None = None
        if topic is not None:
            try:
                root = await bot.send_message(staff_chat, parts[0], message_thread_id=topic)
            except BadRequest as exc:  # staff deleted or closed the topic: open a new one
                logger.info("staff topic unusable topic=%s error=%s", topic, exc.message)
        if root is None:
            topic = await open_topic(bot, d, handoff)
            root = await bot.send_message(staff_chat, parts[0], message_thread_id=topic)
        thread = topic
    else:
        root = await bot.send_message(staff_chat, parts[0])
        thread = root.message_id
    d.chats.remember_staff_post(staff_chat, root.message_id, handoff.id)
    d.state.set_staff_thread(handoff.id, thread)
    handoff.staff_thread_id = thread
    for html in parts[1:]:
        await send_to_thread(bot, d, handoff, html)


async def open_topic(bot: Bot, d: Deps, handoff: Handoff) -> int:
    """Create the founder's forum topic (reused for their later hand-offs)."""
    if handoff.channel == CHANNEL:
        name = f"{handoff.question[:60]} · {handoff.conversation}"
    else:
        name = f"{handoff.channel} #{handoff.id} · {handoff.contact or 'no contact'}"
    topic = await bot.create_forum_topic(d.settings.staff_chat_id, name[:TOPIC_NAME_MAX])
    if handoff.channel == CHANNEL and handoff.chat_id is not None:
        d.chats.set_staff_topic(handoff.chat_id, topic.message_thread_id)
    return topic.message_thread_id


async def send_to_thread(bot: Bot, d: Deps, handoff: Handoff, html: str) -> Message:
    """Post into the hand-off's thread: its forum topic, or as a reply to its root message."""
    staff_chat = d.settings.staff_chat_id
    if await staff_chat_is_forum(bot, d):
        sent = await bot.send_message(staff_chat, html, message_thread_id=handoff.staff_thread_id)
    else:
        sent = await bot.send_message(
            staff_chat,
            html,
            reply_parameters=ReplyParameters(
                handoff.staff_thread_id, allow_sending_without_reply=True
            ),
        )
    d.chats.remember_staff_post(staff_chat, sent.message_id, handoff.id)
    return sent


async def staff_chat_is_forum(bot: Bot, d: Deps) -> bool:
    """Whether the staff chat has forum topics (asked once per process with getChat)."""
    if d.staff_chat_is_forum is None:
        chat = await bot.get_chat(d.settings.staff_chat_id)
        d.staff_chat_is_forum = bool(chat.is_forum)
    return d.staff_chat_is_forum


def find_handoff(message: Message, d: Deps) -> Handoff | None:
    """The hand-off a staff-chat message belongs to: by forum topic, or by what it replies to."""
    if message.is_topic_message and message.message_thread_id:
        return d.state.handoff_by_thread(message.message_thread_id)
    reply = message.reply_to_message
    if reply is not None:
        handoff_id = d.chats.handoff_of_post(message.chat_id, reply.message_id)
        found = d.state.handoff(handoff_id) if handoff_id else None
        found = found or d.state.handoff_by_thread(reply.message_id)
        if found is not None:
            return found
    if message.message_thread_id:  # supergroups give reply chains their root as thread id
        return d.state.handoff_by_thread(message.message_thread_id)
    return None


def staff_message(d: Deps, handoff_id: int, message_id: int) -> dict[str, object] | None:
    """One logged staff message of a hand-off, by its id."""
    for row in d.state.handoff_messages(handoff_id):
        if row["id"] == message_id and row["direction"] == "staff":
            return row
    return None


def latest_staff_message_id(d: Deps, handoff_id: int, author: str, text: str) -> int:
    """The id of the staff message just logged (for its "Save as FAQ" button)."""
    for row in reversed(d.state.handoff_messages(handoff_id)):
        if (
            row["direction"] == "staff"
            and row["author"] == author[:128]
            and row["text"] == text[:8000]
        ):
            return int(row["id"])
    raise LookupError(f"staff message of hand-off {handoff_id} was not stored")


def founder_html(update: Update) -> str:
    """The founder as a clickable mention plus their chat key."""
    user, chat = update.effective_user, update.effective_chat
    name = user.mention_html(display_name(user)) if user else "unknown"
    return f"{name} · {escape(conversation_key(chat.id))}" if chat else name


def handoff_card(handoff: Handoff, who: str, forum: bool) -> list[str]:
    """The blocks of the staff-chat post: who asked, the question, the bot's answer, sources."""
    blocks = [
        f"🙋 <b>Hand-off #{handoff.id}</b> · {who} · language {escape(handoff.language)}",
        f"<b>Question</b>\n{escape(clip(handoff.question, CLIP_QUESTION))}",
    ]
    if handoff.contact:
        blocks.append(f"<b>Contact</b>\n{escape(handoff.contact)}")
    if handoff.answer:
        blocks.append(f"<b>Bot's answer</b>\n{escape(clip(handoff.answer, CLIP_ANSWER))}")
    sources = [source_line(source_from_dict(s), "en") for s in handoff.sources]
    if sources:
        blocks.append("<b>Sources</b>\n" + "\n".join(sources))
    where = "Write in this topic" if forum else "Reply to this message"
    blocks.append(f"<i>{where} to answer the founder; /resolve there closes the hand-off.</i>")
    return blocks


def _number(value: object) -> float:
    """A stored score: a number, else 0 (older records and hand-written JSON)."""
    return float(value) if isinstance(value, int | float | str) and value != "" else 0.0


def source_from_dict(data: dict[str, object]) -> Source:
    """A Source from its stored JSON form."""
    return Source(
        title=str(data.get("title", "")),
        source=str(data.get("source", "")),
        section=str(data.get("section", "")),
        snippet="",
        score=_number(data.get("score")),
        language=str(data.get("language", "")),
        last_verified=str(data.get("last_verified", "")),
        origin=str(data.get("origin", "")),
        added_on=str(data.get("added_on", "")),
    )


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
