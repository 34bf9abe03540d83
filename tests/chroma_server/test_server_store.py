"""The knowledge store on a real Chroma server behind the token proxy, in process.

Replicas are separate Assistant objects with their own data dirs sharing one collection,
as separate service processes would (tests/chroma_server/test_replicas.py runs those).
"""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.errors import StoreUnavailable
from bot.rag.assistant import Assistant
from bot.rag.store import KnowledgeStore
from tests.chroma_server.conftest import (
    ChromaServer,
    TokenProxy,
    copy_index,
    remote_settings,
)
from tests.conftest import KNOWLEDGE
from tests.rag.files import write_md

pytestmark = pytest.mark.slow


def test_ingest_and_answer_through_the_server_with_the_token(
    chroma_proxy: TokenProxy, tmp_path: Path, shared_embeddings
) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for name in ("hub-overview.md", "tech-trade-center.md"):
        shutil.copy(KNOWLEDGE / "ko" / name, knowledge / name)
    settings = remote_settings(tmp_path / "data", chroma_proxy.port, knowledge_dir=knowledge)
    assistant = Assistant(settings, embeddings=shared_embeddings)
    assert assistant.store.remote

    report = assistant.ingest()
    assert len(report.added) == 2 and not report.failed and report.chunks_embedded > 0
    assert assistant.store.count() == report.chunks_embedded
    # Nothing is written to the data dir's embedded store in server mode.
    assert not settings.chroma_dir.exists()

    answer = assistant.answer("서울창업허브 호치민의 면적은 얼마인가요?")
    assert answer.answered and answer.language == "ko"
    assert "1,758" in answer.answer
    assert any(source.source.endswith("hub-overview.md") for source in answer.sources)

    again = assistant.ingest()
    assert len(again.unchanged) == 2 and again.chunks_embedded == 0 and not again.changed


def test_the_proxy_refuses_requests_without_the_token(
    chroma_proxy: TokenProxy, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{chroma_proxy.port}/api/v2/tenants/default_tenant/databases/"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url + "default_database/collections", timeout=10)
    assert refused.value.code == 401

    wrong = remote_settings(tmp_path, chroma_proxy.port, token="not-the-token-at-all")
    store = KnowledgeStore(wrong)  # never raises at start-up: the server may come later
    with pytest.raises(StoreUnavailable) as failure:
        store.heartbeat()
    assert "CHROMA_TOKEN" in str(failure.value)
    assert "not-the-token-at-all" not in str(failure.value)

    anonymous = remote_settings(tmp_path, chroma_proxy.port, token=None)
    with pytest.raises(StoreUnavailable):
        KnowledgeStore(anonymous).count()


def test_a_replica_sees_another_replicas_ingest_without_a_restart(
    chroma_proxy: TokenProxy, indexed_dir: Path, tmp_path: Path, shared_embeddings
) -> None:
    first = remote_settings(tmp_path / "a", chroma_proxy.port)
    second = first.model_copy(update={"data_dir": tmp_path / "b"})
    assert copy_index(indexed_dir, first) > 100
    replica_a = Assistant(first, embeddings=shared_embeddings)
    replica_b = Assistant(second, embeddings=shared_embeddings)

    question = "Which room holds the zebracorn test kit?"
    before = replica_b.answer(question)  # builds B's keyword index before A's ingest
    assert not before.answered
    ko = "서울창업허브 호치민의 면적은 얼마인가요?"
    assert replica_a.answer(ko).answer == replica_b.answer(ko).answer

    new_file = write_md(tmp_path / "uploads" / "zebracorn.md", "Zebracorn test kit", "faq", {
        "Where is the zebracorn test kit?": "The zebracorn test kit is kept in room Z-42.",
    })  # fmt: skip
    report = replica_a.ingest([new_file])  # what an upload to replica A does
    assert len(report.added) == 1 and report.chunks_embedded == 1

    after = replica_b.answer(question)
    assert after.answered and "Z-42" in after.answer
    assert after.sources[0].source.endswith("zebracorn.md")
    assert replica_a.answer(question).answer == after.answer


def test_store_down_then_back_without_a_new_assistant(
    tmp_path: Path, indexed_dir: Path, shared_embeddings
) -> None:
    server = ChromaServer(tmp_path / "db")
    settings = remote_settings(tmp_path / "data", server.port, token=None)
    assistant = Assistant(settings, embeddings=shared_embeddings)  # server not running yet
    with pytest.raises(StoreUnavailable):
        assistant.store.heartbeat()
    down = assistant.answer("HUTECH은 어떤 곳인가요?")
    assert not down.answered and "일시적으로" in down.answer

    server.start()
    try:
        copy_index(indexed_dir, settings)
        up = assistant.answer("HUTECH은 어떤 곳인가요?")
        assert up.answered and up.language == "ko"

        server.stop()
        with pytest.raises(StoreUnavailable):
            assistant.store.heartbeat()
        # Answers continue from the in-memory copy of the knowledge base; writes cannot.
        again = assistant.answer("How big is the hub?")
        assert again.answered and "1,758" in again.answer
        with pytest.raises(StoreUnavailable):
            assistant.ingest()

        server.start()  # same path and port: the data is still there
        assistant.store.heartbeat()
        back = assistant.answer("HUTECH은 어떤 곳인가요?")
        assert back.answered and back.answer == up.answer
    finally:
        server.stop()


def test_staff_ingest_py_writes_to_the_server_and_a_running_replica_sees_it(
    chroma_proxy: TokenProxy, tmp_path: Path, shared_embeddings
) -> None:
    """No service owns this machine's data dir: ingest.py indexes into the Chroma server
    itself (which is safe to share), and a replica elsewhere answers from it at once."""
    import json
    import os
    import subprocess
    import sys

    from tests.chroma_server.conftest import remote_env
    from tests.conftest import ROOT

    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    shutil.copy(KNOWLEDGE / "en" / "hub-overview.md", knowledge / "hub-overview.md")
    replica_settings = remote_settings(tmp_path / "replica", chroma_proxy.port,
                                       knowledge_dir=knowledge, collection="staff-ingest")  # fmt: skip
    replica = Assistant(replica_settings, embeddings=shared_embeddings)
    assert replica.ensure_index() is not None
    assert not replica.answer("Where is the zebracorn test kit?").answered

    write_md(knowledge / "zebracorn.md", "Zebracorn test kit", "faq", {
        "Where is the zebracorn test kit?": "The zebracorn test kit is kept in room Z-42.",
    })  # fmt: skip
    env = {**os.environ, **remote_env(chroma_proxy.port, "staff-ingest"), "HF_HUB_OFFLINE": "1",
           "KNOWLEDGE_DIR": str(knowledge), "DATA_DIR": str(tmp_path / "staff")}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "ingest.py", "--json"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["added"] == 1 and report["unchanged"] == 1 and report["chunks_embedded"] == 1
    assert "handed to the running service" not in done.stderr
    assert not (tmp_path / "staff" / "chroma").exists()  # nothing embedded on the staff side

    answer = replica.answer("Where is the zebracorn test kit?")
    assert answer.answered and "Z-42" in answer.answer
