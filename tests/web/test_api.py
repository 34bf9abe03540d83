"""The visitor API over the real assistant and a real state store (FastAPI TestClient)."""

from __future__ import annotations

import re
import threading

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.state import Handoff
from bot.web import create_app

from .helpers import METRICS_AUTH, web_settings

KO_AREA = "서울창업허브 호치민의 면적은 얼마인가요?"
EN_OPENED = "When did Seoul Startup Hub Ho Chi Minh open?"
OUT_OF_SCOPE = "What is the capital of France?"


@pytest.fixture()
def client(assistant, state, client_for) -> TestClient:
    """The app over the real assistant and state."""
    return client_for(create_app(web_settings(assistant.settings), assistant, state))


def test_ask_returns_the_cores_answer_with_ids_and_logs_it(client, assistant, state) -> None:
    expected = assistant.answer(KO_AREA).to_dict()

    response = client.post("/api/ask", json={"question": KO_AREA})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert {k: body[k] for k in expected} == expected
    assert body["answered"] is True and body["language"] == "ko"
    assert any(s["source"] == "ko/hub-overview.md" for s in body["sources"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{46}", body["conversation_id"])  # issued by the server
    logged = state.question(body["question_id"], f"web:{body['conversation_id']}")
    assert logged is not None
    assert logged["channel"] == "web" and logged["question"] == KO_AREA
    assert logged["answered"] is True and logged["confidence"] >= 0.5


def test_english_question_keeps_the_conversation(client, assistant) -> None:
    first = client.post("/api/ask", json={"question": KO_AREA}).json()

    response = client.post(
        "/api/ask", json={"question": EN_OPENED, "conversation_id": first["conversation_id"]}
    )

    body = response.json()
    assert response.status_code == 200
    assert body["conversation_id"] == first["conversation_id"]
    assert body["question_id"] != first["question_id"]
    assert body["language"] == "en" and body["answered"] is True
    assert [s["title"] for s in body["sources"]] == [
        s.title for s in assistant.answer(EN_OPENED).sources
    ]


def test_language_hint_selects_the_answer_language(client) -> None:
    body = client.post("/api/ask", json={"question": OUT_OF_SCOPE, "language": "ko-KR"}).json()

    assert body["language"] == "ko"
    assert body["answered"] is False


def test_out_of_scope_question_is_declined_and_counted_as_a_gap(client, state) -> None:
    body = client.post("/api/ask", json={"question": OUT_OF_SCOPE}).json()

    assert body["answered"] is False
    assert body["sources"] == []
    gaps = state.gaps(1)
    assert [g.example for g in gaps] == [OUT_OF_SCOPE]
    assert gaps[0].reasons == ["declined"]


def test_feedback_is_stored_for_the_conversations_question(client, state) -> None:
    asked = client.post("/api/ask", json={"question": EN_OPENED}).json()

    up = client.post(
        "/api/feedback",
        json={
            "question_id": asked["question_id"],
            "conversation_id": asked["conversation_id"],
            "rating": "up",
        },
    )
    down = client.post(
        "/api/feedback",
        json={
            "question_id": asked["question_id"],
            "conversation_id": asked["conversation_id"],
            "rating": -1,
            "comment": "too long",
        },
    )

    assert up.status_code == 200 and up.json()["recorded"] is True
    assert down.status_code == 200
    # One vote per answer: the later 👎 replaced the 👍.
    assert down.json()["feedback_id"] == up.json()["feedback_id"]
    rows = state.feedback_for(asked["question_id"])
    assert [(r["rating"], r["comment"]) for r in rows] == [(-1, "too long")]
    assert {r["conversation"] for r in rows} == {f"web:{asked['conversation_id']}"}


def test_feedback_on_another_conversations_question_is_refused(client, state) -> None:
    asked = client.post("/api/ask", json={"question": EN_OPENED}).json()

    response = client.post(
        "/api/feedback",
        json={
            "question_id": asked["question_id"],
            "conversation_id": "someone-else-0000",
            "rating": "up",
        },
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "no such question in this conversation"}
    assert state.feedback_for(asked["question_id"]) == []


@pytest.mark.parametrize("rating", ["sideways", 0, 2, None])
def test_feedback_with_a_bad_rating_is_422(client, rating) -> None:
    response = client.post(
        "/api/feedback",
        json={"question_id": 1, "conversation_id": "conversation-1", "rating": rating},
    )

    assert response.status_code == 422
    assert response.json()["detail"].startswith("rating")


def test_handoff_is_stored_and_the_notifier_called(assistant, state, serve) -> None:
    notified: list[Handoff] = []
    called = threading.Event()

    async def notify(handoff: Handoff) -> None:
        notified.append(handoff)
        called.set()

    base = serve(create_app(web_settings(assistant.settings), assistant, state, notifier=notify))
    client = httpx.Client(base_url=base, timeout=60)
    asked = client.post("/api/ask", json={"question": OUT_OF_SCOPE}).json()

    response = client.post(
        "/api/handoff",
        json={
            "contact": "founder@example.com",
            "question": "Can my company rent a desk for three months?",
            "conversation_id": asked["conversation_id"],
            "question_id": asked["question_id"],
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["notified"] is True and body["status"] == "open"
    [stored] = state.open_handoffs()
    assert stored.id == body["handoff_id"]
    assert stored.channel == "web"
    assert stored.conversation == f"web:{asked['conversation_id']}"
    assert stored.contact == "founder@example.com"
    assert stored.question == "Can my company rent a desk for three months?"
    assert stored.answer == asked["answer"]  # the declined answer travels with it
    assert stored.language == "en"
    assert called.wait(timeout=30), "the notifier was never called"
    assert [h.id for h in notified] == [stored.id]
    client.close()


def test_handoff_without_notifier_stays_in_the_inbox(client, state) -> None:
    response = client.post(
        "/api/handoff", json={"contact": "+84 90 000 0000", "question": "사무실 임대료는?"}
    )

    assert response.status_code == 200
    assert response.json()["notified"] is False
    [stored] = state.open_handoffs()
    assert stored.conversation == f"web:{response.json()['conversation_id']}"
    assert stored.language == "ko"


def test_failing_notifier_still_stores_the_handoff(assistant, state, serve) -> None:
    tried = threading.Event()

    async def broken(handoff: Handoff) -> None:
        tried.set()
        raise ConnectionError("telegram down")

    base = serve(create_app(web_settings(assistant.settings), assistant, state, notifier=broken))
    with httpx.Client(base_url=base, timeout=60) as client:
        response = client.post("/api/handoff", json={"contact": "me@x.org", "question": "Help?"})

    # Stored, so the visitor is told it was sent; delivery is retried in the background.
    assert response.status_code == 200
    assert response.json()["notified"] is True
    assert tried.wait(timeout=30), "delivery was never attempted"
    assert len(state.open_handoffs()) == 1


def test_second_handoff_of_a_conversation_joins_the_open_one(client, state) -> None:
    first = client.post("/api/handoff", json={"contact": "a@b.org", "question": "First?"}).json()

    second = client.post(
        "/api/handoff",
        json={
            "contact": "a@b.org",
            "question": "Second?",
            "conversation_id": first["conversation_id"],
        },
    ).json()

    assert second["handoff_id"] == first["handoff_id"]
    assert len(state.open_handoffs()) == 1
    messages = state.handoff_messages(first["handoff_id"])
    assert [m["text"] for m in messages] == ["Second?"]


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        ({"contact": " ", "question": "Q?"}, "contact: must not be empty"),
        ({"contact": "a@b.org", "question": "  "}, "question: must not be empty"),
        ({"question": "Q?"}, "contact is required"),
    ],
)
def test_handoff_validation(client, state, payload, detail) -> None:
    response = client.post("/api/handoff", json=payload)

    assert response.status_code == 422
    assert response.json() == {"detail": detail}
    assert state.open_handoffs() == []


def test_healthz_and_readyz_with_the_real_index(client, assistant) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}

    ready = client.get("/readyz")

    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "chunks": assistant.store.count()}
    assert ready.json()["chunks"] > 0


