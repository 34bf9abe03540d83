"""Pytest plugin: fail the session if a test secret shows up in anything the suite captured.

Registered from tests/conftest.py (``pytest_plugins``). Every test phase's report carries what
pytest captured for it — log records ("Captured log"), stdout and stderr — and, on failure,
the traceback. Each is scanned for the bot token, admin tokens and webhook secrets the tests
configure as each phase ends; at the end of the session any hit turns the exit status into
"tests failed" and the summary names the test (never the secret).
Subprocess output the tests read themselves is out of scope. With capturing disabled (``-s``)
there is nothing to scan, which the summary says.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pytest

# (module, attribute) of every secret a test configures; read at the end, when all are imported.
SECRET_SOURCES = (
    ("tests.tg.conftest", "TOKEN"),
    ("tests.web.helpers", "ADMIN_TOKEN"),
    ("tests.web.helpers", "WEBHOOK_SECRET"),
    ("tests.web.helpers", "METRICS_TOKEN"),
    ("tests.tg.test_service", "SECRET"),
    ("tests.pg.server", "PASSWORD"),
    ("tests.chroma_server.conftest", "CHROMA_TOKEN"),
    ("tests.chroma_server.test_replicas", "WEBHOOK_SECRET"),
)
# Secrets written inline in tests (no constant to import).
INLINE_SECRETS = ("test-admin-token-0123456789",)
MIN_SECRET_LENGTH = 8


@dataclass(frozen=True)
class Leak:
    """A secret found in a captured section of one test phase."""

    nodeid: str
    when: str
    section: str
    secret_hint: str


def known_secrets() -> list[str]:
    """The test secrets, plus the private part of the bot token (after the colon)."""
    secrets = set(INLINE_SECRETS)
    for module_name, attribute in SECRET_SOURCES:
        try:
            value = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError):
            continue  # that test module is gone: nothing of it can leak
        secrets.add(str(value))
        if ":" in str(value):
            secrets.add(str(value).split(":", 1)[1])
    return sorted(s for s in secrets if len(s) >= MIN_SECRET_LENGTH)


def find_secrets(text: str, secrets: list[str]) -> list[str]:
    """The secrets that occur in ``text``."""
    return [secret for secret in secrets if secret in text]


def hint(secret: str) -> str:
    """A recognisable but harmless form of a secret for the failure message."""
    return f"{secret[:4]}…({len(secret)} chars)"


class SecretWatch:
    """Scans each test phase's captured text; the session fails at the end on any leak."""

    def __init__(self) -> None:
        self.leaks: list[Leak] = []
        self.sections_seen = 0
        self._secrets: list[str] | None = None
        self._scanned: set[tuple[str, str]] = set()

    def scan(self, nodeid: str, when: str, title: str, content: str) -> None:
        """Record a leak for each secret in ``content``."""
        if self._secrets is None:  # after collection: every test module is imported
            self._secrets = known_secrets()
        for secret in find_secrets(content, self._secrets):
            self.leaks.append(Leak(nodeid, when, title, hint(secret)))

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Scan every captured section (and a failure's traceback) of this phase."""
        for title, content in report.sections:
            # Later phases repeat the earlier phases' sections: scan each one once.
            if (report.nodeid, title) in self._scanned:
                continue
            self._scanned.add((report.nodeid, title))
            self.sections_seen += 1
            self.scan(report.nodeid, report.when, title, content)
        if report.when == "teardown":
            self._scanned = {key for key in self._scanned if key[0] != report.nodeid}
        if report.failed and report.longrepr is not None:
            self.scan(report.nodeid, report.when, "traceback", str(report.longrepr))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """A leak turns a passing session into a failing one."""
        if self.leaks and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Name each leak (never the secret itself)."""
        if self.leaks:
            terminalreporter.section("secrets in captured output", red=True)
            for leak in self.leaks:
                terminalreporter.write_line(
                    f"{leak.nodeid} [{leak.when}] {leak.section}: {leak.secret_hint}", red=True
                )
        elif self.sections_seen == 0:
            terminalreporter.write_line("secret watch: no captured output to check (or -s)")


def pytest_configure(config: pytest.Config) -> None:
    """Register the watcher once per session (not in xdist-less sub-configs twice)."""
    if not config.pluginmanager.has_plugin("secret-watch"):
        config.pluginmanager.register(SecretWatch(), "secret-watch")
