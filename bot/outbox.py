"""Hand-offs reach the staff chat in the background: the visitor's request never waits for it.

The hand-off service (bot/handoffs.py) stores the hand-off (the promise to the visitor) and
gives it to this outbox. One worker task delivers hand-offs one at a time (Telegram allows a group about 20
messages a minute, so parallel posts only queue up inside the rate limiter), retrying a
failed delivery with growing pauses. A hand-off counts as delivered once the state store has
its staff thread; one still without a thread when the service stops is delivered again at
the next start (``pending``), so a restart loses none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from bot.state import Handoff, StateStore

logger = logging.getLogger(__name__)

Notifier = Callable[[Handoff], Awaitable[None]]
# Pauses before the 2nd, 3rd … attempt (seconds); the last one repeats until MAX_ATTEMPTS.
RETRY_DELAYS = (1.0, 5.0, 30.0, 120.0, 600.0)
MAX_ATTEMPTS = 10


class HandoffOutbox:
    """Delivers stored hand-offs with ``notifier`` in the background, retrying failures."""

    def __init__(
        self,
        notifier: Notifier,
        state: StateStore,
        *,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._notifier = notifier
        self._state = state
        self._delays = tuple(retry_delays) or (0.0,)
        self._max_attempts = max(1, max_attempts)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[int, int]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._timers: set[asyncio.TimerHandle] = set()
        self.delivered = 0
        self.failed_attempts = 0

    def submit(self, handoff: Handoff) -> None:
        """Queue ``handoff`` for delivery (call from the event loop; returns at once)."""
        self._queue_for_loop().put_nowait((handoff.id, 1))

    def pending(self, handoffs: Iterable[Handoff]) -> int:
        """Queue the open hand-offs of other channels that never reached the staff chat."""
        count = 0
        for handoff in handoffs:
            if handoff.channel != "telegram" and handoff.open and handoff.staff_thread_id is None:
                self.submit(handoff)
                count += 1
        if count:
            logger.info("hand-offs queued again for the staff chat count=%d", count)
        return count

    async def close(self) -> None:
        """Stop delivering (undelivered hand-offs stay stored and are queued at next start)."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await self._worker
        self._worker = self._queue = self._loop = None

    def _queue_for_loop(self) -> asyncio.Queue[tuple[int, int]]:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._worker is None or self._worker.done():
            self._loop = loop
            self._queue = asyncio.Queue()
            self._worker = loop.create_task(self._run(self._queue), name="handoff-outbox")
        assert self._queue is not None
        return self._queue

    async def _run(self, queue: asyncio.Queue[tuple[int, int]]) -> None:
        while True:
            handoff_id, attempt = await queue.get()
            try:
                await self._deliver(handoff_id, attempt, queue)
            except Exception:  # never let one hand-off stop the worker
                logger.exception("hand-off outbox failed id=%d", handoff_id)

    async def _deliver(
        self, handoff_id: int, attempt: int, queue: asyncio.Queue[tuple[int, int]]
    ) -> None:
        handoff = await asyncio.to_thread(self._state.handoff, handoff_id)
        if handoff is None or not handoff.open or handoff.staff_thread_id is not None:
            return  # gone, resolved, or already in the staff chat (a retry must not repost)
        try:
            await self._notifier(handoff)
        except Exception as exc:  # noqa: BLE001 - any failure is retried, then logged
            self.failed_attempts += 1
            if attempt >= self._max_attempts:
                logger.error(
                    "hand-off not delivered to the staff chat id=%d attempts=%d error=%s; "
                    "it stays in the staff inbox (/api/admin/handoffs)",
                    handoff_id, attempt, type(exc).__name__,
                )  # fmt: skip
                return
            delay = self._delays[min(attempt - 1, len(self._delays) - 1)]
            logger.warning(
                "hand-off delivery failed id=%d attempt=%d error=%s; retrying in %.0f s",
                handoff_id, attempt, type(exc).__name__, delay,
            )  # fmt: skip
            self._retry_later(queue, handoff_id, attempt + 1, delay)
            return
        self.delivered += 1
        logger.info("hand-off delivered to the staff chat id=%d attempt=%d", handoff_id, attempt)

    def _retry_later(
        self, queue: asyncio.Queue[tuple[int, int]], handoff_id: int, attempt: int, delay: float
    ) -> None:
        loop = asyncio.get_running_loop()

        def again() -> None:
            self._timers.discard(timer)
            queue.put_nowait((handoff_id, attempt))

        timer = loop.call_later(delay, again)
        self._timers.add(timer)