def test_readyz_is_503_on_an_empty_store(tmp_path, shared_embeddings, state, client_for) -> None:
    from bot.rag.assistant import Assistant

    from .helpers import make_settings

    empty = Assistant(make_settings(tmp_path / "empty"), embeddings=shared_embeddings)
    client = client_for(create_app(web_settings(empty.settings), empty, state))

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"detail": "index is empty"}
    assert client.get("/healthz").status_code == 200


def test_metrics_count_requests_and_outcomes(client) -> None:
    client.post("/api/ask", json={"question": EN_OPENED})
    client.post("/api/ask", json={"question": OUT_OF_SCOPE})
    client.post("/api/ask", json={"question": ""})
    client.post("/api/handoff", json={"contact": "a@b.org", "question": "Desk price?"})

    response = client.get("/metrics", headers=METRICS_AUTH)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'assistant_answers_total{channel="web",outcome="answered"} 1.0' in text
    assert 'assistant_answers_total{channel="web",outcome="declined"} 1.0' in text
    assert 'assistant_answers_total{channel="web",outcome="handed_off"} 1.0' in text
    assert 'assistant_http_requests_total{method="POST",route="/api/ask",status="200"} 2.0' in text
    assert 'assistant_http_requests_total{method="POST",route="/api/ask",status="422"} 1.0' in text
    assert (
        'assistant_http_request_duration_seconds_count{method="POST",route="/api/ask"} 3.0' in text
    )


def test_openapi_documents_the_api(client) -> None:
    schema = client.get("/openapi.json").json()

    for path in ("/api/ask", "/api/feedback", "/api/handoff", "/readyz", "/api/admin/documents"):
        assert path in schema["paths"], path
    upload = schema["paths"]["/api/admin/documents"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_examples_are_knowledge_base_questions_the_assistant_answers(client, assistant) -> None:
    documents = assistant.retriever.documents_by_language()
    for lang in ("ko", "en", "vi", "ja"):
        response = client.get("/api/examples", params={"language": lang})

        assert response.status_code == 200
        body = response.json()
        assert body["language"] == lang
        assert 2 <= len(body["questions"]) <= 3, body
        headings = {h for _, _, section in documents[lang] for h in section}
        for question in body["questions"]:
            assert question in headings
            assert assistant.answer(question).answered, question
    assert client.get("/api/examples", params={"language": "fr"}).status_code == 422
    assert client.get("/api/examples").status_code == 422
