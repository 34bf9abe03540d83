"""The public edge (deploy/edge.conf.template, docker-compose.yml `edge`) — issue 14.

* Finding 5: half-sent requests (50 with incomplete headers, 50 with incomplete bodies) are
  closed by the proxy after its client timeout and never reach the service.
* The edge in front of the real service: a question is answered through it, `Server:` names
  neither uvicorn nor a version, HSTS is sent, /metrics is refused on the public side.
* Forwarding (plumbing upstream that echoes what it received): X-Forwarded-For is the real
  peer whatever the client wrote, X-Forwarded-Proto is https, HTTP redirects to HTTPS, bodies
  over the limit stop at the proxy.
"""

from __future__ import annotations

import json
import re
import select
import signal
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

from tests.edge.conftest import (
    SERVER_NAME,
    EdgeProxy,
    client_tls,
    established,
    fetch,
)
from tests.test_service import free_port, start, wait_healthy

CLIENT_TIMEOUT = 2  # seconds, the edge's client_header/body timeout in these tests
SLOW_CLIENTS = 50  # of each kind, as in the red-team finding
QUESTION = "허브는 어디에 있나요?"
OPERATIONS_ROUTES = {"/metrics", "/healthz", "/readyz"}


def _half_sent(edge: EdgeProxy, tls, payload: bytes) -> ssl.SSLSocket:
    """A TLS connection to the edge that sends ``payload`` and then nothing more."""
    raw = socket.create_connection(("127.0.0.1", edge.https_port), timeout=10)
    conn = client_tls(tls).wrap_socket(raw, server_hostname=SERVER_NAME)
    conn.sendall(payload)
    conn.setblocking(False)
    return conn


def _wait_closed(conns: list[ssl.SSLSocket], sent_at: list[float], deadline: float, watch):
    """Poll until the peer closed each connection (EOF or reset) or the deadline passes.

    Returns {index: seconds from its last byte sent to the close}, the bytes each received,
    and whatever ``watch()`` returned on every round (samples taken while waiting).
    """
    closed: dict[int, float] = {}
    received: dict[int, bytes] = {}
    samples = []
    by_fd = {conn.fileno(): i for i, conn in enumerate(conns)}
    while len(closed) < len(conns) and time.monotonic() < deadline:
        samples.append(watch())
        waiting = [conns[i] for i in range(len(conns)) if i not in closed]
        readable, _, _ = select.select(waiting, [], [], 0.2)
        for conn in readable:
            index = by_fd[conn.fileno()]
            try:
                data = conn.recv(4096)
            except (ssl.SSLWantReadError, BlockingIOError):
                continue
            except (OSError, ssl.SSLError):
                data = b""
            if data:
                received[index] = received.get(index, b"") + data
            else:
                closed[index] = time.monotonic() - sent_at[index]
    return closed, received, samples


def _requests_seen(port: int, tls) -> int:
    """Requests the service counted outside its operations routes (read on its own port)."""
    status, _, body = fetch(f"http://127.0.0.1:{port}/metrics", tls)
    assert status == 200
    total = 0.0
    for line in body.decode().splitlines():
        match = re.match(r"assistant_http_requests_total\{(.*)\} ([0-9.e+]+)$", line)
        if match and not any(f'route="{r}"' in match.group(1) for r in OPERATIONS_ROUTES):
            total += float(match.group(2))
    return int(total)


