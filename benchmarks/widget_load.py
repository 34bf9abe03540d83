"""Widget API load benchmark: concurrent visitors against /api/ask on a real uvicorn server.

Phase 1 (load): ``--clients`` visitors (default 20), each with its own httpx.AsyncClient and
conversation, ask the questions of eval/questions.jsonl in a loop for ``--duration`` seconds
(default 60) against a server whose per-IP rate limit is set out of the way (every client is
127.0.0.1, so the real limit would measure only the limiter).
Phase 2 (rate limit): one client sends ``--burst`` questions as fast as it can to a second
server with the default limit (ASK_RATE_PER_MINUTE=30); it should get exactly burst-30 429s.

The server runs in a child process (``--serve``) serving bot.web.create_app over the real
assistant on an index of knowledge/ built into a temp data dir first; traffic goes only to
127.0.0.1. Prints a table: requests, p50/p95/max latency, 5xx errors, timeouts, 429s.
Exit status 1 when phase 1 saw a server error or a timeout (target: 0 and 0).

Run: .venv/bin/python benchmarks/widget_load.py [--duration 60] [--clients 20]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

UNLIMITED_RATE = 10_000_000
DEFAULT_RATE = 30
SERVER_START_TIMEOUT = 180.0


# --- the server (child process) ------------------------------------------------------------------


def serve(data_dir: Path, knowledge_dir: Path, rate: int) -> None:
    """Run create_app on uvicorn on an ephemeral 127.0.0.1 port; print the port when ready."""
    import uvicorn

    from bot.config import Settings
    from bot.rag.assistant import Assistant
    from bot.state import StateStore
    from bot.web import create_app

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        knowledge_dir=knowledge_dir,
        ask_rate_per_minute=rate,
    )
    assistant = Assistant(settings)
    assistant.warm_up()
    state = StateStore.from_settings(None, data_dir)
    app = create_app(settings, assistant, state)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))

    class Announcing(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            print(f"PORT {sock.getsockname()[1]}", flush=True)

    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", proxy_headers=False
    )
    Announcing(config).run(sockets=[sock])


class ServerProcess:
    """A ``--serve`` child; the port is read from its first stdout line."""

    def __init__(self, data_dir: Path, knowledge_dir: Path, rate: int) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable, str(Path(__file__).resolve()), "--serve",
                "--data-dir", str(data_dir), "--knowledge", str(knowledge_dir),
                "--rate", str(rate),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        line = ""
        while not line.startswith("PORT "):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("benchmark server did not start")
            ready, _, _ = select.select([self.proc.stdout], [], [], remaining)
            if ready:
                line = self.proc.stdout.readline()
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def stop(self) -> None:
        """Stop the child (SIGTERM: uvicorn shuts down gracefully)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- the clients ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one phase saw."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    timeouts: int = 0
    transport_errors: int = 0
    retry_after: set[str] = field(default_factory=set)
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + self.timeouts + self.transport_errors

    def count(self, predicate) -> int:
        return sum(n for status, n in self.statuses.items() if predicate(status))


async def visitor(
    url: str, questions: itertools.cycle, deadline: float, timeout: float, tally: Tally
) -> None:
    """One widget visitor: asks, waits for the answer, asks the next question."""
    import httpx

    conversation = str(uuid.uuid4())
    async with httpx.AsyncClient(base_url=url, timeout=timeout) as client:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                response = await client.post(
                    "/api/ask", json={"question": next(questions), "conversation_id": conversation}
                )
            except httpx.TimeoutException:
                tally.timeouts += 1
                continue
            except httpx.TransportError:
                tally.transport_errors += 1
                continue
            tally.latencies.append(time.perf_counter() - started)
            tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
            if response.status_code == 429:
                tally.retry_after.add(response.headers.get("retry-after", "?"))


async def load_phase(url: str, questions: list[str], clients: int, duration: float,
                     timeout: float) -> Tally:  # fmt: skip
    """``clients`` visitors for ``duration`` seconds."""
    tally = Tally()
    cycle = itertools.cycle(questions)
    started = time.monotonic()
    deadline = started + duration
    await asyncio.gather(*(visitor(url, cycle, deadline, timeout, tally) for _ in range(clients)))
    tally.seconds = time.monotonic() - started
    return tally


