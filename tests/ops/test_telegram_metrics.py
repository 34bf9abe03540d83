"""Telegram answers in the shared /metrics: the real bot against the local Bot API, the web
app of the same process serving the registry."""

from __future__ import annotations

import httpx

from bot.metrics import Metrics
from bot.tg.app import TelegramService
from bot.tg.i18n import t
from bot.web.app import create_app
from tests.ops.helpers import Samples, delta, parse_metrics, value
from tests.tg.conftest import (
    STAFF,
    STAFF_CHAT,
    STAFF_USER,
    as_received,
    has_button,
    question_id_of,
    say,
    wait_sent,
)
from tests.tg.fake_bot_api import FakeBotAPI, callback_update, user_json
from tests.web.helpers import ZEBRA_DOC

AREA_KO = "서울창업허브 호치민의 면적은 얼마인가요?"
OFF_TOPIC_KO = "김치찌개 레시피 알려주세요"
TOTAL = "assistant_answers_total"
HIST = "assistant_answer_duration_seconds_count"


async def scrape(client: httpx.AsyncClient) -> Samples:
    """GET /metrics from the web app, parsed."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    return parse_metrics(response.text)


async def test_telegram_questions_handoff_and_feedback_reach_the_shared_metrics(
    api: FakeBotAPI, tg_settings, assistant, state
) -> None:
    api.add_chat(STAFF_CHAT, "supergroup", "Hub staff")
    founder = user_json(701, "ko", first_name="지훈")
    # Built as bot/service.py builds them: one Metrics, passed to both channels.
    metrics = Metrics()
    service = TelegramService(tg_settings, assistant, state, metrics)
    web = create_app(tg_settings, assistant, state, metrics=metrics)
    assert service.metrics is web.state.metrics
    transport = httpx.ASGITransport(app=web)
    await service.start()
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            before = await scrape(client)

            say(api, 701, founder, AREA_KO)
            [answer] = await wait_sent(api, 701, has_button("fb:"))
            after_answer = await scrape(client)

            say(api, 701, founder, OFF_TOPIC_KO)
            [declined] = await wait_sent(
                api, 701, lambda c: c.button_data() == [f"ho:{question_id_of(c)}"]
            )
            after_decline = await scrape(client)

            acks = len(api.calls("answerCallbackQuery"))
            api.enqueue(callback_update(
                701, founder, f"fb:1:{question_id_of(answer)}", as_received(answer)
            ))  # fmt: skip
            await api.wait_for(
                lambda: len(api.calls("answerCallbackQuery")) > acks, what="feedback ack"
            )
            api.enqueue(callback_update(
                701, founder, f"ho:{question_id_of(declined)}", as_received(declined)
            ))  # fmt: skip
            await wait_sent(api, 701, lambda c: c.rendered == t("handoff_opened", "ko"))
            after = await scrape(client)
    finally:
        await service.stop()

    assert delta(before, after_answer, TOTAL, channel="telegram", outcome="answered") == 1
    assert delta(before, after_answer, HIST, channel="telegram", outcome="answered") == 1
    assert delta(before, after_answer, TOTAL, channel="web", outcome="answered") == 0
    assert delta(after_answer, after_decline, TOTAL, channel="telegram", outcome="declined") == 1
    assert delta(after_answer, after_decline, HIST, channel="telegram", outcome="declined") == 1
    assert delta(after_answer, after_decline, TOTAL, channel="telegram", outcome="answered") == 0
    assert delta(before, after, "assistant_feedback_total", channel="telegram", rating="up") == 1
    assert delta(before, after, TOTAL, channel="telegram", outcome="handed_off") == 1
    assert delta(before, after, TOTAL, channel="web", outcome="handed_off") == 0
    assert state.open_handoff_for("tg:701") is not None


async def test_staff_reindex_is_recorded_with_the_index_size(
    api: FakeBotAPI, tg_settings, shared_embeddings, state
) -> None:
    from bot.rag.assistant import Assistant

    # An assistant whose knowledge folder is the temp one of these settings.
    assistant = Assistant(tg_settings, embeddings=shared_embeddings)
    (tg_settings.knowledge_dir / "zebras.md").write_text(ZEBRA_DOC, encoding="utf-8")
    service = TelegramService(tg_settings, assistant, state)
    metrics = service.metrics
    before = parse_metrics(metrics.render().decode())
    await service.start()
    try:
        say(api, STAFF_USER, STAFF, "/reindex")
        await wait_sent(api, STAFF_USER, lambda c: c.rendered.startswith("Added "))
    finally:
        await service.stop()
    after = parse_metrics(metrics.render().decode())

    runs = "assistant_ingest_runs_total"
    assert delta(before, after, runs, trigger="telegram_reindex", result="ok") == 1
    assert delta(before, after, "assistant_ingest_files_total", outcome="added") == 1
    assert delta(before, after, "assistant_ingest_chunks_embedded_total") > 0
    assert value(after, "assistant_index_chunks") == assistant.store.count() > 0
