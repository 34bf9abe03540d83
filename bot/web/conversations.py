"""Web conversation ids are issued by the server and signed, so nobody can pick another's.

A conversation id keys a visitor's questions, votes and open hand-off. When clients chose
their own, anyone who picked (or guessed) another visitor's id could append to that
visitor's hand-off. Now an id is ``nonce + HMAC(key, nonce)``: 24 random characters and a
22-character tag, URL-safe. An id the server did not sign is never used: the request starts
a fresh conversation and the response carries the new id (the widget stores what it gets).

The key is CONVERSATION_SECRET when set (replicas on several hosts must share one), else a
random key kept in DATA_DIR/conversation.key (created once, mode 0600; replicas sharing the
data volume share it).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from bot.errors import ConfigError

NONCE_BYTES = 18  # 24 characters
TAG_CHARS = 22  # 128 bits of HMAC-SHA256
KEY_FILE = "conversation.key"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


class ConversationIds:
    """Issues and checks signed conversation ids."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the conversation key must be at least 16 bytes")
        self._key = key

    def _tag(self, nonce: str) -> str:
        return _b64(hmac.new(self._key, nonce.encode("ascii"), hashlib.sha256).digest())[
            :TAG_CHARS
        ]

    def issue(self) -> str:
        """A new conversation id."""
        nonce = _b64(secrets.token_bytes(NONCE_BYTES))
        return nonce + self._tag(nonce)

    def valid(self, conversation_id: str | None) -> bool:
        """Whether this server issued ``conversation_id``."""
        if not conversation_id or len(conversation_id) <= TAG_CHARS:
            return False
        nonce, tag = conversation_id[:-TAG_CHARS], conversation_id[-TAG_CHARS:]
        try:
            expected = self._tag(nonce)
        except UnicodeEncodeError:
            return False
        return hmac.compare_digest(tag.encode(), expected.encode())

    def resolve(self, conversation_id: str | None) -> str:
        """``conversation_id`` if this server issued it, else a fresh one."""
        if conversation_id is not None and self.valid(conversation_id):
            return conversation_id
        return self.issue()


def load_key(secret: str | None, data_dir: Path) -> bytes:
    """The signing key: CONVERSATION_SECRET, else DATA_DIR/conversation.key (made once)."""
    if secret:
        return hashlib.sha256(secret.encode()).digest()
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: link() fails if another process got there
        # first, so two services starting together end up with the same (first) key.
        draft = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            draft.unlink(missing_ok=True)
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise ConfigError(
            f"{path} does not hold a conversation key: delete it (a new one is made at start) "
            "or set CONVERSATION_SECRET"
        )
    return key
