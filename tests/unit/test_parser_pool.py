"""The parser worker pool when the operating system refuses a new process."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import IngestError
from bot.rag.loaders import ParserPool


def test_a_worker_that_cannot_start_is_a_clear_ingest_error(tmp_path: Path, monkeypatch) -> None:
    document = tmp_path / "a.md"
    document.write_text("# A\n\nText.", encoding="utf-8")
    with ParserPool(max_bytes=4000, timeout=30) as pool:
        process_class = type(pool._ctx.Process())

        def refuse(self) -> None:
            raise OSError(11, "Resource temporarily unavailable")

        monkeypatch.setattr(process_class, "start", refuse)
        with pytest.raises(IngestError, match="could not start"):
            pool.parse(document)
    # leaving the pool (close, kill) raised nothing, and nothing is left running
    assert pool._proc is None
