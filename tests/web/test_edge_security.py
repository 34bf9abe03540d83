"""The red-team findings of issue 14 at the HTTP edge, through a real uvicorn server configured
as the service configures it: rate limits behind a proxy, /metrics, API docs, headers.

A "proxy" here is an HTTP client bound to its own loopback address (127.0.0.2), so the server
sees a peer other than 127.0.0.1, as it does behind the compose network's nginx.
"""

from __future__ import annotations

import httpx

from bot.web import create_app

from .helpers import make_settings

PROXY_ADDRESS = "127.0.0.2"
VISITOR_A = "198.51.100.10"
VISITOR_B = "198.51.100.20"


def _settings(tmp_path, **overrides):
    return make_settings(tmp_path / "data", tmp_path / "knowledge", **overrides)


def _from(address: str, base: str) -> httpx.Client:
    """A client whose connections come from ``address`` (a loopback alias)."""
    return httpx.Client(
        base_url=base, timeout=30, transport=httpx.HTTPTransport(local_address=address)
    )


def _ask_statuses(http: httpx.Client, times: int, forwarded_for=None) -> list[int]:
    statuses = []
    for i in range(times):
        headers = {"X-Forwarded-For": forwarded_for(i)} if forwarded_for else {}
        response = http.post("/api/ask", json={"question": f"q{i}"}, headers=headers)
        statuses.append(response.status_code)
    return statuses


# --- finding 1: one shared rate-limit bucket behind a proxy ------------------------------------


def test_visitors_behind_a_trusted_proxy_get_their_own_buckets(
    tmp_path, fake_assistant, state, serve
) -> None:
    settings = _settings(tmp_path, ask_rate_per_minute=3, trusted_proxies=f"{PROXY_ADDRESS}/32")
    base = serve(create_app(settings, fake_assistant, state), settings)

    with _from(PROXY_ADDRESS, base) as proxy:
        # The proxy appends the address it saw; visitor A also sends a forged hop of its own.
        a = _ask_statuses(proxy, 5, lambda i: f"10.9.9.{i}, {VISITOR_A}")
        b = _ask_statuses(proxy, 5, lambda i: VISITOR_B)

    # 429s per visitor: 2 each (5 questions, 3 allowed), not 7 for B after A used the bucket.
    assert a == [200, 200, 200, 429, 429]
    assert b == [200, 200, 200, 429, 429]


def test_an_untrusted_client_cannot_leave_its_bucket_with_x_forwarded_for(
    tmp_path, fake_assistant, state, serve
) -> None:
    # TRUSTED_PROXIES names the proxy only: a client on 127.0.0.1 is not one.
    settings = _settings(tmp_path, ask_rate_per_minute=3, trusted_proxies=f"{PROXY_ADDRESS}/32")
    base = serve(create_app(settings, fake_assistant, state), settings)

    with _from("127.0.0.1", base) as direct:
        statuses = _ask_statuses(direct, 6, lambda i: f"203.0.113.{i}")

    assert statuses == [200, 200, 200, 429, 429, 429]


def test_without_trusted_proxies_no_forwarding_header_is_believed(
    tmp_path, fake_assistant, state, serve
) -> None:
    settings = _settings(tmp_path, ask_rate_per_minute=2)
    base = serve(create_app(settings, fake_assistant, state), settings)

    with _from("127.0.0.1", base) as direct:
        statuses = _ask_statuses(direct, 4, lambda i: f"203.0.113.{i}")
        proto = direct.get("/healthz", headers={"X-Forwarded-Proto": "https"})

    assert statuses == [200, 200, 429, 429]
    assert "strict-transport-security" not in proto.headers


# --- finding 12: server header, HSTS, security headers, /metrics ----------------------------


def test_responses_carry_no_server_header_and_hsts_only_over_https(
    tmp_path, fake_assistant, state, serve
) -> None:
    settings = _settings(tmp_path, trusted_proxies=f"{PROXY_ADDRESS}/32")
    base = serve(create_app(settings, fake_assistant, state), settings)

    with _from(PROXY_ADDRESS, base) as proxy:
        tls = proxy.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        plain = proxy.get("/healthz", headers={"X-Forwarded-Proto": "http"})

    for response in (tls, plain):
        assert response.status_code == 200
        assert "server" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "camera=()" in response.headers["permissions-policy"]
    assert tls.headers["strict-transport-security"].startswith("max-age=31536000")
    assert "strict-transport-security" not in plain.headers


def test_metrics_need_the_token_when_one_is_set(tmp_path, fake_assistant, state, serve) -> None:
    token = "metrics-token-for-tests-0123456789"
    settings = _settings(tmp_path, metrics_token=token)
    base = serve(create_app(settings, fake_assistant, state), settings)

    with httpx.Client(base_url=base, timeout=30) as http:
        anonymous = http.get("/metrics")
        wrong = http.get("/metrics", headers={"Authorization": "Bearer not-the-token-at-all"})
        right = http.get("/metrics", headers={"Authorization": f"Bearer {token}"})

    assert anonymous.status_code == 401 and wrong.status_code == 401
    assert token not in anonymous.text
    assert right.status_code == 200 and "assistant_http_requests_total" in right.text


def test_metrics_without_a_token_are_internal_only(tmp_path, fake_assistant, state, serve) -> None:
    settings = _settings(tmp_path, trusted_proxies=f"{PROXY_ADDRESS}/32")
    base = serve(create_app(settings, fake_assistant, state), settings)

    with _from(PROXY_ADDRESS, base) as proxy, _from("127.0.0.1", base) as internal:
        # A visitor's request through the proxy: refused, whatever address it claims.
        proxied = proxy.get("/metrics", headers={"X-Forwarded-For": "10.0.0.5, 198.51.100.7"})
        claims_internal = proxy.get("/metrics", headers={"X-Forwarded-For": "10.0.0.5"})
        # Prometheus scraping the app directly on the internal network: served.
        scrape = internal.get("/metrics")

    assert proxied.status_code == 403 and claims_internal.status_code == 403
    assert scrape.status_code == 200 and "assistant_http_requests_total" in scrape.text
