"""The streamed ask API (server-sent events) and the fallback metric, over the real assistant."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from bot.web import create_app

from ..web.helpers import METRICS_AUTH, web_settings
from .fake_openai import Reply
from .test_generative import AREA_FACT, AREA_KO, OUT_OF_SCOPE, citing


def sse(client: TestClient, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """POST to the stream route and parse its events in arrival order."""
    events: list[tuple[str, dict[str, Any]]] = []
    with client.stream("POST", "/api/ask/stream", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((event, json.loads(line.removeprefix("data: "))))
    return events


def app_client(assistant, state) -> TestClient:
    """A TestClient of the web app around ``assistant``."""
    return TestClient(create_app(web_settings(assistant.settings), assistant, state))


def test_generated_tokens_stream_in_order_then_sources_and_done(
    llm_assistant, fake_llm, state
) -> None:
    fake_llm.responder = citing(AREA_FACT, "허브 면적은 {fact}m²입니다 [{n}]. 감사합니다.")
    with app_client(llm_assistant, state) as client:
        events = sse(client, {"question": AREA_KO})

    names = [name for name, _ in events]
    assert names[-2:] == ["sources", "done"] and set(names[:-2]) == {"token"}
    assert len(names) > 3, "tokens arrive one chunk at a time"
    preview = "".join(data["text"] for name, data in events if name == "token")
    done = events[-1][1]
    assert AREA_FACT in preview and AREA_FACT in done["answer"]
    assert done["answered"] is True
    conversation = done["conversation_id"]  # issued by the server
    assert events[-2][1]["sources"] == done["sources"] and len(done["sources"]) == 1
    assert state.question(done["question_id"], f"web:{conversation}") is not None


def test_the_extractive_answer_streams_as_one_token(assistant, state) -> None:
    with app_client(assistant, state) as client:
        plain = client.post("/api/ask", json={"question": AREA_KO}).json()
        events = sse(client, {"question": AREA_KO})

    assert [name for name, _ in events] == ["token", "sources", "done"]
    assert events[0][1]["text"] == plain["answer"] == events[-1][1]["answer"]
    assert events[-1][1]["sources"] == plain["sources"]


def test_stream_declines_out_of_scope_and_rejects_bad_bodies(llm_assistant, fake_llm, state):
    with app_client(llm_assistant, state) as client:
        events = sse(client, {"question": OUT_OF_SCOPE})
        bad = client.post("/api/ask/stream", json={"question": ""})

    assert events[-1][0] == "done" and events[-1][1]["answered"] is False
    assert fake_llm.requests == []
    assert bad.status_code == 422 and "question" in bad.json()["detail"]


def test_llm_failures_are_counted_in_metrics(llm_assistant, fake_llm, state) -> None:
    fake_llm.replies = [Reply(status=500)]
    with app_client(llm_assistant, state) as client:
        answer = client.post("/api/ask", json={"question": AREA_KO}).json()
        metrics = client.get("/metrics", headers=METRICS_AUTH).text

    assert answer["answered"] is True and AREA_FACT in answer["answer"]
    assert 'assistant_llm_fallbacks_total{reason="server_error"} 1.0' in metrics
