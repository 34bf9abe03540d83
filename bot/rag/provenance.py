"""Where a document came from, set by the server: the change log of staff uploads and FAQs.

Documents under ``knowledge/uploads/`` (sent by staff through the admin page or Telegram) and
``knowledge/faq/`` (staff answers saved from a hand-off) do not vouch for themselves: their
front matter may say anything (``last_verified: today``, ``topic: membership``). What founders
are shown — "uploaded by staff on 2026-11-27" — comes from this log, which only the service
writes:

    knowledge/.changes/
      log.jsonl          one JSON object per finished change (upload, faq, undo), oldest first
      pending/<id>.json  a change in progress; locked (flock) by the process working on it, so
                         one left unlocked was interrupted (SIGKILL, power loss) and is finished
                         or rolled back at the next start
      backups/           the version an upload replaced, or an undone file: nothing staff
                         published is ever destroyed by the service

The folder starts with a dot, so the indexer never reads it as knowledge; the uploads folder
and this log live side by side, so a backup of ``knowledge/`` keeps both.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger(__name__)

CHANGES_FOLDER = ".changes"
# Knowledge sub-folders whose documents get their provenance from the log, and its name.
ORIGIN_OF_FOLDER = {"uploads": "upload", "faq": "faq"}
MAX_BY_CHARS = 200


def origin_of(key: str) -> str:
    """"upload" or "faq" for a document key under those folders, else "" (curated knowledge)."""
    first = key.split("/", 1)[0] if "/" in key else ""
    return ORIGIN_OF_FOLDER.get(first, "")


def utc_now() -> dt.datetime:
    """The server's clock (UTC): the only source of a published document's date."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Provenance:
    """Server-set facts about a staff-published document (stored with every chunk)."""

    origin: str  # "upload" | "faq"
    added_by: str  # the staff member (shown to staff, never to founders)
    added_on: str  # YYYY-MM-DD, server date (UTC)

    def metadata(self) -> dict[str, str]:
        """The chunk metadata fields."""
        return {"origin": self.origin, "added_by": self.added_by, "added_on": self.added_on}


