"""The core API the channels use: what the web app, the Telegram bot, the console and the
service may ask of the assistant, and nothing more.

``bot.rag.assistant.Assistant`` satisfies ``Core``; so do the plumbing fakes of the tests
(tests/web/helpers.py), and mypy checks both. A channel never reaches into the assistant's
parts (its store, retriever or generator): a new channel needs this module, not ``bot.rag``.

It lives outside ``bot/rag`` because it is the contract between the layers: ``bot/rag``
implements it without importing it, and channels import it without importing ``bot/rag``'s
classes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.rag.answer import Answer
    from bot.rag.generate import FallbackCounter
    from bot.rag.indexer import IngestReport, ProgressCallback
    from bot.rag.store import IndexedDocument


class Core(Protocol):
    """The assistant as the channels see it (see the module doc)."""

    # The settings the assistant runs with (knowledge folder, caps): the publisher reads them.
    settings: Settings
    # True while the service's start-up work (first-run indexing, warm-up) is pending.
    starting: bool
    # Set when the service stops (SIGTERM): ingestion ends between embedding calls.
    stopping: threading.Event
    # Counts generative answers that fell back to the extractive one (mirrored in metrics).
    llm_fallbacks: FallbackCounter

    @property
    def generative(self) -> bool:
        """Whether answers are generated (so ``answer`` may stream tokens to ``on_token``)."""
        ...

    # --- answering ---------------------------------------------------------------------------

    def answer(
        self,
        question: str,
        language: str | None = None,
        conversation: str | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer from the documents, or decline; StoreUnavailable when the store is down."""
        ...

    def example_questions(self, lang: str, limit: int = ...) -> list[str]:
        """Questions the documents answer, in ``lang`` (for greetings)."""
        ...

    # --- knowledge ---------------------------------------------------------------------------

    def ingest(
        self,
        paths: list[Path] | None = None,
        progress: ProgressCallback | None = None,
        *,
        max_chunks: int | None = None,
    ) -> IngestReport:
        """Index files (default: the whole knowledge folder)."""
        ...

    def forget(self, paths: list[Path]) -> list[str]:
        """Drop the documents of removed files from the index; returns their sources."""
        ...

    def sources(self) -> list[IndexedDocument]:
        """Indexed documents, sorted by source path."""
        ...

    # --- readiness and start-up --------------------------------------------------------------

    def chunk_count(self) -> int:
        """Chunks in the index; StoreUnavailable when the store cannot answer (readiness)."""
        ...

    def index_stale(self) -> bool:
        """Whether stored chunks were embedded by another model or index format."""
        ...

    def ensure_index(self, progress: ProgressCallback | None = None) -> IngestReport | None:
        """Index the knowledge folder when the index is empty or stale (first run, upgrade)."""
        ...

    def warm_up(self) -> None:
        """Load the models and indexes now, not on the first question."""
        ...
