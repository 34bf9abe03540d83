"""Admin endpoints behind a bearer token: knowledge upload/delete, re-index, sources, gaps, stats.

An upload returns at once (202) with a job: indexing runs in the background (bot/publish.py),
``GET /api/admin/jobs/{id}`` shows its progress and outcome; ``GET /api/admin/changes`` lists
the recent staff changes and ``POST /api/admin/changes/undo`` undoes the last one.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bot.config import Settings
from bot.core import Core
from bot.errors import IngestCancelled
from bot.filenames import UnsafeFileName, upload_file_name
from bot.metrics import Metrics, tracked_ingest
from bot.publish import Publisher, PublishError
from bot.rag.indexer import IngestReport
from bot.rag.loaders import SUPPORTED_SUFFIXES
from bot.rag.store import IndexedDocument
from bot.ratelimit import SlidingWindowLimiter, retry_after_header
from bot.state import LanguageStats, StateStore
from bot.web.uploads import UploadError, boundary_of, read_single_file

logger = logging.getLogger(__name__)

UPLOADS_FOLDER = "uploads"
# Longer than any path the knowledge folder can hold (PATH_MAX is 4096 bytes on Linux).
MAX_SOURCE_CHARS = 1024
# Wrong admin tokens a client may send per window before every admin request is 429.
ADMIN_MAX_FAILURES = 10
ADMIN_FAILURE_WINDOW = 15 * 60.0
# Who a change made through the admin API is recorded as (the API has one shared token).
ADMIN_AUTHOR = "admin page"
# Multipart framing around the file: boundaries, part headers, small fields.
MULTIPART_OVERHEAD = 64 * 1024

_bearer = HTTPBearer(auto_error=False, description="ADMIN_TOKEN from the settings")
_JSON_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no bearer token"},
    403: {"description": "wrong bearer token"},
    503: {"description": "admin API disabled (ADMIN_TOKEN unset)"},
}


def _admin_guard(settings: Settings):
    """Dependency: 503 when no token is configured, 401 without a token, 403 with a wrong one,
    429 once a client has sent ADMIN_MAX_FAILURES wrong tokens within the window."""
    expected = settings.admin_token.get_secret_value().encode() if settings.admin_token else b""
    failures = SlidingWindowLimiter(ADMIN_MAX_FAILURES, ADMIN_FAILURE_WINDOW)

    async def guard(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        if not expected:
            raise HTTPException(503, "admin API disabled")
        client = request.client.host if request.client else "unknown"
        wait = failures.blocked(client)
        if wait is not None:
            # Even the right token waits: otherwise guessing could go on at the limit.
            raise HTTPException(
                429,
                "too many wrong admin tokens; try again later",
                headers={"Retry-After": retry_after_header(wait)},
            )
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise HTTPException(
                401, "admin bearer token required", headers={"WWW-Authenticate": "Bearer"}
            )
        if not hmac.compare_digest(credentials.credentials.encode(), expected):
            failures.hit(client)
            logger.warning(
                "admin request with a wrong token refused",
                extra={"client": client, "path": request.url.path},
            )
            raise HTTPException(403, "invalid admin token")

    return guard


def _report(report: IngestReport) -> dict[str, object]:
    return report.to_dict()


def admin_router(
    settings: Settings,
    assistant: Core,
    state: StateStore,
    metrics: Metrics,
    publishing: Publisher,
) -> APIRouter:
    """The /api/admin routes, all guarded by the admin token; every ingestion is recorded.

    ``publishing`` is the service's queue of staff changes (shared with Telegram)."""

    def publisher() -> Publisher:
        return publishing

    def ingest(trigger: str, paths: list[Path] | None = None) -> IngestReport:
        """Runs in a worker thread: one recorded ingestion of ``paths`` (None: everything)."""
        try:
            return tracked_ingest(metrics, trigger, assistant, lambda: assistant.ingest(paths))
        except IngestCancelled as exc:
            raise HTTPException(503, "the service is stopping; run it again after the restart") from exc

    router = APIRouter(
        prefix="/api/admin",
        tags=["admin"],
        dependencies=[Depends(_admin_guard(settings))],
        responses=_JSON_ERRORS,
    )
    knowledge_root = settings.knowledge_dir.expanduser().resolve()

    @router.post(
        "/documents",
        status_code=202,
        summary="Upload a knowledge document (multipart field 'file'); it is indexed in the "
        "background",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {"file": {"type": "string", "format": "binary"}},
                        }
                    }
                },
            }
        },
    )
    async def upload_document(request: Request) -> JSONResponse:
        """Receive the file, then publish it as uploads/<name> in the background: 202 with the
        job (poll ``status_url``); a bad name, type or size is refused at once."""
        limit = settings.max_file_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
            raise HTTPException(413, f"file is larger than the {settings.max_file_mb:g} MB limit")
        try:
            boundary = boundary_of(request.headers.get("content-type", ""))
        except UploadError as exc:
            raise HTTPException(exc.status, exc.message) from exc
        # Received under knowledge/.changes/incoming: the indexer never reads it half-written.
        received = publisher().incoming()
        try:
            with received.open("wb") as sink:
                uploaded = await read_single_file(request.stream(), boundary, sink, limit)
            name = upload_file_name(uploaded.filename)
            if uploaded.size == 0:
                raise UploadError("the file is empty", 422)
            job = publisher().upload(received, name, ADMIN_AUTHOR, "admin_upload")
        except (UploadError, UnsafeFileName, PublishError) as exc:
            received.unlink(missing_ok=True)
            raise HTTPException(exc.status, exc.message) from exc
        except BaseException:
            received.unlink(missing_ok=True)
            raise
        logger.info("upload queued name=%s job=%s", name, job.id)
        return JSONResponse(
            {
                **job.to_dict(),
                "status_url": f"/api/admin/jobs/{job.id}",
            },
            202,
        )

    @router.get("/jobs", summary="Recent upload, FAQ and undo jobs, newest first")
    async def jobs() -> list[dict[str, object]]:
        """State and progress of the recent publishing jobs."""
        return [job.to_dict() for job in publisher().jobs()]

    @router.get("/jobs/{job_id}", summary="One publishing job: state, progress, outcome")
    async def job_status(job_id: str) -> dict[str, object]:
        """``state``: queued, running (``done``/``total`` chunks), done, failed or cancelled
        (``message`` says why)."""
        job = publisher().job(job_id[:64])
        if job is None:
            raise HTTPException(404, "no such job (finished jobs are kept for a while only)")
        return job.to_dict()

    @router.get("/changes", summary="Recent staff changes (uploads, saved FAQs, undos)")
    async def changes() -> dict[str, object]:
        """Newest first; ``undoable`` is what "undo" would undo now."""
        listed = await run_in_threadpool(publisher().changes)
        last = await run_in_threadpool(publisher().last_undoable)
        return {
            "changes": [c.to_dict() for c in listed],
            "undoable": last.to_dict() if last is not None else None,
        }

    @router.post("/changes/undo", status_code=202, summary="Undo the last change (or one by id)")
    async def undo(body: UndoRequest | None = None) -> JSONResponse:
        """Removes an uploaded or saved document from the folder and the answers, or puts back
        the version it replaced; the removed file is kept in knowledge/.changes/backups."""
        change = body.change if body is not None else None
        try:
            job = await run_in_threadpool(publisher().undo, ADMIN_AUTHOR, "admin_undo", change)
        except PublishError as exc:
            raise HTTPException(exc.status, exc.message) from exc
        return JSONResponse({**job.to_dict(), "status_url": f"/api/admin/jobs/{job.id}"}, 202)

    @router.delete("/documents", summary="Delete a knowledge document and drop its chunks")
    async def delete_document(
        source: Annotated[
            str,
            Query(
                max_length=MAX_SOURCE_CHARS,
                description="path relative to the knowledge folder, as /sources lists it",
            ),
        ],
    ) -> dict[str, object]:
        """Remove an indexed document's file and re-ingest its folder, so its chunks leave the
        index. Only documents the index holds: any other file in the folder is left alone."""
        target = _resolve_source(knowledge_root, source)
        key = target.relative_to(knowledge_root).as_posix()
        indexed = {d.source for d in await run_in_threadpool(assistant.sources)}
        if key not in indexed:
            raise HTTPException(404, f"not an indexed document: {source}")
        try:
            target.unlink()
        except FileNotFoundError as exc:
            raise HTTPException(404, f"no such document: {source}") from exc
        report = await run_in_threadpool(ingest, "admin_delete", [target.parent])
        logger.info("document deleted source=%s", source)
        return _report(report)

    @router.post("/ingest", summary="Ingest files or folders of the knowledge folder (ingest.py)")
    async def ingest_paths(body: IngestRequest) -> dict[str, object]:
        """Index the given paths (absolute, inside KNOWLEDGE_DIR) in this process.

        `ingest.py` sends its work here when this service owns the data directory, because
        two processes must never open the embedded store at once.
        """
        paths = [_inside(knowledge_root, raw) for raw in body.paths]
        report = await run_in_threadpool(ingest, "admin_api", paths or None)
        return {**report.to_dict(), "files": report.files()}

    @router.post("/reindex", summary="Re-index the whole knowledge folder")
    async def reindex() -> dict[str, object]:
        """Index new and changed files, drop deleted ones."""
        return _report(await run_in_threadpool(ingest, "admin_reindex"))

    @router.get("/sources", summary="Indexed documents")
    async def sources() -> list[dict[str, object]]:
        """Every indexed document with its title, language, topic and verification date."""
        docs = await run_in_threadpool(assistant.sources)
        return [
            {
                "source": d.source,
                "title": d.title,
                "language": d.language,
                "topic": d.topic,
                "last_verified": d.last_verified,
                "origin": d.origin,
                "added_by": d.added_by,
                "added_on": d.added_on,
                "chunks": len(d.chunk_ids),
            }
            for d in docs
        ]

    @router.get("/gaps", summary="Questions the bot could not answer well, grouped")
    async def gaps(days: Annotated[int, Query(ge=1, le=3650)] = 30) -> list[dict[str, object]]:
        """Declined, low-confidence and 👎 questions of the last ``days`` days."""
        return [asdict(g) for g in await run_in_threadpool(state.gaps, days)]

    @router.get(
        "/stats",
        summary="Questions, answered rate, feedback and hand-offs of all channels",
    )
    async def stats(
        days: Annotated[int | None, Query(ge=1, le=3650)] = None,
    ) -> dict[str, object]:
        """Counts over every channel (web and Telegram), per language and per channel, plus
        their totals, the index size and the open hand-offs."""
        per_language = await run_in_threadpool(state.stats, days)
        per_channel = await run_in_threadpool(state.stats, days, "channel")
        chunks = await run_in_threadpool(assistant.chunk_count)
        open_handoffs = await run_in_threadpool(state.open_handoffs)
        return {
            "languages": {lang: _counts(s) for lang, s in sorted(per_language.items())},
            "channels": {name: _counts(s) for name, s in sorted(per_channel.items())},
            "total": _counts(_total(per_channel.values())),
            "chunks": chunks,
            "open_handoffs": len(open_handoffs),
        }

    @router.get("/freshness", summary="Documents due for re-checking, oldest first")
    async def freshness() -> dict[str, object]:
        """Documents whose ``last_verified`` date is more than STALE_AFTER_DAYS old, or that
        have none (those first: they were never checked), oldest first."""
        docs = await run_in_threadpool(assistant.sources)
        today = dt.datetime.now(dt.UTC).date()
        return {
            "stale_after_days": settings.stale_after_days,
            "today": today.isoformat(),
            "documents": stale_documents(docs, today, settings.stale_after_days),
        }

    @router.get("/handoffs", summary="Open hand-offs (the staff inbox)")
    async def handoffs() -> list[dict[str, object]]:
        """Every open hand-off, oldest first."""
        return [
            {
                "id": h.id,
                "channel": h.channel,
                "conversation": h.conversation,
                "language": h.language,
                "question": h.question,
                "answer": h.answer,
                "contact": h.contact,
                "created_at": h.created_at.isoformat(),
            }
            for h in await run_in_threadpool(state.open_handoffs)
        ]

    return router