def test_slow_clients_are_closed_by_the_edge_and_never_reach_the_service(
    indexed_settings, edge_factory, tls_files
):
    app_port = free_port()
    service = start(indexed_settings.data_dir, app_port)
    try:
        wait_healthy(app_port, service)
        edge = edge_factory(app_port, client_timeout=f"{CLIENT_TIMEOUT}s")
        assert established(app_port) == 0, "nothing should talk to the service yet"

        # No blank line after the headers: they never end.
        headers_only = b"POST /api/ask HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n"
        body = json.dumps({"question": QUESTION}).encode()
        half_body = (
            b"POST /api/ask HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[: len(body) // 2]
        )
        conns: list[ssl.SSLSocket] = []
        sent_at: list[float] = []
        for payload in [headers_only] * SLOW_CLIENTS + [half_body] * SLOW_CLIENTS:
            conns.append(_half_sent(edge, tls_files, payload))
            sent_at.append(time.monotonic())
        try:
            held_at_edge = established(edge.https_port)
            assert held_at_edge >= 2 * SLOW_CLIENTS, held_at_edge
            # Deadline-bounded: the edge must close them once its timeout has passed; the
            # margin covers a loaded machine, not a second timeout.
            deadline = sent_at[-1] + CLIENT_TIMEOUT + 15
            closed, received, at_service = _wait_closed(
                conns, sent_at, deadline, lambda: established(app_port)
            )
        finally:
            for conn in conns:
                conn.close()

        still_open = [i for i in range(len(conns)) if i not in closed]
        assert not still_open, f"{len(still_open)} of {len(conns)} still open at the deadline"
        assert max(at_service) == 0, "a half-sent request reached the service"
        assert _requests_seen(app_port, tls_files) == 0
        # What the clients got back, if anything, is the proxy's own 408, never an answer.
        for data in received.values():
            assert data.startswith(b"HTTP/1.1 408"), data[:200]
        print(
            f"\nslow clients: {len(conns)} half-sent requests; all closed by the edge "
            f"{min(closed.values()):.2f}-{max(closed.values()):.2f} s after their last byte "
            f"(client timeout {CLIENT_TIMEOUT} s); open after the deadline: {len(still_open)}; "
            f"connections at the service meanwhile: max {max(at_service)}"
        )

        # A whole request still goes through, and the edge answers as the edge.
        status, headers, answer = fetch(
            f"{edge.https}/api/ask", tls_files, data=body,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        assert status == 200, answer[:300]
        reply = json.loads(answer)
        assert reply["answered"] and reply["language"] == "ko", reply
        assert headers.get("server") == "nginx", headers.get("server")
        assert "uvicorn" not in json.dumps(headers).lower()
        assert headers["strict-transport-security"].startswith("max-age=31536000")
        assert _requests_seen(app_port, tls_files) == 1

        # Operations data: refused on the public side, served on the service's own port.
        status, headers, refused = fetch(f"{edge.https}/metrics", tls_files)
        assert status == 403 and b"assistant_" not in refused
        assert "strict-transport-security" in headers  # `always`: on errors too
        status, _, internal = fetch(f"http://127.0.0.1:{app_port}/metrics", tls_files)
        assert status == 200 and b"assistant_http_requests_total" in internal
    finally:
        service.send_signal(signal.SIGTERM)
        output, _ = service.communicate(timeout=60)
    assert service.returncode == 0, output[-3000:]


class _Echo(BaseHTTPRequestHandler):
    """Plumbing upstream: answers with what it received, under its own identity headers."""

    seen: ClassVar[list[tuple[str, str, dict[str, str]]]] = []
    server_version = "EchoUpstream/9.9"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        _Echo.seen.append((self.command, self.path, headers))
        body = json.dumps({"path": self.path, "headers": headers}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Strict-Transport-Security", "max-age=1")
        self.send_header("X-Powered-By", "echo")
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, *args: object) -> None:
        """Quiet."""


def test_the_edge_forwards_the_real_peer_and_hides_the_upstream(edge_factory, tls_files):
    _Echo.seen = []
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=upstream.serve_forever, daemon=True)
    thread.start()
    try:
        edge = edge_factory(upstream.server_address[1], max_body="1k")

        status, headers, body = fetch(
            f"{edge.https}/api/ask?x=1", tls_files, data=b"{}",
            headers={"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9",
                     "X-Forwarded-Proto": "http", "Forwarded": "for=203.0.113.9"},
        )  # fmt: skip
        assert status == 200
        seen = json.loads(body)["headers"]
        # The client's own claims are replaced, not appended to.
        assert seen["x-forwarded-for"] == "127.0.0.1"
        assert seen["x-forwarded-proto"] == "https"
        assert "forwarded" not in seen
        assert seen["host"].startswith(SERVER_NAME)
        # The upstream's identity and HSTS are dropped; the edge's own HSTS is sent.
        assert headers["server"] == "nginx"
        assert "x-powered-by" not in headers
        assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"

        # Plain HTTP only redirects to the HTTPS name; nothing reaches the upstream.
        before = len(_Echo.seen)
        status, headers, _ = fetch(f"{edge.http}/api/ask?x=1", tls_files)
        assert status == 301
        assert headers["location"] == f"https://{SERVER_NAME}/api/ask?x=1"
        assert headers["server"] == "nginx"

        # ACME renewals are served from the mounted webroot over HTTP.
        challenge = edge.acme_root / ".well-known" / "acme-challenge"
        challenge.mkdir(parents=True)
        (challenge / "token123").write_text("token123.key")
        status, _, body = fetch(f"{edge.http}/.well-known/acme-challenge/token123", tls_files)
        assert (status, body) == (200, b"token123.key")

        # /metrics in any spelling nginx normalises is refused at the edge.
        for path in ("/metrics", "/metrics?format=x", "/metrics/", "//metrics", "/%6Detrics"):
            status, headers, _ = fetch(f"{edge.https}{path}", tls_files)
            assert status == 403, path
            assert "strict-transport-security" in headers

        # Over the body limit: 413 from the edge, with HSTS.
        status, headers, _ = fetch(
            f"{edge.https}/admin/documents", tls_files, data=b"x" * 4096,
            headers={"Content-Type": "text/plain"},
        )  # fmt: skip
        assert status == 413
        assert "strict-transport-security" in headers
        assert len(_Echo.seen) == before, [path for _, path, _ in _Echo.seen[before:]]
    finally:
        upstream.shutdown()
        upstream.server_close()
