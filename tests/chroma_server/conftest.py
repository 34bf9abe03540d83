"""A real Chroma server (`chroma run` from the project's venv) behind the real token proxy.

The proxy is nginx with deploy/chroma-auth.conf.template rendered the way the nginx image
renders it in docker-compose.yml, so the tests exercise the deployed configuration. Both
listen on 127.0.0.1 only; servers are stopped and restarted by the fault tests.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from tests.conftest import KNOWLEDGE, ROOT, make_settings
from tests.test_service import free_port

CHROMA_TOKEN = "test-chroma-token-7f3a9c2e51d84b06"
TEMPLATE = ROOT / "deploy" / "chroma-auth.conf.template"


def _chroma_bin() -> Path:
    path = Path(sys.executable).parent / "chroma"
    assert path.exists(), f"{path} missing: chromadb's `chroma` command comes with the package"
    return path


def _nginx_bin() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    assert found, "nginx is needed for the Chroma token proxy tests: apt-get install nginx-light"
    return found


def _wait_http(
    url: str, process: subprocess.Popen[bytes], ok: set[int], deadline: float, log: Path
) -> None:
    """Poll ``url`` until it answers with a status in ``ok`` (the process must stay alive)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise AssertionError(f"server exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status in ok:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code in ok:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)  # polling interval of an external process, not synchronisation
    raise AssertionError(f"{url} did not come up")


def _terminate(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM a server we started and wait for it."""
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


def restartable_port() -> int:
    """A free port below the kernel's ephemeral range, for a server that is started late or
    restarted on the same port. A port from ``free_port()`` is an ephemeral one: while the
    server is down, an outgoing connection (the proxy retrying it) or another ``bind(0)``
    may take it, and the server then fails with "Address … is not available"."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(max(1024, low - 12000), low)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    return free_port()


class ChromaServer:
    """`chroma run --path … --host 127.0.0.1 --port …`, restartable on the same port and path."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path = path
        self.port = port or restartable_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ChromaServer:
        """Start the server and wait until its heartbeat answers."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        log = self.path.parent / f"chroma-{self.port}.log"
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                [str(_chroma_bin()), "run", "--path", str(self.path),
                 "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=sink, stderr=subprocess.STDOUT,
                env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
            )  # fmt: skip
        url = f"http://127.0.0.1:{self.port}/api/v2/heartbeat"
        _wait_http(url, self.process, {200}, 60, log)
        return self

    def stop(self) -> None:
        """Stop the server (SIGTERM, then wait)."""
        _terminate(self.process)
        self.process = None


class TokenProxy:
    """nginx running deploy/chroma-auth.conf.template in front of a Chroma server."""

    def __init__(self, workdir: Path, upstream_port: int, token: str = CHROMA_TOKEN) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.upstream_port = upstream_port
        self.token = token
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> TokenProxy:
        """Render the template, start nginx in the foreground and wait until it answers."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        values = {
            "CHROMA_TOKEN": self.token,
            "CHROMA_UPSTREAM": f"127.0.0.1:{self.upstream_port}",
            "PROXY_LISTEN": f"127.0.0.1:{self.port}",
        }
        text = TEMPLATE.read_text(encoding="utf-8")
        for name, value in values.items():  # what envsubst does with these three names
            text = text.replace("${" + name + "}", value)
        assert "${" not in text, "the template uses a variable the proxy is not given"
        (self.workdir / "chroma-auth.conf").write_text(text, encoding="utf-8")
        temp = self.workdir / "temp"
        temp.mkdir(exist_ok=True)
        # Started by root, nginx workers become nobody, who cannot enter pytest's 0700 dirs.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (self.workdir / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {self.workdir}/nginx.pid;\n"
            f"error_log {self.workdir}/error.log warn;\nevents {{ worker_connections 256; }}\n"
            f"http {{\n  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
            f"  fastcgi_temp_path {temp}/fcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n"
            f"  scgi_temp_path {temp}/scgi;\n  include {self.workdir}/chroma-auth.conf;\n}}\n",
            encoding="utf-8",
        )
        log = self.workdir / "stderr.log"
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                [_nginx_bin(), "-p", f"{self.workdir}/", "-c", str(self.workdir / "nginx.conf"),
                 "-g", "daemon off;"],
                stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        # Without a token the proxy answers 401 itself: that proves it is up.
        url = f"http://127.0.0.1:{self.port}/api/v2/heartbeat"
        _wait_http(url, self.process, {401}, 30, log)
        return self

    def stop(self) -> None:
        """Stop nginx."""
        _terminate(self.process)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """One Chroma server for the session (tests use their own collections on it)."""
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chroma_proxy(
    chroma_server: ChromaServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TokenProxy]:
    """The token proxy in front of the session's Chroma server."""
    proxy = TokenProxy(tmp_path_factory.mktemp("chroma-proxy"), chroma_server.port).start()
    try:
        yield proxy
    finally:
        proxy.stop()


_collections = iter(range(1, 10_000))


def remote_settings(
    data_dir: Path, port: int, *, knowledge_dir: Path = KNOWLEDGE, collection: str | None = None,
    token: str | None = CHROMA_TOKEN, **overrides: object,
) -> Settings:  # fmt: skip
    """Settings for a replica using the Chroma server through the proxy on ``port``."""
    return make_settings(
        data_dir,
        knowledge_dir,
        chroma_host="127.0.0.1",
        chroma_port=port,
        chroma_token=token,
        collection_name=collection or f"test-{os.getpid()}-{next(_collections)}",
        index_refresh_seconds=0,
        **overrides,
    )


def remote_env(port: int, collection: str, token: str = CHROMA_TOKEN) -> dict[str, str]:
    """The environment of a service process using the Chroma server through the proxy."""
    return {
        "CHROMA_HOST": "127.0.0.1",
        "CHROMA_PORT": str(port),
        "CHROMA_TOKEN": token,
        "COLLECTION_NAME": collection,
    }


def copy_index(source_data_dir: Path, target: Settings) -> int:
    """Copy the session's embedded index (chunks, their sentences, embeddings) into ``target``.

    Saves re-embedding the whole knowledge base per test; the real ingest path through the
    server is exercised by the tests that ingest.
    """
    from bot.rag.store import KnowledgeStore

    source = KnowledgeStore(make_settings(source_data_dir))
    remote = KnowledgeStore(target)
    ids = [chunk.id for chunk in source.iter_chunks(include_text=False)]
    for start in range(0, len(ids), 500):
        batch = source.get_embeddings(ids[start : start + 500])
        remote.add(
            list(batch),
            [text for text, _, _ in batch.values()],
            [meta for _, meta, _ in batch.values()],
            [emb for _, _, emb in batch.values()],
        )
    remote.add_sentences(list(source.iter_sentences()))
    remote.bump_version()
    return remote.count()
