"""What the web routers share: the supported language codes, client addresses, rate limits
and the documented error shapes."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request

from bot.languages import CODES, normalise
from bot.metrics import Metrics
from bot.ratelimit import SlidingWindowLimiter, retry_after_header
from bot.web.schemas import ErrorResponse

# A supported language code, exactly (the widget's greeting asks for one).
CODE_PATTERN = f"^(?:{'|'.join(CODES)})$"
# A request's language code: the registry's one normaliser (None: the core detects it).
request_language = normalise

ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "request body over 8 KB"},
    422: {"model": ErrorResponse, "description": "invalid request"},
    429: {"model": ErrorResponse, "description": "rate limit; see Retry-After"},
}


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
