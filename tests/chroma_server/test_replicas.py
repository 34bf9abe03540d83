"""Real service processes on a real Chroma server: replicas in Telegram webhook mode sharing
the knowledge base and the state database, and a service that outlives a Chroma outage."""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.chroma_server.conftest import CHROMA_TOKEN, ChromaServer, TokenProxy, remote_env
from tests.conftest import KNOWLEDGE
from tests.test_service import free_port, start, wait_healthy
from tests.tg.conftest import TOKEN, wait_sent
from tests.tg.fake_bot_api import FakeBotAPI, message_update, user_json

pytestmark = pytest.mark.slow

ADMIN = "test-admin-token-0123456789"
WEBHOOK_SECRET = "test-webhook-secret-5e8d1c"
_update_ids = itertools.count(1000)


def small_knowledge(tmp_path: Path) -> Path:
    """A knowledge folder with the hub overview in Korean and English (a few chunks)."""
    knowledge = tmp_path / "knowledge"
    for lang in ("ko", "en"):
        (knowledge / lang).mkdir(parents=True)
        shutil.copy(KNOWLEDGE / lang / "hub-overview.md", knowledge / lang / "hub-overview.md")
    return knowledge


def request(port: int, path: str, body: Any = None, headers: dict[str, str] | None = None,
            method: str | None = None) -> tuple[int, Any]:  # fmt: skip
    """An HTTP request to a service; returns (status, parsed JSON body)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )  # fmt: skip
    return send(req)


def send(req: urllib.request.Request) -> tuple[int, Any]:
    """Send ``req``; returns (status, parsed JSON body), for error statuses too."""
    try:
        with urllib.request.urlopen(req, timeout=300) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def upload(port: int, name: str, content: bytes) -> tuple[int, Any]:
    """POST /api/admin/documents with one file (multipart)."""
    boundary = "----test-boundary-4b1f"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
        f"Content-Type: text/markdown\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/admin/documents", data=body, method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                 "Authorization": f"Bearer {ADMIN}"},
    )  # fmt: skip
    return send(req)


def webhook(port: int, api: FakeBotAPI, chat_id: int, text: str, lang: str = "ko") -> None:
    """Deliver one founder message to a replica's webhook, as Telegram would."""
    update = message_update(api, chat_id, user_json(chat_id, lang), text)
    update["update_id"] = next(_update_ids)
    status, body = request(
        port, "/telegram/webhook", update,
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )  # fmt: skip
    assert status == 200 and body == {"ok": True}


def wait_status(port: int, path: str, status: int, deadline: float = 120) -> Any:
    """Poll ``path`` until it answers ``status`` (a state change in another process)."""
    end = time.monotonic() + deadline
    last = None
    while time.monotonic() < end:
        last = request(port, path)
        if last[0] == status:
            return last[1]
        time.sleep(0.2)  # polling interval of an external process, not synchronisation
    raise AssertionError(f"{path} never answered {status}; last: {last}")


def stop(service: subprocess.Popen[str]) -> str:
    """SIGTERM, wait, and return the output; the service must exit cleanly."""
    service.send_signal(signal.SIGTERM)
    output, _ = service.communicate(timeout=90)
    assert service.returncode == 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    for secret in (TOKEN, TOKEN.split(":")[1], CHROMA_TOKEN, ADMIN, WEBHOOK_SECRET):
        assert secret not in output
    return output


def telegram_env(api: FakeBotAPI) -> dict[str, str]:
    """Webhook mode against the local Bot API (replicas share the load behind one URL)."""
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": api.base_url,
        "TELEGRAM_WEBHOOK_URL": "https://assistant.example.invalid/telegram/webhook",
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }


