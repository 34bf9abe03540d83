"""Prometheus metrics of the whole service (web and Telegram share one object), and the
small helpers every channel uses to time answers and record ingestion runs.

Each ``Metrics`` keeps a private registry, so several apps can live in one test process.
The service (bot/service.py) builds one and passes it to every channel, so they share it; a
channel built on its own (tests) makes its own.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

from bot.errors import IngestCancelled, StoreUnavailable
from bot.rag.answer import Answer
from bot.rag.indexer import IngestReport

if TYPE_CHECKING:
    from bot.core import Core

logger = logging.getLogger(__name__)

# Latency on this machine ranges from ~10 ms (cached keyword index) to seconds (first
# embedding, a generative answer), so the buckets span both.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# A single upload takes a second; a full re-index of a large folder can take many minutes.
INGEST_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)

CHANNELS = ("web", "telegram")
ANSWER_OUTCOMES = ("answered", "declined", "unavailable", "error", "handed_off")
LATENCY_OUTCOMES = ("answered", "declined", "error")
RATINGS = ("up", "down")
INGEST_TRIGGERS = (
    "startup", "admin_api", "admin_upload", "admin_delete", "admin_reindex",
    "telegram_upload", "telegram_reindex", "telegram_faq", "admin_undo", "telegram_undo",
    "resume",
)  # fmt: skip
INGEST_RESULTS = ("ok", "partial", "failed")
FILE_OUTCOMES = ("added", "updated", "unchanged", "deleted", "renamed", "failed", "skipped")


class _Counted(Protocol):
    def chunk_count(self) -> int: ...


class _Indexing(_Counted, Protocol):
    def ingest(self, paths: Any = None, progress: Any = None) -> IngestReport: ...


class Metrics:
    """Every series of the service in one private registry."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "assistant_http_requests",
            "HTTP requests by route template, method and status code.",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "assistant_http_request_duration_seconds",
            "HTTP request latency by route template and method.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.answers = Counter(
            "assistant_answers",
            "Founders' questions by channel and outcome: answered, declined, unavailable (store"
            " down), error; handed_off counts hand-offs to staff.",
            ["channel", "outcome"],
            registry=r,
        )
        self.answer_latency = Histogram(
            "assistant_answer_duration_seconds",
            "Time in the assistant (retrieval and answer generation) by channel and outcome.",
            ["channel", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.rate_limited = Counter(
            "assistant_rate_limited",
            "Requests refused by a rate limit, by route (web) or 'telegram'.",
            ["route"],
            registry=r,
        )
        self.feedback = Counter(
            "assistant_feedback",
            "Feedback on answers by channel and rating (up or down).",
            ["channel", "rating"],
            registry=r,
        )
        self.llm_fallbacks = Counter(
            "assistant_llm_fallbacks",
            "Generative answers replaced by the extractive one, by reason (timeout, connection,"
            " server_error, malformed, uncited, invalid_citation, refused).",
            ["reason"],
            registry=r,
        )
        self.ingest_runs = Counter(
            "assistant_ingest_runs",
            "Ingestion runs by trigger and result (ok, partial: some files failed, failed).",
            ["trigger", "result"],
            registry=r,
        )
        self.ingest_files = Counter(
            "assistant_ingest_files",
            "Files seen by ingestion runs, by outcome.",
            ["outcome"],
            registry=r,
        )
        self.ingest_chunks = Counter(
            "assistant_ingest_chunks_embedded",
            "Chunks embedded by ingestion runs.",
            registry=r,
        )
        self.ingest_latency = Histogram(
            "assistant_ingest_duration_seconds",
            "Duration of ingestion runs, failed ones included.",
            buckets=INGEST_BUCKETS,
            registry=r,
        )
        self.ingest_last_success = Gauge(
            "assistant_ingest_last_success_timestamp_seconds",
            "Unix time of the last ingestion run that completed (result ok or partial).",
            registry=r,
        )
        self.index_chunks = Gauge(
            "assistant_index_chunks",
            "Chunks in the vector store (set at start and after each ingestion run).",
            registry=r,
        )
        self._watched: weakref.WeakSet[object] = weakref.WeakSet()
        self._lock = threading.Lock()
        # Zero-valued series exist from the start, so dashboards see them before traffic.
        for channel in CHANNELS:
            for outcome in ANSWER_OUTCOMES:
                self.answers.labels(channel=channel, outcome=outcome)
            for outcome in LATENCY_OUTCOMES:
                self.answer_latency.labels(channel=channel, outcome=outcome)
            for rating in RATINGS:
                self.feedback.labels(channel=channel, rating=rating)
        for trigger in INGEST_TRIGGERS:
            for result in INGEST_RESULTS:
                self.ingest_runs.labels(trigger=trigger, result=result)
        for outcome in FILE_OUTCOMES:
            self.ingest_files.labels(outcome=outcome)

    # --- wiring ------------------------------------------------------------------------------

    def watch(self, assistant: Core) -> None:
        """Mirror the assistant's LLM fallback counter (once per assistant)."""
        counter = assistant.llm_fallbacks
        with self._lock:
            if assistant in self._watched:
                return
            self._watched.add(assistant)
        counter.subscribe(lambda reason: self.llm_fallbacks.labels(reason=reason).inc())

    def render(self) -> bytes:
        """The registry in the Prometheus text exposition format."""
        return generate_latest(self.registry)

    # --- answers -----------------------------------------------------------------------------

    def record_answer(self, channel: str, outcome: str, seconds: float | None = None) -> None:
        """Count one question's outcome; ``seconds`` (time in the assistant) feeds the histogram."""
        self.answers.labels(channel=channel, outcome=outcome).inc()
        if seconds is not None:
            timed = outcome if outcome in ("answered", "declined") else "error"
            self.answer_latency.labels(channel=channel, outcome=timed).observe(seconds)

    def record_handoff(self, channel: str) -> None:
        """Count a hand-off to staff opened by a founder."""
        self.answers.labels(channel=channel, outcome="handed_off").inc()

    def record_feedback(self, channel: str, rating: int) -> None:
        """Count a 👍 (rating > 0) or 👎."""
        self.feedback.labels(channel=channel, rating="up" if rating > 0 else "down").inc()

    # --- ingestion ---------------------------------------------------------------------------

    def record_ingest(
        self, report: IngestReport | None, trigger: str, seconds: float | None = None
    ) -> str:
        """Record one ingestion run (``report`` None: it raised); returns its result label."""
        result = ingest_result(report)
        self.ingest_runs.labels(trigger=trigger, result=result).inc()
        duration = seconds if seconds is not None else (report.seconds if report else 0.0)
        self.ingest_latency.observe(duration)
        if report is not None:
            counts = {
                "added": len(report.added),
                "updated": len(report.updated),
                "unchanged": len(report.unchanged),
                "deleted": len(report.deleted),
                "renamed": len(report.renamed),
                "failed": len(report.failed),
                "skipped": len(report.skipped),
            }
            for outcome, count in counts.items():
                if count:
                    self.ingest_files.labels(outcome=outcome).inc(count)
            if report.chunks_embedded:
                self.ingest_chunks.inc(report.chunks_embedded)
        if result != "failed":
            self.ingest_last_success.set(time.time())
        return result

    def refresh_index_chunks(self, core: _Counted) -> int | None:
        """Set the chunk gauge from the index (blocking); None if the store is unreachable."""
        try:
            chunks = int(core.chunk_count())
        except StoreUnavailable:
            logger.warning("index size unknown: store unreachable")
            return None
        self.index_chunks.set(chunks)
        return chunks


def ingest_result(report: IngestReport | None) -> str:
    """ok (nothing failed), partial (some files failed) or failed (the run raised or every
    file it was given failed)."""
    if report is None:
        return "failed"
    if not report.failed:
        return "ok"
    done = report.added or report.updated or report.unchanged or report.deleted or report.renamed
    return "partial" if done else "failed"


def answer_outcome(answer: Answer) -> str:
    """answered, declined, or unavailable (the store was down: the polite fixed reply)."""
    if answer.answered:
        return "answered"
    return "unavailable" if answer.unavailable else "declined"


def timed_answer(
    metrics: Metrics,
    channel: str,
    call: Callable[[], Answer],
    *,
    log: bool = True,
) -> Answer:
    """Run ``call`` (the assistant, blocking), count and time it, and log the outcome.

    The log line carries no founder text: the question itself is kept in the state DB.
    """
    started = time.perf_counter()
    try:
        answer = call()
    except StoreUnavailable:
        seconds = time.perf_counter() - started
        metrics.record_answer(channel, "unavailable", seconds)
        logger.warning(
            "question unavailable",
            extra={"channel": channel, "outcome": "unavailable",
                   "duration_ms": round(seconds * 1000)},
        )  # fmt: skip
        raise
    except Exception:
        seconds = time.perf_counter() - started
        metrics.record_answer(channel, "error", seconds)
        raise  # the channel logs the traceback once, where it handles the error
    seconds = time.perf_counter() - started
    outcome = answer_outcome(answer)
    metrics.record_answer(channel, outcome, seconds)
    if log:
        logger.info(
            "question %s", outcome,
            extra={
                "channel": channel,
                "language": answer.language,
                "outcome": outcome,
                "confidence": round(float(answer.confidence or 0.0), 3),
                "sources": len(answer.sources),
                "duration_ms": round(seconds * 1000),
            },
        )  # fmt: skip
    return answer


def tracked_ingest(
    metrics: Metrics,
    trigger: str,
    assistant: _Indexing,
    call: Callable[[], IngestReport] | None = None,
) -> IngestReport:
    """Run an ingestion (blocking; default ``assistant.ingest()``), record it and log it.

    The chunk gauge is refreshed from the store afterwards, failed runs included.
    """
    started = time.perf_counter()
    try:
        report = call() if call is not None else assistant.ingest()
    except Exception as exc:
        seconds = time.perf_counter() - started
        metrics.record_ingest(None, trigger, seconds)
        metrics.refresh_index_chunks(assistant)
        # Stopped by SIGTERM (IngestCancelled) is expected at shutdown: not an error.
        stopped = isinstance(exc, IngestCancelled)
        (logger.warning if stopped else logger.error)(
            "ingest stopped" if stopped else "ingest failed",
            extra={"trigger": trigger, "result": "failed", "error": type(exc).__name__,
                   "seconds": round(seconds, 3)},
        )  # fmt: skip
        raise
    result = metrics.record_ingest(report, trigger, time.perf_counter() - started)
    chunks = metrics.refresh_index_chunks(assistant)
    counts = report.to_dict()
    logger.info(
        "ingest finished",
        extra={
            "trigger": trigger,
            "result": result,
            "added": counts["added"],
            "updated": counts["updated"],
            "unchanged": counts["unchanged"],
            "deleted": counts["deleted"],
            "renamed": counts["renamed"],
            "failed": len(report.failed),
            "skipped": len(report.skipped),
            "chunks_embedded": report.chunks_embedded,
            "index_chunks": chunks,
            "seconds": counts["seconds"],
        },
    )  # fmt: skip
    return report
