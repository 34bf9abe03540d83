"""Per-user limit on questions: a sliding one-minute window.

Kept in memory on purpose: after a restart a user simply gets a fresh minute, and nothing
about a conversation depends on it (hand-offs and feedback live in the state DB).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum

WINDOW_SECONDS = 60.0
# Bound the memory: users idle for a whole window are forgotten once this many are tracked.
MAX_TRACKED_USERS = 10_000


class Verdict(Enum):
    """What to do with one incoming question."""

    ALLOW = "allow"
    REFUSE_AND_TELL = "refuse_and_tell"  # first refusal in a window: say so politely
    REFUSE_SILENTLY = "refuse_silently"  # further ones: do not answer a flood with a flood


class UserRateLimiter:
    """At most ``per_minute`` questions per user in any 60 seconds."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError(f"per_minute must be at least 1, got {per_minute}")
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[int, deque[float]] = {}
        self._told: dict[int, float] = {}

    def check(self, user_id: int) -> Verdict:
        """Count one question of ``user_id`` and say whether to answer it."""
        now = self._clock()
        if len(self._hits) > MAX_TRACKED_USERS:
            self._forget_idle(now)
        hits = self._hits.setdefault(user_id, deque())
        while hits and now - hits[0] >= WINDOW_SECONDS:
            hits.popleft()
        if len(hits) < self.per_minute:
            hits.append(now)
            self._told.pop(user_id, None)
            return Verdict.ALLOW
        told_at = self._told.get(user_id)
        if told_at is not None and now - told_at < WINDOW_SECONDS:
            return Verdict.REFUSE_SILENTLY
        self._told[user_id] = now
        return Verdict.REFUSE_AND_TELL

    def _forget_idle(self, now: float) -> None:
        for user_id in [u for u, h in self._hits.items() if not h or now - h[-1] >= WINDOW_SECONDS]:
            self._hits.pop(user_id, None)
            self._told.pop(user_id, None)
