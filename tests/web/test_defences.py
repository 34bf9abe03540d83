"""Defences of the HTTP API: body size, validation, rate limit, CORS, headers, errors, webhook.

Most of these are plumbing, so they run against a stand-in assistant (the answer does not
matter); the state store is the real one.
"""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI

from bot.config import Settings
from bot.errors import ConfigError, StoreUnavailable
from bot.rag.answer import UNAVAILABLE
from bot.state import StateStore
from bot.tg.app import telegram_webhook
from bot.web import create_app
from bot.web.security import PAGE_CSP

from .helpers import ALLOWED_ORIGIN, METRICS_AUTH, WEBHOOK_SECRET, FakeAssistant, iter_chunks


@pytest.fixture()
def client(plumbing_settings, fake_assistant, state, client_for):
    """The app around the stand-in assistant."""
    return client_for(create_app(plumbing_settings, fake_assistant, state))


# --- body size and validation ------------------------------------------------------------------


def test_body_over_8kb_is_413_before_parsing(client, fake_assistant) -> None:
    body = json.dumps({"question": "x" * 9000}).encode()

    response = client.post(
        "/api/ask", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json() == {"detail": "request body too large (limit 8192 bytes)"}
    assert fake_assistant.questions == []


def test_declared_length_over_limit_is_refused_without_reading(client) -> None:
    # Content-Length says 100 KB; the body is tiny. The header alone decides.
    response = client.post(
        "/api/ask",
        content=b'{"question": "hi"}',
        headers={"Content-Type": "application/json", "Content-Length": "100000"},
    )

    assert response.status_code == 413


def test_chunked_body_over_limit_is_413(client, fake_assistant) -> None:
    body = json.dumps({"question": "y" * 20000}).encode()

    response = client.post(
        "/api/ask",
        content=iter_chunks(body, 1000),  # an iterator: sent chunked, no Content-Length
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert fake_assistant.questions == []


def test_chunked_body_under_limit_is_answered(client, fake_assistant) -> None:
    body = json.dumps({"question": "Where is the hub?"}).encode()

    response = client.post(
        "/api/ask", content=iter_chunks(body, 5), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 200
    assert fake_assistant.questions == ["Where is the hub?"]


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        ({"question": ""}, "question: must not be empty"),
        ({"question": " \n\t "}, "question: must not be empty"),
        ({"question": "q" * 1001}, "question: must be at most 1000 characters"),
        ({}, "question is required"),
        ({"question": 42}, "question: Input should be a valid string"),
        ({"question": "ok?", "conversation_id": "../../etc"}, "conversation_id"),
        ({"question": "ok?", "language": "<script>"}, "language"),
    ],
)
def test_invalid_questions_are_422_with_a_clear_message(client, payload, detail) -> None:
    response = client.post("/api/ask", json=payload)

    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)


def test_question_of_exactly_1000_characters_is_accepted(client, fake_assistant) -> None:
    response = client.post("/api/ask", json={"question": "  " + "q" * 1000 + "  "})

    assert response.status_code == 200
    assert fake_assistant.questions == ["q" * 1000]


@pytest.mark.parametrize(
    ("content", "detail"),
    [(b"{not json", "request body is not valid JSON"), (b"[1, 2]", "request body must be")],
)
def test_malformed_json_is_422(client, content, detail) -> None:
    response = client.post(
        "/api/ask", content=content, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)


# --- rate limit --------------------------------------------------------------------------------


def test_rate_limit_per_client_with_retry_after(
    plumbing_settings, fake_assistant, state, client_for
) -> None:
    settings = plumbing_settings.model_copy(update={"ask_rate_per_minute": 3})
    app = create_app(settings, fake_assistant, state)
    client = client_for(app, client=("203.0.113.7", 40000))
    other = client_for(app, client=("203.0.113.8", 40000))

    statuses = [client.post("/api/ask", json={"question": f"q{i}"}).status_code for i in range(4)]
    limited = client.post("/api/ask", json={"question": "again"})

    assert statuses == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.json()["detail"].startswith("too many requests")
    assert other.post("/api/ask", json={"question": "mine"}).status_code == 200
    assert fake_assistant.questions == ["q0", "q1", "q2", "mine"]
    metrics = client.get("/metrics", headers=METRICS_AUTH).text
    assert 'assistant_rate_limited_total{route="/api/ask"} 2.0' in metrics


# --- CORS --------------------------------------------------------------------------------------


