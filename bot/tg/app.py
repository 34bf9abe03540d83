"""The Telegram application: handler table, error handler, and the service the runner starts.

``build_application`` reads like a table of contents; ``TelegramService`` runs it inside the
caller's event loop (next to uvicorn): long polling by default, a webhook when
TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET are set.
"""

from __future__ import annotations

import contextlib
import logging
from html import escape

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.core import Core
from bot.errors import ConfigError
from bot.handoffs import Handoffs
from bot.logs import RedactingFilter, cap_payload_loggers
from bot.metrics import Metrics
from bot.publish import Publisher
from bot.state import StateStore
from bot.tg import handoff, staff
from bot.tg.chats import ChatStore
from bot.tg.deps import Context, Deps, is_staff_chat, safe_user_language
from bot.tg.expand import EXPAND_PATTERN
from bot.tg.handlers import founders
from bot.tg.i18n import t
from bot.tg.ratelimit import UserRateLimiter
from bot.web.webhooks import UpdateHandler, Webhook

logger = logging.getLogger(__name__)

# How many updates are handled at once; answering itself runs in worker threads.
CONCURRENT_UPDATES = 16
# AIORateLimiter paces sends (30/s overall, 20/min per group) but by default gives up on
# the first RetryAfter; retry a few times so a 429 delays an answer instead of losing it.
MAX_RETRIES_ON_429 = 5
POLL_TIMEOUT_SECONDS = 30
WEBHOOK_PATH = "/telegram/webhook"
# Telegram sends TELEGRAM_WEBHOOK_SECRET in this header with every pushed update.
SECRET_HEADER = "x-telegram-bot-api-secret-token"
FOUNDER_COMMANDS = [("start", "Start / what I know"), ("help", "Help"), ("lang", "Language")]


