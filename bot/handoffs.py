"""Hand-offs to staff, for every channel: open (or add to the open one), notify, relay, resolve.

The rules live here once; channels only translate. A founder's channel (web widget, Telegram,
a future Zalo bot) calls ``open``; the staff side (today the Telegram staff chat) calls
``relay`` and ``resolve``, and the founder hears back through the ``FounderLink`` their
channel registered with ``connect`` — a channel that cannot reach founders later (the web
widget) registers none, and staff are told the reply was saved instead.

State calls block (SQL, milliseconds): ``open`` is called off the event loop by the web app;
the staff side runs them in place, as the Telegram handlers always have.
"""

from __future__ import annotations

import logging
from typing import Protocol

from bot.metrics import Metrics
from bot.outbox import HandoffOutbox, Notifier
from bot.state import Handoff, StateStore

logger = logging.getLogger(__name__)


class FounderLink(Protocol):
    """How a channel reaches the founder of one of its hand-offs."""

    async def staff_reply(self, handoff: Handoff, text: str) -> bool:
        """Pass a staff answer on; False when this founder cannot be reached."""
        ...

    async def resolved(self, handoff: Handoff) -> bool:
        """Tell the founder their hand-off is closed; False when they cannot be reached."""
        ...


class Handoffs:
    """The hand-off rules over one state store (see the module doc)."""

    def __init__(
        self, state: StateStore, metrics: Metrics, notifier: Notifier | None = None
    ) -> None:
        self.state = state
        self.metrics = metrics
        self._links: dict[str, FounderLink] = {}
        self.outbox: HandoffOutbox | None = None
        if notifier is not None:
            self.notify_with(notifier)

    # --- wiring ------------------------------------------------------------------------------

    def connect(self, channel: str, link: FounderLink) -> None:
        """``channel``'s way back to its founders (for staff replies and the closing note)."""
        self._links[channel] = link

    def notify_with(self, notifier: Notifier) -> None:
        """Post new hand-offs to staff with ``notifier``, in the background (retried)."""
        self.outbox = HandoffOutbox(notifier, self.state)

    # --- the founder's side ------------------------------------------------------------------

    def open(
        self,
        channel: str,
        conversation: str,
        question: str,
        *,
        answer: str = "",
        sources: list[dict[str, object]] | None = None,
        language: str = "en",
        contact: str = "",
        chat_id: int | None = None,
        add_to_open: str | None = None,
    ) -> tuple[Handoff, bool]:
        """Open a hand-off for ``conversation``, or return the one already open (one per
        conversation, so staff see one thread). Returns (hand-off, newly opened).

        ``add_to_open`` (the author's name) adds ``question`` to an already open thread: for
        channels whose later messages do not reach staff otherwise (the widget). A new
        hand-off is counted and logged; notify staff of it with ``notify`` (or, when the
        channel *is* the staff chat, post it there yourself).
        """
        existing = self.state.open_handoff_for(conversation)
        if existing is not None:
            if add_to_open is not None:
                self.state.add_handoff_message(existing.id, "founder", add_to_open, question)
            return existing, False
        created = self.state.open_handoff(
            channel,
            conversation,
            question,
            answer=answer,
            sources=sources,
            language=language,
            contact=contact,
            chat_id=chat_id,
        )
        self.metrics.record_handoff(channel)
        return created, True

    def notify(self, handoff: Handoff) -> bool:
        """Queue ``handoff`` for the staff chat; False when no staff chat is configured."""
        if self.outbox is None:
            return False
        self.outbox.submit(handoff)
        return True

    # --- the staff side ----------------------------------------------------------------------

    async def relay(self, handoff: Handoff, author: str, text: str) -> bool:
        """Log a staff answer and pass it to the founder; True when it reached them."""
        self.state.add_handoff_message(handoff.id, "staff", author, text)
        link = self._links.get(handoff.channel)
        return link is not None and await link.staff_reply(handoff, text)

    async def resolve(self, handoff: Handoff) -> tuple[bool, bool]:
        """Close ``handoff``: (closed now — False when it already was, founder told)."""
        if not self.state.close_handoff(handoff.id):
            return False, False
        link = self._links.get(handoff.channel)
        return True, link is not None and await link.resolved(handoff)

