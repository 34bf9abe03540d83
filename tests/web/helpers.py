"""Helpers of the web channel tests: settings, plumbing fakes, a threaded uvicorn server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn

from bot.config import Settings
from bot.core import Core
from bot.errors import StoreUnavailable
from bot.rag.answer import Answer, Source
from bot.rag.generate import FallbackCounter
from bot.rag.indexer import IngestReport, ProgressCallback
from bot.rag.store import IndexedDocument

ADMIN_TOKEN = "admin-token-for-tests-0123456789"
WEBHOOK_SECRET = "webhook-secret-for-tests-42"
METRICS_TOKEN = "metrics-token-for-tests-0123456789"
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}
ALLOWED_ORIGIN = "https://founders.example.org"
KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


def make_settings(data_dir: Path, knowledge_dir: Path = KNOWLEDGE, **overrides: object) -> Settings:
    """Settings that ignore the developer's environment and .env file (as tests/conftest.py)."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        knowledge_dir=knowledge_dir,
        **overrides,
    )


def web_settings(base: Settings, **overrides: object) -> Settings:
    """App settings on the same data and knowledge dirs as ``base`` (the assistant's)."""
    values: dict[str, object] = {
        "admin_token": ADMIN_TOKEN,
        "allowed_origins": ALLOWED_ORIGIN,
        "telegram_webhook_secret": WEBHOOK_SECRET,
        "metrics_token": METRICS_TOKEN,
    }
    values.update(overrides)
    return make_settings(base.data_dir, base.knowledge_dir, **values)


class FakeStore:
    """Plumbing stand-in for the knowledge store (readiness and stats)."""

    def __init__(self, chunks: int = 3, reachable: bool = True) -> None:
        self.chunks = chunks
        self.reachable = reachable

    def heartbeat(self) -> int:
        if not self.reachable:
            raise StoreUnavailable("down")
        return self.chunks

    def count(self) -> int:
        return self.heartbeat()


class FakeAssistant:
    """Plumbing stand-in for the core (``bot.core.Core``, checked by mypy below): answers
    every question the same way, or fails as told."""

    def __init__(self, settings: Settings, error: BaseException | None = None) -> None:
        self.settings = settings
        self.error = error
        self.store = FakeStore()
        self.starting = False
        self.stopping = threading.Event()
        self.questions: list[str] = []
        self.llm_fallbacks = FallbackCounter()

    @property
    def generative(self) -> bool:
        return False

    def answer(
        self,
        question: str,
        language: str | None = None,
        conversation: str | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        if self.error is not None:
            raise self.error
        self.questions.append(question)
        source = Source("Doc", "en/doc.md", "Section", "snippet", 0.9, "en", "2026-01-01")
        return Answer(f"echo: {question}", True, language or "en", [source], confidence=0.9)

    def example_questions(self, lang: str, limit: int = 3) -> list[str]:
        """No headings to offer."""
        return []

    def ingest(
        self,
        paths: list[Path] | None = None,
        progress: ProgressCallback | None = None,
        *,
        max_chunks: int | None = None,
    ) -> IngestReport:
        """Nothing to index."""
        return IngestReport()

    def forget(self, paths: list[Path]) -> list[str]:
        """Nothing indexed, nothing dropped."""
        return []

    def sources(self) -> list[IndexedDocument]:
        """No documents."""
        return []

    def chunk_count(self) -> int:
        """The fake store's size (StoreUnavailable when it is told to be down)."""
        return self.store.heartbeat()

    def index_stale(self) -> bool:
        return False

    def ensure_index(self, progress: ProgressCallback | None = None) -> IngestReport | None:
        return None

    def warm_up(self) -> None:
        """Nothing to load."""


if TYPE_CHECKING:
    # mypy proves the fake offers everything the channels may use (bot/core.py).
    _fake_is_a_core: Core = FakeAssistant(make_settings(Path()))


def free_port_socket() -> socket.socket:
    """A listening-ready socket on an ephemeral 127.0.0.1 port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class ThreadedServer(uvicorn.Server):
    """uvicorn in a background thread; ``ready`` is set once it accepts connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets=None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()


def iter_chunks(data: bytes, size: int) -> Iterator[bytes]:
    """``data`` in pieces of ``size`` bytes (a chunked request body)."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


# A made-up house rule: a fact no real document holds, so answers can only come from it.
ZEBRA_DOC = """---
title: "Zebra visitor policy"
language: en
topic: house-rules
last_verified: 2026-11-20
---

# Zebra visitor policy

## Are zebras allowed in the coworking space of the hub?

Zebras are allowed in the coworking space of Seoul Startup Hub Ho Chi Minh on Fridays only,
and each zebra must be registered at the reception desk before noon.
"""
