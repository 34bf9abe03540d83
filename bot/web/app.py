"""The FastAPI app of the web channel: widget, demo page, JSON API, admin API, metrics, webhook.

Routes stay thin: validate, call the core (off the event loop), log, format as JSON. The core
never sees HTTP; this module never touches Chroma, embeddings or prompts.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

from bot.config import Settings
from bot.errors import ConfigError, StoreUnavailable
from bot.languages import CODES
from bot.languages import normalise as _language
from bot.metrics import Metrics, metrics_for, timed_answer, use_metrics
from bot.rag.answer import UNAVAILABLE, Answer, message
from bot.rag.assistant import Assistant
from bot.rag.text import detect_language
from bot.state import Handoff, StateStore
from bot.web.admin import admin_router
from bot.web.clients import ProxyHeadersMiddleware, internal_client
from bot.web.conversations import ConversationIds, load_key
from bot.web.examples import ExampleQuestions
from bot.web.metrics import MetricsMiddleware
from bot.web.outbox import HandoffOutbox
from bot.web.ratelimit import SlidingWindowLimiter, retry_after_header
from bot.web.schemas import (
    AskRequest,
    AskResponse,
    ErrorResponse,
    ExamplesResponse,
    FeedbackRequest,
    FeedbackResponse,
    HandoffRequest,
    HandoffResponse,
)
from bot.web.security import (
    PAGE_CSP,
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
    security_headers,
)
from bot.web.widget import widget_script

logger = logging.getLogger(__name__)

Notifier = Callable[[Handoff], Awaitable[None]]
TelegramWebhook = Callable[[dict[str, Any]], Awaitable[None]]

ASK_BODY_LIMIT = 8 * 1024
WEBHOOK_BODY_LIMIT = 1024 * 1024
# Hand-offs reach people, so they are limited far below questions.
HANDOFFS_PER_HOUR = 5
FEEDBACK_PER_MINUTE = 60
# A supported language code, exactly (the widget's greeting asks for one).
CODE_PATTERN = f"^(?:{'|'.join(CODES)})$"
STATIC_DIR = Path(str(resources.files("bot.web") / "static"))
# Where /docs loads Swagger UI from (the files fastapi-offline ships).
DOCS_ASSETS = "/docs-assets"

_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "request body over 8 KB"},
    422: {"model": ErrorResponse, "description": "invalid request"},
    429: {"model": ErrorResponse, "description": "rate limit; see Retry-After"},
}


def _client_ip(request: Request) -> str:
    # The peer, or the X-Forwarded-For client when the peer is in TRUSTED_PROXIES
    # (bot/web/clients.py); uvicorn itself is told to trust no proxy headers.
    return request.client.host if request.client else "unknown"


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
    assistant: Assistant,
    state: StateStore,
    *,
    notifier: Notifier | None = None,
    telegram_webhook: TelegramWebhook | None = None,
    metrics: Metrics | None = None,
) -> FastAPI:
    """Build the web app around one assistant and state store.

    ``metrics`` defaults to the assistant's shared object (the Telegram bot uses it too).
    """
    if telegram_webhook is not None and not (
        settings.telegram_webhook_secret and settings.telegram_webhook_secret.get_secret_value()
    ):
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET must be set when the Telegram webhook is served over HTTP"
        )
    app = _new_app(
        settings.api_docs,
        title="Seoul Startup Hub Ho Chi Minh assistant",
        summary="Answers founders' questions from the programme documents, with sources.",
        version="1.0",
    )
    metrics = use_metrics(assistant, metrics) if metrics is not None else metrics_for(assistant)
    ask_limiter = SlidingWindowLimiter(settings.ask_rate_per_minute, 60.0)
    feedback_limiter = SlidingWindowLimiter(FEEDBACK_PER_MINUTE, 60.0)
    handoff_limiter = SlidingWindowLimiter(HANDOFFS_PER_HOUR, 3600.0)
    app.state.settings = settings
    app.state.assistant = assistant
    app.state.state = state
    app.state.metrics = metrics
    app.state.ask_limiter = ask_limiter
    # Conversation ids are the server's (signed): a client cannot pick another visitor's.
    secret = settings.conversation_secret
    conversations = ConversationIds(
        load_key(secret.get_secret_value() if secret else None, settings.data_dir)
    )
    outbox = HandoffOutbox(notifier, state) if notifier is not None else None
    app.state.outbox = outbox

    # Added innermost first: the body limit runs after CORS (so a 413 still carries CORS
    # headers), metrics see every response, security headers wrap everything.
    limits = {
        path: ASK_BODY_LIMIT
        for path in ("/api/ask", "/api/ask/stream", "/api/feedback", "/api/handoff")
    }
    if telegram_webhook is not None:
        limits["/telegram/webhook"] = WEBHOOK_BODY_LIMIT
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

    def limited(limiter: SlidingWindowLimiter, request: Request, route: str) -> None:
        retry = limiter.hit(_client_ip(request))
        if retry is not None:
            metrics.rate_limited.labels(route=route).inc()
            raise HTTPException(
                429,
                "too many requests; please wait before asking again",
                headers={"Retry-After": retry_after_header(retry)},
            )

    # --- visitor API -------------------------------------------------------------------------

    def answer_question(
        question: str,
        language: str | None,
        conversation: str | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> tuple[Answer, float]:
        """Runs in a worker thread (the core is CPU-bound); counted, timed and logged."""
        answer = timed_answer(
            metrics,
            "web",
            lambda: assistant.answer(
                question, language, conversation=conversation, on_token=on_token
            ),
        )
        return answer, answer.confidence

    @app.post("/api/ask", response_model=AskResponse, responses=_ERRORS, tags=["widget"])
    async def ask(body: AskRequest, request: Request) -> dict[str, object]:
        """Answer a question from the programme documents, with sources."""
        limited(ask_limiter, request, "/api/ask")
        conversation_id = conversations.resolve(body.conversation_id)
        language = _language(body.language)
        try:
            answer, conf = await run_in_threadpool(
                answer_question, body.question, language, f"web:{conversation_id}"
            )
        except StoreUnavailable as exc:
            lang = language or detect_language(body.question)
            raise HTTPException(503, message(UNAVAILABLE, lang)) from exc
        if answer.unavailable:
            raise HTTPException(503, answer.answer)
        return await finish(body.question, conversation_id, answer, conf)

    async def finish(
        question: str, conversation_id: str, answer: Answer, conf: float
    ) -> dict[str, object]:
        """Log the answered question and shape the JSON body (shared by both ask routes)."""
        question_id: int | None
        try:
            question_id = await run_in_threadpool(
                state.log_question, "web", f"web:{conversation_id}", question, answer, conf
            )
        except SQLAlchemyError:
            # The visitor still gets the answer; only feedback on it will not be possible.
            logger.exception("question log unavailable")
            question_id = None
        return {**answer.to_dict(), "question_id": question_id, "conversation_id": conversation_id}

    @app.post("/api/ask/stream", responses=_ERRORS, tags=["widget"], response_class=Response)
    async def ask_stream(body: AskRequest, request: Request) -> StreamingResponse:
        """The same answer as server-sent events: token…, sources, done (the final JSON body).

        Tokens are a preview; ``done`` carries the checked answer, which replaces them.
        """
        limited(ask_limiter, request, "/api/ask/stream")
        conversation_id = conversations.resolve(body.conversation_id)
        language = _language(body.language)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, object]] = asyncio.Queue()

        streamed: list[bool] = []

        def on_token(text: str) -> None:
            streamed.append(True)
            loop.call_soon_threadsafe(queue.put_nowait, ("token", {"text": text}))

        async def produce() -> None:
            try:
                answer, conf = await run_in_threadpool(
                    answer_question, body.question, language, f"web:{conversation_id}", on_token
                )
                if answer.unavailable:
                    await queue.put(("error", {"detail": answer.answer}))
                    return
                final = await finish(body.question, conversation_id, answer, conf)
                if not streamed:
                    await queue.put(("token", {"text": answer.answer}))
                await queue.put(("sources", {"sources": final["sources"]}))
                await queue.put(("done", final))
            except StoreUnavailable:
                lang = language or detect_language(body.question)
                await queue.put(("error", {"detail": message(UNAVAILABLE, lang)}))
            except Exception:
                logger.exception("streamed answer failed")
                await queue.put(("error", {"detail": "internal error"}))
            finally:
                await queue.put(("end", None))

        async def events() -> AsyncIterator[bytes]:
            task = asyncio.create_task(produce())
            try:
                while True:
                    event, data = await queue.get()
                    if event == "end":
                        break
                    payload = json.dumps(data, ensure_ascii=False)
                    yield f"event: {event}\ndata: {payload}\n\n".encode()
            finally:
                await task

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    examples = ExampleQuestions(assistant)

    @app.get(
        "/api/examples",
        response_model=ExamplesResponse,
        responses={422: _ERRORS[422], 503: {"model": ErrorResponse}},
        tags=["widget"],
    )
    async def example_questions(
        language: Annotated[
            str, Query(description="the greeting's language", pattern=CODE_PATTERN)
        ],
    ) -> JSONResponse:
        """Two or three questions the documents answer, for the widget's greeting."""
        try:
            questions = await run_in_threadpool(examples.for_language, language)
        except StoreUnavailable as exc:
            raise HTTPException(503, message(UNAVAILABLE, language)) from exc
        return JSONResponse(
            {"language": language, "questions": questions},
            headers={"Cache-Control": "public, max-age=300"},
        )

    @app.post(
        "/api/feedback",
        response_model=FeedbackResponse,
        responses={404: {"model": ErrorResponse}, **_ERRORS},
        tags=["widget"],
    )
    async def feedback(body: FeedbackRequest, request: Request) -> dict[str, object]:
        """Record 👍/👎 on an answer of this conversation."""
        limited(feedback_limiter, request, "/api/feedback")
        if not conversations.valid(body.conversation_id):
            raise HTTPException(404, "no such question in this conversation")
        feedback_id = await run_in_threadpool(
            state.record_feedback,
            body.question_id,
            "web",
            f"web:{body.conversation_id}",
            body.value,
            body.comment,
        )
        if feedback_id is None:
            raise HTTPException(404, "no such question in this conversation")
        metrics.record_feedback("web", body.value)
        return {"recorded": True, "feedback_id": feedback_id}

    @app.post("/api/handoff", response_model=HandoffResponse, responses=_ERRORS, tags=["widget"])
    async def handoff(body: HandoffRequest, request: Request) -> dict[str, object]:
        """Pass the visitor's question and contact to the hub staff."""
        limited(handoff_limiter, request, "/api/handoff")
        conversation_id = conversations.resolve(body.conversation_id)
        conversation = f"web:{conversation_id}"
        language = _language(body.language) or detect_language(body.question)
        bot_answer = ""
        if body.question_id is not None:
            logged = await run_in_threadpool(state.question, body.question_id, conversation)
            bot_answer = str(logged["answer"]) if logged else ""
        existing = await run_in_threadpool(state.open_handoff_for, conversation)
        if existing is not None:
            # Staff already have this conversation: add the new request to its thread.
            await run_in_threadpool(
                state.add_handoff_message,
                existing.id,
                "founder",
                body.contact,
                body.question,
            )
            return {
                "handoff_id": existing.id,
                "status": existing.status,
                "conversation_id": conversation_id,
                "notified": False,
            }
        created = await run_in_threadpool(
            lambda: state.open_handoff(
                "web",
                conversation,
                body.question,
                answer=bot_answer,
                language=language,
                contact=body.contact,
            )
        )
        metrics.record_handoff("web")
        # Stored is what the visitor is promised; the staff chat gets it in the background
        # (retried), so a slow or failing Telegram never makes this request wait or fail.
        notified = outbox is not None
        if outbox is not None:
            outbox.submit(created)
        logger.info(
            "hand-off opened",
            extra={"channel": "web", "handoff_id": created.id, "language": language,
                   "notified": notified},
        )  # fmt: skip
        return {
            "handoff_id": created.id,
            "status": created.status,
            "conversation_id": conversation_id,
            "notified": notified,
        }

    # --- operations --------------------------------------------------------------------------

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses={503: {"model": ErrorResponse}})
    async def readyz() -> dict[str, object]:
        """The store answers and the index holds chunks."""

        try:
            chunks = await run_in_threadpool(assistant.store.heartbeat)
        except StoreUnavailable as exc:
            raise HTTPException(503, "vector store unreachable") from exc
        if getattr(assistant, "starting", False):
            raise HTTPException(503, "starting: indexing the knowledge folder")
        if chunks <= 0:
            raise HTTPException(503, "index is empty")
        return {"status": "ready", "chunks": chunks}

    metrics_token = (
        settings.metrics_token.get_secret_value().encode() if settings.metrics_token else b""
    )

    @app.get("/metrics", tags=["operations"], response_class=Response)
    async def prometheus(request: Request) -> Response:
        """Prometheus text exposition: with METRICS_TOKEN as a bearer token, or (unset) only
        to internal clients that did not come through the proxy."""
        if metrics_token:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode(), metrics_token
            ):
                raise HTTPException(
                    401, "metrics bearer token required", headers={"WWW-Authenticate": "Bearer"}
                )
        elif not internal_client(request.scope):
            raise HTTPException(403, "metrics are served to the internal network only")
        return Response(metrics.render(), media_type=metrics.content_type)

    app.include_router(admin_router(settings, assistant, state, metrics))

    if telegram_webhook is not None:
        secret = settings.telegram_webhook_secret.get_secret_value().encode()  # type: ignore[union-attr]

        @app.post("/telegram/webhook", tags=["telegram"], include_in_schema=False)
        async def telegram(request: Request) -> dict[str, bool]:
            """Telegram pushes updates here; the secret header proves it is Telegram."""
            given = request.headers.get("x-telegram-bot-api-secret-token", "").encode()
            if not hmac.compare_digest(given, secret):
                raise HTTPException(403, "forbidden")
            # The secret says this is Telegram, which resends anything not answered 2xx: an
            # update that cannot be read is logged and acknowledged, never answered 4xx/5xx.
            try:
                update = json.loads(await request.body())
            except (ValueError, RecursionError) as exc:
                # RecursionError: JSON nested thousands deep.
                logger.warning("telegram update ignored: not readable JSON (%s)", type(exc).__name__)
                return {"ok": True, "ignored": True}
            if not isinstance(update, dict):
                logger.warning("telegram update ignored: not a JSON object")
                return {"ok": True, "ignored": True}
            try:
                await telegram_webhook(update)
            except Exception:
                # A non-2xx makes Telegram resend the same update again and again.
                logger.exception("telegram update handler failed")
            return {"ok": True}

    # --- pages and the widget ----------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    async def demo_page() -> FileResponse:
        """A programme FAQ page with the widget embedded."""
        return _page("index.html")

    @app.get("/admin", include_in_schema=False)
    async def admin_page() -> FileResponse:
        """A small admin page over /api/admin."""
        return _page("admin.html")

    @app.get("/widget.js", include_in_schema=False)
    async def widget() -> Response:
        """The embeddable widget script, with its UI texts from bot/languages."""
        return Response(
            widget_script(),
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

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


def _page(name: str) -> FileResponse:
    return FileResponse(
        STATIC_DIR / name,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-cache"},
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
