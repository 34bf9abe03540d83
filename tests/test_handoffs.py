"""The hand-off rules of bot/handoffs.py, without any channel: one open hand-off per
conversation, the way back to the founder through the channel that registered it."""

from __future__ import annotations

import asyncio

from bot.handoffs import Handoffs
from bot.metrics import Metrics
from bot.state import Handoff
from tests.ops.helpers import parse_metrics, value


class RecordingLink:
    """A channel's way back to its founders that records what it was asked to deliver."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, str]] = []
        self.resolved_ids: list[int] = []

    async def staff_reply(self, handoff: Handoff, text: str) -> bool:
        self.replies.append((handoff.id, text))
        return True

    async def resolved(self, handoff: Handoff) -> bool:
        self.resolved_ids.append(handoff.id)
        return True


def handed_off(metrics: Metrics, channel: str) -> float:
    samples = parse_metrics(metrics.render().decode())
    return value(samples, "assistant_answers_total", channel=channel, outcome="handed_off")


def test_one_open_handoff_per_conversation_and_later_requests_join_it(state) -> None:
    metrics = Metrics()
    handoffs = Handoffs(state, metrics)

    first, created = handoffs.open("zalo", "zalo:1", "Where is the hub?", language="en")
    again, created_again = handoffs.open(
        "zalo", "zalo:1", "Also: parking?", language="en", add_to_open="Minh"
    )
    quiet, created_quiet = handoffs.open("zalo", "zalo:1", "Not added", language="en")
    other, created_other = handoffs.open("zalo", "zalo:2", "Visa?", language="en")

    assert created and not created_again and not created_quiet and created_other
    assert again.id == quiet.id == first.id != other.id
    assert [m["text"] for m in state.handoff_messages(first.id)] == ["Also: parking?"]
    assert handed_off(metrics, "zalo") == 2  # opened ones only
    assert handoffs.notify(first) is False  # no staff chat configured: nobody to notify


def test_staff_replies_and_resolving_reach_the_founder_through_their_channel(state) -> None:
    handoffs = Handoffs(state, Metrics())
    link = RecordingLink()
    handoffs.connect("zalo", link)
    zalo, _ = handoffs.open("zalo", "zalo:1", "Where is the hub?")
    web, _ = handoffs.open("web", "web:abc", "Fees?")

    async def staff() -> tuple[bool, bool, tuple[bool, bool], tuple[bool, bool], tuple[bool, bool]]:
        return (
            await handoffs.relay(zalo, "Minji [1]", "District 1, 8th floor."),
            await handoffs.relay(web, "Minji [1]", "Free for members."),
            await handoffs.resolve(zalo),
            await handoffs.resolve(zalo),
            await handoffs.resolve(web),
        )

    to_zalo, to_web, closed, closed_again, closed_web = asyncio.run(staff())

    assert to_zalo is True and to_web is False  # the widget cannot be reached later
    assert link.replies == [(zalo.id, "District 1, 8th floor.")]
    assert closed == (True, True) and closed_again == (False, False)
    assert closed_web == (True, False)
    assert link.resolved_ids == [zalo.id]
    # Both answers are logged with the hand-off, whoever could be reached.
    assert [m["direction"] for m in state.handoff_messages(web.id)] == ["staff"]
    assert state.handoff(zalo.id).status != "open"
