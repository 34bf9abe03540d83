"""SIGTERM and SIGKILL while the real service (`python -m bot serve`) indexes a staff upload.

SIGTERM: indexing stops between embedding calls, the process exits 0 well within
STOP_DEADLINE (measured by polling the process; benchmarks/upload_load.py reports the
figure), and the index holds only complete documents; the upload stays on record as pending.
SIGKILL: the killhook (killhook/sitecustomize.py) pauses the service right after a store
write, so the kill lands with the upload half written; the next start finishes the upload
and repairs the half-written document. Only after the service is dead does the test open the
store itself (the embedded store must never be opened by two processes).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from bot.rag.assistant import Assistant
from bot.rag.indexer import EMBED_BATCH
from tests.conftest import ROOT, make_settings
from tests.rag.files import write_md
from tests.test_service import free_port, wait_healthy

HOOK_DIR = Path(__file__).resolve().parent / "killhook"
ADMIN = "robust-admin-token-0123456789"
# The service must be gone this long after SIGTERM (the red team saw no exit within 45 s).
STOP_DEADLINE = 30.0


def _knowledge(tmp_path: Path) -> Path:
    knowledge = tmp_path / "knowledge"
    write_md(knowledge / "hub.md", "Hub", "hub", {
        "How big is the hub?": "Seoul Startup Hub Ho Chi Minh covers 1,758 m² of shared office.",
    })  # fmt: skip
    return knowledge


def _big_doc(sections: int) -> bytes:
    """A Markdown upload of ``sections`` FAQ sections (one chunk each)."""
    body = "".join(
        f"## What does desk note {n} say?\n\nDesk note {n} says the zebra desk {n} opens at "
        f"{n % 12 + 7} o'clock on weekdays. Founders book it at the reception.\n\n"
        for n in range(sections)
    )
    return f"---\ntitle: Desk notes\nlanguage: en\n---\n\n# Desk notes\n\n{body}".encode()


class Service:
    """`python -m bot serve` in a subprocess, its output collected by a reader thread."""

    def __init__(self, data: Path, knowledge: Path, pause_after_writes: int = 0) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CHROMA_", "DATABASE_", "TELEGRAM_"))}  # fmt: skip
        env.update(
            PYTHONPATH=os.pathsep.join([str(HOOK_DIR), str(ROOT)]),
            ROBUST_PAUSE_AFTER_WRITES=str(pause_after_writes),
            PORT=str(self.port), HOST="127.0.0.1", ADMIN_TOKEN=ADMIN, KNOWLEDGE_DIR=str(knowledge),
            HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
        )  # fmt: skip
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--data-dir", str(data)],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self.paused = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.startswith("ROBUST-PAUSED"):
                self.paused.set()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def request(self, path: str, body: bytes | None = None, content_type: str = "") -> dict:
        headers = {"Authorization": f"Bearer {ADMIN}"}
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body,
                                     headers=headers)  # fmt: skip
        with urllib.request.urlopen(req, timeout=120) as reply:
            return json.load(reply)

    def upload(self, name: str, content: bytes) -> dict:
        boundary = "robust-upload-boundary"
        body = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: text/markdown\r\n\r\n"
        ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
        return self.request("/api/admin/documents", body,
                            f"multipart/form-data; boundary={boundary}")  # fmt: skip

    def wait_for(self, what: str, condition, deadline: float = 600) -> None:
        """Poll another process's state until ``condition()`` holds."""
        end = time.monotonic() + deadline
        while not condition():
            assert self.proc.poll() is None, f"service died waiting for {what}:\n{self.output}"
            assert time.monotonic() < end, f"never: {what}\n{self.output[-3000:]}"
            time.sleep(0.1)  # polling interval of an external process, not synchronisation

    def exited_within(self, deadline: float) -> float:
        """Seconds until the process exits (polled); fails after ``deadline``."""
        started = time.monotonic()
        while self.proc.poll() is None:
            assert time.monotonic() - started < deadline, (
                f"still running {deadline:.0f} s after the signal:\n{self.output[-3000:]}"
            )
            time.sleep(0.05)  # polling another process's exit
        self._reader.join(timeout=30)
        return time.monotonic() - started

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=60)
        self._reader.join(timeout=30)


def _consistent(data: Path, knowledge: Path) -> dict:
    """Open the store (the service is dead) and check that only whole documents are in it."""
    assistant = Assistant(make_settings(data, knowledge))
    docs = assistant.store.documents()
    assert all(doc.complete for doc in docs.values()), {k: d.complete for k, d in docs.items()}
    assert sum(len(doc.chunk_ids) for doc in docs.values()) == assistant.store.count()
    live = {c.id for c in assistant.store.iter_chunks(include_text=False)}
    assert assistant.store.sentence_chunk_ids() <= live, "sentences of removed chunks are left"
    return docs


def test_sigterm_during_a_large_upload_exits_promptly_with_a_consistent_index(tmp_path):
    knowledge, data = _knowledge(tmp_path), tmp_path / "data"
    service = Service(data, knowledge)
    try:
        wait_healthy(service.port, service.proc)
        job = service.upload("desk-notes.md", _big_doc(600))
        assert job["state"] in ("queued", "running"), job

        def indexing() -> bool:
            nonlocal job
            job = service.request(f"/api/admin/jobs/{job['id']}")
            return job["state"] == "running" and job["done"] >= EMBED_BATCH

        service.wait_for("the upload's first chunks written", indexing)
        assert job["total"] == 600 and job["done"] < job["total"]

        service.proc.send_signal(signal.SIGTERM)
        seconds = service.exited_within(STOP_DEADLINE)
    finally:
        service.kill()
    print(f"\nSIGTERM during indexing ({job['done']}/{job['total']} chunks): exit in {seconds:.2f} s")
    assert service.proc.returncode == 0, service.output[-3000:]
    assert "Traceback" not in service.output

    docs = _consistent(data, knowledge)
    assert docs["hub.md"].complete
    assert "uploads/desk-notes.md" not in docs, "a half-indexed upload was left in the index"
    # Kept and on record: the next start finishes it (tests/test_service.py shows that).
    assert (knowledge / "uploads" / "desk-notes.md").is_file()
    assert len(list((knowledge / ".changes" / "pending").glob("*.json"))) == 1


def test_sigkill_during_an_upload_is_finished_at_the_next_start(tmp_path):
    knowledge, data = _knowledge(tmp_path), tmp_path / "data"
    sections = 3 * EMBED_BATCH + 5
    # Write 1: the start-up index of hub.md; writes 2 and 3: two rounds of the upload.
    service = Service(data, knowledge, pause_after_writes=3)
    try:
        wait_healthy(service.port, service.proc)
        service.upload("desk-notes.md", _big_doc(sections))
        assert service.paused.wait(timeout=600), service.output[-3000:]
        service.proc.send_signal(signal.SIGKILL)
        assert service.proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        service.kill()

    assistant = Assistant(make_settings(data, knowledge))
    half = assistant.store.documents()["uploads/desk-notes.md"]
    assert len(half.chunk_ids) == 2 * EMBED_BATCH and not half.complete  # killed mid-upload
    del assistant

    again = Service(data, knowledge)
    try:
        wait_healthy(again.port, again.proc)

        def resumed() -> list[dict]:
            return [j for j in again.request("/api/admin/jobs")
                    if j["kind"] == "resume" and j["state"] not in ("queued", "running")]  # fmt: skip

        again.wait_for("the interrupted upload finished", resumed)
        [job] = resumed()
        assert job["state"] == "done" and job["source"] == "uploads/desk-notes.md", job
        sources = {d["source"]: d for d in again.request("/api/admin/sources")}
        assert sources["uploads/desk-notes.md"]["chunks"] == sections
        assert sources["uploads/desk-notes.md"]["origin"] == "upload"
        changes = again.request("/api/admin/changes")
        assert changes["undoable"]["path"] == "uploads/desk-notes.md"
        again.proc.send_signal(signal.SIGTERM)
        again.exited_within(STOP_DEADLINE)
    finally:
        again.kill()
    assert again.proc.returncode == 0, again.output[-3000:]
    docs = _consistent(data, knowledge)
    assert len(docs["uploads/desk-notes.md"].chunk_ids) == sections
    assert not list((knowledge / ".changes" / "pending").glob("*.json"))
