"""The FastAPI app of the web channel: widget, demo page, JSON API, admin API, metrics, webhooks.

``create_app`` only assembles: middleware, error handlers and one router per concern —
questions (bot/web/ask.py), feedback and hand-offs (feedback.py), operations
(operations.py), pages (pages.py), admin (admin.py) and channels' webhooks (webhooks.py).
Routes stay thin: validate, call the core (off the event loop), log, format as JSON. The core
never sees HTTP; this package never touches Chroma, embeddings or prompts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

from bot.config import Settings
from bot.core import Core
from bot.errors import StoreUnavailable
from bot.handoffs import Handoffs
from bot.metrics import Metrics
from bot.outbox import Notifier
from bot.publish import Publisher
from bot.rag.answer import UNAVAILABLE, message
from bot.ratelimit import SlidingWindowLimiter
from bot.state import StateStore
from bot.web.admin import admin_router
from bot.web.ask import ask_router
from bot.web.clients import ProxyHeadersMiddleware
from bot.web.conversations import ConversationIds, load_key
from bot.web.feedback import feedback_router
from bot.web.metrics import MetricsMiddleware
from bot.web.operations import operations_router
from bot.web.pages import STATIC_DIR, pages_router
from bot.web.security import BodyLimitMiddleware, SecurityHeadersMiddleware, security_headers
from bot.web.webhooks import Webhook, webhook_router

logger = logging.getLogger(__name__)

ASK_BODY_LIMIT = 8 * 1024
# Where /docs loads Swagger UI from (the files fastapi-offline ships).
DOCS_ASSETS = "/docs-assets"


def _validation_detail(exc: RequestValidationError) -> str:
    """One readable line from pydantic's error list."""
    parts = []
    for error in exc.errors():
        location = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        text = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        if error.get("type") == "json_invalid":
            parts.append("request body is not valid JSON")
        elif not location:
            parts.append("request body must be a JSON object")
        elif error.get("type") == "missing":
            parts.append(f"{location} is required")
        else:
            parts.append(f"{location}: {text}" if location else text)
    return "; ".join(parts) or "invalid request"


def create_app(
    settings: Settings,
    assistant: Core,
    state: StateStore,
    *,
    notifier: Notifier | None = None,
    webhooks: Sequence[Webhook] = (),
    metrics: Metrics | None = None,
    publisher: Publisher | None = None,
    handoffs: Handoffs | None = None,
) -> FastAPI:
    """Build the web app around one assistant and state store.

    The service passes the ``metrics``, ``publisher`` and ``handoffs`` it shares with the
    other channels; an app built alone (tests) makes its own. ``notifier`` posts new
    hand-offs to staff; ``webhooks`` are other channels' inbound routes.
    """
    app = _new_app(
        settings.api_docs,
        title="Seoul Startup Hub Ho Chi Minh assistant",
        summary="Answers founders' questions from the programme documents, with sources.",
        version="1.0",
    )
    metrics = metrics if metrics is not None else Metrics()
    metrics.watch(assistant)
    publisher = publisher if publisher is not None else Publisher(assistant, metrics)
    handoffs = handoffs if handoffs is not None else Handoffs(state, metrics)
    if notifier is not None:
        handoffs.notify_with(notifier)
    ask_limiter = SlidingWindowLimiter(settings.ask_rate_per_minute, 60.0)
    app.state.settings = settings
    app.state.assistant = assistant
    app.state.state = state
    app.state.metrics = metrics
    app.state.publisher = publisher
    app.state.ask_limiter = ask_limiter
    app.state.outbox = handoffs.outbox
    # Conversation ids are the server's (signed): a client cannot pick another visitor's.
    secret = settings.conversation_secret
    conversations = ConversationIds(
        load_key(secret.get_secret_value() if secret else None, settings.data_dir)
    )

    # Added innermost first: the body limit runs after CORS (so a 413 still carries CORS
    # headers), metrics see every response, security headers wrap everything.
    limits = {
        path: ASK_BODY_LIMIT
        for path in ("/api/ask", "/api/ask/stream", "/api/feedback", "/api/handoff")
    }
    limits.update({hook.path: hook.body_limit for hook in webhooks})
    app.add_middleware(BodyLimitMiddleware, limits=limits)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.allowed_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        expose_headers=["Retry-After"],
        max_age=600,
    )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(SecurityHeadersMiddleware)
    # Outermost: every layer inside (limits, HSTS, logs) sees the real client and scheme.
    app.add_middleware(ProxyHeadersMiddleware, trusted=settings.trusted_proxies)
    _install_error_handlers(app)

    app.include_router(ask_router(assistant, state, metrics, conversations, ask_limiter))
    app.include_router(feedback_router(state, metrics, conversations, handoffs))
    app.include_router(operations_router(settings, assistant, metrics))
    app.include_router(admin_router(settings, assistant, state, metrics, publisher))
    for hook in webhooks:
        app.include_router(webhook_router(hook))
    app.include_router(pages_router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _new_app(docs: bool, **options: Any) -> FastAPI:
    """The app; with ``docs``, /docs (Swagger UI) loads its script and styles from this
    server (fastapi-offline ships them), never from a CDN, so it works offline. ReDoc is off:
    its bundle fetches its own logo from the ReDoc CDN."""
    if not docs:
        return FastAPI(docs_url=None, redoc_url=None, **options)
    return FastAPIOffline(
        redoc_url=None,
        static_url=DOCS_ASSETS,
        favicon_url="data:,",
        # No "valid" badge fetched from the public validator: nothing leaves this server.
        swagger_ui_parameters={"validatorUrl": None},
        **options,
    )


def _install_error_handlers(app: FastAPI) -> None:
    """Every error is {"detail": "..."} JSON; never a traceback."""

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_detail(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(StoreUnavailable)
    async def store_down(_request: Request, _exc: StoreUnavailable) -> JSONResponse:
        return JSONResponse({"detail": message(UNAVAILABLE, "en")}, status_code=503)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        logger.error(
            "unhandled error on %s %s", request.method, request.url.path,
            exc_info=(type(exc), exc, exc.__traceback__),
        )  # fmt: skip
        # This handler runs outside the user middleware, so add the headers here.
        return JSONResponse(
            {"detail": "internal error"}, status_code=500, headers=security_headers()
        )
