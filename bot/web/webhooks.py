"""Inbound webhooks of messaging channels (Telegram today; Zalo, KakaoTalk alike).

A channel describes its webhook as a ``Webhook`` (path, the header carrying its shared
secret, the handler of one update); the web app serves each the same way: the secret is
checked in constant time (403 otherwise), and once it is right every request is acknowledged
2xx — platforms resend anything else again and again — an unreadable update is logged and
ignored, a failing handler logged.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request

logger = logging.getLogger(__name__)

WEBHOOK_BODY_LIMIT = 1024 * 1024

UpdateHandler = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Webhook:
    """One channel's webhook route."""

    name: str  # the channel, in logs and as the route's tag, e.g. "telegram"
    path: str  # e.g. "/telegram/webhook"
    secret_header: str  # the request header carrying the shared secret
    secret: bytes
    handle: UpdateHandler
    body_limit: int = WEBHOOK_BODY_LIMIT


def webhook_router(hook: Webhook) -> APIRouter:
    """The POST route of ``hook`` (kept out of the public API docs)."""
    router = APIRouter(tags=[hook.name], include_in_schema=False)

    @router.post(hook.path)
    async def receive(request: Request) -> dict[str, bool]:
        """The platform pushes updates here; the secret header proves it is the platform."""
        given = request.headers.get(hook.secret_header, "").encode()
        if not hmac.compare_digest(given, hook.secret):
            raise HTTPException(403, "forbidden")
        # The secret says this is the platform, which resends anything not answered 2xx: an
        # update that cannot be read is logged and acknowledged, never answered 4xx/5xx.
        try:
            update = json.loads(await request.body())
        except (ValueError, RecursionError) as exc:
            # RecursionError: JSON nested thousands deep.
            logger.warning(
                "%s update ignored: not readable JSON (%s)", hook.name, type(exc).__name__
            )
            return {"ok": True, "ignored": True}
        if not isinstance(update, dict):
            logger.warning("%s update ignored: not a JSON object", hook.name)
            return {"ok": True, "ignored": True}
        try:
            await hook.handle(update)
        except Exception:
            # A non-2xx makes the platform resend the same update again and again.
            logger.exception("%s update handler failed", hook.name)
        return {"ok": True}

    return router
