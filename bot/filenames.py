"""One rule for the names of documents staff upload, from any channel (the admin page, a
document sent to the Telegram bot): the name they get in knowledge/uploads/.

No path components (so no traversal), no leading dot or underscore (the indexer skips those),
a supported suffix, not a name the indexer skips, only letters, digits, spaces and
``.-_()``, and at most MAX_NAME_CHARS characters.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from bot.errors import AssistantError
from bot.rag.loaders import SUPPORTED_SUFFIXES

MAX_NAME_CHARS = 120
# Names the indexer skips when it scans a folder: an upload under them would vanish on re-index.
RESERVED_NAMES = frozenset({"readme.md", "readme.txt"})
_UNSAFE_CHARS = re.compile(r"[^\w.\- ()]+", re.UNICODE)


class UnsafeFileName(AssistantError):
    """The name cannot be used; ``message`` is shown to staff, ``status`` is the HTTP status
    (415 for an unsupported file type, else 422)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def upload_file_name(raw: str | None) -> str:
    """A plain file name for the uploads folder, or UnsafeFileName saying why not."""
    name = unicodedata.normalize("NFC", raw or "").strip()
    if not name:
        raise UnsafeFileName("the upload has no file name")
    if "/" in name or "\\" in name or "\x00" in name or name in (".", ".."):
        raise UnsafeFileName("the file name must not contain a path")
    name = _UNSAFE_CHARS.sub("_", name).strip(" ")
    name = name.lstrip("._ ")
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UnsafeFileName(
            f"unsupported file type {suffix or '(none)'}; supported: {allowed}", 415
        )
    if not Path(name).stem.strip("._- "):
        raise UnsafeFileName("the file name is empty")
    if name.lower() in RESERVED_NAMES:
        raise UnsafeFileName(f"{name} is a reserved name (the indexer skips it)")
    if len(name) > MAX_NAME_CHARS:
        stem = Path(name).stem[: MAX_NAME_CHARS - len(suffix)]
        name = stem + suffix
    return name