async def test_two_replicas_share_knowledge_state_and_telegram_load(
    chroma_proxy: TokenProxy, tmp_path: Path
) -> None:
    knowledge = small_knowledge(tmp_path)
    api = FakeBotAPI(TOKEN).start()
    shared = {
        **remote_env(chroma_proxy.port, "replicas"),
        "KNOWLEDGE_DIR": str(knowledge),  # one shared folder, as a shared volume would be
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared-state.db'}",
        "INDEX_REFRESH_SECONDS": "0",
        "LOG_LEVEL": "DEBUG",
    }
    ports = [free_port(), free_port()]
    replicas: list[subprocess.Popen[str]] = []
    try:
        # The first replica indexes the empty collection; the second finds it filled.
        for port in ports:
            env = {**shared, **telegram_env(api)}
            replicas.append(start(tmp_path / f"data-{port}", port, **env))
            wait_healthy(port, replicas[-1])
            wait_status(port, "/readyz", 200)
        assert len(api.calls("setWebhook", ok=True)) == 2

        question = {"question": "서울창업허브 호치민의 면적은 얼마인가요?"}
        answers = [request(port, "/api/ask", question) for port in ports]
        assert all(status == 200 for status, _ in answers)
        assert answers[0][1]["answer"] == answers[1][1]["answer"]
        assert "1,758" in answers[0][1]["answer"]

        # Telegram delivers to whichever replica the load balancer picks: both answer.
        webhook(ports[0], api, 5101, "서울창업허브 호치민의 면적은 얼마인가요?")
        webhook(ports[1], api, 5102, "서울창업허브 호치민의 면적은 얼마인가요?")
        for chat in (5101, 5102):
            sent = await wait_sent(api, chat, lambda call: "1,758" in call.text, timeout=120)
            assert sent

        # A document uploaded to replica 1 is answered by replica 2 without a restart.
        status, report = upload(ports[0], "zebracorn.md", (
            b"---\ntitle: Zebracorn test kit\nlanguage: en\ntopic: faq\n---\n\n"
            b"# Zebracorn test kit\n\n## Where is the zebracorn test kit?\n\n"
            b"The zebracorn test kit is kept in room Z-42.\n"
        ))  # fmt: skip
        assert status == 202, report
        auth = {"Authorization": f"Bearer {ADMIN}"}
        end = time.monotonic() + 300
        status_url = report["status_url"]  # the job's own reports do not repeat it
        while report["state"] in ("queued", "running"):  # indexed in the background
            assert time.monotonic() < end, report
            await asyncio.sleep(0.2)  # polling interval of another process's state
            status, report = request(ports[0], status_url, headers=auth)
        assert report["state"] == "done", report
        status, answer = request(ports[1], "/api/ask", {"question": "Where is the zebracorn kit?"})
        assert status == 200 and answer["answered"] and "Z-42" in answer["answer"]

        # One state database: replica 2's staff view counts the questions replica 1 logged.
        status, stats = request(ports[1], "/api/admin/stats", headers=auth)
        assert status == 200
        assert stats["languages"]["ko"]["questions"] == 4  # 2 web + 2 Telegram
        assert stats["languages"]["en"]["questions"] == 1
    finally:
        outputs = [stop(service) for service in replicas]
        api.stop()
    assert all("mode=webhook" in output for output in outputs)


async def test_service_outlives_a_chroma_outage(tmp_path: Path) -> None:
    knowledge = small_knowledge(tmp_path)
    chroma = ChromaServer(tmp_path / "chroma-db")  # not started: down when the service starts
    proxy = TokenProxy(tmp_path / "proxy", chroma.port).start()
    api = FakeBotAPI(TOKEN).start()
    port = free_port()
    service = start(
        tmp_path / "data", port,
        **remote_env(proxy.port, "outage"), **telegram_env(api),
        KNOWLEDGE_DIR=str(knowledge), LOG_LEVEL="DEBUG",
    )  # fmt: skip
    ko = {"question": "서울창업허브 호치민의 면적은 얼마인가요?"}
    try:
        wait_healthy(port, service)
        status, body = request(port, "/readyz")
        assert status == 503 and "unreachable" in body["detail"]
        status, body = request(port, "/api/ask", ko)
        assert status == 503 and body["detail"].startswith("일시적으로")
        webhook(port, api, 5201, ko["question"])
        assert await wait_sent(api, 5201, lambda call: "일시적으로" in call.text, timeout=60)

        chroma.start()  # the service indexes its knowledge folder on its own, then is ready
        ready = wait_status(port, "/readyz", 200)
        assert ready["chunks"] > 0
        status, body = request(port, "/api/ask", ko)
        assert status == 200 and "1,758" in body["answer"]

        chroma.stop()
        wait_status(port, "/readyz", 503)
        # Once the service has read the knowledge base, an outage does not silence it: it
        # answers from its in-memory copy (which cannot go stale: nothing can be ingested
        # meanwhile), while /readyz keeps telling the load balancer about the outage.
        status, body = request(port, "/api/ask", {"question": "How big is the hub?"})
        assert status == 200 and "1,758" in body["answer"]
        webhook(port, api, 5202, "How big is the hub?", lang="en")
        assert await wait_sent(api, 5202, lambda c: "1,758" in c.text, timeout=60)

        chroma.start()
        wait_status(port, "/readyz", 200)
        status, body = request(port, "/api/ask", ko)
        assert status == 200 and "1,758" in body["answer"]
        webhook(port, api, 5203, ko["question"])
        assert await wait_sent(api, 5203, lambda call: "1,758" in call.text, timeout=60)
        assert service.poll() is None  # the same process throughout
    finally:
        output = stop(service)
        chroma.stop()
        proxy.stop()
        api.stop()
    assert "starting without the knowledge store" in output
