"""Structured logs: JSON lines that parse, the key=value text format, secrets redacted in both."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.cli import load_settings
from bot.errors import ConfigError
from bot.logs import JsonFormatter, TextFormatter, make_handler, setup_logging
from bot.web.app import create_app
from tests.web.helpers import make_settings, web_settings

SECRET = "s3cr3t-config-value-for-logs"
# Shaped like a Telegram token: caught by pattern even though it is not configured.
TOKEN_LIKE = "7654321:AAFlogTESTtokenNEVERshownXYZ_0123456789"
AREA_KO = "서울창업허브 호치민의 면적은 얼마인가요?"


@pytest.fixture()
def capture() -> Iterator[tuple[logging.Logger, io.StringIO, io.StringIO]]:
    """A private logger writing the same records as JSON and as text."""
    logger = logging.getLogger("tests.ops.capture")
    json_out, text_out = io.StringIO(), io.StringIO()
    handlers = [make_handler("json", [SECRET], json_out), make_handler("text", [SECRET], text_out)]
    logger.handlers[:] = handlers
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, json_out, text_out
    logger.handlers[:] = []


def lines(stream: io.StringIO) -> list[str]:
    return [line for line in stream.getvalue().splitlines() if line]


def test_json_lines_parse_with_fields_and_extras(capture) -> None:
    logger, json_out, _ = capture

    logger.info("ingest finished", extra={"trigger": "admin_api", "added": 2, "seconds": 1.5})
    logger.warning("plain %s message", "formatted")

    first, second = (json.loads(line) for line in lines(json_out))
    assert first["msg"] == "ingest finished" and first["level"] == "INFO"
    assert first["logger"] == "tests.ops.capture"
    assert (first["trigger"], first["added"], first["seconds"]) == ("admin_api", 2, 1.5)
    ts = dt.datetime.fromisoformat(first["ts"])
    assert ts.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - ts).total_seconds()) < 3600
    assert second["msg"] == "plain formatted message" and second["level"] == "WARNING"
    assert "exc" not in second and "trigger" not in second


def test_secrets_are_redacted_in_message_extra_and_exception(capture) -> None:
    logger, json_out, text_out = capture

    logger.info("calling https://api.example/bot%s/getMe", TOKEN_LIKE)
    logger.info("configured", extra={"token": SECRET, "nested": {"auth": f"Bearer {SECRET}"}})
    try:
        raise RuntimeError(f"connection refused for {SECRET}")
    except RuntimeError:
        logger.exception("request failed")

    raw_json, raw_text = json_out.getvalue(), text_out.getvalue()
    for raw in (raw_json, raw_text):
        assert SECRET not in raw and TOKEN_LIKE not in raw
        assert "AAFlogTESTtoken" not in raw
    url, configured, failed = (json.loads(line) for line in lines(json_out))
    assert url["msg"] == "calling https://api.example/***/getMe"
    assert configured["token"] == "***"
    assert configured["nested"] == {"auth": "Bearer ***"}
    assert failed["msg"] == "request failed"
    assert failed["exc"].startswith("Traceback") and "RuntimeError: connection refused for ***" in (
        failed["exc"]
    )
    assert "token=***" in raw_text


def test_short_configured_secrets_are_redacted_too() -> None:
    # A 3-character LLM key, a 5-character webhook secret: configured, so never logged.
    out = io.StringIO()
    logger = logging.getLogger("tests.ops.short_secrets")
    logger.handlers[:] = [make_handler("json", ["k3y", "wh5ec"], out)]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        logger.info("llm call key=k3y secret wh5ec", extra={"auth": "Bearer k3y", "key": "k3y"})
        logger.info("monkey k3ys and x-wh5ec-y stay readable")
    finally:
        logger.handlers[:] = []

    first, second = (json.loads(line) for line in lines(out))
    assert first["msg"] == "llm call key=*** secret ***"
    assert first["key"] == "***" and first["auth"] == "Bearer ***"
    # Inside longer words a short secret is text, not the secret: left as it is.
    assert second["msg"] == "monkey k3ys and x-wh5ec-y stay readable"


def test_text_format_is_unchanged_and_appends_extras_as_key_value() -> None:
    record = logging.LogRecord("bot.web.app", logging.INFO, __file__, 1, "served %d", (3,), None)
    before = logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s")

    assert TextFormatter().format(record) == before.format(record)
    assert TextFormatter().format(record).endswith(" level=INFO logger=bot.web.app served 3")

    with_extra = logging.LogRecord("bot", logging.INFO, __file__, 1, "question answered", (), None)
    with_extra.__dict__.update({"channel": "web", "confidence": 0.72, "note": "two words"})
    text = TextFormatter().format(with_extra)
    assert text.endswith('question answered channel=web confidence=0.72 note="two words"')


def test_setup_logging_follows_log_format_and_level_of_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    try:
        monkeypatch.setenv("LOG_FORMAT", "JSON")
        monkeypatch.setenv("LOG_LEVEL", "debug")
        setup_logging(make_settings(tmp_path))
        assert isinstance(root.handlers[0].formatter, JsonFormatter)
        assert root.level == logging.DEBUG
        monkeypatch.setenv("LOG_FORMAT", "text")
        monkeypatch.delenv("LOG_LEVEL")
        setup_logging(make_settings(tmp_path), quiet=True)
        assert isinstance(root.handlers[0].formatter, TextFormatter)
        assert root.level == logging.WARNING
        # Before settings are read, nothing is taken from the environment behind their back.
        monkeypatch.setenv("LOG_FORMAT", "json")
        setup_logging()
        assert isinstance(root.handlers[0].formatter, TextFormatter)
        assert root.level == logging.INFO
        setup_logging(fmt="yaml")  # a typo keeps the logs, as text
        assert isinstance(root.handlers[0].formatter, TextFormatter)
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


@pytest.mark.parametrize("name, value", [("LOG_FORMAT", "yaml"), ("LOG_LEVEL", "loud")])
def test_a_bad_log_setting_is_a_config_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_settings(str(tmp_path))


def test_answered_question_is_logged_with_fields_but_no_founder_text(assistant, state) -> None:
    out = io.StringIO()
    handler = make_handler("json", stream=out)
    bot_logger = logging.getLogger("bot")
    saved_level = bot_logger.level
    bot_logger.addHandler(handler)
    bot_logger.setLevel(logging.INFO)
    try:
        with TestClient(create_app(web_settings(assistant.settings), assistant, state)) as client:
            body = client.post("/api/ask", json={"question": AREA_KO}).json()
    finally:
        bot_logger.removeHandler(handler)
        bot_logger.setLevel(saved_level)

    entries = [json.loads(line) for line in lines(out)]
    [event] = [e for e in entries if e["msg"] == "question answered"]
    assert body["answered"] is True
    assert event["channel"] == "web" and event["language"] == "ko"
    assert event["outcome"] == "answered" and event["sources"] == len(body["sources"])
    assert isinstance(event["duration_ms"], int) and event["duration_ms"] >= 0
    assert 0.0 <= event["confidence"] <= 1.0
    assert AREA_KO not in out.getvalue() and body["answer"] not in out.getvalue()
