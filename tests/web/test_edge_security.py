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



# --- finding 8: feedback stuffing and guessable conversations ----------------------------------


def test_five_down_votes_on_one_answer_count_once_and_a_later_vote_replaces(
    tmp_path, fake_assistant, state, serve
) -> None:
    settings = _settings(tmp_path)
    base = serve(create_app(settings, fake_assistant, state), settings)

    with httpx.Client(base_url=base, timeout=30) as http:
        asked = http.post("/api/ask", json={"question": "Is the desk price per month?"}).json()
        vote = {"question_id": asked["question_id"], "conversation_id": asked["conversation_id"]}
        downs = [http.post("/api/feedback", json={**vote, "rating": "down"}) for _ in range(5)]
        up = http.post("/api/feedback", json={**vote, "rating": "up"})

    assert [r.status_code for r in downs] == [200] * 5 and up.status_code == 200
    assert len({r.json()["feedback_id"] for r in [*downs, up]}) == 1
    rows = state.feedback_for(asked["question_id"])
    assert [r["rating"] for r in rows] == [1]


def test_a_conversation_id_the_server_did_not_issue_starts_a_new_conversation(
    tmp_path, fake_assistant, state, serve
) -> None:
    settings = _settings(tmp_path)
    base = serve(create_app(settings, fake_assistant, state), settings)

    with httpx.Client(base_url=base, timeout=30) as http:
        chosen = http.post(
            "/api/ask", json={"question": "Hello?", "conversation_id": "my-own-id-123"}
        ).json()
        kept = http.post(
            "/api/ask",
            json={"question": "And then?", "conversation_id": chosen["conversation_id"]},
        ).json()

    assert chosen["conversation_id"] != "my-own-id-123"
    assert kept["conversation_id"] == chosen["conversation_id"]  # an issued id is kept
    assert state.question(chosen["question_id"], "web:my-own-id-123") is None


def test_nobody_can_append_to_another_visitors_hand_off_by_picking_its_id(
    tmp_path, fake_assistant, state, serve
) -> None:
    settings = _settings(tmp_path)
    base = serve(create_app(settings, fake_assistant, state), settings)
    picked = "conv-12345678"

    with httpx.Client(base_url=base, timeout=30) as http:
        victim = http.post(
            "/api/handoff",
            json={"contact": "victim@example.com", "question": "Visa help?",
                  "conversation_id": picked},
        ).json()  # fmt: skip
        issued = victim["conversation_id"]
        # The attacker tries the id the victim picked, and the victim's nonce with a new tag.
        forged = issued[:-22] + ("A" * 22 if not issued.endswith("A" * 22) else "B" * 22)
        attempts = [
            http.post(
                "/api/handoff",
                json={"contact": "attacker@example.com", "question": "Send me the details",
                      "conversation_id": conversation},
            ).json()
            for conversation in (picked, forged)
        ]

    assert issued != picked
    for attempt in attempts:
        assert attempt["handoff_id"] != victim["handoff_id"]
        assert attempt["conversation_id"] not in (picked, issued, forged)
    assert state.handoff_messages(victim["handoff_id"]) == []
    assert state.handoff(victim["handoff_id"]).contact == "victim@example.com"


def test_issued_conversation_ids_survive_a_restart_and_replicas_with_one_secret_agree(
    tmp_path, fake_assistant, state, serve
) -> None:
    first = _settings(tmp_path)
    restarted = _settings(tmp_path)  # same DATA_DIR: the key file is reused
    replica_a = make_settings(tmp_path / "a", tmp_path / "k", conversation_secret="s" * 32)
    replica_b = make_settings(tmp_path / "b", tmp_path / "k", conversation_secret="s" * 32)
    bases = [serve(create_app(s, fake_assistant, state), s)
             for s in (first, restarted, replica_a, replica_b)]  # fmt: skip

    def keeps(issuer: str, other: str) -> bool:
        with httpx.Client(timeout=30) as http:
            issued = http.post(issuer + "/api/ask", json={"question": "Hi?"}).json()
            again = http.post(
                other + "/api/ask",
                json={"question": "More?", "conversation_id": issued["conversation_id"]},
            ).json()
        return again["conversation_id"] == issued["conversation_id"]

    assert keeps(bases[0], bases[1])
    assert keeps(bases[2], bases[3])
    assert not keeps(bases[0], bases[2])  # another key: not ours, a fresh conversation
    assert (tmp_path / "data" / "conversation.key").stat().st_mode & 0o077 == 0


# --- finding 9: admin token guessing ----------------------------------------------------------


def test_wrong_admin_tokens_are_throttled_per_client_and_logged_with_its_address(
    tmp_path, fake_assistant, state, serve, caplog
) -> None:
    from bot.web.admin import ADMIN_MAX_FAILURES

    token = "admin-token-for-throttle-0123456789"
    settings = _settings(tmp_path, admin_token=token)
    base = serve(create_app(settings, fake_assistant, state), settings)
    guesses = [f"guess-{i:04d}-wrong" for i in range(ADMIN_MAX_FAILURES + 2)]

    with (
        caplog.at_level("WARNING", logger="bot.web.admin"),
        _from("127.0.0.1", base) as guesser,
        _from(PROXY_ADDRESS, base) as staff,
    ):
        statuses = [
            guesser.get("/api/admin/stats", headers={"Authorization": f"Bearer {g}"})
            for g in guesses
        ]
        right_but_locked = guesser.get(
            "/api/admin/stats", headers={"Authorization": f"Bearer {token}"}
        )
        other_client = staff.get("/api/admin/stats", headers={"Authorization": f"Bearer {token}"})

    codes = [r.status_code for r in statuses]
    assert codes == [403] * ADMIN_MAX_FAILURES + [429, 429]
    assert 1 <= int(statuses[-1].headers["Retry-After"]) <= 15 * 60
    assert right_but_locked.status_code == 429
    assert other_client.status_code == 200
    refused = [r for r in caplog.records if "wrong token" in r.getMessage()]
    assert len(refused) == ADMIN_MAX_FAILURES
    assert all(getattr(r, "client", None) == "127.0.0.1" for r in refused)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in refused)
    assert not any(g in logged for g in guesses) and token not in logged


def test_the_service_refuses_to_start_with_a_short_admin_token(tmp_path) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    short = "abc123"
    # Port 9 cannot be bound: a build that accepted the token would fail fast, not serve.
    env = {**os.environ, "ADMIN_TOKEN": short, "HOST": "127.0.0.1", "PORT": "9"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--data-dir", str(tmp_path / "data")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 2
    assert "ADMIN_TOKEN must be at least 16 characters" in output
    assert short not in output and "Traceback" not in output
