"""Staff publishing: uploads and saved FAQs go live through one queue; the last change can be undone.

Every change staff make to the knowledge base from a channel — a document uploaded on the
admin page or sent to the Telegram bot, an FAQ saved from a hand-off, an undo — is a *job*:

- the request that asks for it returns at once with the job (its id, state, progress);
  one worker thread runs the jobs in order, so a large upload never holds a request open
  and two changes never race;
- the job logs the change (who, when: the server's clock) in ``knowledge/.changes`` before it
  touches a file, keeps the version it replaces, puts the new file in place and indexes it
  with the per-upload chunk cap (``MAX_UPLOAD_CHUNKS``). A file that fails is taken out
  again and the previous version put back: the folder and the index stay in step;
- uploads go live as soon as they are indexed — no approval step: only staff can upload,
  founders see each such source marked "uploaded by staff on <date>", and any staff member
  can list the recent changes and undo the last one in one step (the undone file is kept
  in ``.changes/backups``, and a replaced version comes back);
- SIGTERM stops the running job between embedding calls (only complete documents stay in
  the index); an interrupted change — SIGTERM or SIGKILL — is finished at the next start.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import queue
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.core import Core
from bot.errors import AssistantError, IngestCancelled
from bot.metrics import Metrics, tracked_ingest
from bot.rag.indexer import IngestReport, file_hash
from bot.rag.provenance import Change, ChangeLog, utc_now

logger = logging.getLogger(__name__)

UPLOADS_FOLDER = "uploads"
FAQ_FOLDER = "faq"
# Jobs waiting or running at once; more is refused (429) instead of queueing without bound.
MAX_QUEUED = 10
# Finished jobs kept for status queries.
JOB_HISTORY = 50
# Incoming files older than this at start-up are leftovers of a crash (a live upload that
# another replica is still receiving is far younger).
STALE_INCOMING_SECONDS = 3600.0


class PublishError(AssistantError):
    """A change cannot be made; ``message`` is shown to staff, ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Job:
    """One staff change on its way through the queue (state and progress for staff)."""

    id: str
    kind: str  # "upload" | "faq" | "undo" | "resume"
    source: str  # the document it is about, e.g. "uploads/fees.md"
    by: str
    trigger: str  # the ingestion metric's trigger label
    state: str = "queued"  # queued | running | done | failed | cancelled
    done: int = 0  # chunks embedded so far
    total: int = 0  # chunks to embed (0 until the document is parsed)
    message: str = ""
    report: dict[str, object] | None = None
    change: dict[str, object] | None = None  # the logged change (for undo buttons)
    created_at: str = field(default_factory=lambda: utc_now().isoformat(timespec="seconds"))
    finished_at: str = ""
    _event: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def finished(self) -> bool:
        """Whether the job has ended (done, failed or cancelled)."""
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends or ``timeout`` passes; True when it ended."""
        return self._event.wait(timeout)

    def progress(self, done: int, total: int) -> None:
        """The indexer's progress callback."""
        self.done, self.total = done, total

    def end(self, state: str, message: str, report: IngestReport | None = None) -> None:
        """Finish with ``state`` and a message for staff."""
        if report is not None:
            self.report = {**report.to_dict(), "files": report.files()}
        self.state, self.message = state, message
        self.finished_at = utc_now().isoformat(timespec="seconds")
        self._event.set()

    def to_dict(self) -> dict[str, object]:
        """The API shape."""
        return {
            "id": self.id,
            "kind": self.kind,
            "source": self.source,
            "by": self.by,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "message": self.message,
            "report": self.report,
            "change": self.change,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
        }


