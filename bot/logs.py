"""Logging set-up: key=value text lines or JSON lines, secrets redacted, noisy libraries quietened.

LOG_FORMAT=text (default) prints ``<time> level=… logger=… message key=value…``;
LOG_FORMAT=json prints one JSON object per line: ts, level, logger, msg, the ``extra=`` fields,
and exc (the traceback as a string). The redaction filter covers both, extra fields included.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import TYPE_CHECKING, Any

from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.config import Settings

_TOKEN_PATTERNS = [
    re.compile(r"bot\d{6,12}:[A-Za-z0-9_-]{30,}"),  # Telegram bot token inside URLs
    re.compile(r"\d{6,12}:[A-Za-z0-9_-]{30,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
]
LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"
# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRS = frozenset(
    logging.LogRecord("", logging.INFO, "", 0, "", (), None).__dict__
) | {"message", "asctime", "taskName", "color_message"}  # uvicorn adds color_message
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_.:/@+*-]+$")


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a caller passed with ``extra=`` (in the order given)."""
    return {k: v for k, v in record.__dict__.items() if k not in _RECORD_ATTRS}


# A configured secret shorter than this is masked only where it stands alone (not inside a
# longer word): masking every "ab" inside ordinary words would make logs unreadable.
WHOLE_WORD_BELOW = 6


class RedactingFilter(logging.Filter):
    """Replace anything that looks like a secret, and any configured secret, with ***."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        self.secrets = [s for s in (secrets or []) if s]

    def redact(self, text: str) -> str:
        """The text with secrets masked (configured secrets of any length)."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            if len(secret) >= WHOLE_WORD_BELOW:
                text = text.replace(secret, "***")
            elif secret in text:
                text = re.sub(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", "***", text)
        for pattern in _TOKEN_PATTERNS:
            text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
        return text

    def redact_value(self, value: Any) -> Any:
        """``value`` with secrets masked in every string inside it (other types as they are)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, bool | int | float) or value is None:
            return value
        if isinstance(value, dict):
            return {self.redact(str(k)): self.redact_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.redact_value(v) for v in value]
        # Anything else is logged through its text, so that text is what gets redacted.
        return self.redact(str(value))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and record.exc_text is None and record.exc_info[1] is not None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for key, value in extra_fields(record).items():
            setattr(record, key, self.redact_value(value))
        return True


def _text_value(value: Any) -> str:
    """A value for a key=value pair: bare when unambiguous, else JSON-quoted."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if _SAFE_KEY.match(text) else json.dumps(text, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The key=value line; ``extra=`` fields are appended as key=value pairs."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = extra_fields(record)
        if not fields:
            return line
        return line + " " + " ".join(f"{k}={_text_value(v)}" for k, v in fields.items())


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts (ISO-8601 UTC), level, logger, msg, extra fields, exc."""

    def __init__(self, redactor: RedactingFilter | None = None) -> None:
        super().__init__()
        # Applied again here so a record that skipped the handler's filter is still safe.
        self.redactor = redactor or RedactingFilter()

    def format(self, record: logging.LogRecord) -> str:
        redact = self.redactor.redact
        ts = dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
        entry: dict[str, Any] = {
            "ts": ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        for key, value in extra_fields(record).items():
            if key not in entry:
                entry[key] = self.redactor.redact_value(value)
        if record.exc_info and not record.exc_text and record.exc_info[1] is not None:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_format(raw: str) -> str:
    """The LOG_FORMAT to use ("text" or "json"); ConfigError naming the variable otherwise."""
    chosen = raw.strip().lower() or "text"
    if chosen not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be 'text' or 'json', not {raw!r}")
    return chosen


def make_handler(
    fmt: str = "text", secrets: list[str] | None = None, stream: Any = None
) -> logging.Handler:
    """A stream handler (stderr by default) in ``fmt`` with the redaction filter installed."""
    redactor = RedactingFilter(secrets)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(redactor) if fmt == "json" else TextFormatter())
    handler.addFilter(redactor)
    return handler


# Libraries that log whole payloads below INFO: python-telegram-bot logs every Bot API call
# with its parameters and return value at DEBUG (founders' messages and names, hand-off
# contacts). LOG_LEVEL=DEBUG is for our own code; these stay at INFO whatever it says.
PAYLOAD_LOGGERS = ("telegram",)


def cap_payload_loggers() -> None:
    """Keep the payload-logging libraries at INFO or above, whatever LOG_LEVEL is."""
    for name in PAYLOAD_LOGGERS:
        library = logging.getLogger(name)
        if library.getEffectiveLevel() < logging.INFO:
            library.setLevel(logging.INFO)


def setup_logging(
    settings: Settings | None = None,
    *,
    quiet: bool = False,
    secrets: list[str] | None = None,
    fmt: str | None = None,
    stream: Any = None,
) -> None:
    """Configure the root logger; ``quiet`` keeps CLI output to warnings.

    LOG_FORMAT and LOG_LEVEL come from ``settings`` (read by bot/config.py, like every other
    setting); before settings are read (``None``) the logs are text at the default level.
    ``fmt`` overrides the format (an invalid one falls back to text, with a warning);
    ``stream`` defaults to stderr.
    """
    level = (settings.log_level if settings else "") or ("WARNING" if quiet else "INFO")
    problem = None
    try:
        chosen = log_format(fmt if fmt is not None else settings.log_format if settings else "")
    except ConfigError as exc:
        # A typo must not cost the logs.
        chosen, problem = "text", exc
    handler = make_handler(chosen, secrets, stream)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if problem is not None:
        logging.getLogger(__name__).warning("%s; using text", problem)
    # httpx logs full request URLs at INFO, and the Telegram token is part of those URLs.
    for name in ("httpx", "httpcore", "chromadb", "sentence_transformers", "transformers",
                 "urllib3", "telegram.ext.Updater", "apscheduler", "bm25s"):  # fmt: skip
        logging.getLogger(name).setLevel(logging.WARNING)
    cap_payload_loggers()
