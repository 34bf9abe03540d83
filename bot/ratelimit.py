"""Per-key sliding-window rate limit, in memory, for every channel (one process; scale-out
needs a shared store). The web app keys it by client address, the Telegram bot by user."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

# Past this many tracked clients, idle ones are dropped first; this bounds memory when a
# flood comes from many addresses.
DEFAULT_MAX_CLIENTS = 50_000


class SlidingWindowLimiter:
    """At most ``limit`` events per ``window`` seconds per key (exact sliding log)."""

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = DEFAULT_MAX_CLIENTS,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_clients = max_clients
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Record one event for ``key``; None if allowed, else seconds until it would be."""
        now = self._clock()
        with self._lock:
            events = self._events.get(key)
            if events is None:
                if len(self._events) >= self._max_clients:
                    self._evict(now)
                events = self._events[key] = deque()
            cutoff = now - self.window
            while events and events[0] <= cutoff:
                events.popleft()
            if len(events) >= self.limit:
                return max(events[0] + self.window - now, 0.0)
            events.append(now)
            return None

    def blocked(self, key: str) -> float | None:
        """Seconds until ``key`` may have another event, or None if it may now (records nothing)."""
        now = self._clock()
        with self._lock:
            events = self._events.get(key)
            if not events:
                return None
            cutoff = now - self.window
            while events and events[0] <= cutoff:
                events.popleft()
            if len(events) >= self.limit:
                return max(events[0] + self.window - now, 0.0)
            return None

    def _evict(self, now: float) -> None:
        """Drop clients with no event in the window; if none are idle, the oldest half."""
        cutoff = now - self.window
        idle = [key for key, events in self._events.items() if not events or events[-1] <= cutoff]
        for key in idle:
            del self._events[key]
        if len(self._events) >= self._max_clients:
            by_age = sorted(self._events, key=lambda k: self._events[k][-1])
            for key in by_age[: len(by_age) // 2 + 1]:
                del self._events[key]

    def __len__(self) -> int:
        return len(self._events)


def retry_after_header(seconds: float) -> str:
    """Retry-After value: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(seconds)))
