"""Staff-published documents: provenance set by the server, the per-upload chunk cap, and
ingestion that stops between embedding calls leaving only complete documents."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import pytest

from bot.errors import IngestCancelled
from bot.rag.assistant import Assistant
from bot.rag.indexer import EMBED_BATCH, file_hash
from bot.rag.loaders import ParserPool
from bot.rag.provenance import Change, ChangeLog, origin_of
from tests.conftest import make_settings
from tests.rag.files import slow_html, write_english_corpus, write_md

NOTICE = """---
title: "Official fee notice"
language: en
topic: membership
sources: ["Seoul Startup Hub Ho Chi Minh, official"]
last_verified: 2099-01-01
---

# Official fee notice

## What is the zebra desk fee of the hub?

The zebra desk fee of the hub is 0 VND, says this notice.
"""


def _corpus(root: Path) -> Path:
    return write_english_corpus(root)


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    return _corpus(tmp_path / "knowledge")


def _assistant(tmp_path: Path, corpus: Path, embeddings) -> Assistant:
    return Assistant(make_settings(tmp_path / "data", corpus), embeddings=embeddings)


def _log(corpus: Path, key: str, by: str) -> Change:
    """Record a finished change of ``key`` as the publisher would."""
    changes = ChangeLog(corpus)
    change = Change.new("upload", key, file_hash(corpus / key), by)
    changes.begin(change)
    changes.finish(change, logged=True)
    return change


def _consistent(assistant: Assistant) -> None:
    """Only complete single-version documents; every stored chunk and sentence is theirs."""
    docs = assistant.store.documents()
    assert all(doc.complete for doc in docs.values()), [d.source for d in docs.values()]
    assert sum(len(doc.chunk_ids) for doc in docs.values()) == assistant.store.count()
    live = {c.id for c in assistant.store.iter_chunks(include_text=False)}
    assert assistant.store.sentence_chunk_ids() <= live


def test_origin_comes_from_the_folder() -> None:
    assert origin_of("uploads/fees.md") == "upload"
    assert origin_of("faq/2026-11-27-dog.md") == "faq"
    assert origin_of("en/uploads.md") == "" and origin_of("uploads.md") == ""


def test_uploads_get_server_provenance_not_their_front_matter(tmp_path, corpus, shared_embeddings):
    notice = corpus / "uploads" / "notice.md"
    notice.parent.mkdir()
    notice.write_text(NOTICE, encoding="utf-8")
    change = _log(corpus, "uploads/notice.md", "Minji (Telegram id 1)")
    unlogged = corpus / "faq" / "hand-written.md"
    write_md(unlogged, "Parking", "parking", {"Is there parking?": "Bicycle racks are free."})
    os.utime(unlogged, (1_700_000_000, 1_700_000_000))  # 2023-11-14: when the server saw it
    assistant = _assistant(tmp_path, corpus, shared_embeddings)

    assert not assistant.ingest().failed

    docs = assistant.store.documents()
    upload = docs["uploads/notice.md"]
    assert (upload.origin, upload.added_by, upload.added_on) == (
        "upload", "Minji (Telegram id 1)", change.date
    )
    # Its date is the day it was published; it claims no topic and no sources of its own.
    assert upload.last_verified == change.date and upload.topic == ""
    assert upload.title == "Official fee notice"
    faq = docs["faq/hand-written.md"]
    assert (faq.origin, faq.added_by, faq.added_on) == ("faq", "", "2023-11-14")
    curated = docs["en/hub.md"]
    assert (curated.origin, curated.last_verified, curated.topic) == ("", "2026-11-01", "hub")
    answer = assistant.answer("What is the zebra desk fee of the hub?")
    assert answer.sources[0].source == "uploads/notice.md"
    assert (answer.sources[0].origin, answer.sources[0].added_on) == ("upload", change.date)
    # Stable: a second run re-embeds nothing.
    again = assistant.ingest()
    assert again.chunks_embedded == 0 and len(again.unchanged) == 4


def test_a_file_moved_into_uploads_is_indexed_anew_with_its_provenance(
    tmp_path, corpus, shared_embeddings
):
    assistant = _assistant(tmp_path, corpus, shared_embeddings)
    assistant.ingest()
    (corpus / "uploads").mkdir()
    (corpus / "en" / "fees.md").rename(corpus / "uploads" / "fees.md")

    report = assistant.ingest()

    assert report.renamed == [] and report.added == ["uploads/fees.md"]
    moved = assistant.store.documents()["uploads/fees.md"]
    assert moved.origin == "upload" and moved.topic == ""
    assert moved.added_on == dt.datetime.fromtimestamp(
        (corpus / "uploads" / "fees.md").stat().st_mtime, dt.UTC
    ).date().isoformat()


def test_the_chunk_cap_refuses_a_file_before_embedding(tmp_path, corpus, shared_embeddings):
    assistant = _assistant(tmp_path, corpus, shared_embeddings)
    assistant.ingest()
    big = write_md(corpus / "uploads" / "big.md", "Big", "big", {
        f"Question {n}?": f"Answer {n} about the zebra desk." for n in range(3)
    })  # fmt: skip

    report = assistant.ingest([big], max_chunks=2)

    reason = (
        "too large: it would make 3 chunks, over the limit of 2 per upload "
        "(MAX_UPLOAD_CHUNKS); split it into smaller documents"
    )
    assert [f.reason for f in report.failed] == [reason]
    assert report.chunks_embedded == 0
    assert "uploads/big.md" not in assistant.store.documents()
    assert assistant.ingest([big], max_chunks=3).added == ["uploads/big.md"]


def test_a_stopped_run_keeps_only_complete_documents(tmp_path, corpus, shared_embeddings):
    assistant = _assistant(tmp_path, corpus, shared_embeddings)
    assistant.ingest()
    hub = corpus / "en" / "hub.md"
    hub.write_text(hub.read_text(encoding="utf-8") + "\nUpdated: the hub has a new desk.\n",
                   encoding="utf-8")  # fmt: skip
    write_md(corpus / "uploads" / "big.md", "Big", "big", {
        f"What does note {n} say?": f"Note {n} says the zebra desk {n} is open." for n in range(40)
    })  # fmt: skip
    stopped_at: list[int] = []

    def stop_after_first_round(done: int, total: int) -> None:
        if done >= EMBED_BATCH and not stopped_at:
            stopped_at.append(done)
            assistant.stopping.set()  # as SIGTERM does

    with pytest.raises(IngestCancelled):
        assistant.ingest(progress=stop_after_first_round)

    assert stopped_at == [EMBED_BATCH]
    docs = assistant.store.documents()
    # The edited document was finished in the first round (new version, old one gone); the
    # big one was not finished: none of its chunks stay.
    assert docs["en/hub.md"].content_hashes == {file_hash(hub)}
    assert "uploads/big.md" not in docs
    _consistent(assistant)

    assistant.stopping.clear()
    report = assistant.ingest()
    assert report.added == ["uploads/big.md"] and report.chunks_embedded == 40
    _consistent(assistant)


class _SetAfter(threading.Event):
    """An event that reads as set from its ``n``-th check on (a stop request mid-wait)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.checks = 0
        self.n = n

    def is_set(self) -> bool:
        self.checks += 1
        return self.checks >= self.n or super().is_set()


def test_a_stop_request_ends_a_slow_parse(tmp_path) -> None:
    slow = tmp_path / "slow.html"
    slow.write_bytes(slow_html(32))
    stop = _SetAfter(3)
    pool = ParserPool(64 * 1024 * 1024, timeout=600, cancel=stop)
    try:
        with pytest.raises(IngestCancelled):
            pool.parse(slow)
        assert stop.checks == 3  # stopped at the check that saw the request
        assert pool._proc is None  # the worker process was killed, not left parsing
    finally:
        pool.close()
