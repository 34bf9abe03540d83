"""Web hand-offs never wait for Telegram (issue 14, finding 6).

The web app, the bot and uvicorn run in one event loop, as in `python -m bot serve`; the
staff chat is the fake Bot API, which the test can hold (a Telegram that does not answer
until released) or make fail.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn

from bot.logs import setup_logging
from bot.service import uvicorn_config
from bot.tg.app import TelegramService
from bot.web import create_app
from tests.tg.conftest import STAFF_CHAT, TOKEN, say, wait_sent
from tests.tg.fake_bot_api import FakeBotAPI, user_json
from tests.web.helpers import free_port_socket

CONTACT = "founder-handoff@example.com"
# Old code answered only after Telegram did; this bounds how long the test waits for that.
ANSWER_DEADLINE = 30.0


@pytest.fixture()
async def web(api: FakeBotAPI, tg_settings, assistant, state) -> AsyncIterator[str]:
    """The bot and the web app (with the bot's notifier) on one loop; yields the base URL."""
    api.add_chat(STAFF_CHAT, "supergroup", "Hub staff")
    telegram = TelegramService(tg_settings, assistant, state)
    await telegram.start()
    app = create_app(tg_settings, assistant, state, notifier=telegram.notifier)
    sock = free_port_socket()
    config = uvicorn_config(app, tg_settings)
    config.lifespan = "off"
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:  # started is set inside this loop: yield to it
            assert not serving.done(), "uvicorn failed to start"
            await asyncio.sleep(0)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving
        await app.state.outbox.close()
        await telegram.stop()


async def _thread_of(state, handoff_id: int) -> int:
    """The staff thread of a hand-off, once the bot has stored it (polled, with a deadline)."""
    deadline = asyncio.get_running_loop().time() + 30
    while (thread := state.handoff(handoff_id).staff_thread_id) is None:
        assert asyncio.get_running_loop().time() < deadline, "staff thread never stored"
        await asyncio.sleep(0.05)  # polling interval; the condition decides
    return thread


async def _post_handoff(base: str, question: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base, timeout=ANSWER_DEADLINE + 10) as http:
        return await asyncio.wait_for(
            http.post("/api/handoff", json={"contact": CONTACT, "question": question}),
            ANSWER_DEADLINE,
        )


async def test_the_visitor_is_answered_before_telegram_is(web, api, state) -> None:
    gate = api.hold("sendMessage")

    response = await _post_handoff(web, "Can the hub introduce us to a Vietnamese lawyer?")

    # Answered while the staff-chat post is still waiting at the (held) Bot API.
    assert response.status_code == 200
    body = response.json()
    assert body["notified"] is True and body["status"] == "open"
    await api.wait_for(lambda: api.held("sendMessage") >= 1, what="the staff post to start")
    assert api.sent(STAFF_CHAT) == []
    [stored] = state.open_handoffs()
    assert stored.id == body["handoff_id"] and stored.contact == CONTACT

    gate.set()
    [card] = await wait_sent(api, STAFF_CHAT, lambda c: "Hand-off #" in c.rendered)
    assert CONTACT in card.rendered and "Vietnamese lawyer" in card.rendered
    assert await _thread_of(state, stored.id) == card.result["message_id"]


async def test_a_failing_telegram_is_retried_and_the_visitor_still_told_sent(
    web, api, state
) -> None:
    # Two 502s from the Bot API: the rate limiter does not retry those; the outbox must.
    api.fail_next("sendMessage", 2, status=502)

    response = await _post_handoff(web, "Is there a desk for a two-person team in May?")

    assert response.status_code == 200 and response.json()["notified"] is True
    [card] = await wait_sent(api, STAFF_CHAT, lambda c: "Hand-off #" in c.rendered, timeout=60)
    assert CONTACT in card.rendered
    failed = [c for c in api.calls("sendMessage", chat_id=STAFF_CHAT) if c.status == 502]
    assert len(failed) == 2
    [stored] = state.open_handoffs()
    assert await _thread_of(state, stored.id) == card.result["message_id"]
    assert len([c for c in api.sent(STAFF_CHAT) if "Hand-off #" in c.rendered]) == 1


async def test_hand_offs_stored_but_never_posted_are_posted_at_the_next_start(
    api, tg_settings, assistant, state
) -> None:
    api.add_chat(STAFF_CHAT, "supergroup", "Hub staff")
    # Stored by a run that stopped before posting it (the staff thread was never set).
    lost = state.open_handoff(
        "web", "web:from-the-last-run", "Do you offer Korean-Vietnamese interpreters?",
        language="en", contact=CONTACT,
    )  # fmt: skip
    telegram = TelegramService(tg_settings, assistant, state)
    await telegram.start()
    app = create_app(tg_settings, assistant, state, notifier=telegram.notifier)
    try:
        # What bot/service.py does once the bot is up.
        assert app.state.outbox.pending(state.open_handoffs()) == 1
        [card] = await wait_sent(api, STAFF_CHAT, lambda c: "interpreters" in c.rendered)
        assert CONTACT in card.rendered
        assert await _thread_of(state, lost.id) == card.result["message_id"]
        # Posted now, so a further start does not post it twice.
        assert app.state.outbox.pending(state.open_handoffs()) == 0
    finally:
        await app.state.outbox.close()
        await telegram.stop()


# --- finding 12: what LOG_LEVEL=DEBUG writes ---------------------------------------------------


@pytest.fixture()
def debug_log(tg_settings) -> Iterator[io.StringIO]:
    """The service's logging at LOG_LEVEL=DEBUG, written to a buffer (restored afterwards)."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    touched = ["telegram", "httpx", "httpcore", "chromadb", "sentence_transformers",
               "transformers", "urllib3", "telegram.ext.Updater", "apscheduler", "bm25s"]  # fmt: skip
    levels = {name: logging.getLogger(name).level for name in touched}
    out = io.StringIO()
    debug = tg_settings.model_copy(update={"log_level": "DEBUG"})
    setup_logging(debug, secrets=[TOKEN], fmt="text", stream=out)
    try:
        yield out
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)


async def test_debug_logs_carry_no_founder_messages_names_or_contacts(
    debug_log, web, api
) -> None:
    founder = user_json(4242, "ko", first_name="Seojun-LOGMARK")
    question = "비자 연장 서류는 무엇인가요 LOGMARK-QUESTION?"
    contact = "logmark-contact@example.com"

    say(api, 4242, founder, question)
    await wait_sent(api, 4242)
    async with httpx.AsyncClient(base_url=web, timeout=60) as http:
        response = await http.post(
            "/api/handoff", json={"contact": contact, "question": "LOGMARK hand-off question"}
        )
    assert response.status_code == 200
    await wait_sent(api, STAFF_CHAT, lambda c: contact in c.rendered)

    written = debug_log.getvalue()
    assert "level=DEBUG" in written  # DEBUG is on: our own debug lines are there
    for private in ("LOGMARK", "Seojun", contact):
        assert private not in written, private
