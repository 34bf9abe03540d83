"""`kill -9` during ingestion, then restart: the index answers at once and the next run repairs it.

The ingest runs as a real `python ingest.py` subprocess. A sitecustomize hook (killhook/)
pauses it right after its N-th document write and says so on stderr; the test then sends
SIGKILL. Only after the process is dead does the test open the store itself (Chroma's
embedded store must never be opened by two processes at once).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from bot.rag.assistant import Assistant
from bot.rag.indexer import EMBED_BATCH
from tests.conftest import ROOT, make_settings
from tests.rag.files import write_md

HOOK_DIR = Path(__file__).resolve().parent / "killhook"
FILES = 150
TOPICS = ("visa", "office", "tax", "hiring", "banking", "legal")


def _corpus(root: Path) -> Path:
    for index in range(FILES):
        topic = TOPICS[index % len(TOPICS)]
        write_md(root / topic / f"note-{index:03d}.md", f"Note {index} on {topic}", topic, {
            f"What does note {index} say about {topic}?":
                f"Founders asking about {topic} should read note {index}: "
                f"room {index + 100} holds the {topic} desk, open on weekday {index % 5 + 1}.",
        })  # fmt: skip
    return root


def _env(data_dir: Path, knowledge: Path, pause_after: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHROMA_", "DATABASE_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(HOOK_DIR), str(ROOT)]),
        DATA_DIR=str(data_dir),
        KNOWLEDGE_DIR=str(knowledge),
        ROBUST_PAUSE_AFTER_WRITES=str(pause_after),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
    )
    return env


def _ingest_cmd(knowledge: Path, data_dir: Path) -> list[str]:
    return [sys.executable, str(ROOT / "ingest.py"), str(knowledge), "--data-dir", str(data_dir),
            "--json"]  # fmt: skip


def _run_ingest(knowledge: Path, data_dir: Path, cwd: Path) -> dict:
    """A complete ingest run in a subprocess; returns its JSON report."""
    done = subprocess.run(
        _ingest_cmd(knowledge, data_dir), cwd=cwd, env=_env(data_dir, knowledge, 0),
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def _ingest_and_kill(knowledge: Path, data_dir: Path, cwd: Path, pause_after: int) -> None:
    """Start an ingest, SIGKILL it once it has written ``pause_after`` documents."""
    proc = subprocess.Popen(
        _ingest_cmd(knowledge, data_dir), cwd=cwd, env=_env(data_dir, knowledge, pause_after),
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    paused = threading.Event()
    lines: list[str] = []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if line.startswith("ROBUST-PAUSED"):
                paused.set()
        paused.set()  # EOF: the process ended without pausing (checked below)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert paused.wait(timeout=300), "ingest never reached its pause point"
        assert any(line.startswith("ROBUST-PAUSED") for line in lines), "".join(lines)[-2000:]
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=60)
        reader.join(timeout=30)


def _assert_consistent(assistant: Assistant, knowledge: Path) -> None:
    """Every file indexed exactly once, one version each, no stray chunks."""
    docs = assistant.store.documents()
    root = knowledge.resolve()
    files = {p.resolve().relative_to(root).as_posix() for p in knowledge.rglob("*.md")}
    assert set(docs) == files
    assert all(len(doc.content_hashes) == 1 for doc in docs.values())
    assert all(doc.complete for doc in docs.values())
    assert sum(len(doc.chunk_ids) for doc in docs.values()) == assistant.store.count()


def test_kill_during_first_ingest_then_restart(tmp_path: Path, shared_embeddings) -> None:
    knowledge = _corpus(tmp_path / "knowledge")
    data_dir = tmp_path / "data"
    # Each note is one chunk: two batch writes hold 2 × EMBED_BATCH notes, the rest is not
    # written when the kill lands.
    _ingest_and_kill(knowledge, data_dir, tmp_path, pause_after=2)
    written = 2 * EMBED_BATCH

    assistant = Assistant(make_settings(data_dir, knowledge), embeddings=shared_embeddings)
    assert 0 < assistant.store.count() < FILES
    assert len(assistant.sources()) == written
    answer = assistant.answer("What does note 3 say about tax?")
    assert answer.answer.strip() and "Traceback" not in answer.answer
    indexed = {doc.source for doc in assistant.sources()}
    assert {source.source for source in answer.sources} <= indexed

    report = assistant.ingest()
    assert not report.failed
    assert len(report.unchanged) == written, "what was written before the kill is kept"
    assert len(report.added) == FILES - written
    _assert_consistent(assistant, knowledge)


def test_kill_between_writing_new_versions_and_deleting_the_old(
    tmp_path: Path, shared_embeddings
) -> None:
    knowledge = _corpus(tmp_path / "knowledge")
    data_dir = tmp_path / "data"
    assert _run_ingest(knowledge, data_dir, tmp_path)["added"] == FILES
    edited = sorted(knowledge.rglob("*.md"))[: EMBED_BATCH + 8]  # one full batch and some
    for path in edited:
        path.write_text(path.read_text(encoding="utf-8") + "\nUpdated: the desk moved.\n",
                        encoding="utf-8")  # fmt: skip
    # The hook pauses right after the first batch's new chunks are stored, before the old
    # versions of those documents are deleted; the last 8 edits are not written at all.
    _ingest_and_kill(knowledge, data_dir, tmp_path, pause_after=1)

    assistant = Assistant(make_settings(data_dir, knowledge), embeddings=shared_embeddings)
    two_versions = [d for d in assistant.store.documents().values() if len(d.content_hashes) > 1]
    assert len(two_versions) == EMBED_BATCH, "the killed run left both versions of a batch"
    answer = assistant.answer("Which room holds the visa desk?")
    assert answer.answer.strip() and "Traceback" not in answer.answer

    report = assistant.ingest()
    assert not report.failed
    assert len(report.updated) == len(edited)
    _assert_consistent(assistant, knowledge)
    for path in edited:
        key = path.resolve().relative_to(knowledge.resolve()).as_posix()
        chunks = [c for c in assistant.store.iter_chunks() if c.metadata.get("path") == key]
        assert chunks and all("desk moved" in c.text for c in chunks), path.name
