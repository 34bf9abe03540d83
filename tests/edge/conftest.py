"""The public edge: nginx running deploy/edge.conf.template, started by the tests on 127.0.0.1.

The template is rendered the way the nginx image renders it in docker-compose.yml (envsubst of
the variables the container is given); only addresses, certificate paths and the timeouts
differ (short timeouts so a slow-client test takes seconds). The certificate is a throw-away
self-signed one made with the openssl command for each session.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.chroma_server.conftest import _nginx_bin, _terminate
from tests.conftest import ROOT
from tests.test_service import free_port

TEMPLATE = ROOT / "deploy" / "edge.conf.template"
SERVER_NAME = "localhost"


def render(values: dict[str, str]) -> str:
    """The template with ``values`` substituted, as envsubst does with those names."""
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    left = re.findall(r"\$\{\w+\}", text)
    assert not left, f"the template uses variables the test does not set: {left}"
    return text


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A self-signed certificate for localhost / 127.0.0.1 (never leaves the session's tmp)."""
    openssl = shutil.which("openssl")
    assert openssl, "the openssl command is needed to make the test certificate"
    folder = tmp_path_factory.mktemp("edge-tls")
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
         "-subj", f"/CN={SERVER_NAME}",
         "-addext", f"subjectAltName=DNS:{SERVER_NAME},IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return TlsFiles(cert, key)


def client_tls(tls: TlsFiles) -> ssl.SSLContext:
    """A client context that trusts the test certificate only."""
    return ssl.create_default_context(cafile=str(tls.cert))


class EdgeProxy:
    """nginx with deploy/edge.conf.template in front of ``upstream_port`` on 127.0.0.1."""

    def __init__(
        self,
        workdir: Path,
        upstream_port: int,
        tls: TlsFiles,
        client_timeout: str = "2s",
        keepalive_timeout: str = "2s",
        max_body: str = "21m",
    ) -> None:
        self.workdir = workdir
        self.http_port = free_port()
        self.https_port = free_port()
        self.acme_root = workdir / "acme"
        self.values = {
            "EDGE_SERVER_NAME": SERVER_NAME,
            "EDGE_HTTP_LISTEN": f"127.0.0.1:{self.http_port}",
            "EDGE_HTTPS_LISTEN": f"127.0.0.1:{self.https_port}",
            "EDGE_TLS_CERT": str(tls.cert),
            "EDGE_TLS_KEY": str(tls.key),
            "EDGE_ACME_ROOT": str(self.acme_root),
            "ASSISTANT_UPSTREAM": f"127.0.0.1:{upstream_port}",
            "EDGE_CLIENT_TIMEOUT": client_timeout,
            "EDGE_KEEPALIVE_TIMEOUT": keepalive_timeout,
            "EDGE_MAX_BODY": max_body,
            "EDGE_HSTS_MAX_AGE": "31536000",
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def https(self) -> str:
        return f"https://{SERVER_NAME}:{self.https_port}"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def write_config(self) -> Path:
        """Render the template into a main nginx.conf under ``workdir``; returns its path."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.acme_root.mkdir(exist_ok=True)
        (self.workdir / "edge.conf").write_text(render(self.values), encoding="utf-8")
        temp = self.workdir / "temp"
        temp.mkdir(exist_ok=True)
        # Started by root, nginx workers become nobody, who cannot enter pytest's 0700 dirs.
        user = "user root;\n" if os.geteuid() == 0 else ""
        main = self.workdir / "nginx.conf"
        # The http{} of the nginx image's own /etc/nginx/nginx.conf, which includes the
        # rendered template: a directive the template repeats at that level fails here too.
        mime = (
            "  include /etc/nginx/mime.types;\n" if Path("/etc/nginx/mime.types").exists() else ""
        )
        main.write_text(
            f"{user}worker_processes 1;\npid {self.workdir}/nginx.pid;\n"
            f"error_log {self.workdir}/error.log warn;\n"
            f"events {{ worker_connections 512; }}\n"
            f"http {{\n{mime}  default_type application/octet-stream;\n  access_log off;\n"
            f"  sendfile on;\n  keepalive_timeout 65;\n"
            f"  client_body_temp_path {temp}/body;\n"
            f"  proxy_temp_path {temp}/proxy;\n  fastcgi_temp_path {temp}/fcgi;\n"
            f"  uwsgi_temp_path {temp}/uwsgi;\n  scgi_temp_path {temp}/scgi;\n"
            f"  include {self.workdir}/edge.conf;\n}}\n",
            encoding="utf-8",
        )
        return main

    def check(self) -> subprocess.CompletedProcess[str]:
        """`nginx -t` on the rendered configuration."""
        main = self.write_config()
        return subprocess.run(
            [_nginx_bin(), "-t", "-p", f"{self.workdir}/", "-c", str(main)],
            check=False, capture_output=True, text=True,
        )  # fmt: skip

    def start(self) -> EdgeProxy:
        """Render, start nginx in the foreground, wait until the HTTP port redirects."""
        main = self.write_config()
        log = self.workdir / "stderr.log"
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                [_nginx_bin(), "-p", f"{self.workdir}/", "-c", str(main), "-g", "daemon off;"],
                stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        end = time.monotonic() + 30
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise AssertionError(f"nginx exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                with (
                    socket.create_connection(("127.0.0.1", self.https_port), timeout=1),
                    socket.create_connection(("127.0.0.1", self.http_port), timeout=1),
                ):
                    return self
            except OSError:
                time.sleep(0.05)  # polling interval of an external process
        raise AssertionError("nginx did not start listening")

    def stop(self) -> None:
        _terminate(self.process)
        self.process = None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Show redirects to the test instead of following them."""

    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def fetch(
    url: str,
    tls: TlsFiles,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request; returns (status, headers with lower-case names, body) also for 4xx/5xx."""
    opener = urllib.request.build_opener(
        NoRedirect(), urllib.request.HTTPSHandler(context=client_tls(tls))
    )
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with opener.open(request, timeout=60) as reply:
            return reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def established(port: int) -> int:
    """TCP connections in ESTABLISHED state whose local port is ``port`` (this namespace)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


@pytest.fixture()
def edge_factory(tmp_path: Path, tls_files: TlsFiles):
    """Start edges in front of upstream ports; all are stopped after the test."""
    started: list[EdgeProxy] = []

    def start(upstream_port: int, **options: str) -> EdgeProxy:
        edge = EdgeProxy(tmp_path / f"edge-{len(started)}", upstream_port, tls_files, **options)
        started.append(edge.start())
        return edge

    yield start
    for edge in started:
        edge.stop()
