"""The secret watch plugin (tests/secret_watch.py) really catches a secret in captured output."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests import secret_watch
from tests.tg.conftest import TOKEN
from tests.web.helpers import ADMIN_TOKEN, WEBHOOK_SECRET

FAKE_SECRET = "fake-secret-only-for-this-self-test"


def _report(sections: list[tuple[str, str]], failed: bool = False, longrepr: str = ""):
    return SimpleNamespace(
        nodeid="t.py::x", when="call", sections=sections, failed=failed, longrepr=longrepr
    )


def test_the_watch_knows_the_test_secrets() -> None:
    secrets = secret_watch.known_secrets()
    assert {TOKEN, TOKEN.split(":")[1], ADMIN_TOKEN, WEBHOOK_SECRET} <= set(secrets)


def test_a_leak_in_a_log_section_fails_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    # A private watcher with a fake secret: the real one must never see a real secret here.
    monkeypatch.setattr(secret_watch, "known_secrets", lambda: [FAKE_SECRET])
    watch = secret_watch.SecretWatch()
    watch.pytest_runtest_logreport(_report([("Captured log call", "INFO all fine")]))
    assert not watch.leaks
    watch.pytest_runtest_logreport(
        _report([("Captured stderr call", f"url=https://x/bot{FAKE_SECRET}/getMe")])
    )
    watch.pytest_runtest_logreport(_report([], failed=True, longrepr=f"Error {FAKE_SECRET}"))
    assert [(leak.section, leak.secret_hint) for leak in watch.leaks] == [
        ("Captured stderr call", secret_watch.hint(FAKE_SECRET)),
        ("traceback", secret_watch.hint(FAKE_SECRET)),
    ]
    assert FAKE_SECRET not in secret_watch.hint(FAKE_SECRET)
    session = SimpleNamespace(exitstatus=pytest.ExitCode.OK)
    watch.pytest_sessionfinish(session)  # type: ignore[arg-type]
    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
