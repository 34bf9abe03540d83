"""/metrics through the real web app: answers, declines, hand-offs, feedback, admin ingestion."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.console import index_if_empty
from bot.errors import StoreUnavailable
from bot.metrics import ANSWER_OUTCOMES, CHANNELS, INGEST_TRIGGERS, Metrics
from bot.web.app import create_app
from tests.conftest import make_settings
from tests.ops.helpers import Samples, delta, parse_metrics, value
from tests.web.helpers import (
    ADMIN_TOKEN,
    METRICS_AUTH,
    METRICS_TOKEN,
    ZEBRA_DOC,
    FakeAssistant,
    web_settings,
)

AREA_KO = "서울창업허브 호치민의 면적은 얼마인가요?"
OUT_OF_SCOPE = "What is the capital of France?"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def scrape(client: TestClient) -> Samples:
    """GET /metrics, parsed."""
    response = client.get("/metrics", headers=METRICS_AUTH)
    assert response.status_code == 200
    return parse_metrics(response.text)


@pytest.fixture()
def web(assistant, state):
    """The app over the real assistant."""
    with TestClient(create_app(web_settings(assistant.settings), assistant, state)) as client:
        yield client


def test_zero_series_exist_before_any_traffic(web) -> None:
    samples = scrape(web)

    for channel in CHANNELS:
        for outcome in ANSWER_OUTCOMES:
            assert value(samples, "assistant_answers_total", channel=channel, outcome=outcome) == 0
        for outcome in ("answered", "declined", "error"):
            name = "assistant_answer_duration_seconds_count"
            assert value(samples, name, channel=channel, outcome=outcome) == 0
        for rating in ("up", "down"):
            assert value(samples, "assistant_feedback_total", channel=channel, rating=rating) == 0
    for trigger in INGEST_TRIGGERS:
        for result in ("ok", "partial", "failed"):
            name = "assistant_ingest_runs_total"
            assert value(samples, name, trigger=trigger, result=result) == 0
    assert value(samples, "assistant_ingest_chunks_embedded_total") == 0
    assert value(samples, "assistant_ingest_duration_seconds_count") == 0


def test_korean_answer_decline_handoff_and_feedback_are_counted(web) -> None:
    before = scrape(web)

    answered = web.post("/api/ask", json={"question": AREA_KO}).json()
    after_answer = scrape(web)
    declined = web.post("/api/ask", json={"question": OUT_OF_SCOPE}).json()
    after_decline = scrape(web)
    rated = web.post(
        "/api/feedback",
        json={
            "question_id": answered["question_id"],
            "conversation_id": answered["conversation_id"],
            "rating": "up",
        },
    )
    handed = web.post(
        "/api/handoff",
        json={"contact": "founder@example.org", "question": OUT_OF_SCOPE,
              "conversation_id": declined["conversation_id"]},
    )  # fmt: skip
    after = scrape(web)

    assert answered["answered"] is True and answered["language"] == "ko"
    assert declined["answered"] is False
    assert rated.status_code == 200 and handed.status_code == 200
    hist = "assistant_answer_duration_seconds_count"
    total = "assistant_answers_total"
    # The Korean question: one answered, timed under channel=web, nothing else moved.
    assert delta(before, after_answer, total, channel="web", outcome="answered") == 1
    assert delta(before, after_answer, hist, channel="web", outcome="answered") == 1
    assert delta(before, after_answer, total, channel="web", outcome="declined") == 0
    assert delta(before, after_answer, hist, channel="telegram", outcome="answered") == 0
    assert value(after_answer, "assistant_answer_duration_seconds_sum",
                 channel="web", outcome="answered") > 0  # fmt: skip
    # The out-of-scope question: declined, timed as declined.
    assert delta(after_answer, after_decline, total, channel="web", outcome="declined") == 1
    assert delta(after_answer, after_decline, hist, channel="web", outcome="declined") == 1
    assert delta(after_answer, after_decline, total, channel="web", outcome="answered") == 0
    # Feedback and the hand-off.
    assert delta(before, after, "assistant_feedback_total", channel="web", rating="up") == 1
    assert delta(before, after, "assistant_feedback_total", channel="web", rating="down") == 0
    assert delta(before, after, total, channel="web", outcome="handed_off") == 1
    assert delta(before, after, total, channel="telegram", outcome="handed_off") == 0


def test_store_down_counts_unavailable_and_times_it_as_error(state, tmp_path: Path) -> None:
    # Plumbing only: the store failing is what is under test, not the answer.
    settings = make_settings(tmp_path / "data", tmp_path / "knowledge", metrics_token=METRICS_TOKEN)
    broken = FakeAssistant(settings, error=StoreUnavailable("store down"))
    with TestClient(create_app(settings, broken, state)) as client:
        before = scrape(client)
        response = client.post("/api/ask", json={"question": "사무실 이용 시간은?"})
        after = scrape(client)

    assert response.status_code == 503
    total, hist = "assistant_answers_total", "assistant_answer_duration_seconds_count"
    assert delta(before, after, total, channel="web", outcome="unavailable") == 1
    assert delta(before, after, hist, channel="web", outcome="error") == 1
    assert delta(before, after, total, channel="web", outcome="answered") == 0


@pytest.fixture()
def knowledge_assistant(indexed_settings, shared_embeddings, tmp_path: Path):
    """A real assistant on the real index whose knowledge folder is a private temp dir."""
    from bot.rag.assistant import Assistant

    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    return Assistant(
        make_settings(indexed_settings.data_dir, knowledge), embeddings=shared_embeddings
    )


def test_admin_ingest_is_recorded_and_sets_the_chunk_gauge(knowledge_assistant, state) -> None:
    doc = knowledge_assistant.settings.knowledge_dir / "zebras.md"
    doc.write_text(ZEBRA_DOC, encoding="utf-8")
    settings = web_settings(knowledge_assistant.settings)
    with TestClient(create_app(settings, knowledge_assistant, state)) as client:
        before = scrape(client)
        response = client.post("/api/admin/ingest", headers=AUTH, json={"paths": [str(doc)]})
        after = scrape(client)
        bad = client.post(
            "/api/admin/documents", headers=AUTH,
            files={"file": ("brochure.pdf", b"this is not a PDF at all")},
        )  # fmt: skip
        # Indexed in the background: wait for its job to end.
        assert client.app.state.publisher.job(bad.json()["id"]).wait(timeout=180)
        after_bad = scrape(client)

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["added"] == 1 and report["chunks_embedded"] > 0
    runs = "assistant_ingest_runs_total"
    assert delta(before, after, runs, trigger="admin_api", result="ok") == 1
    assert delta(before, after, runs, trigger="admin_api", result="failed") == 0
    assert delta(before, after, "assistant_ingest_files_total", outcome="added") == 1
    assert (
        delta(before, after, "assistant_ingest_chunks_embedded_total")
        == report["chunks_embedded"]
    )
    assert delta(before, after, "assistant_ingest_duration_seconds_count") == 1
    assert value(after, "assistant_ingest_last_success_timestamp_seconds") > 0
    assert value(after, "assistant_index_chunks") == knowledge_assistant.store.count()
    assert value(after, "assistant_index_chunks") > value(before, "assistant_index_chunks")
    # A file that cannot be parsed: the run failed, and the gauge still matches the store.
    assert bad.status_code == 202
    assert delta(after, after_bad, runs, trigger="admin_upload", result="failed") == 1
    assert delta(after, after_bad, "assistant_ingest_files_total", outcome="failed") == 1
    assert (
        value(after_bad, "assistant_ingest_last_success_timestamp_seconds")
        == value(after, "assistant_ingest_last_success_timestamp_seconds")
    )
    assert value(after_bad, "assistant_index_chunks") == knowledge_assistant.store.count()


def test_first_run_indexing_is_recorded_as_startup(shared_embeddings, tmp_path: Path) -> None:
    from bot.rag.assistant import Assistant

    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "zebras.md").write_text(ZEBRA_DOC, encoding="utf-8")
    fresh = Assistant(make_settings(tmp_path / "data", knowledge), embeddings=shared_embeddings)

    metrics = Metrics()
    index_if_empty(fresh, metrics, show_progress=False)
    samples = parse_metrics(metrics.render().decode())

    chunks = fresh.store.count()
    assert chunks > 0
    assert value(samples, "assistant_ingest_runs_total", trigger="startup", result="ok") == 1
    assert value(samples, "assistant_index_chunks") == chunks
    assert value(samples, "assistant_ingest_chunks_embedded_total") == chunks
