"""`python -m bot serve` with DATABASE_URL on a real PostgreSQL server, end to end over HTTP."""

from __future__ import annotations

import json
import signal
import urllib.error
import urllib.request

import psycopg
import pytest

from tests.pg.server import PASSWORD, PostgresServer
from tests.test_service import ask, free_port, start, wait_healthy

ADMIN = "test-admin-token-0123456789"  # what tests.test_service.start configures


def call(port: int, path: str, body: dict | None = None, token: str | None = None) -> dict:
    """POST ``body`` (or GET when None) to the service; returns the JSON reply."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json",
                 **({"Authorization": f"Bearer {token}"} if token else {})},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.load(reply)


def test_service_keeps_questions_feedback_and_handoffs_in_postgresql(
    indexed_settings, pg_server: PostgresServer, pg_url: str
) -> None:
    port = free_port()
    service = start(indexed_settings.data_dir, port, DATABASE_URL=pg_url)
    try:
        wait_healthy(port, service)
        asked = ask(port, "서울창업허브 호치민의 면적은 얼마인가요?")
        assert asked["answered"] and asked["language"] == "ko" and "1,758" in asked["answer"]
        conversation = asked["conversation_id"]
        declined = call(port, "/api/ask", {"question": "What is the capital of France?",
                                           "conversation_id": conversation})  # fmt: skip
        assert not declined["answered"]
        rated = call(port, "/api/feedback", {"question_id": asked["question_id"],
                                             "conversation_id": conversation, "rating": "up"})  # fmt: skip
        assert rated["recorded"]
        handed = call(port, "/api/handoff", {
            "contact": "kim@example.kr", "question": "Can staff help with a work permit?",
            "conversation_id": conversation, "question_id": declined["question_id"],
        })  # fmt: skip
        assert handed["status"] == "open"
        # Inputs SQLite takes but PostgreSQL rejects must not become 500s or lost log rows.
        nul = call(port, "/api/ask", {"question": "HUTECH\u0000은 어떤 곳인가요?",
                                      "conversation_id": conversation})  # fmt: skip
        assert isinstance(nul["question_id"], int)
        with pytest.raises(urllib.error.HTTPError) as missing:
            call(port, "/api/feedback", {"question_id": 2**31, "conversation_id": conversation,
                                         "rating": "down"})  # fmt: skip
        assert missing.value.code == 404
        stats = call(port, "/api/admin/stats", token=ADMIN)
    finally:
        service.send_signal(signal.SIGTERM)
        output, _ = service.communicate(timeout=60)
    assert service.returncode == 0, output[-3000:]

    # What the service wrote is in PostgreSQL, read back without the service's code.
    database = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_server.conninfo(database)) as conn:
        logged = conn.execute(
            "SELECT id, language, answered FROM questions WHERE conversation = %s ORDER BY id",
            (f"web:{conversation}",),
        ).fetchall()
        rating = conn.execute(
            "SELECT question_id, rating FROM feedback WHERE conversation = %s",
            (f"web:{conversation}",),
        ).fetchall()
        handoff = conn.execute(
            "SELECT id, status, contact, answer FROM handoffs WHERE conversation = %s",
            (f"web:{conversation}",),
        ).fetchall()
    assert logged[:2] == [(asked["question_id"], "ko", True), (declined["question_id"], "en", False)]
    assert [row[0] for row in logged[2:]] == [nul["question_id"]]
    assert rating == [(asked["question_id"], 1)]
    assert [(h[0], h[1], h[2]) for h in handoff] == [(handed["handoff_id"], "open", "kim@example.kr")]
    assert handoff[0][3] == declined["answer"]  # the declined answer staff see with it

    assert stats["languages"]["ko"]["questions"] == 2 and stats["languages"]["ko"]["thumbs_up"] == 1
    assert stats["languages"]["en"]["questions"] == 1 and stats["languages"]["en"]["handoffs"] == 1
    assert stats["open_handoffs"] == 1

    # The service says which database it uses, never with the password.
    assert f"127.0.0.1:{pg_server.port}/{database}" in output and "***" in output
    assert PASSWORD not in output
    assert "Traceback" not in output


def test_service_with_an_unreachable_database_stops_with_a_clear_error(indexed_settings) -> None:
    port = free_port()
    url = f"postgresql+psycopg://assistant:{PASSWORD}@127.0.0.1:{free_port()}/assistant"
    service = start(indexed_settings.data_dir, port, DATABASE_URL=url)
    output, _ = service.communicate(timeout=180)
    assert service.returncode == 1, output[-3000:]
    assert "cannot reach the state database" in output and "***" in output
    assert PASSWORD not in output and "Traceback" not in output
