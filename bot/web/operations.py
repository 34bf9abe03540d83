"""Operations: /healthz (alive), /readyz (ready for traffic) and /metrics (Prometheus)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from bot.config import Settings
from bot.core import Core
from bot.errors import StoreUnavailable
from bot.metrics import Metrics
from bot.web.clients import internal_client
from bot.web.schemas import ErrorResponse


def operations_router(settings: Settings, assistant: Core, metrics: Metrics) -> APIRouter:
    """Probes for the orchestrator and the metrics scrape."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @router.get("/readyz", responses={503: {"model": ErrorResponse}})
    async def readyz() -> dict[str, object]:
        """The store answers and the index holds chunks."""

        try:
            chunks = await run_in_threadpool(assistant.chunk_count)
        except StoreUnavailable as exc:
            raise HTTPException(503, "vector store unreachable") from exc
        if assistant.starting:
            raise HTTPException(503, "starting: indexing the knowledge folder")
        if chunks <= 0:
            raise HTTPException(503, "index is empty")
        return {"status": "ready", "chunks": chunks}

    metrics_token = (
        settings.metrics_token.get_secret_value().encode() if settings.metrics_token else b""
    )

    @router.get("/metrics", response_class=Response)
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

    return router
