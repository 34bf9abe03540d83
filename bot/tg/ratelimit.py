"""Per-user limit on questions: a sliding one-minute window (bot/ratelimit.py, shared with
the web app), plus the bot's manners: the first refusal in a window is explained, further
ones get no reply (a flood is not answered with a flood).

Kept in memory on purpose: after a restart a user simply gets a fresh minute, and nothing
about a conversation depends on it (hand-offs and feedback live in the state DB).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum

from bot.ratelimit import SlidingWindowLimiter

WINDOW_SECONDS = 60.0
# Bound the memory: past this many tracked users, idle ones are forgotten first.
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
        self._window = SlidingWindowLimiter(
            per_minute, WINDOW_SECONDS, clock=clock, max_clients=MAX_TRACKED_USERS
        )
        self._told: dict[int, float] = {}

    def check(self, user_id: int) -> Verdict:
        """Count one question of ``user_id`` and say whether to answer it."""
        if self._window.hit(str(user_id)) is None:
            self._told.pop(user_id, None)
            return Verdict.ALLOW
        now = self._clock()
        told_at = self._told.get(user_id)
        if told_at is not None and now - told_at < WINDOW_SECONDS:
            return Verdict.REFUSE_SILENTLY
        if len(self._told) >= MAX_TRACKED_USERS:
            self._told = {u: at for u, at in self._told.items() if now - at < WINDOW_SECONDS}
        self._told[user_id] = now
        return Verdict.REFUSE_AND_TELL
