"""Answers while a staff upload is indexed, and SIGTERM during indexing (issue 14, finding 4).

The real ``python -m bot serve`` runs as a child process on a copy of the knowledge base's
index. ``--clients`` widget visitors (default 4) ask the questions of eval/questions.jsonl
on POST /api/ask:

1. idle: ``--idle`` seconds (default 20) of answering, nothing else;
2. upload: a generated Markdown document of ``--mb`` megabytes (default 0.4, the size the
   red team used) is uploaded on POST /api/admin/documents while the visitors keep asking,
   until it is indexed (the job ends; with a service that indexes inside the request, until
   the request returns);
3. SIGTERM: a second, larger upload (``--sigterm-mb``, default 1.0) starts; once its first
   chunks are written (or ``--sigterm-after`` seconds into the request, for a service
   without upload jobs) the service gets SIGTERM, and the time until the process is gone is
   measured by polling it (SIGKILL after ``--stop-limit`` seconds, reported as such).

Printed: answer latency p50/p95/max idle and during the upload, and their ratios; how long
the upload request took and how long indexing took; the SIGTERM exit time and exit code.
``--service-root DIR`` runs the service from another checkout (e.g. the code before this
change, unpacked with ``git archive``) to compare, with the same benchmark and machine.

Run: .venv/bin/python benchmarks/upload_load.py [--clients 4] [--idle 20] [--mb 0.4] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.production_load import (
    ADMIN_TOKEN,
    HEADER,
    RUNNING,
    Service,
    build_index,
    latency_row,
    load_questions,
    log,
    render,
    run_visitors,
    stop_children,
)

WORDS = (
    "founders hub desk visa office tax hiring banking legal room reception market city "
    "district permit contract partner university agency mentor investor event seminar"
).split()


def generated_doc(megabytes: float, seed: int) -> bytes:
    """FAQ-shaped Markdown of about ``megabytes`` MB (about one chunk per 1 kB)."""
    rng = random.Random(seed)
    parts = ["---\ntitle: Generated desk notes\nlanguage: en\n---\n\n# Generated desk notes\n"]
    size, number = 0, 0
    while size < megabytes * 1_000_000:
        number += 1
        sentences = " ".join(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."
            for _ in range(rng.randint(5, 9))
        )
        section = f"\n## What does desk note {number} say about {rng.choice(WORDS)}?\n\n{sentences}\n"
        parts.append(section)
        size += len(section)
    return "".join(parts).encode()


async def upload(client: Any, name: str, content: bytes) -> tuple[int, dict[str, Any], float]:
    """POST the file; returns (status, JSON body, seconds the request took)."""
    started = time.monotonic()
    reply = await client.post(
        "/api/admin/documents",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        files={"file": (name, content, "text/markdown")},
        timeout=3600,
    )
    return reply.status_code, reply.json(), time.monotonic() - started


async def job_state(client: Any, job: dict[str, Any]) -> dict[str, Any]:
    reply = await client.get(
        f"/api/admin/jobs/{job['id']}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    return reply.json()


async def follow(client: Any, job: dict[str, Any], until) -> dict[str, Any]:
    """Poll an upload job until ``until(job)``."""
    while not until(job):
        await asyncio.sleep(0.2)  # polling another process's state
        job = await job_state(client, job)
    return job


def ended(job: dict[str, Any]) -> bool:
    return job.get("state") not in ("queued", "running")


async def phase_answers(args: argparse.Namespace, service: Service) -> dict[str, Any]:
    """Idle answering, then answering while one upload is indexed."""
    import httpx

    questions = [q["question"] for q in load_questions(args.questions)]
    content = generated_doc(args.mb, seed=1)
    phase: dict[str, Any] = {}
    finished = asyncio.Event()

    async def schedule() -> None:
        await asyncio.sleep(args.idle)  # the idle phase's length (a schedule, not a wait)
        phase["upload_start"] = time.monotonic()
        async with httpx.AsyncClient(base_url=service.url, timeout=60) as client:
            status, body, request_s = await upload(client, "generated-notes.md", content)
            phase["request_s"] = request_s
            if status == 202:  # indexed in the background: follow the job
                body = await follow(client, body, ended)
            phase["status"], phase["body"] = status, body
        phase["upload_end"] = time.monotonic()
        finished.set()

    t0 = time.monotonic()
    load, _ = await asyncio.gather(
        run_visitors(service.url, questions, args.clients, lambda: not finished.is_set(),
                     args.timeout),
        schedule(),
    )
    start, end = phase["upload_start"], phase["upload_end"]
    idle = load.between(t0, start)
    during = load.between(start, end)
    during.requests += [r for r in load.requests if r.finished > end]  # started during it
    body = phase["body"]
    report = body.get("report") or body
    slowest = max(during.ok, key=lambda r: r.latency, default=None)
    chunks = int(report.get("chunks_embedded", 0))
    return {
        "idle": idle.summary(),
        "during_upload": during.summary(),
        "upload": {
            "megabytes": round(len(content) / 1_000_000, 2),
            "status": phase["status"],
            "state": body.get("state", "done" if phase["status"] == 200 else "?"),
            "request_s": round(phase["request_s"], 2),
            "indexing_s": round(end - start, 1),
            "chunks_embedded": chunks,
            "chunks_per_s": round(chunks / (end - start), 1) if end > start else 0.0,
            # When the slowest answer during the upload started, from the upload's start.
            "slowest_started_at_s": round(slowest.started - start, 1) if slowest else None,
        },
    }


async def phase_sigterm(args: argparse.Namespace, service: Service) -> dict[str, Any]:
    """SIGTERM while a large upload is being indexed; seconds until the process is gone."""
    import httpx

    content = generated_doc(args.sigterm_mb, seed=2)
    async with httpx.AsyncClient(base_url=service.url, timeout=60) as client:
        request = asyncio.create_task(upload(client, "sigterm-notes.md", content))
        done, total, status, request_s, state = 0, 0, None, None, "request in flight"
        body: dict[str, Any] = {}
        await asyncio.wait({request}, timeout=args.sigterm_after)
        if request.done():
            status, body, request_s = request.result()
            if status == 202:  # wait until its first chunks are written
                body = await follow(client, body, lambda j: ended(j) or j.get("done", 0) > 0)
                done, total, state = body.get("done", 0), body.get("total", 0), body["state"]
        started = time.monotonic()
        os.kill(service.pid, signal.SIGTERM)
        while service.proc.poll() is None and time.monotonic() - started < args.stop_limit:
            await asyncio.sleep(0.05)  # polling the process's exit
        seconds = time.monotonic() - started
        killed = service.proc.poll() is None
        if killed:
            service.proc.kill()
            service.proc.wait()
        request.cancel()
    RUNNING.pop(service.pid, None)
    return {
        "megabytes": round(len(content) / 1_000_000, 2),
        "request_status": status,
        "request_s": round(request_s, 2) if request_s is not None else None,
        "job_state_at_signal": state,
        "job_message": body.get("message", "") if status == 202 else "",
        "chunks_done_at_signal": done,
        "chunks_total": total,
        "exit_s": round(seconds, 2),
        "exit_code": service.proc.returncode,
        "needed_sigkill": killed,
    }


def ratio(during: float, idle: float) -> str:
    return f"×{during / idle:.2f}" if idle else "–"


def print_results(r: dict[str, Any]) -> None:
    idle, during, up = r["answers"]["idle"], r["answers"]["during_upload"], r["answers"]["upload"]
    print()
    print(render([
        HEADER,
        latency_row(f"idle ({r['params']['idle_s']:g} s)", idle),
        latency_row(f"during upload ({up['indexing_s']:g} s)", during),
        ("ratio during/idle", "", "", "", ratio(during["p50_ms"], idle["p50_ms"]),
         ratio(during["p95_ms"], idle["p95_ms"]), ratio(during["max_ms"], idle["max_ms"]), ""),
    ]))  # fmt: skip
    print(
        f"\nupload: {up['megabytes']} MB → {up['chunks_embedded']} chunks; the request answered "
        f"{up['status']} in {up['request_s']} s; indexed in {up['indexing_s']} s "
        f"({up['chunks_per_s']} chunks/s), job {up['state']}; the slowest answer started "
        f"{up['slowest_started_at_s']} s into it"
    )
    if "sigterm" in r:
        s = r["sigterm"]
        at = (f"{s['chunks_done_at_signal']}/{s['chunks_total']} chunks written"
              if s["job_state_at_signal"] == "running"
              else f"{s['job_state_at_signal']} {s['job_message']}".strip())  # fmt: skip
        print(
            f"SIGTERM during indexing ({s['megabytes']} MB upload, {at}): "
            + (f"still running after {s['exit_s']} s, SIGKILLed" if s["needed_sigkill"]
               else f"exit in {s['exit_s']} s, exit code {s['exit_code']}")
        )  # fmt: skip
    m = r["machine"]
    print(
        f"\nmachine: {m['cpus']} CPUs, load average {m['load_avg_at_start'][0]:.2f} at start, "
        f"{m['load_avg_at_end'][0]:.2f} at end (other work shares this machine)"
    )


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    knowledge = workdir / "knowledge"
    shutil.copytree(args.knowledge, knowledge)
    if args.index is not None and args.index.is_dir():
        index = args.index  # built by an earlier run of this benchmark (same knowledge/)
    else:
        index = build_index(workdir, knowledge)
        if args.index is not None:
            shutil.copytree(index, args.index)
    data_dir = workdir / "data"
    shutil.copytree(index, data_dir)
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "load_avg_at_start": list(os.getloadavg())},
        "params": {"clients": args.clients, "idle_s": args.idle, "mb": args.mb,
                   "service_root": str(args.service_root)},
    }
    extra = {"PYTHONPATH": str(args.service_root)} if args.service_root != ROOT else {}
    service = Service("upload", workdir, data_dir, knowledge, **extra)
    try:
        chunks = await service.wait_ready()
        log(f"service pid {service.pid} ready ({chunks} chunks); {args.clients} clients")
        results["answers"] = await phase_answers(args, service)
        if args.sigterm:
            results["sigterm"] = await phase_sigterm(args, service)
    finally:
        service.stop()
    results["service_log"] = service.problems()
    results["machine"]["load_avg_at_end"] = list(os.getloadavg())
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4, help="widget visitors (4)")
    parser.add_argument("--idle", type=float, default=20.0, help="idle phase seconds (20)")
    parser.add_argument("--mb", type=float, default=0.4, help="upload size in MB (0.4)")
    parser.add_argument("--sigterm-mb", type=float, default=1.0,
                        help="SIGTERM upload MB (1.0: ~1,500 chunks, under MAX_UPLOAD_CHUNKS)")
    parser.add_argument("--sigterm-after", type=float, default=10.0,
                        help="without upload jobs: SIGTERM this long into the request (10 s)")
    parser.add_argument("--stop-limit", type=float, default=120.0,
                        help="SIGKILL if still running this long after SIGTERM (120 s)")
    parser.add_argument("--no-sigterm", dest="sigterm", action="store_false")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout (30 s)")
    parser.add_argument("--service-root", type=Path, default=ROOT,
                        help="run the service from this checkout (default: this one)")
    parser.add_argument("--index", type=Path, default=None,
                        help="reuse this index of --knowledge (built and kept there if missing)")
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args()
    args.knowledge, args.service_root = args.knowledge.resolve(), args.service_root.resolve()

    workdir = Path(tempfile.mkdtemp(prefix="upload-load-"))
    try:
        results = asyncio.run(run(args, workdir))
    finally:
        stop_children()
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        print_results(results)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted: children stopped, work dir removed")
        sys.exit(130)

