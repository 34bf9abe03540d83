"""`python -m bot serve`: the web API, the widget and the Telegram bot in one process and loop.

CPU work (embedding, ingestion) runs in worker threads; the event loop only moves bytes.
Exactly one service may own a data directory: the embedded Chroma store is not safe to open
from two processes, so a second service fails fast instead of hanging or corrupting it.

SIGTERM/SIGINT: the first signal tells ingestion to stop between embedding calls (only
complete documents stay indexed; an interrupted upload is finished at the next start),
uvicorn lets in-flight requests finish, then Telegram stops and the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import signal
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import uvicorn

from bot.config import Settings
from bot.errors import DataDirLocked, StoreUnavailable

logger = logging.getLogger(__name__)

LOCK_NAME = "service.lock"


def lock_path(settings: Settings) -> Path:
    """The lock file that says which service owns this data dir.

    Embedded store: one service per DATA_DIR, full stop. With a Chroma server the store is
    shared safely, so replicas may share a DATA_DIR volume (docker compose --scale): the
    lock is then per host, still stopping two services in one container or machine.
    """
    if settings.chroma_host:
        return settings.data_dir / f"service-{socket.gethostname()}.lock"
    return settings.data_dir / LOCK_NAME
# While the Chroma server is unreachable at start-up, retry the first-run work this often.
STORE_RETRY_SECONDS = 5.0
# How long shutdown waits for the publishing job to stop (it stops between embedding calls,
# normally within a second or two).
PUBLISHER_STOP_SECONDS = 20.0


@dataclass
class DataDirLock:
    """An exclusive flock on DATA_DIR/service.lock, holding the service's pid and address."""

    path: Path
    handle: IO[str] | None = None

    @classmethod
    def acquire(cls, path: Path, host: str, port: int) -> DataDirLock:
        """Take the lock or raise DataDirLocked naming the process that holds it."""
        data_dir = path.parent
        data_dir.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise DataDirLocked(
                f"another service is already running on DATA_DIR={data_dir} ({holder}); "
                "stop it or give this one its own DATA_DIR"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": host, "port": port}))
        handle.flush()
        return cls(path, handle)

    def release(self) -> None:
        """Drop the lock (also dropped by the kernel if the process dies)."""
        if self.handle is not None:
            with contextlib.suppress(OSError):
                self.handle.truncate(0)
                fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
                self.handle.close()
            self.handle = None


def running_service(settings: Settings) -> dict[str, object] | None:
    """The address of the service that owns the data dir, or None when none runs."""
    path = lock_path(settings)
    if not path.exists():
        return None
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            with contextlib.suppress(ValueError):
                return json.loads(handle.read())
            return {}
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return None


def _signal_after_shutdown(signum: int, _frame: object) -> None:
    logger.info("signal=%s received after shutdown; cleaning up", signum)


async def _prepare_when_reachable(prepare) -> None:
    """Retry the first-run indexing and warm-up until the store answers."""
    while True:
        await asyncio.sleep(STORE_RETRY_SECONDS)
        try:
            await asyncio.to_thread(prepare)
        except StoreUnavailable as exc:
            logger.warning("knowledge store still unavailable: %s", exc)
            continue
        logger.info("knowledge store reachable again: start-up work done")
        return


def uvicorn_config(app: object, settings: Settings) -> uvicorn.Config:
    """How the service runs its app under uvicorn (tests start the same configuration)."""
    return uvicorn.Config(
        app,  # type: ignore[arg-type]  # any ASGI app; uvicorn types it with private protocols
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        # Proxy headers are the app's business (TRUSTED_PROXIES, bot/web/clients.py):
        # uvicorn's own handling trusts 127.0.0.1 by default, which any local client is.
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=30,
    )


def _server(config: uvicorn.Config, on_signal) -> uvicorn.Server:
    """A uvicorn server that also calls ``on_signal()`` when SIGINT/SIGTERM arrives."""

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame) -> None:
            on_signal()  # first: long work (indexing) starts winding down at once
            super().handle_exit(sig, frame)

    return Server(config)


async def serve(settings: Settings) -> None:
    """Run the service until SIGINT/SIGTERM; in-flight requests finish before exit."""
    from bot.console import err_console, index_if_empty
    from bot.core import Core
    from bot.handoffs import Handoffs
    from bot.metrics import Metrics
    from bot.publish import Publisher
    from bot.rag.assistant import Assistant
    from bot.state import StateStore
    from bot.web.app import create_app

    lock = DataDirLock.acquire(lock_path(settings), settings.host, settings.port)
    telegram = None
    state = None
    outbox = None
    background: list[asyncio.Task[None]] = []
    publisher = None
    try:
        assistant: Core = Assistant(settings)
        # Built once here and given to every channel: one registry, one queue of staff
        # changes, one set of hand-off rules for the whole process.
        metrics = Metrics()
        metrics.watch(assistant)
        publisher = Publisher(assistant, metrics)

        def prepare() -> None:
            assistant.starting = True
            index_if_empty(assistant, metrics, show_progress=err_console.is_terminal)
            assistant.warm_up()
            assistant.starting = False
            # Uploads a previous process did not finish (SIGTERM, SIGKILL): finish them now,
            # in the background, while the service answers.
            publisher.recover()

        try:
            await asyncio.to_thread(prepare)
        except StoreUnavailable as exc:
            # Serve anyway: /readyz says 503 and founders are told to try again, until the
            # store is back (then the first-run work below completes on its own).
            logger.error("starting without the knowledge store: %s", exc)
            background.append(asyncio.create_task(_prepare_when_reachable(prepare)))
        state = StateStore.from_settings(settings.database_url, settings.data_dir)
        await asyncio.to_thread(state.purge, settings.retention_days)
        handoffs = Handoffs(state, metrics)

        if settings.telegram_bot_token is not None:
            from bot.tg.app import TelegramService

            telegram = TelegramService(settings, assistant, state, metrics, publisher, handoffs)
        else:
            logger.warning("TELEGRAM_BOT_TOKEN not set: running without Telegram")

        app = create_app(
            settings,
            assistant,
            state,
            notifier=telegram.notifier if telegram is not None else None,
            webhooks=[telegram.web_hook()] if telegram is not None and telegram.webhook else [],
            metrics=metrics,
            publisher=publisher,
            handoffs=handoffs,
        )
        server = _server(uvicorn_config(app, settings), assistant.stopping.set)
        if telegram is not None:
            await telegram.start()
        outbox = app.state.outbox
        if outbox is not None:
            # Web hand-offs stored but never posted (the last run stopped first): post them now.
            outbox.pending(await asyncio.to_thread(state.open_handoffs))
        # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the
        # handler that was installed before it: make that a no-op so our cleanup runs.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _signal_after_shutdown)
        logger.info("serving http://%s:%s", settings.host, settings.port)
        await server.serve()
    finally:
        for task in background:
            task.cancel()
        if publisher is not None:
            publisher.assistant.stopping.set()
            stopped = await asyncio.to_thread(publisher.shutdown, PUBLISHER_STOP_SECONDS)
            if not stopped:
                logger.warning("publishing job still running after %.0f s", PUBLISHER_STOP_SECONDS)
        if outbox is not None:
            await outbox.close()
        if telegram is not None:
            with contextlib.suppress(Exception):
                await telegram.stop()
        if state is not None:
            state.close()
        lock.release()