class Publisher:
    """The queue of staff changes of one assistant's knowledge folder (see the module doc).

    The service builds one and gives it to every channel, so web and Telegram changes run in
    one queue, in order."""

    def __init__(self, assistant: Core, metrics: Metrics) -> None:
        self.assistant = assistant
        self.settings = assistant.settings
        self.root = self.settings.knowledge_dir.expanduser().resolve()
        self.log = ChangeLog(self.root)
        self.metrics = metrics
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: queue.Queue[tuple[Job, Callable[[Job], None]] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    # --- asking for changes ----------------------------------------------------------------

    def incoming(self) -> Path:
        """A fresh hidden path to receive an upload into (never indexed, same filesystem)."""
        folder = self.log.folder / "incoming"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{uuid.uuid4().hex}.part"

    def upload(self, received: Path, name: str, by: str, trigger: str) -> Job:
        """Publish ``received`` as ``uploads/<name>`` (replacing a file of that name)."""
        target = self.root / UPLOADS_FOLDER / name
        job = self._new_job("upload", self._key(target), by, trigger)
        return self._submit(job, lambda j: self._install(j, received, target, "upload"))

    def save_faq(self, text: str, file_stem: str, by: str, trigger: str) -> Job:
        """Publish ``text`` (an FAQ's Markdown) as ``faq/<file_stem>.md`` (never replacing)."""
        received = self.incoming()
        received.write_text(text, encoding="utf-8")
        target = self.root / FAQ_FOLDER / f"{file_stem}.md"
        job = self._new_job("faq", self._key(target), by, trigger)
        return self._submit(job, lambda j: self._install(j, received, target, "faq"))

    def undo(self, by: str, trigger: str, change_id: str | None = None) -> Job:
        """Undo ``change_id`` (default: the last change not undone yet)."""
        change = self._undoable(change_id)  # refuse at once when there is nothing to undo
        job = self._new_job("undo", change.path, by, trigger)
        job.change = change.to_dict()
        return self._submit(job, lambda j: self._undo(j, change.id))

    def recover(self) -> list[Job]:
        """At start-up: finish the changes a previous process left pending, and remove the
        leftovers of uploads it was still receiving."""
        incoming = self.log.folder / "incoming"
        if incoming.is_dir():
            for stale in incoming.glob("*.part"):
                with contextlib.suppress(OSError):
                    if time.time() - stale.stat().st_mtime > STALE_INCOMING_SECONDS:
                        stale.unlink()
        jobs = []
        for change in self.log.pending():
            if not self.log.claim(change):
                continue  # another process is working on it
            job = self._new_job("resume", change.path, change.by, "resume")
            job.change = change.to_dict()
            jobs.append(self._submit(job, functools.partial(self._resume, change=change), force=True))
            logger.info("resuming interrupted change id=%s action=%s", change.id, change.action)
        return jobs

    # --- what staff see --------------------------------------------------------------------

    def job(self, job_id: str) -> Job | None:
        """A job by id (recent ones only)."""
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        """Recent jobs, newest first."""
        with self._lock:
            return list(reversed(self._jobs.values()))

    def changes(self, limit: int = 20) -> list[Change]:
        """Recent logged changes, newest first (undos included, undone ones marked)."""
        return list(reversed(self.log.changes()))[:limit]

    def last_undoable(self) -> Change | None:
        """The change "undo" would undo now: the latest upload or FAQ not undone yet whose file
        is still as it left it (one deleted or edited since is skipped, so an older change
        can still be undone)."""
        for change in reversed(self.log.changes()):
            if change.action in ("upload", "faq") and not change.undone:
                target = self.root / change.path
                if target.is_file() and file_hash(target) == change.sha256:
                    return change
        return None

    # --- lifecycle ---------------------------------------------------------------------------

    def shutdown(self, timeout: float = 30.0) -> bool:
        """Stop taking jobs and let the worker finish the queue quickly (the caller sets
        ``assistant.stopping`` first: each queued change is put in place and left pending,
        its indexing stops at once); True when the worker ended within ``timeout``."""
        with self._lock:
            self._closed = True
            thread = self._thread
        self._queue.put(None)
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    # --- the worker --------------------------------------------------------------------------

    def _new_job(self, kind: str, source: str, by: str, trigger: str) -> Job:
        return Job(uuid.uuid4().hex[:12], kind, source, by, trigger)

    def _submit(self, job: Job, work: Callable[[Job], None], force: bool = False) -> Job:
        with self._lock:
            if self._closed:
                raise PublishError("the service is stopping; try again in a minute", 503)
            waiting = sum(1 for j in self._jobs.values() if not j.finished)
            if waiting >= MAX_QUEUED and not force:
                raise PublishError(
                    f"{waiting} changes are already waiting; try again when they are done", 429
                )
            self._jobs[job.id] = job
            while len(self._jobs) > JOB_HISTORY:
                oldest = next(iter(self._jobs))
                if not self._jobs[oldest].finished:
                    break
                del self._jobs[oldest]
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="publisher", daemon=True
                )
                self._thread.start()
        self._queue.put((job, work))
        return job

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            job, work = item
            job.state = "running"
            try:
                work(job)
            except Exception as exc:  # a job must end, whatever happened
                logger.exception("publishing job failed id=%s kind=%s", job.id, job.kind)
                job.end("failed", f"failed: {type(exc).__name__}")
            if not job.finished:
                job.end("failed", "failed")

    def _key(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _install(self, job: Job, received: Path, target: Path, action: str) -> None:
        """Log the change, keep what it replaces, put the file in place, index it."""
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = file_hash(received)
        if action == "upload" and target.exists() and file_hash(target) == digest:
            received.unlink(missing_ok=True)
            job.end("done", f"unchanged: {job.source} is already published with this content")
            return
        with self.log.locked():
            if action == "faq":  # never overwrite another FAQ
                target = _free_name(target)
                job.source = self._key(target)
            change = Change.new(action, job.source, digest, job.by)
            if target.exists():
                change.backup = self.log.backup_path(change, target.name).name
            self.log.begin(change)  # first the record: a crash from here on is recoverable
            if change.backup:
                os.replace(target, self.log.backups / change.backup)
            os.replace(received, target)
        job.change = change.to_dict()
        self._index(job, change, target)

    def _index(self, job: Job, change: Change, target: Path) -> None:
        """Index a change's file; on failure take it out and put the previous version back."""
        cap = self.settings.max_upload_chunks
        try:
            report = tracked_ingest(
                self.metrics, job.trigger, self.assistant,
                lambda: self.assistant.ingest([target], progress=job.progress, max_chunks=cap),
            )  # fmt: skip
        except IngestCancelled:
            self.log.release(change)  # stays pending: finished at the next start
            job.end("cancelled", "interrupted: the service stopped; it is finished at the next start")
            return
        except Exception as exc:
            logger.exception("indexing %s failed", change.path)
            self._roll_back(change, target)
            job.end("failed", f"could not be indexed ({type(exc).__name__}); nothing changed")
            return
        if report.failed:
            # Take the file out, put the previous version back, and bring the index in line
            # (a failed file writes nothing, but a resumed one may have left a partial run).
            self._roll_back(change, target)
            reasons = "; ".join(f.reason for f in report.failed)
            job.end("failed", f"not published: {reasons}", report)
            return
        self.log.finish(change, logged=True)
        job.end("done", "published", report)
        logger.info("published action=%s id=%s chunks=%d", change.action, change.id,
                    report.chunks_embedded)  # fmt: skip

    def _roll_back(self, change: Change, target: Path) -> None:
        """Put back what the change replaced (or remove what it added), drop its record, and
        bring the index in line with the folder."""
        backup = self.log.backups / change.backup if change.backup else None
        if backup is not None and backup.exists():
            os.replace(backup, target)
        else:
            target.unlink(missing_ok=True)
        self.log.finish(change, logged=False)
        try:
            self._resync(target)
        except IngestCancelled:
            logger.info("shutting down before %s was re-indexed", change.path)
        except Exception:  # the store is down: the next whole-folder ingest repairs it
            logger.exception("could not bring the index in line with %s", change.path)

    def _resync(self, target: Path) -> None:
        """Bring the index in line with the file at ``target`` (indexed, or gone)."""
        if target.exists():
            self.assistant.ingest([target])
        else:
            self.assistant.forget([target])

    def _undoable(self, change_id: str | None) -> Change:
        changes = self.log.changes()
        if change_id is None:
            found = self.last_undoable()
            if found is None:
                raise PublishError("nothing to undo: no upload or saved FAQ is on record")
            return found
        for change in changes:
            if change.id == change_id and change.action in ("upload", "faq"):
                if change.undone:
                    raise PublishError(f"{change.path} was already undone")
                return change
        raise PublishError(f"no change {change_id} to undo", 404)

    def _undo(self, job: Job, change_id: str) -> None:
        with self.log.locked():
            try:
                change = self._undoable(change_id)
            except PublishError as exc:
                job.end("failed", exc.message)
                return
            target = self.root / change.path
            if any(p.path == change.path for p in self.log.pending()):
                job.end("failed", f"{change.path} is being published right now; try again later")
                return
            if not target.exists():
                job.end("failed", f"{change.path} was removed since; nothing to undo")
                return
            if file_hash(target) != change.sha256:
                job.end("failed", f"{change.path} changed since it was published; not undone")
                return
            backup = self.log.backups / change.backup if change.backup else None
            if backup is not None and not backup.exists():
                backup = None
            restores = backup is not None
            undo = Change.new(
                "undo", change.path, file_hash(backup) if backup is not None else "", job.by,
                undoes=change.id,
            )  # fmt: skip
            undo.backup = self.log.backup_path(undo, target.name).name
            self.log.begin(undo)
            os.replace(target, self.log.backups / undo.backup)  # kept, never destroyed
            if backup is not None:
                os.replace(backup, target)
        job.change = change.to_dict()
        self._finish_undo(job, undo, target, restores)

    def _finish_undo(self, job: Job, undo: Change, target: Path, restores: bool) -> None:
        try:
            if restores:
                report = tracked_ingest(
                    self.metrics, job.trigger, self.assistant,
                    lambda: self.assistant.ingest([target], progress=job.progress),
                )  # fmt: skip
                job.report = {**report.to_dict(), "files": report.files()}
            else:
                self.assistant.forget([target])
        except IngestCancelled:
            self.log.release(undo)
            job.end("cancelled", "interrupted: the service stopped; it is finished at the next start")
            return
        self.log.finish(undo, logged=True)
        what = "the previous version is back" if restores else "removed from the answers"
        job.end("done", f"undone: {what}")

    def _resume(self, job: Job, change: Change) -> None:
        """Finish (or roll back) a change a previous process left pending."""
        target = self.root / change.path
        current = file_hash(target) if target.is_file() else ""
        if change.action in ("upload", "faq"):
            if current == change.sha256:
                self._index(job, change, target)  # it was in place: index it
                return
            # The process died before the file was moved in: nothing was published.
            self._roll_back(change, target)
            job.end("failed", "interrupted before it was stored; send it again")
            return
        # An undo: complete it if its files were moved, else forget it.
        kept = self.log.backups / change.backup
        if current == change.sha256:
            self._finish_undo(job, change, target, restores=bool(change.sha256))
            return
        if not target.exists() and kept.exists():
            os.replace(kept, target)  # moved away but not finished: put it back
        self.log.finish(change, logged=False)
        with contextlib.suppress(Exception):
            self._resync(target)
        job.end("failed", "interrupted undo was not completed; nothing changed")


def _free_name(target: Path) -> Path:
    """``target``, or ``<stem>-2<suffix>`` … when that name is taken."""
    if not target.exists():
        return target
    for attempt in range(2, 1000):
        candidate = target.with_name(f"{target.stem}-{attempt}{target.suffix}")
        if not candidate.exists():
            return candidate
    raise PublishError(f"too many files named {target.stem}*{target.suffix}")


