"""Fixtures of the web channel tests: apps over the real assistant, a real uvicorn server."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.config import Settings

from .helpers import (
    ADMIN_TOKEN,
    ALLOWED_ORIGIN,
    METRICS_TOKEN,
    WEBHOOK_SECRET,
    FakeAssistant,
    ThreadedServer,
    free_port_socket,
    make_settings,
)


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium for the module."""
    from .browser import CHROMIUM, LAUNCH_ARGS

    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def fake_assistant(plumbing_settings: Settings) -> FakeAssistant:
    """A plumbing-only assistant (for defences that do not depend on the answer)."""
    return FakeAssistant(plumbing_settings)


@pytest.fixture()
def plumbing_settings(tmp_path: Path) -> Settings:
    """Settings for apps around the fake assistant."""
    return make_settings(
        tmp_path / "data",
        tmp_path / "knowledge",
        admin_token=ADMIN_TOKEN,
        allowed_origins=ALLOWED_ORIGIN,
        telegram_webhook_secret=WEBHOOK_SECRET,
        metrics_token=METRICS_TOKEN,
    )


@pytest.fixture()
def knowledge_assistant(indexed_settings: Settings, shared_embeddings, tmp_path: Path):
    """A real assistant on the real index whose knowledge folder is a private temp dir.

    Uploads and deletions happen there, never in the repository's knowledge/.
    """
    from bot.rag.assistant import Assistant

    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    settings = make_settings(indexed_settings.data_dir, knowledge)
    return Assistant(settings, embeddings=shared_embeddings)


@pytest.fixture()
def serve():
    """Start apps on real uvicorn servers on 127.0.0.1; yields a function app -> base URL."""
    running: list[tuple[ThreadedServer, threading.Thread]] = []

    def start(app: FastAPI, settings: Settings | None = None) -> str:
        """Serve ``app``; with ``settings``, under the service's own uvicorn configuration."""
        sock = free_port_socket()
        port = sock.getsockname()[1]
        if settings is not None:
            from bot.service import uvicorn_config

            config = uvicorn_config(app, settings)
            config.lifespan = "off"
        else:
            config = uvicorn.Config(app, log_level="warning", lifespan="off", proxy_headers=False)
        server = ThreadedServer(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        assert server.ready.wait(timeout=30), "uvicorn did not start"
        assert server.started, "uvicorn failed to start"
        running.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture()
def client_for():
    """Build TestClients that are closed after the test."""
    clients: list[TestClient] = []

    def build(app: FastAPI, **kwargs: object) -> TestClient:
        client = TestClient(app, **kwargs)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()