@dataclass
class Change:
    """One staff change of the knowledge folder, as logged."""

    id: str
    action: str  # "upload" | "faq" | "undo"
    path: str  # key inside the knowledge folder, e.g. "uploads/fees.md"
    sha256: str  # the file this change left in place ("" when it left none)
    by: str
    at: str  # ISO timestamp, server clock (UTC)
    backup: str = ""  # a file name in backups/: the version replaced (upload) or removed (undo)
    undoes: str = ""  # action "undo": the id of the change undone
    title: str = ""  # what the document calls itself (for staff lists)
    undone: bool = field(default=False, compare=False)  # derived when reading, never stored

    @classmethod
    def new(
        cls, action: str, path: str, sha256: str, by: str, *,
        backup: str = "", undoes: str = "", title: str = "",
    ) -> Change:  # fmt: skip
        """A change stamped now by the server, with a fresh id."""
        at = utc_now().isoformat(timespec="seconds")
        return cls(
            uuid.uuid4().hex[:12], action, path, sha256, by[:MAX_BY_CHARS], at,
            backup=backup, undoes=undoes, title=title,
        )  # fmt: skip

    @property
    def date(self) -> str:
        """The change's date (YYYY-MM-DD)."""
        return self.at[:10]

    def to_json(self) -> str:
        """One log line."""
        data = {k: v for k, v in asdict(self).items() if k != "undone"}
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    def to_dict(self) -> dict[str, object]:
        """The API shape (includes ``undone``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Change:
        """Read a logged change (unknown keys ignored)."""
        known = {f.name for f in fields(cls)} - {"undone"}
        # Every stored field is text; a missing required one is a TypeError, as it should be.
        values: dict[str, Any] = {k: str(v) for k, v in data.items() if k in known}
        return cls(**values)


class ChangeLog:
    """The ``knowledge/.changes`` folder (see the module docstring)."""

    def __init__(self, knowledge_dir: Path) -> None:
        self.root = knowledge_dir.expanduser().resolve()
        self.folder = self.root / CHANGES_FOLDER
        self.log_path = self.folder / "log.jsonl"
        self.pending_dir = self.folder / "pending"
        self.backups = self.folder / "backups"
        self._held: dict[str, IO[str]] = {}  # change id -> open, flocked pending file

    # --- reading ------------------------------------------------------------------------------

    def changes(self) -> list[Change]:
        """Every logged change, oldest first, with ``undone`` set on those undone since."""
        found: list[Change] = []
        if not self.log_path.exists():
            return found
        with self.log_path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    found.append(Change.from_dict(json.loads(line)))
                except (ValueError, TypeError) as exc:  # a torn last line after a crash
                    logger.warning("change log line %d unreadable: %s", number, exc)
        undone = {c.undoes for c in found if c.action == "undo"}
        for change in found:
            change.undone = change.id in undone
        return found

    def pending(self) -> list[Change]:
        """Changes begun but not finished (running here or elsewhere, or interrupted)."""
        found = []
        if self.pending_dir.is_dir():
            for path in sorted(self.pending_dir.glob("*.json")):
                with contextlib.suppress(OSError, ValueError, TypeError):
                    found.append(Change.from_dict(json.loads(path.read_text(encoding="utf-8"))))
        return found

    def provenance_index(self) -> dict[tuple[str, str], Provenance]:
        """(path, sha256) -> provenance of the change that put that content there.

        Pending changes count (the job indexing an upload is the one asking); an undone
        change does not. The latest change wins.
        """
        index: dict[tuple[str, str], Provenance] = {}
        for change in [*self.changes(), *self.pending()]:
            if change.action in ("upload", "faq") and change.sha256 and not change.undone:
                index[(change.path, change.sha256)] = Provenance(
                    ORIGIN_OF_FOLDER.get(change.path.split("/", 1)[0], change.action),
                    change.by,
                    change.date,
                )
        return index

    def provenance(
        self,
        key: str,
        digest: str,
        path: Path,
        index: dict[tuple[str, str], Provenance] | None = None,
    ) -> Provenance | None:
        """The provenance of the document at ``key`` with content ``digest`` (None for
        curated knowledge). A file the log does not know (copied in by hand) is still marked
        by its folder, dated by when the server first saw it on disk."""
        origin = origin_of(key)
        if not origin:
            return None
        found = (index if index is not None else self.provenance_index()).get((key, digest))
        if found is not None:
            return found
        try:
            seen = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date().isoformat()
        except OSError:
            seen = utc_now().date().isoformat()
        return Provenance(origin, "", seen)

    # --- writing ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across processes (replicas share the folder) for a read-modify-write."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "lock").open("a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def backup_path(self, change: Change, name: str) -> Path:
        """Where ``change`` keeps the previous version of ``name``."""
        self.backups.mkdir(parents=True, exist_ok=True)
        return self.backups / f"{change.id}--{name}"

    def begin(self, change: Change) -> None:
        """Record ``change`` as in progress and hold its lock until ``finish``/``release``."""
        self.pending_dir.mkdir(parents=True, exist_ok=True)
        path = self.pending_dir / f"{change.id}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(change.to_json(), encoding="utf-8")
        os.replace(tmp, path)
        self.claim(change)

    def claim(self, change: Change) -> bool:
        """Take the lock of a pending change; False when another process holds it."""
        path = self.pending_dir / f"{change.id}.json"
        handle = path.open("r", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._held[change.id] = handle
        return True

    def update_pending(self, change: Change) -> None:
        """Rewrite a pending change we hold (e.g. after choosing its backup name)."""
        path = self.pending_dir / f"{change.id}.json"
        path.write_text(change.to_json(), encoding="utf-8")

    def finish(self, change: Change, logged: bool) -> None:
        """End a pending change: append it to the log when ``logged`` (done), else drop it."""
        if logged:
            with self.locked(), self.log_path.open("a", encoding="utf-8") as handle:
                handle.write(change.to_json() + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            (self.pending_dir / f"{change.id}.json").unlink()
        self.release(change)

    def release(self, change: Change) -> None:
        """Let go of a pending change without ending it (it is resumed at the next start)."""
        handle = self._held.pop(change.id, None)
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()