async def burst_phase(url: str, questions: list[str], burst: int, timeout: float) -> Tally:
    """One client, ``burst`` questions back to back (well inside one minute)."""
    import httpx

    tally = Tally()
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=url, timeout=timeout) as client:
        for question in itertools.islice(itertools.cycle(questions), burst):
            t0 = time.perf_counter()
            try:
                response = await client.post("/api/ask", json={"question": question})
            except httpx.TimeoutException:
                tally.timeouts += 1
                continue
            tally.latencies.append(time.perf_counter() - t0)
            tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
            if response.status_code == 429:
                tally.retry_after.add(response.headers.get("retry-after", "?"))
    tally.seconds = time.monotonic() - started
    return tally


# --- report --------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def table(rows: list[tuple[str, Tally]]) -> str:
    """The results as a fixed-width table."""
    header = (
        "phase", "requests", "req/s", "200", "p50 ms", "p95 ms", "max ms",
        "5xx", "timeouts", "429", "other",
    )  # fmt: skip
    lines = [header]
    for name, t in rows:
        ok = t.count(lambda s: s == 200)
        server_errors = t.count(lambda s: s >= 500)
        limited = t.count(lambda s: s == 429)
        other = t.requests - ok - server_errors - limited - t.timeouts
        lines.append((
            name, str(t.requests), f"{t.requests / t.seconds:.1f}" if t.seconds else "-",
            str(ok), f"{percentile(t.latencies, 0.5) * 1000:.0f}",
            f"{percentile(t.latencies, 0.95) * 1000:.0f}",
            f"{max(t.latencies, default=0) * 1000:.0f}", str(server_errors), str(t.timeouts),
            str(limited), str(other),
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    out = []
    for index, row in enumerate(lines):
        out.append("  ".join(cell.rjust(w) if i else cell.ljust(w)
                             for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="phase 1 seconds (60)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent visitors (20)")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request timeout (10 s)")
    parser.add_argument("--burst", type=int, default=DEFAULT_RATE + 15,
                        help="phase 2 questions from one client (45)")  # fmt: skip
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=int, default=DEFAULT_RATE, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.serve:
        serve(args.data_dir, args.knowledge.resolve(), args.rate)
        return 0

    from bot.config import Settings
    from bot.evaluation import load_questions
    from bot.rag.assistant import Assistant

    questions = [q.question for q in load_questions(args.questions)]
    knowledge = args.knowledge.resolve()
    workdir = Path(tempfile.mkdtemp(prefix="widget-load-"))
    try:
        print(f"indexing {knowledge} into {workdir} …", flush=True)
        started = time.perf_counter()
        index_dir = workdir / "index"
        report = Assistant(
            Settings(_env_file=None, data_dir=index_dir, knowledge_dir=knowledge)  # type: ignore[call-arg]
        ).ingest()
        print(f"indexed {report.chunks_embedded} chunks in {time.perf_counter() - started:.0f} s")
        # Each server gets its own copy (Chroma's embedded store is one process per directory).
        for name in ("load", "burst"):
            shutil.copytree(index_dir, workdir / name)

        server = ServerProcess(workdir / "load", knowledge, UNLIMITED_RATE)
        try:
            print(f"phase 1: {args.clients} clients x {args.duration:g} s → {server.url}", flush=True)
            load = asyncio.run(
                load_phase(server.url, questions, args.clients, args.duration, args.timeout)
            )
        finally:
            server.stop()

        server = ServerProcess(workdir / "burst", knowledge, DEFAULT_RATE)
        try:
            print(f"phase 2: 1 client, {args.burst} questions, limit {DEFAULT_RATE}/min", flush=True)
            burst = asyncio.run(burst_phase(server.url, questions, args.burst, args.timeout))
        finally:
            server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(table([(f"load ({args.clients} clients)", load), ("rate limit (1 client)", burst)]))
    expected_429 = max(0, args.burst - DEFAULT_RATE)
    print()
    print(f"phase 2: {burst.count(lambda s: s == 429)} x 429 (expected {expected_429}), "
          f"Retry-After values: {sorted(burst.retry_after) or '-'}")  # fmt: skip
    if load.latencies:
        print(f"phase 1 mean latency {statistics.fmean(load.latencies) * 1000:.0f} ms; "
              f"transport errors {load.transport_errors}")  # fmt: skip
    failed = load.count(lambda s: s >= 500) > 0 or load.timeouts > 0 or load.transport_errors > 0
    print("target (0 server errors, 0 timeouts):", "NOT MET" if failed else "met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