def test_cors_allows_the_configured_origin(client) -> None:
    preflight = client.options(
        "/api/ask",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    response = client.post("/api/ask", json={"question": "hi"}, headers={"Origin": ALLOWED_ORIGIN})

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "retry-after" in response.headers["access-control-expose-headers"].lower()


def test_cors_refuses_other_origins(client) -> None:
    evil = "https://evil.example.com"
    preflight = client.options(
        "/api/ask",
        headers={"Origin": evil, "Access-Control-Request-Method": "POST"},
    )
    response = client.post("/api/ask", json={"question": "hi"}, headers={"Origin": evil})

    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_nothing_when_no_origin_is_configured(
    plumbing_settings, fake_assistant, state, client_for
) -> None:
    settings = plumbing_settings.model_copy(update={"allowed_origins": []})
    client = client_for(create_app(settings, fake_assistant, state))

    response = client.post("/api/ask", json={"question": "hi"}, headers={"Origin": ALLOWED_ORIGIN})

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


# --- headers, pages, errors --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/healthz", "/api/nowhere", "/", "/widget.js", "/metrics"])
def test_security_headers_on_every_response(client, path) -> None:
    response = client.get(path)

    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_demo_page_sends_a_strict_csp(client) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == PAGE_CSP
    directives = dict(
        part.strip().split(" ", 1) for part in PAGE_CSP.split(";") if part.strip()
    )
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"  # no 'unsafe-inline'
    assert directives["connect-src"] == "'self'"
    assert directives["base-uri"] == "'none'"
    assert '<script src="/widget.js" data-lang="ko" defer></script>' in response.text


def test_api_docs_are_served_from_this_server(client) -> None:
    docs = client.get("/docs")

    assert docs.status_code == 200
    # Scripts and styles from this server: no CDN address anywhere in the page.
    assert "http://" not in docs.text and "https://" not in docs.text
    csp = docs.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    assert '<script src="/docs-assets/swagger-ui-bundle.js">' in docs.text
    assert '"validatorUrl": null' in docs.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert client.get(f"/docs-assets/{asset}").status_code == 200, asset
    # ReDoc's bundle loads its logo from its CDN: not served at all.
    assert client.get("/redoc").status_code == 404


def test_api_docs_can_be_turned_off(plumbing_settings, fake_assistant, state, client_for) -> None:
    settings = plumbing_settings.model_copy(update={"api_docs": False})
    client = client_for(create_app(settings, fake_assistant, state))

    for path in ("/docs", "/redoc", "/docs/oauth2-redirect", "/docs-assets/swagger-ui.css"):
        assert client.get(path).status_code == 404, path
    assert client.get("/openapi.json").status_code == 200


def test_widget_script_is_served_as_javascript(client) -> None:
    response = client.get("/widget.js")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    # Text only: the widget never assigns HTML.
    assert "innerHTML" not in response.text and "insertAdjacentHTML" not in response.text
    assert "attachShadow" in response.text and "adoptedStyleSheets" in response.text


def test_unknown_route_is_json_404(client) -> None:
    response = client.get("/api/nowhere")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_store_unavailable_during_ask_is_503_with_the_polite_message(
    plumbing_settings, state, client_for
) -> None:
    broken = FakeAssistant(plumbing_settings, error=StoreUnavailable("chroma down"))
    client = client_for(create_app(plumbing_settings, broken, state))

    ko = client.post("/api/ask", json={"question": "허브는 어디에 있나요?"})
    en = client.post("/api/ask", json={"question": "Where is the hub?"})

    assert ko.status_code == 503 and ko.json() == {"detail": UNAVAILABLE["ko"]}
    assert en.status_code == 503 and en.json() == {"detail": UNAVAILABLE["en"]}


def test_readyz_is_503_when_the_store_is_unreachable(
    plumbing_settings, fake_assistant, state, client_for
) -> None:
    fake_assistant.store.reachable = False
    client = client_for(create_app(plumbing_settings, fake_assistant, state))

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"detail": "vector store unreachable"}


def test_unexpected_error_is_json_without_traceback(plumbing_settings, state, client_for) -> None:
    broken = FakeAssistant(plumbing_settings, error=RuntimeError("secret internals at /srv/app.py line 3"))
    client = client_for(
        create_app(plumbing_settings, broken, state), raise_server_exceptions=False
    )

    response = client.post("/api/ask", json={"question": "Where is the hub?"})

    assert response.status_code == 500
    assert response.json() == {"detail": "internal error"}
    assert "Traceback" not in response.text and "secret internals" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


# --- Telegram webhook --------------------------------------------------------------------------


def _webhook_app(
    settings: Settings, assistant: FakeAssistant, state: StateStore, received: list[dict]
) -> FastAPI:
    async def handle(update: dict) -> None:
        received.append(update)

    return create_app(settings, assistant, state, webhooks=[telegram_webhook(settings, handle)])


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", WEBHOOK_SECRET + "x"])
def test_webhook_refuses_a_wrong_or_missing_secret(
    plumbing_settings, fake_assistant, state, client_for, secret
) -> None:
    received: list[dict] = []
    client = client_for(_webhook_app(plumbing_settings, fake_assistant, state, received))
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}

    response = client.post("/telegram/webhook", json={"update_id": 1}, headers=headers)

    assert response.status_code == 403
    assert received == []


def test_webhook_passes_the_update_on(plumbing_settings, fake_assistant, state, client_for) -> None:
    received: list[dict] = []
    client = client_for(_webhook_app(plumbing_settings, fake_assistant, state, received))
    update = {"update_id": 7, "message": {"text": "안녕하세요", "chat": {"id": 5}}}

    response = client.post(
        "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    )

    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert received == [update]


def test_webhook_needs_a_configured_secret(plumbing_settings, fake_assistant, state) -> None:
    settings = plumbing_settings.model_copy(update={"telegram_webhook_secret": None})

    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        _webhook_app(settings, fake_assistant, state, [])


def test_no_webhook_route_without_a_handler(client) -> None:
    response = client.post(
        "/telegram/webhook", json={}, headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    )

    assert response.status_code in (404, 405)


def test_real_server_refuses_an_oversized_chunked_body(
    plumbing_settings, fake_assistant, state, serve
) -> None:
    base = serve(create_app(plumbing_settings, fake_assistant, state))
    body = json.dumps({"question": "z" * 50000}).encode()

    with httpx.Client(base_url=base, timeout=10) as http:
        response = http.post(
            "/api/ask", content=iter_chunks(body, 4096), headers={"Content-Type": "application/json"}
        )
        ok = http.post("/api/ask", json={"question": "still serving?"})

    assert response.status_code == 413
    assert ok.status_code == 200
    assert fake_assistant.questions == ["still serving?"]
