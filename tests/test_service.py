"""`python -m bot serve` as a real process: HTTP up, one service per data dir, clean SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(data_dir: Path, port: int, **extra_env: str) -> subprocess.Popen[str]:
    """`python -m bot serve` on ``port`` (Telegram off unless the token is in extra_env)."""
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "HF_HUB_OFFLINE": "1",
           "ADMIN_TOKEN": "test-admin-token-0123456789", **extra_env}  # fmt: skip
    if "TELEGRAM_BOT_TOKEN" not in extra_env:
        env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--data-dir", str(data_dir)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def wait_healthy(port: int, process: subprocess.Popen[str], deadline: float = 180) -> None:
    """Poll /healthz until it answers (the process must stay alive meanwhile)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)  # polling interval of an external process, not synchronisation
    raise AssertionError("service did not become healthy")


def ask(port: int, question: str) -> dict:
    """POST /api/ask on the service and return its JSON."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/ask",
        data=json.dumps({"question": question}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.load(reply)


def test_service_answers_refuses_a_second_instance_and_stops_on_sigterm(indexed_settings):
    port = free_port()
    service = start(indexed_settings.data_dir, port)
    try:
        wait_healthy(port, service)
        answer = ask(port, "HUTECH은 어떤 곳인가요?")
        assert answer["answered"] and answer["language"] == "ko"

        second = start(indexed_settings.data_dir, free_port())
        output, _ = second.communicate(timeout=120)
        assert second.returncode == 1
        assert "another service is already running" in output and str(service.pid) in output
        assert "Traceback" not in output
    finally:
        service.send_signal(signal.SIGTERM)
        output, _ = service.communicate(timeout=60)
    assert service.returncode == 0, output
    assert "Traceback" not in output
    assert "running without Telegram" in output


async def test_service_runs_telegram_and_the_web_api_in_one_process(indexed_settings):
    """The README's service, with a token: polls the (local) Bot API and serves HTTP."""
    from tests.tg.conftest import TOKEN, wait_sent
    from tests.tg.fake_bot_api import FakeBotAPI, message_update, user_json

    api = FakeBotAPI(TOKEN).start()
    port = free_port()
    service = start(
        indexed_settings.data_dir, port,
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=api.base_url, LOG_LEVEL="DEBUG",
    )  # fmt: skip
    try:
        wait_healthy(port, service)
        founder = user_json(4242, "ko")
        api.enqueue(message_update(api, 4242, founder, "서울창업허브 호치민의 면적은 얼마인가요?"))
        answers = await wait_sent(api, 4242, lambda call: "1,758" in call.text, timeout=120)
        assert "ko/hub-overview.md" in answers[0].text or "서울창업허브" in answers[0].text
    finally:
        service.send_signal(signal.SIGTERM)
        output, _ = service.communicate(timeout=60)
        api.stop()
    assert service.returncode == 0, output[-3000:]
    assert TOKEN not in output and TOKEN.split(":")[1] not in output