def _counts(stats: LanguageStats) -> dict[str, object]:
    return {**asdict(stats), "answered_rate": round(stats.answered_rate, 4)}


def _total(parts: Iterable[LanguageStats]) -> LanguageStats:
    total = LanguageStats()
    for part in parts:
        total.questions += part.questions
        total.answered += part.answered
        total.thumbs_up += part.thumbs_up
        total.thumbs_down += part.thumbs_down
        total.handoffs += part.handoffs
    return total


def verified_on(value: str) -> dt.date | None:
    """The date a ``last_verified`` value names (``2026-05-01``, or a timestamp starting with
    one), or None when it names none."""
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def stale_documents(
    docs: Iterable[IndexedDocument], today: dt.date, stale_after_days: int
) -> list[dict[str, object]]:
    """Documents verified more than ``stale_after_days`` before ``today`` or never (no readable
    date): never-verified first, then the oldest date first."""
    flagged: list[tuple[tuple[int, str, str], dict[str, object]]] = []
    for doc in docs:
        verified = verified_on(doc.last_verified)
        age = (today - verified).days if verified is not None else None
        if age is not None and age <= stale_after_days:
            continue
        order = (0, "", doc.source) if verified is None else (1, verified.isoformat(), doc.source)
        flagged.append(
            (
                order,
                {
                    "source": doc.source,
                    "title": doc.title,
                    "language": doc.language,
                    "last_verified": doc.last_verified,
                    "age_days": age,
                },
            )
        )
    return [row for _, row in sorted(flagged, key=lambda item: item[0])]


