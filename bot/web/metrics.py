"""Prometheus metrics of one app, in a private registry (several apps can live in one process)."""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Answer latency on this machine ranges from ~10 ms (cached keyword index) to seconds
# (first embedding), so the buckets span both.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class WebMetrics:
    """Request counts and latencies by route, and what happened to each question."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "assistant_http_requests",
            "HTTP requests by route template, method and status code.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "assistant_http_request_duration_seconds",
            "HTTP request latency by route template and method.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.answers = Counter(
            "assistant_answers",
            "Questions from the web channel by outcome: answered, declined or handed_off.",
            ["outcome"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "assistant_rate_limited",
            "Requests refused by the per-client rate limit, by route.",
            ["route"],
            registry=self.registry,
        )
        self.feedback = Counter(
            "assistant_feedback",
            "Feedback recorded from the web channel by rating (up or down).",
            ["rating"],
            registry=self.registry,
        )
        self.llm_fallbacks = Counter(
            "assistant_llm_fallbacks",
            "Generative answers replaced by the extractive one, by reason (timeout, connection,"
            " server_error, malformed, uncited, invalid_citation, refused).",
            ["reason"],
            registry=self.registry,
        )
        # Zero-valued series exist from the start, so dashboards see them before traffic.
        for outcome in ("answered", "declined", "handed_off"):
            self.answers.labels(outcome=outcome)
        for rating in ("up", "down"):
            self.feedback.labels(rating=rating)

    def render(self) -> bytes:
        """The registry in the Prometheus text exposition format."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every HTTP request under its route template (never the raw path)."""

    def __init__(self, app: ASGIApp, metrics: WebMetrics) -> None:
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
