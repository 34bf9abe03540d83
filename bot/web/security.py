"""Response headers and request-size limits, as plain ASGI middleware (no body buffering beyond
the small limits they enforce)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The demo and admin pages: everything from this origin only, nothing inline, no framing.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)
# JSON and other non-page responses: nothing may run or be framed if a browser renders one.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"

# The interactive API docs (Swagger UI): FastAPI's page starts it with an inline script;
# every asset comes from this server (fastapi-offline), so nothing may be loaded from, or
# sent to, another origin.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
DOCS_PAGES = frozenset({"/docs", "/docs/oauth2-redirect"})

STATIC_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
}
# Sent only on responses to HTTPS requests (directly, or via a trusted proxy's
# X-Forwarded-Proto): over plain HTTP a browser ignores it, and a test setup must not pin it.
HSTS = "max-age=31536000; includeSubDomains"


def security_headers() -> dict[str, str]:
    """Headers every response carries (also used by the last-resort 500 handler)."""
    return dict(STATIC_HEADERS)


class SecurityHeadersMiddleware:
    """Adds nosniff, Referrer-Policy, a default CSP and (over HTTPS) HSTS to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        default_csp = DOCS_CSP if scope.get("path", "") in DOCS_PAGES else DATA_CSP
        is_https = scope.get("scheme") == "https"

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in STATIC_HEADERS.items():
                    headers[name] = value
                if "content-security-policy" not in headers:
                    headers["content-security-policy"] = default_csp
                if is_https:
                    headers["strict-transport-security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_wrapper)


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuses request bodies over a per-path byte limit with 413, before any JSON parsing.

    Content-Length is checked first; bodies without one (chunked) are counted while they are
    read and buffered only up to the limit, then replayed to the app.
    """

    def __init__(self, app: ASGIApp, limits: dict[str, int]) -> None:
        self.app = app
        self.limits = dict(limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limits.get(scope.get("path", "")) if scope["type"] == "http" else None
        if limit is None or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope["headers"])
        try:
            if declared is not None and declared > limit:
                raise _TooLarge
            body = await _read_limited(receive, limit)
        except _TooLarge:
            # Routing never ran: tell the metrics which (fixed, known) route this was.
            scope["metrics_route"] = scope["path"]
            await _send_413(send, limit)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            # After the body, behave like the server: wait for the client to disconnect.
            return await receive()

        await self.app(scope, replay, send)


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_limited(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body too large (limit {limit} bytes)"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