class UndoRequest(BaseModel):
    """Body of `POST /api/admin/changes/undo`; no body (or no id) undoes the last change."""

    change: str | None = Field(default=None, max_length=64)


class IngestRequest(BaseModel):
    """Paths for `POST /api/admin/ingest`; empty means the whole knowledge folder."""

    paths: list[str] = Field(default_factory=list, max_length=1000)


def _inside(root: Path, raw: str) -> Path:
    """An existing path inside the knowledge folder, or a 422 naming it."""
    if not raw or "\x00" in raw:
        raise HTTPException(422, "paths must be non-empty file or folder paths")
    try:
        path = Path(raw).expanduser()
        path = (path if path.is_absolute() else root / path).resolve()
        exists = path.exists()
    except (OSError, RuntimeError) as exc:  # a name too long, a symlink loop …
        raise HTTPException(422, "paths must be usable file or folder paths") from exc
    if not (path == root or path.is_relative_to(root)):
        raise HTTPException(422, f"{raw}: not inside the knowledge folder {root}")
    if not exists:
        raise HTTPException(422, f"{raw}: no such file or folder")
    return path


def _resolve_source(root: Path, source: str) -> Path:
    """The knowledge file ``source`` names, refusing anything outside the knowledge folder."""
    if not source or "\x00" in source or Path(source).is_absolute():
        raise HTTPException(400, "source must be a path relative to the knowledge folder")
    try:
        target = (root / source).resolve()
    except OSError as exc:  # a name the file system refuses (too long, …)
        raise HTTPException(400, "source is not a usable file name") from exc
    if target == root or not target.is_relative_to(root):
        raise HTTPException(400, "source must be a file inside the knowledge folder")
    if target.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise HTTPException(400, f"not a knowledge document: {source}")
    return target
