"""Production load benchmark (issue #7): the real service under mixed load and while ingesting.

Part 1 (mixed): ``python -m bot serve`` runs as a child process with Telegram pointed at the
local fake Bot API (tests/tg/fake_bot_api.py, in this process). For ``--duration`` seconds
(default 60) ``--clients`` widget visitors (default 20) ask the questions of
eval/questions.jsonl (ko/en/vi/ja) on POST /api/ask; at t≈``--burst-at`` s (default 10) a burst
of ``--updates`` (default 100) Telegram messages from distinct founders (Korean and English)
lands in getUpdates. Reported: widget requests, req/s, p50/p95/max, errors (non-200,
timeouts, transport errors; target 0); Telegram answered/injected with p50/p95/max latency
(injection → first sendMessage to that chat); the service's RSS at start/end/peak (sampled
every second, children included); 429s seen by either channel.

Part 2 (ingest while answering): ``--docs`` (default 1000) small synthetic Markdown documents
(front matter like knowledge/, en and ko, 1-2 sections each, so 1-2 chunks) are written into
a copy of knowledge/ whose original files are already indexed; the service is started on it,
``--ingest-clients`` visitors (default 5) ask for a short baseline, then ``ingest.py`` (with
ADMIN_TOKEN, so it hands the work to the running service over POST /api/admin/ingest) indexes
the new documents while the visitors keep asking. Reported: ingest duration and chunks/s,
answers during ingest (count, p50/p95/max, errors; target 0) and the longest gap between two
successful answers; then questions about new documents must be answered from them.

Only 127.0.0.1 is used; every child process is stopped (SIGTERM, then SIGKILL) on exit,
Ctrl-C or error. Exit status 1 when a target is missed.

Run: .venv/bin/python benchmarks/production_load.py [--duration 60] [--docs 1000]
     [--part both|mixed|ingest] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# One nearest-rank percentile for every benchmark.
from benchmarks.widget_load import percentile

UNLIMITED_RATE = 10_000_000
ADMIN_TOKEN = "bench-admin-token-0123456789abcdef"
# Shaped like a Bot API token (bot id:secret) but fake; it only ever reaches 127.0.0.1.
BOT_TOKEN = "1234567:AAHbenchTOKENnotReal_0123456789abcdefXYZ"
START_TIMEOUT = 300.0
STOP_TIMEOUT = 60.0
TELEGRAM_CHATS_FROM = 30_000
# Child environment: nothing a developer's shell or .env might set leaks into the service.
SCRUBBED_ENV = (
    "DATA_DIR",
    "KNOWLEDGE_DIR",
    "PORT",
    "HOST",
    "ADMIN_TOKEN",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_BASE_URL",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "STAFF_CHAT_ID",
    "STAFF_USER_IDS",
    "DATABASE_URL",
    "ASK_RATE_PER_MINUTE",
    "USER_RATE_PER_MINUTE",
    "ANSWER_GENERATOR",
    "CHROMA_HOST",
    "LLM_BASE_URL",
    "LLM_API_KEY",
)


# --- helpers -------------------------------------------------------------------------------------


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child: offline model loading, no inherited service settings."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(
        {
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            "PYTHONPATH": str(ROOT),
            **extra,
        }
    )
    return env


def descendants(pid: int) -> list[int]:
    """``pid`` and all its descendants (via /proc/<pid>/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        tasks = Path(f"/proc/{current}/task")
        with contextlib.suppress(OSError):
            for task in tasks.iterdir():
                with contextlib.suppress(OSError):
                    todo.extend(int(c) for c in (task / "children").read_text().split())
    return found


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` plus its descendants, in MiB (0 when gone)."""
    total_kb = 0
    for member in descendants(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
                    break
    return total_kb / 1024


def load_questions(path: Path) -> list[dict[str, str]]:
    """The evaluation questions (id, language, question, kind, ...)."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# --- the service ---------------------------------------------------------------------------------

# Children still running; main() stops them even when the event loop was torn down mid-await
# (Ctrl-C, SIGTERM), because a coroutine's finally may never run then.
RUNNING: dict[int, subprocess.Popen[bytes] | asyncio.subprocess.Process] = {}


class Service:
    """``python -m bot serve`` as a child process, its output in a log file."""

    def __init__(
        self, name: str, workdir: Path, data_dir: Path, knowledge: Path, **extra_env: str
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"service-{name}.log"
        self._log = self.log_path.open("w", encoding="utf-8")
        env = child_env(
            DATA_DIR=str(data_dir),
            KNOWLEDGE_DIR=str(knowledge),
            HOST="127.0.0.1",
            PORT=str(self.port),
            ADMIN_TOKEN=ADMIN_TOKEN,
            ASK_RATE_PER_MINUTE=str(UNLIMITED_RATE),
            USER_RATE_PER_MINUTE=str(UNLIMITED_RATE),
            **extra_env,
        )
        # cwd is the work dir, so a developer's ./.env is not read by the service.
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=workdir,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.returncode: int | None = None
        RUNNING[self.proc.pid] = self.proc

    @property
    def pid(self) -> int:
        """The service's process id."""
        return self.proc.pid

    async def wait_ready(self) -> int:
        """Poll /readyz until the index answers; returns its chunk count."""
        import httpx

        deadline = time.monotonic() + START_TIMEOUT
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"service exited ({self.proc.returncode}):\n{self.tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    reply = await client.get("/readyz")
                    if reply.status_code == 200:
                        return int(reply.json()["chunks"])
                await asyncio.sleep(0.25)  # polling an external process; nothing to wait on
        raise RuntimeError(f"service not ready after {START_TIMEOUT:.0f} s:\n{self.tail()}")

    def stop(self) -> None:
        """SIGTERM (graceful: in-flight requests finish), SIGKILL if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.returncode = self.proc.returncode
        RUNNING.pop(self.proc.pid, None)
        self._log.close()

    def tail(self, lines: int = 40) -> str:
        """The last lines of the service log."""
        self._log.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def problems(self, limit: int = 8) -> dict[str, Any]:
        """ERROR/CRITICAL lines and tracebacks in the log (evidence for the report)."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        bad = [
            line
            for line in text
            if " ERROR " in line or " CRITICAL " in line or "Traceback" in line or "ERROR:" in line
        ]
        return {"count": len(bad), "first": bad[:limit], "log_lines": len(text)}


class RssSampler:
    """Samples the service's RSS once a second until stopped."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self._stop = asyncio.Event()

    async def run(self) -> None:
        """Sample until ``stop()``."""
        started = time.monotonic()
        while not self._stop.is_set():
            self.samples.append((time.monotonic() - started, rss_mb(self.pid)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), 1.0)

    def stop(self) -> None:
        """End sampling."""
        self._stop.set()

    def summary(self, start: float, end: float) -> dict[str, float]:
        """Start/end/peak RSS in MiB."""
        peak = max([s for _, s in self.samples] + [start, end])
        return {
            "start_mb": round(start, 1),
            "end_mb": round(end, 1),
            "peak_mb": round(peak, 1),
            "growth_mb": round(end - start, 1),
            "samples": len(self.samples),
            # Every 10th sample (≈ every 10 s): shows whether growth levels off.
            "timeline_mb": [round(mb) for _, mb in self.samples[::10]],
        }


# --- widget visitors -----------------------------------------------------------------------------


@dataclass
class Request:
    """One /api/ask request as a visitor saw it."""

    started: float
    finished: float
    status: int | None  # None: timeout or transport error
    error: str = ""
    sources: list[str] = field(default_factory=list)

    @property
    def latency(self) -> float:
        """Seconds from send to answer (or failure)."""
        return self.finished - self.started


@dataclass
class WidgetLoad:
    """Every request of one load phase."""

    requests: list[Request] = field(default_factory=list)
    seconds: float = 0.0

    def between(self, start: float, end: float) -> WidgetLoad:
        """Requests that finished within [start, end]."""
        return WidgetLoad(
            [r for r in self.requests if start <= r.finished <= end], max(0.0, end - start)
        )

    @property
    def ok(self) -> list[Request]:
        """The 200 answers."""
        return [r for r in self.requests if r.status == 200]

    @property
    def errors(self) -> list[Request]:
        """Everything that is not a 200 answer."""
        return [r for r in self.requests if r.status != 200]

    def summary(self) -> dict[str, Any]:
        """Counts and latency percentiles (ms) of the 200 answers."""
        latencies = [r.latency for r in self.ok]
        statuses: dict[str, int] = {}
        for r in self.requests:
            key = str(r.status) if r.status is not None else (r.error or "failed")
            statuses[key] = statuses.get(key, 0) + 1
        return {
            "requests": len(self.requests),
            "ok": len(self.ok),
            "errors": len(self.errors),
            "req_per_s": round(len(self.requests) / self.seconds, 2) if self.seconds else 0.0,
            "p50_ms": round(percentile(latencies, 0.5) * 1000),
            "p95_ms": round(percentile(latencies, 0.95) * 1000),
            "max_ms": round(max(latencies, default=0) * 1000),
            "statuses": statuses,
            "error_samples": [r.error for r in self.errors if r.error][:5],
        }


async def visitor(
    url: str,
    questions: Iterator[str],
    keep_going: Callable[[], bool],
    timeout: float,
    load: WidgetLoad,
) -> None:
    """One widget visitor with its own connection and conversation: ask, read, ask again."""
    import httpx

    conversation = str(uuid.uuid4())
    async with httpx.AsyncClient(base_url=url, timeout=timeout) as client:
        while keep_going():
            started = time.monotonic()
            try:
                reply = await client.post(
                    "/api/ask", json={"question": next(questions), "conversation_id": conversation}
                )
            except httpx.TimeoutException:
                load.requests.append(Request(started, time.monotonic(), None, "timeout"))
                continue
            except httpx.TransportError as exc:
                load.requests.append(
                    Request(started, time.monotonic(), None, f"transport: {type(exc).__name__}")
                )
                continue
            finished = time.monotonic()
            if reply.status_code == 200:
                load.requests.append(Request(started, finished, 200))
            else:
                load.requests.append(
                    Request(
                        started,
                        finished,
                        reply.status_code,
                        f"{reply.status_code}: {reply.text[:160]}",
                    )
                )


async def run_visitors(
    url: str, questions: list[str], clients: int, keep_going: Callable[[], bool], timeout: float
) -> WidgetLoad:
    """``clients`` visitors until ``keep_going()`` turns false."""
    load = WidgetLoad()
    shuffled = questions[:]
    random.Random(7).shuffle(shuffled)
    cycle = itertools.cycle(shuffled)
    started = time.monotonic()
    await asyncio.gather(*(visitor(url, cycle, keep_going, timeout, load) for _ in range(clients)))
    load.seconds = time.monotonic() - started
    return load


# --- part 1: mixed load --------------------------------------------------------------------------


def timed_fake_api() -> Any:
    """A FakeBotAPI that stamps the first answer (sendMessage) each chat receives."""
    from tests.tg.fake_bot_api import Call, FakeBotAPI

    class TimedFakeBotAPI(FakeBotAPI):
        """Records when each chat got its first and its final (with buttons) answer."""

        def __init__(self, token: str) -> None:
            super().__init__(token)
            self.first_answer: dict[int, float] = {}
            self.final_answer: dict[int, float] = {}
            self.answers: dict[int, int] = {}
            self.chat_calls: list[tuple[float, str, int]] = []

        def _record(self, call: Call) -> None:
            if call.chat_id is not None:
                with self._lock:
                    self.chat_calls.append((time.monotonic(), call.method, call.chat_id))
            if call.method == "sendMessage" and call.ok and call.chat_id is not None:
                now = time.monotonic()
                with self._lock:
                    self.first_answer.setdefault(call.chat_id, now)
                    self.answers[call.chat_id] = self.answers.get(call.chat_id, 0) + 1
                    if call.buttons:
                        self.final_answer.setdefault(call.chat_id, now)
            super()._record(call)

    return TimedFakeBotAPI(BOT_TOKEN)


async def telegram_burst(
    api: Any, questions: list[dict[str, str]], count: int, at: float, t0: float, timeout: float
) -> dict[str, Any]:
    """Inject ``count`` founders' questions at t0+at; wait until every chat is answered."""
    from tests.tg.fake_bot_api import message_update, user_json

    await asyncio.sleep(max(0.0, t0 + at - time.monotonic()))  # a schedule, not a wait
    pool = [q for q in questions if q["language"] in ("ko", "en") and q["kind"] != "followup"]
    chats = list(range(TELEGRAM_CHATS_FROM, TELEGRAM_CHATS_FROM + count))
    injected: dict[int, float] = {}
    for number, chat in enumerate(chats):
        question = pool[number % len(pool)]
        update = message_update(
            api, chat, user_json(chat, question["language"]), question["question"]
        )
        injected[chat] = time.monotonic()
        api.enqueue(update)
    injected_at = time.monotonic() - t0

    def answered() -> set[int]:
        with api._lock:
            return set(api.first_answer) & set(chats)

    timed_out = False
    try:
        await api.wait_for(lambda: len(answered()) == len(chats), timeout, "all Telegram answers")
    except AssertionError:
        timed_out = True
    latencies = [api.first_answer[c] - injected[c] for c in chats if c in api.first_answer]
    finals = [api.final_answer[c] - injected[c] for c in chats if c in api.final_answer]
    done = max((api.first_answer[c] for c in chats if c in api.first_answer), default=t0)
    duplicates = sum(1 for c in chats if api.answers.get(c, 0) > 1)
    # How fast the bot talked to the burst's chats: PTB's AIORateLimiter paces every request
    # carrying a chat_id (sendChatAction included) to 30/s overall.
    start = min(injected.values())
    burst_calls = [(t, m) for t, m, c in list(api.chat_calls) if c in injected and t >= start]
    times = sorted(t for t, _ in burst_calls)
    typing_at: dict[int, float] = {}
    for t, method, chat in list(api.chat_calls):
        if method == "sendChatAction" and chat in injected:
            typing_at.setdefault(chat, t)
    # Injection → "typing…" is the wait before a handler ran; "typing…" → answer is the work.
    waits = [typing_at[c] - injected[c] for c in chats if c in typing_at]
    work = [
        api.first_answer[c] - typing_at[c]
        for c in chats
        if c in typing_at and c in api.first_answer
    ]
    peak = max((bisect.bisect_right(times, t + 1.0) - i for i, t in enumerate(times)), default=0)
    return {
        "injected": len(chats),
        "injected_at_s": round(injected_at, 1),
        "answered": len(latencies),
        "with_buttons": len(finals),
        "chats_with_more_than_one_message": duplicates,
        "timed_out": timed_out,
        "p50_ms": round(percentile(latencies, 0.5) * 1000),
        "p95_ms": round(percentile(latencies, 0.95) * 1000),
        "max_ms": round(max(latencies, default=0) * 1000),
        "all_answered_after_s": round(done - start, 1),
        "burst_calls": {
            "sendMessage": sum(1 for _, m in burst_calls if m == "sendMessage"),
            "sendChatAction": sum(1 for _, m in burst_calls if m == "sendChatAction"),
            "peak_per_s": peak,
            "mean_per_s": round(len(times) / (times[-1] - start), 1) if times else 0.0,
        },
        "until_typing_p50_ms": round(percentile(waits, 0.5) * 1000),
        "until_typing_p95_ms": round(percentile(waits, 0.95) * 1000),
        "typing_to_answer_p50_ms": round(percentile(work, 0.5) * 1000),
        "typing_to_answer_p95_ms": round(percentile(work, 0.95) * 1000),
        "_window": (start, done),
    }


async def part_mixed(
    args: argparse.Namespace, workdir: Path, index: Path, knowledge: Path
) -> dict[str, Any]:
    """Part 1: widget load plus a Telegram burst on one real service."""
    questions = load_questions(args.questions)
    data_dir = workdir / "data-mixed"
    shutil.copytree(index, data_dir)
    api = timed_fake_api().start()
    service: Service | None = None
    try:
        service = Service(
            "mixed",
            workdir,
            data_dir,
            knowledge,
            TELEGRAM_BOT_TOKEN=BOT_TOKEN,
            TELEGRAM_BASE_URL=api.base_url,
        )
        chunks = await service.wait_ready()
        # The bot must be polling before the burst (so latency excludes its start-up).
        await api.wait_for(lambda: api.calls("getUpdates"), 120, "the bot's first getUpdates")
        rss_start = rss_mb(service.pid)
        log(
            f"part 1: service pid {service.pid} ready ({chunks} chunks), RSS {rss_start:.0f} MiB; "
            f"{args.clients} clients x {args.duration:g} s, {args.updates} Telegram updates "
            f"at t={args.burst_at:g} s"
        )
        sampler = RssSampler(service.pid)
        sampling = asyncio.create_task(sampler.run())
        t0 = time.monotonic()
        deadline = t0 + args.duration
        widget, telegram = await asyncio.gather(
            run_visitors(
                service.url,
                [q["question"] for q in questions],
                args.clients,
                lambda: time.monotonic() < deadline,
                args.timeout,
            ),
            telegram_burst(api, questions, args.updates, args.burst_at, t0, args.tg_timeout),
        )
        rss_end = rss_mb(service.pid)
        sampler.stop()
        await sampling
        too_many = {
            "telegram_429": len([c for c in api.calls() if c.status == 429]),
            "widget_429": widget.summary()["statuses"].get("429", 0),
        }
        tg_refused = [
            (c.method, c.status, c.response.get("description"))
            for c in api.calls()
            if not c.ok and c.status != 429
        ][:5]
    finally:
        if service is not None:
            service.stop()
        api.stop()
    burst_start, burst_end = telegram.pop("_window")
    return {
        "widget": widget.summary(),
        "widget_by_phase": {
            "before_burst": widget.between(t0, burst_start).summary(),
            "during_burst": widget.between(burst_start, burst_end).summary(),
            "after_burst": widget.between(burst_end, t0 + widget.seconds).summary(),
        },
        "telegram": {**telegram, "refused_calls": tg_refused},
        "rss": sampler.summary(rss_start, rss_end),
        "rate_limited": too_many,
        "service_exit": service.returncode,
        "service_log": service.problems(),
        "params": {
            "clients": args.clients,
            "duration_s": args.duration,
            "updates": args.updates,
            "burst_at_s": args.burst_at,
        },
    }


# --- part 2: ingest while answering --------------------------------------------------------------

EN_SYLLABLES = "ka lo mi ren sa tu vo zen bri dal fen gor hal jun kes lin mor nev pol quin".split()
KO_SYLLABLES = "가 나 다 라 마 바 사 아 자 차 카 타 파 하 로 미 소 윤 진 현".split()
FIELDS = [
    ("fintech", "핀테크"),
    ("logistics", "물류"),
    ("edtech", "에듀테크"),
    ("healthcare", "헬스케어"),
    ("smart mobility", "스마트 모빌리티"),
    ("e-commerce", "이커머스"),
    ("agritech", "애그테크"),
    ("clean energy", "클린 에너지"),
    ("food and beverage", "식음료"),
    ("content and media", "콘텐츠"),
]
DAYS = [
    ("Monday", "월요일"),
    ("Tuesday", "화요일"),
    ("Wednesday", "수요일"),
    ("Thursday", "목요일"),
    ("Friday", "금요일"),
]
LANGS = [
    ("Korean and English", "한국어와 영어"),
    ("English and Vietnamese", "영어와 베트남어"),
    ("Korean, English and Vietnamese", "한국어, 영어, 베트남어"),
]


@dataclass(frozen=True)
class SyntheticDoc:
    """One generated document and a question only it answers."""

    relative: str
    language: str
    text: str
    question: str
    fact: str


def _name(number: int, syllables: list[str], sep: str = "") -> str:
    """A made-up name, unique per number (three base-20 digits)."""
    scrambled = (number * 2903 + 1777) % 20**3  # a bijection: neighbours look unrelated
    digits = [(scrambled // 20**i) % 20 for i in range(3)]
    return sep.join(syllables[d] for d in digits)


def synthetic_doc(number: int, rng: random.Random) -> SyntheticDoc:
    """A realistic-looking mentor office-hours page; every third one in English has 2 sections."""
    field_en, field_ko = rng.choice(FIELDS)
    day_en, day_ko = rng.choice(DAYS)
    lang_en, lang_ko = rng.choice(LANGS)
    hour, minute = rng.randint(9, 17), rng.choice([0, 15, 30, 45])
    slots, years = rng.randint(2, 8), rng.randint(4, 25)
    room = f"{rng.choice('ABCDE')}{rng.randint(1, 3)}{rng.randint(0, 9):02d}"
    clock = f"{hour:02d}:{minute:02d}"
    verified = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
    korean = number % 2 == 1
    if korean:
        name = _name(number, KO_SYLLABLES)
        title = f"{name} 멘토 오피스 아워 ({field_ko})"
        body = (
            f"## {name} 멘토의 오피스 아워는 언제인가요?\n\n"
            f"{name} 멘토는 {field_ko} 분야에서 {years}년 경력을 가진 멘토입니다. {name} 멘토의 "
            f"오피스 아워는 매주 {day_ko} {clock}에 서울창업허브 호치민 {room}호 회의실에서 "
            f"열리며, 한 번에 {slots}개 기업까지 상담할 수 있습니다. 상담은 {lang_ko}로 "
            f"진행되며, 예약은 허브 직원에게 요청하세요.\n"
        )
        question = f"{name} 멘토의 오피스 아워는 언제인가요?"
    else:
        name = _name(number, EN_SYLLABLES).capitalize()
        title = f"Office hours with mentor {name} ({field_en})"
        body = (
            f"## When are the office hours with mentor {name}?\n\n"
            f"Mentor {name} has {years} years of experience in {field_en}. The office hours "
            f"with mentor {name} take place every {day_en} at {clock} in meeting room {room} of "
            f"Seoul Startup Hub Ho Chi Minh, for up to {slots} startups per session. Sessions "
            f"are held in {lang_en}; ask the hub staff to book a slot.\n"
        )
        if number % 3 == 0:
            body += (
                f"\n## What should I prepare for mentor {name}?\n\n"
                f"Bring a one-page summary of your company, your stage in Vietnam and one "
                f"concrete {field_en} question for mentor {name}. Mentor {name} reviews pitch "
                f"decks only when they are sent to the hub staff two days in advance.\n"
            )
        question = f"When are the office hours with mentor {name}?"
    language = "ko" if korean else "en"
    text = (
        f'---\ntitle: "{title}"\nlanguage: {language}\ntopic: mentoring\n'
        f'sources:\n  - "synthetic load-test document (benchmarks/production_load.py)"\n'
        f"last_verified: {verified}\n---\n\n# {title}\n\n{body}"
    )
    relative = f"generated/{language}/mentor-{number:04d}.md"
    return SyntheticDoc(relative, language, text, question, clock)


def write_docs(knowledge: Path, count: int) -> list[SyntheticDoc]:
    """Write ``count`` distinct documents under knowledge/generated/; returns them."""
    rng = random.Random(20261127)
    docs = [synthetic_doc(number, rng) for number in range(count)]
    for doc in docs:
        target = knowledge / doc.relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(doc.text, encoding="utf-8")
    return docs


async def run_ingest(
    service: Service, data_dir: Path, knowledge: Path, folder: Path
) -> tuple[float, dict[str, Any], str]:
    """``ingest.py <folder> --json`` while the service runs: it hands the work to the service."""
    env = child_env(DATA_DIR=str(data_dir), KNOWLEDGE_DIR=str(knowledge), ADMIN_TOKEN=ADMIN_TOKEN)
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "ingest.py"),
        str(folder),
        "--json",
        cwd=service.log_path.parent,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    RUNNING[proc.pid] = proc
    try:
        out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.terminate()
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()
        RUNNING.pop(proc.pid, None)
    seconds = time.monotonic() - started
    stderr = err.decode(errors="replace").strip()
    if proc.returncode != 0:
        raise RuntimeError(f"ingest.py failed ({proc.returncode}): {stderr[-1500:]}")
    return seconds, json.loads(out), stderr


def longest_gap(requests: list[Request], start: float, end: float) -> float:
    """Longest time in [start, end] without a successful answer finishing."""
    moments = [start] + sorted(r.finished for r in requests if r.status == 200) + [end]
    moments = [m for m in moments if start <= m <= end]
    return max((b - a for a, b in itertools.pairwise(moments)), default=end - start)


async def check_new_docs(url: str, docs: list[SyntheticDoc]) -> list[dict[str, Any]]:
    """Ask about a few new documents: each must be answered, citing it, with its fact."""
    import httpx

    picks = {docs[len(docs) // 2], docs[-1], docs[-2], docs[1], docs[0]}
    results = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for doc in sorted(picks, key=lambda d: d.relative):
            reply = await client.post("/api/ask", json={"question": doc.question})
            body = reply.json() if reply.status_code == 200 else {}
            sources = [s.get("source", "") for s in body.get("sources", [])]
            results.append(
                {
                    "doc": doc.relative,
                    "question": doc.question,
                    "status": reply.status_code,
                    "answered": bool(body.get("answered")),
                    "cites_it": bool(sources) and sources[0] == doc.relative,
                    "has_fact": doc.fact in body.get("answer", ""),
                    "top_source": sources[0] if sources else "",
                }
            )
    return results


async def part_ingest(
    args: argparse.Namespace, workdir: Path, index: Path, knowledge: Path
) -> dict[str, Any]:
    """Part 2: ingest ``--docs`` new documents through the running service while answering."""
    questions = [q["question"] for q in load_questions(args.questions)]
    data_dir = workdir / "data-ingest"
    shutil.copytree(index, data_dir)
    folder = knowledge / "generated"
    shutil.rmtree(folder, ignore_errors=True)
    docs = write_docs(knowledge, args.docs)
    service = Service("ingest", workdir, data_dir, knowledge)
    try:
        chunks_before = await service.wait_ready()
        rss_start = rss_mb(service.pid)
        sampler = RssSampler(service.pid)
        sampling = asyncio.create_task(sampler.run())
        log(
            f"part 2: service pid {service.pid} ready ({chunks_before} chunks), "
            f"RSS {rss_start:.0f} MiB; {len(docs)} new documents; {args.ingest_clients} clients, "
            f"baseline {args.baseline:g} s then ingest"
        )
        t0 = time.monotonic()
        phase: dict[str, float] = {}
        ingest_done = asyncio.Event()

        async def baseline_then_ingest() -> tuple[float, dict[str, Any], str]:
            await asyncio.sleep(args.baseline)  # a schedule: the baseline phase's length
            phase["ingest_start"] = time.monotonic()
            try:
                return await run_ingest(service, data_dir, knowledge, folder)
            finally:
                phase["ingest_end"] = time.monotonic()
                ingest_done.set()

        load, (ingest_seconds, report, ingest_stderr) = await asyncio.gather(
            run_visitors(
                service.url,
                questions,
                args.ingest_clients,
                lambda: not ingest_done.is_set(),
                args.timeout,
            ),
            baseline_then_ingest(),
        )
        start, end = phase["ingest_start"], phase["ingest_end"]
        baseline = load.between(t0, start)
        during = load.between(start, end)
        # Requests started during ingest but finished after it count too (none may be lost).
        during.requests += [r for r in load.requests if r.finished > end]
        chunks_after = await service.wait_ready()
        live = await check_new_docs(service.url, docs)
        rss_end = rss_mb(service.pid)
        sampler.stop()
        await sampling
    finally:
        service.stop()
    embedded = int(report.get("chunks_embedded", 0))
    service_seconds = float(report.get("seconds") or ingest_seconds)
    return {
        "docs": len(docs),
        "ingest": {
            "wall_s": round(ingest_seconds, 1),
            "service_s": round(service_seconds, 1),
            "added": report.get("added"),
            "failed": len(report.get("failed", [])),
            "chunks_embedded": embedded,
            "chunks_per_s": round(embedded / service_seconds, 1) if service_seconds else 0.0,
            "chunks_before": chunks_before,
            "chunks_after": chunks_after,
            "handed_to_service": "handed to the running service" in ingest_stderr,
        },
        "baseline": baseline.summary(),
        "during_ingest": {
            **during.summary(),
            "longest_gap_s": round(longest_gap(during.requests, start, end), 2),
        },
        "new_docs_live": live,
        "rss": sampler.summary(rss_start, rss_end),
        "service_exit": service.returncode,
        "service_log": service.problems(),
        "params": {"clients": args.ingest_clients, "baseline_s": args.baseline},
    }


# --- report --------------------------------------------------------------------------------------


def log(message: str) -> None:
    """Progress on stderr (stdout stays clean for --json)."""
    print(message, file=sys.stderr, flush=True)


def render(rows: list[tuple[str, ...]]) -> str:
    """A fixed-width table; the first row is the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for index, row in enumerate(rows):
        out.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def latency_row(name: str, s: dict[str, Any]) -> tuple[str, ...]:
    """One row of the latency table."""
    return (
        name,
        str(s["requests"]),
        f"{s['req_per_s']:.1f}",
        str(s["ok"]),
        str(s["p50_ms"]),
        str(s["p95_ms"]),
        str(s["max_ms"]),
        str(s["errors"]),
    )


HEADER = ("", "requests", "req/s", "200", "p50 ms", "p95 ms", "max ms", "errors")


def mixed_targets(r: dict[str, Any]) -> list[tuple[str, bool]]:
    """Part 1 targets."""
    tg = r["telegram"]
    return [
        ("widget: 0 errors (non-200, timeouts)", r["widget"]["errors"] == 0),
        (f"telegram: {tg['answered']}/{tg['injected']} answered", tg["answered"] == tg["injected"]),
        ("telegram: one message per founder", tg["chats_with_more_than_one_message"] == 0),
        ("no 429 in either channel", not any(r["rate_limited"].values())),
        ("service exited cleanly (0)", r["service_exit"] == 0),
    ]


def ingest_targets(r: dict[str, Any]) -> list[tuple[str, bool]]:
    """Part 2 targets."""
    return [
        ("answers during ingest: 0 errors", r["during_ingest"]["errors"] == 0),
        ("answers kept flowing during ingest", r["during_ingest"]["ok"] > 0),
        (
            f"all {r['docs']} documents added, none failed",
            r["ingest"]["added"] == r["docs"] and r["ingest"]["failed"] == 0,
        ),
        (
            "new documents answered from themselves",
            all(x["answered"] and x["cites_it"] and x["has_fact"] for x in r["new_docs_live"]),
        ),
        ("service exited cleanly (0)", r["service_exit"] == 0),
    ]


def print_mixed(r: dict[str, Any]) -> None:
    """Part 1 summary."""
    p, w, tg, rss = r["params"], r["widget"], r["telegram"], r["rss"]
    print(
        f"\n== Part 1: mixed load — {p['clients']} widget clients x {p['duration_s']:g} s + "
        f"{p['updates']} Telegram updates at t={tg['injected_at_s']:g} s =="
    )
    phases = r["widget_by_phase"]
    print(
        render(
            [
                HEADER,
                latency_row("widget /api/ask", w),
                latency_row("  before burst", phases["before_burst"]),
                latency_row("  during burst", phases["during_burst"]),
                latency_row("  after burst", phases["after_burst"]),
            ]
        )
    )
    print()
    print(
        render(
            [
                (
                    "telegram",
                    "injected",
                    "answered",
                    "p50 ms",
                    "p95 ms",
                    "max ms",
                    "all done after",
                ),
                (
                    "burst",
                    str(tg["injected"]),
                    str(tg["answered"]),
                    str(tg["p50_ms"]),
                    str(tg["p95_ms"]),
                    str(tg["max_ms"]),
                    f"{tg['all_answered_after_s']:g} s",
                ),
            ]
        )
    )
    print()
    print(
        render(
            [
                ("RSS MiB", "start", "end", "peak", "growth"),
                (
                    "service",
                    f"{rss['start_mb']:.0f}",
                    f"{rss['end_mb']:.0f}",
                    f"{rss['peak_mb']:.0f}",
                    f"{rss['growth_mb']:+.0f}",
                ),
            ]
        )
    )
    calls = tg["burst_calls"]
    print(
        f"bot → Bot API for the burst: {calls['sendMessage']} sendMessage + "
        f"{calls['sendChatAction']} sendChatAction, {calls['mean_per_s']:g}/s mean, "
        f"{calls['peak_per_s']} in the busiest second; injection → typing p50/p95 "
        f"{tg['until_typing_p50_ms']}/{tg['until_typing_p95_ms']} ms, typing → answer "
        f"{tg['typing_to_answer_p50_ms']}/{tg['typing_to_answer_p95_ms']} ms"
    )
    print(f"RSS timeline (MiB, ~10 s apart): {rss['timeline_mb']}")
    print(
        f"widget statuses {w['statuses']}; 429s {r['rate_limited']}; "
        f"service log problems {r['service_log']['count']}"
    )
    for sample in w["error_samples"]:
        print(f"  widget error: {sample}")
    for line in r["service_log"]["first"]:
        print(f"  service log: {line[:200]}")
    print_targets(mixed_targets(r))


def print_ingest(r: dict[str, Any]) -> None:
    """Part 2 summary."""
    i, d = r["ingest"], r["during_ingest"]
    print(
        f"\n== Part 2: ingest {r['docs']} documents while {r['params']['clients']} clients ask =="
    )
    print(
        render(
            [
                (
                    "ingest",
                    "docs added",
                    "chunks",
                    "service s",
                    "wall s",
                    "chunks/s",
                    "index before→after",
                ),
                (
                    "ingest.py → service",
                    str(i["added"]),
                    str(i["chunks_embedded"]),
                    f"{i['service_s']:g}",
                    f"{i['wall_s']:g}",
                    f"{i['chunks_per_s']:g}",
                    f"{i['chunks_before']}→{i['chunks_after']}",
                ),
            ]
        )
    )
    print()
    print(
        render(
            [HEADER, latency_row("before ingest", r["baseline"]), latency_row("during ingest", d)]
        )
    )
    print(
        f"longest gap between two answers during ingest: {d['longest_gap_s']:g} s; "
        f"handed to the service: {i['handed_to_service']}"
    )
    rss = r["rss"]
    print(f"RSS timeline (MiB, ~10 s apart): {rss['timeline_mb']}")
    print(
        f"RSS MiB start {rss['start_mb']:.0f}, end {rss['end_mb']:.0f}, "
        f"peak {rss['peak_mb']:.0f} ({rss['growth_mb']:+.0f})"
    )
    print("new documents after ingest:")
    for x in r["new_docs_live"]:
        mark = "ok" if x["answered"] and x["cites_it"] and x["has_fact"] else "MISSED"
        print(
            f"  {mark:6} {x['doc']}: answered={x['answered']} cites_it={x['cites_it']} "
            f"fact={x['has_fact']} top={x['top_source']}"
        )
    for sample in d["error_samples"]:
        print(f"  error during ingest: {sample}")
    for line in r["service_log"]["first"]:
        print(f"  service log: {line[:200]}")
    print_targets(ingest_targets(r))


def print_targets(targets: list[tuple[str, bool]]) -> None:
    """Each target, met or NOT MET."""
    for name, met in targets:
        print(f"  [{'met' if met else 'NOT MET'}] {name}")


# --- main ----------------------------------------------------------------------------------------


def build_index(workdir: Path, knowledge: Path) -> Path:
    """Index the knowledge copy once (ingest.py, no service running) into workdir/index."""
    index = workdir / "index"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(ROOT / "ingest.py"), "--data-dir", str(index), "--json"],
        cwd=workdir,
        env=child_env(KNOWLEDGE_DIR=str(knowledge)),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"indexing failed: {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    log(
        f"indexed {report['chunks_embedded']} chunks of {knowledge} in "
        f"{time.monotonic() - started:.0f} s"
    )
    return index


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Both parts (or one), sequentially: they must not disturb each other's numbers."""
    knowledge = workdir / "knowledge"
    shutil.copytree(args.knowledge, knowledge)
    index = build_index(workdir, knowledge)
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "load_avg_at_start": list(os.getloadavg())},
    }
    if args.part in ("both", "mixed"):
        results["mixed"] = await part_mixed(args, workdir, index, knowledge)
    if args.part in ("both", "ingest"):
        results["ingest"] = await part_ingest(args, workdir, index, knowledge)
    results["machine"]["load_avg_at_end"] = list(os.getloadavg())
    return results


def stop_children() -> None:
    """SIGTERM every child still running, wait for it, SIGKILL it if it hangs."""
    for pid, proc in list(RUNNING.items()):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            # Not asyncio's Process here (its loop may be gone): reap by pid.
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    break
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.2)  # polling a child's exit after its loop is gone
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        log(f"stopped child {pid} ({type(proc).__name__})")
        RUNNING.pop(pid, None)


def _terminate(signum: int, _frame: object) -> None:
    # SIGTERM behaves like Ctrl-C: unwind through every finally and stop the children.
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    """Parse the arguments, run the parts, print the summaries; 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("both", "mixed", "ingest"), default="both")
    parser.add_argument("--duration", type=float, default=60.0, help="part 1 seconds (60)")
    parser.add_argument("--clients", type=int, default=20, help="part 1 widget clients (20)")
    parser.add_argument("--updates", type=int, default=100, help="Telegram burst size (100)")
    parser.add_argument("--burst-at", type=float, default=10.0, help="burst time in s (10)")
    parser.add_argument(
        "--tg-timeout",
        type=float,
        default=300.0,
        help="wait at most this long for all Telegram answers (300 s)",
    )
    parser.add_argument("--docs", type=int, default=1000, help="part 2 new documents (1000)")
    parser.add_argument("--ingest-clients", type=int, default=5, help="part 2 clients (5)")
    parser.add_argument(
        "--baseline",
        type=float,
        default=15.0,
        help="part 2 seconds of answering before the ingest starts (15)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="per-request timeout of a widget client; a timeout is an error (30 s)",
    )
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs, indexes)")
    args = parser.parse_args()
    args.knowledge = args.knowledge.resolve()

    signal.signal(signal.SIGTERM, _terminate)
    workdir = Path(tempfile.mkdtemp(prefix="production-load-"))
    try:
        results = asyncio.run(run(args, workdir))
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the clean-up finish
        stop_children()
        if args.keep:
            log(f"work dir kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    targets = mixed_targets(results["mixed"]) if "mixed" in results else []
    targets += ingest_targets(results["ingest"]) if "ingest" in results else []
    results["targets_met"] = all(met for _, met in targets)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        if "mixed" in results:
            print_mixed(results["mixed"])
        if "ingest" in results:
            print_ingest(results["ingest"])
        m = results["machine"]
        print(
            f"\nmachine: {m['cpus']} CPUs, load average {m['load_avg_at_start'][0]:.2f} at "
            f"start, {m['load_avg_at_end'][0]:.2f} at end (other work shares this machine)"
        )
        print("all targets:", "met" if results["targets_met"] else "NOT MET")
    return 0 if results["targets_met"] else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted: children stopped, work dir removed")
        sys.exit(130)