def build_application(
    settings: Settings,
    assistant: Core,
    state: StateStore,
    metrics: Metrics | None = None,
    publisher: Publisher | None = None,
    handoffs: Handoffs | None = None,
) -> Application:
    """The bot with every handler registered (first match wins within the group).

    The service passes the ``metrics``, ``publisher`` and ``handoffs`` it shares with the web
    app; a bot built alone (tests) makes its own.
    """
    metrics = metrics if metrics is not None else Metrics()
    metrics.watch(assistant)
    handoffs = handoffs if handoffs is not None else Handoffs(state, metrics)
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    if not token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
    webhook_mode(settings)  # fail early on a half-configured webhook
    guard_logs([token, secret_value(settings)])

    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_base_url)
        .base_file_url(file_url_for(settings.telegram_base_url))
        .defaults(Defaults(parse_mode=ParseMode.HTML, allow_sending_without_reply=True,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .concurrent_updates(CONCURRENT_UPDATES)
        .rate_limiter(AIORateLimiter(max_retries=MAX_RETRIES_ON_429))
        .build()
    )  # fmt: skip
    # Staff answers and the closing note of hand-offs opened here come back through the bot.
    handoffs.connect(handoff.CHANNEL, handoff.TelegramFounders(application.bot))
    application.bot_data["deps"] = Deps(
        settings=settings,
        assistant=assistant,
        state=state,
        chats=ChatStore(state.engine),
        limiter=UserRateLimiter(settings.user_rate_per_minute),
        metrics=metrics,
        publisher=publisher or Publisher(assistant, metrics),
        handoffs=handoffs,
    )
    new = filters.UpdateType.MESSAGE  # edits of old messages are not answered again
    in_staff_chat = filters.Chat(chat_id=settings.staff_chat_id or [])  # empty: matches nothing
    documents_welcome = filters.ChatType.PRIVATE | in_staff_chat

    application.add_handlers([
        # Buttons under answers and relayed staff replies.
        CallbackQueryHandler(founders.rate_answer, pattern=founders.FEEDBACK_PATTERN),
        CallbackQueryHandler(founders.expand_answer, pattern=EXPAND_PATTERN),
        CallbackQueryHandler(founders.ask_example, pattern=founders.EXAMPLE_PATTERN),
        CallbackQueryHandler(handoff.request_handoff, pattern=handoff.HANDOFF_PATTERN),
        CallbackQueryHandler(handoff.save_faq, pattern=handoff.FAQ_PATTERN),
        CallbackQueryHandler(handoff.choose_faq_wording, pattern=handoff.FAQ_CHOICE_PATTERN),
        CallbackQueryHandler(staff.undo_button, pattern=staff.UNDO_PATTERN),
        # Founders' commands.
        CommandHandler(["start", "help"], founders.greet, filters=new),
        CommandHandler("lang", founders.choose_language, filters=new),
        # Staff: hand-off threads and the knowledge base.
        CommandHandler("resolve", handoff.resolve_handoff, filters=new & in_staff_chat),
        CommandHandler("sources", staff.list_sources, filters=new),
        CommandHandler("reindex", staff.reindex, filters=new),
        CommandHandler("changes", staff.list_changes, filters=new),
        CommandHandler("undo", staff.undo_last, filters=new),
        CommandHandler("gaps", staff.show_gaps, filters=new),
        CommandHandler("stats", staff.show_stats, filters=new),
        MessageHandler(new & filters.Document.ALL & documents_welcome, staff.receive_document),
        MessageHandler(new & in_staff_chat & filters.TEXT & ~filters.COMMAND,
                       handoff.relay_staff_reply),
        # Founders' questions (after the staff chat, which the bot never answers).
        MessageHandler(new & filters.TEXT & ~filters.COMMAND, founders.answer_question),
        MessageHandler(new & filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL,
                       founders.ask_for_text),
    ])  # fmt: skip
    application.add_error_handler(report_error)
    return application


async def report_error(update: object, context: Context) -> None:
    """Log the failure once and give the user a polite reply in their language."""
    error = context.error
    logger.error(
        "telegram update failed error=%s update_id=%s",
        type(error).__name__,
        getattr(update, "update_id", None),
        exc_info=error,
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    d: Deps = context.bot_data["deps"]
    if isinstance(error, TelegramError) and is_staff_chat(update.effective_chat, d.settings):
        return  # the staff chat itself is failing: replying there would fail the same way
    lang = safe_user_language(update, d)
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(update.effective_chat.id, escape(t("error", lang)))


# --- running ---------------------------------------------------------------------------------


class TelegramService:
    """Starts and stops the bot inside the caller's event loop; feeds it webhook updates."""

    def __init__(
        self,
        settings: Settings,
        assistant: Core,
        state: StateStore,
        metrics: Metrics | None = None,
        publisher: Publisher | None = None,
        handoffs: Handoffs | None = None,
    ) -> None:
        self.settings = settings
        self.application = build_application(
            settings, assistant, state, metrics, publisher, handoffs
        )
        self.webhook = webhook_mode(settings)

    @property
    def metrics(self) -> Metrics:
        """The metrics this bot records into (pass them to ``create_app`` to share)."""
        return self.application.bot_data["deps"].metrics

    @property
    def notifier(self) -> handoff.TelegramStaffNotifier | None:
        """Posts web-widget hand-offs to the staff chat (``await notifier(handoff)``); None
        without STAFF_CHAT_ID."""
        if self.settings.staff_chat_id is None:
            return None
        return handoff.TelegramStaffNotifier(
            self.application.bot, self.application.bot_data["deps"]
        )

    async def start(self) -> None:
        """Initialise, start handling updates, then poll or register the webhook."""
        app = self.application
        await app.initialize()
        await app.start()
        with contextlib.suppress(TelegramError):  # a command menu is nice, never required
            await app.bot.set_my_commands(FOUNDER_COMMANDS)
        if self.webhook:
            await app.bot.set_webhook(
                url=self.settings.telegram_webhook_url,
                secret_token=secret_value(self.settings),
                allowed_updates=Update.ALL_TYPES,
                max_connections=CONCURRENT_UPDATES,
            )
            logger.info("telegram started mode=webhook bot=@%s", app.bot.username)
        else:
            await app.updater.start_polling(
                timeout=POLL_TIMEOUT_SECONDS,
                allowed_updates=Update.ALL_TYPES,
                error_callback=log_polling_error,
            )
            logger.info("telegram started mode=polling bot=@%s", app.bot.username)

    async def stop(self) -> None:
        """Stop polling, finish the updates in hand, and release connections."""
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def process_webhook_update(self, data: dict) -> None:
        """Queue one update from the web app's webhook route (which checks the secret header);
        TypeError/ValueError if ``data`` is not an update."""
        if not isinstance(data, dict):
            raise TypeError(f"a Telegram update is a JSON object, not {type(data).__name__}")
        if not isinstance(data.get("update_id"), int):
            raise TypeError("not a Telegram update: no integer update_id")
        try:
            update = Update.de_json(data, self.application.bot)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a Telegram update ({type(exc).__name__})") from exc
        await self.application.update_queue.put(update)


    def web_hook(self) -> Webhook:
        """The web app's route for this bot's pushed updates (webhook mode)."""
        return telegram_webhook(self.settings, self.process_webhook_update)


def telegram_webhook(settings: Settings, handle: UpdateHandler) -> Webhook:
    """The web app's route for Telegram's pushed updates: ``handle`` gets each one whose
    secret header matches TELEGRAM_WEBHOOK_SECRET (ConfigError when that is unset)."""
    secret = secret_value(settings)
    if not secret:
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET must be set when the Telegram webhook is served over HTTP"
        )
    return Webhook("telegram", WEBHOOK_PATH, SECRET_HEADER, secret.encode(), handle)


def log_polling_error(error: TelegramError) -> None:
    """Log a failed getUpdates (PTB retries by itself) without a traceback per retry."""
    logger.warning("telegram polling failed error=%s detail=%s", type(error).__name__, error)


# --- settings helpers ------------------------------------------------------------------------


def webhook_mode(settings: Settings) -> bool:
    """True when both webhook settings are set; ConfigError when only one is."""
    url, secret = settings.telegram_webhook_url, secret_value(settings)
    if bool(url) != bool(secret):
        missing = "TELEGRAM_WEBHOOK_SECRET" if url else "TELEGRAM_WEBHOOK_URL"
        raise ConfigError(f"{missing} must be set together with the other webhook setting")
    return bool(url)


def secret_value(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET as text ("" when unset)."""
    secret = settings.telegram_webhook_secret
    return secret.get_secret_value() if secret else ""


def file_url_for(base_url: str) -> str:
    """The file-download URL that goes with a Bot API URL (".../bot" → ".../file/bot")."""
    head, sep, tail = base_url.rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else base_url.rstrip("/") + "/file/bot"


# --- keeping the token out of logs -----------------------------------------------------------

_redactor = RedactingFilter([])
# Loggers that see request URLs (the token is part of every Bot API URL) or our own records.
_GUARDED_PREFIXES = ("telegram", "httpx", "httpcore", "bot", "apscheduler")


def guard_logs(secrets: list[str]) -> None:
    """Silence URL logging below WARNING and redact ``secrets`` in every related logger.

    A filter on a logger only sees records created by that very logger, so it is added to
    each existing logger under the guarded prefixes (all are created at import time).
    """
    for name in ("httpx", "httpcore"):
        quiet = logging.getLogger(name)
        if quiet.getEffectiveLevel() < logging.WARNING:
            quiet.setLevel(logging.WARNING)
    cap_payload_loggers()  # PTB's DEBUG lines carry whole updates and messages
    for secret in secrets:
        if secret and secret not in _redactor.secrets:
            _redactor.secrets.append(secret)
    names = {n for n in logging.root.manager.loggerDict if n.split(".")[0] in _GUARDED_PREFIXES}
    for name in names | set(_GUARDED_PREFIXES):
        target = logging.getLogger(name)
        if _redactor not in target.filters:
            target.addFilter(_redactor)