def test_ingest_while_the_service_runs_is_handed_to_it(tmp_path):
    """Staff run ingest.py while founders chat: the service indexes, answers at once."""
    from tests.rag.files import write_md

    knowledge = tmp_path / "knowledge"
    write_md(knowledge / "hub.md", "Hub", "hub", {"How big is the hub?": "The hub is 1,758 m²."})
    data = tmp_path / "data"
    port = free_port()
    service = start(data, port, KNOWLEDGE_DIR=str(knowledge))
    env = {**os.environ, "KNOWLEDGE_DIR": str(knowledge), "DATA_DIR": str(data),
           "HF_HUB_OFFLINE": "1"}  # fmt: skip
    try:
        wait_healthy(port, service)
        write_md(knowledge / "wifi.md", "Wi-Fi", "faq", {
            "Is there Wi-Fi for residents?": "Residents get Wi-Fi named zebracorn-net.",
        })  # fmt: skip

        refused = subprocess.run(
            [sys.executable, "ingest.py", "--json"], cwd=ROOT, capture_output=True, text=True,
            env={**env, "ADMIN_TOKEN": ""}, timeout=120, check=False,
        )  # fmt: skip
        assert refused.returncode == 2
        assert "service is running" in refused.stderr and "ADMIN_TOKEN" in refused.stderr

        done = subprocess.run(
            [sys.executable, "ingest.py", "--json"], cwd=ROOT, capture_output=True, text=True,
            env={**env, "ADMIN_TOKEN": "test-admin-token-0123456789"}, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["added"] == 1 and report["unchanged"] == 1 and report["chunks_embedded"] == 1
        assert "handed to the running service" in done.stderr

        answer = ask(port, "Is there Wi-Fi for residents?")
        assert answer["answered"] and "zebracorn" in answer["answer"]
    finally:
        service.send_signal(signal.SIGTERM)
        output, _ = service.communicate(timeout=60)
    assert service.returncode == 0, output[-2000:]


def admin_get(port: int, path: str) -> object:
    """GET an admin endpoint of the service and return its JSON."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        headers={"Authorization": "Bearer test-admin-token-0123456789"},
    )
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.load(reply)


def test_sigterm_keeps_an_in_flight_upload_and_the_next_start_indexes_it(tmp_path):
    """SIGTERM while a staff upload is half sent: the upload is received and kept (pending),
    the process exits 0 at once with a consistent index, and the next start publishes it."""
    import socket as sockets

    from bot.rag.assistant import Assistant
    from tests.conftest import make_settings
    from tests.rag.files import write_md

    knowledge = tmp_path / "knowledge"
    write_md(knowledge / "hub.md", "Hub", "hub", {"How big is the hub?": "The hub is 1,758 m²."})
    data = tmp_path / "data"
    port = free_port()
    service = start(data, port, KNOWLEDGE_DIR=str(knowledge))
    boundary = "in-flight-boundary-81c2"
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"desk.md\"\r\n"
        "Content-Type: text/markdown\r\n\r\n"
        "---\ntitle: Desk rental\nlanguage: en\n---\n\n# Desk rental\n\n"
    ).encode()
    tail = (
        "## Can I rent a single desk?\n\nSingle desks can be rented by the week.\n"
        f"\r\n--{boundary}--\r\n"
    ).encode()
    changes = knowledge / ".changes"
    try:
        wait_healthy(port, service)
        conn = sockets.create_connection(("127.0.0.1", port), timeout=120)
        conn.sendall(
            f"POST /api/admin/documents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer test-admin-token-0123456789\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(head) + len(tail)}\r\nConnection: close\r\n\r\n".encode()
            + head
        )
        # The service streams an upload into a hidden .part file: once it exists, the request
        # is being handled (polling another process's state, not timing).
        incoming = changes / "incoming"
        end = time.monotonic() + 60
        while not (incoming.is_dir() and any(incoming.glob("*.part"))):
            assert time.monotonic() < end, "the upload never started"
            time.sleep(0.05)
        service.send_signal(signal.SIGTERM)
        conn.sendall(tail)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
        conn.close()
    finally:
        if service.poll() is None:
            service.send_signal(signal.SIGTERM)
        output, _ = service.communicate(timeout=90)
    status_line, _, rest = reply.partition(b"\r\n")
    assert b" 202 " in status_line, reply[:500]
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["source"] == "uploads/desk.md"
    assert service.returncode == 0, output[-2000:]
    assert "Traceback" not in output
    # The upload is in place and on record as pending; the index holds only complete
    # documents (the upload's indexing was stopped before it began).
    uploads = knowledge / "uploads"
    assert (uploads / "desk.md").is_file() and not list(incoming.iterdir())
    assert len(list((changes / "pending").glob("*.json"))) == 1
    docs = Assistant(make_settings(data, knowledge)).store.documents()
    assert all(doc.complete for doc in docs.values()) and docs["hub.md"].complete
    assert "uploads/desk.md" not in docs

    # The next start finishes it.
    service = start(data, port, KNOWLEDGE_DIR=str(knowledge))
    try:
        wait_healthy(port, service)
        # The resumed job is what staff watch: "done" once the document is indexed and the
        # retriever has it (the source list alone shows it a moment before answers can use it).
        end = time.monotonic() + 180
        while True:
            resumed = [j for j in admin_get(port, "/api/admin/jobs") if j["kind"] == "resume"]
            if resumed and resumed[0]["state"] in ("done", "failed"):
                break
            assert time.monotonic() < end, "the interrupted upload was never indexed"
            time.sleep(0.2)  # polling another process's state, not synchronisation
        assert resumed[0]["state"] == "done" and resumed[0]["source"] == "uploads/desk.md"
        assert "uploads/desk.md" in {d["source"] for d in admin_get(port, "/api/admin/sources")}
        answer = ask(port, "Can I rent a single desk?")
        assert answer["sources"][0]["source"] == "uploads/desk.md"
        assert answer["sources"][0]["origin"] == "upload"
    finally:
        service.send_signal(signal.SIGTERM)
        output, _ = service.communicate(timeout=90)
    assert service.returncode == 0, output[-2000:]
    assert not list((changes / "pending").glob("*.json"))
    docs = Assistant(make_settings(data, knowledge)).store.documents()
    assert docs["uploads/desk.md"].complete and docs["hub.md"].complete
