"""What every handler shares: the core, the state stores, and small helpers about chats."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from telegram import Bot, Chat, Update, User
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.config import Settings
from bot.core import Core
from bot.handoffs import Handoffs
from bot.metrics import Metrics
from bot.publish import Publisher
from bot.state import StateStore
from bot.tg.chats import ChatStore
from bot.tg.expand import AnswerViews
from bot.tg.i18n import FALLBACK_LANGUAGE, normalise_language
from bot.tg.ratelimit import UserRateLimiter

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
# Telegram shows "typing…" for 5 s; refresh a little before it fades while an answer is slow.
TYPING_REFRESH_SECONDS = 4.5

Context = ContextTypes.DEFAULT_TYPE


@dataclass
class Deps:
    """The channel's collaborators, stored once in ``application.bot_data``."""

    settings: Settings
    assistant: Core
    state: StateStore
    chats: ChatStore
    limiter: UserRateLimiter
    # Shared with the web app: one registry for the whole process.
    metrics: Metrics
    # The service's queue of staff changes (shared with the web admin API).
    publisher: Publisher
    # The hand-off rules (shared with the web app).
    handoffs: Handoffs
    # A property of the staff chat (not of any conversation), so caching it in memory is safe.
    staff_chat_is_forum: bool | None = None
    # What "More" / "Sources" expand to, for recent answers (bounded; lost on restart, and a
    # press then says the answer has expired).
    answers: AnswerViews = field(default_factory=AnswerViews)
    # /start's example questions per language, checked to be answered; keyed by the
    # candidate headings too, so a re-index that changes them checks again.
    examples: dict[tuple[str, tuple[str, ...]], list[str]] = field(default_factory=dict)


def deps(context: Context) -> Deps:
    """The shared collaborators of this application."""
    return context.bot_data["deps"]


def conversation_key(chat_id: int) -> str:
    """The state-DB conversation key of a Telegram chat."""
    return f"tg:{chat_id}"


def is_staff(user: User | None, settings: Settings) -> bool:
    """Whether ``user`` is on the STAFF_USER_IDS allowlist."""
    return user is not None and user.id in settings.staff_user_ids


def is_staff_chat(chat: Chat | None, settings: Settings) -> bool:
    """Whether ``chat`` is the configured staff chat."""
    return (
        chat is not None
        and settings.staff_chat_id is not None
        and chat.id == settings.staff_chat_id
    )


def user_language(update: Update, d: Deps) -> str:
    """The chat's /lang choice, else the user's Telegram language, else Korean."""
    chat, user = update.effective_chat, update.effective_user
    chosen = d.chats.language(chat.id) if chat else None
    return chosen or normalise_language(user.language_code if user else None) or FALLBACK_LANGUAGE


def safe_user_language(update: object, d: Deps) -> str:
    """``user_language`` that never raises (for the error handler, when the DB may be down)."""
    if not isinstance(update, Update):
        return FALLBACK_LANGUAGE
    try:
        return user_language(update, d)
    except Exception:  # noqa: BLE001 - the error handler must still answer
        user = update.effective_user
        return normalise_language(user.language_code if user else None) or FALLBACK_LANGUAGE


def display_name(user: User | None) -> str:
    """A short human label for a Telegram user."""
    if user is None:
        return "unknown"
    name = user.full_name or str(user.id)
    return f"{name} (@{user.username})" if user.username else name


@contextlib.asynccontextmanager
async def typing(bot: Bot, chat_id: int, thread_id: int | None = None) -> AsyncIterator[None]:
    """Show "typing…" in the chat while the body runs (sent once now, refreshed if slow)."""
    done = asyncio.Event()

    async def send() -> None:
        with contextlib.suppress(TelegramError):  # cosmetic: never fail an answer over it
            await bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=thread_id)

    async def refresh() -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), TYPING_REFRESH_SECONDS)
                return
            await send()

    await send()
    refresher = asyncio.create_task(refresh())
    try:
        yield
    finally:
        done.set()
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher
