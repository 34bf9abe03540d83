"""The HTTP side of the service metrics: a middleware timing every request by route template.

The series themselves live in ``bot.metrics.Metrics`` (one object for web and Telegram).
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.metrics import LATENCY_BUCKETS, Metrics

# The web app's metrics used to be their own class; the name stays for existing imports.
WebMetrics = Metrics

__all__ = ["LATENCY_BUCKETS", "MetricsMiddleware", "WebMetrics"]


class MetricsMiddleware:
    """Counts and times every HTTP request under its route template (never the raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            # Raw paths would let any client create unbounded label values.
            template = getattr(route, "path", None) or scope.get("metrics_route") or "unmatched"
            method = scope.get("method", "GET")
            self.metrics.requests.labels(template, method, str(status)).inc()
            self.metrics.latency.labels(template, method).observe(time.perf_counter() - started)
