"""What the web routers share: the supported language codes, client addresses, rate limits
and the documented error shapes."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request

from bot.metrics import Metrics
from bot.ratelimit import SlidingWindowLimiter, retry_after_header
from bot.web.schemas import ErrorResponse

LANGUAGES = frozenset({"ko", "en", "vi", "ja"})

ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "request body over 8 KB"},
    422: {"model": ErrorResponse, "description": "invalid request"},
    429: {"model": ErrorResponse, "description": "rate limit; see Retry-After"},
}


def request_language(code: str | None) -> str | None:
    """Primary subtag of a supported language, else None (the core then detects it)."""
    if not code:
        return None
    primary = code.replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def client_ip(request: Request) -> str:
    """The peer, or the X-Forwarded-For client when the peer is in TRUSTED_PROXIES
    (bot/web/clients.py); uvicorn itself is told to trust no proxy headers."""
    return request.client.host if request.client else "unknown"


def limited(
    limiter: SlidingWindowLimiter, request: Request, route: str, metrics: Metrics
) -> None:
    """Raise 429 (with Retry-After) when this client is over ``limiter``'s rate."""
    retry = limiter.hit(client_ip(request))
    if retry is not None:
        metrics.rate_limited.labels(route=route).inc()
        raise HTTPException(
            429,
            "too many requests; please wait before asking again",
            headers={"Retry-After": retry_after_header(retry)},
        )
