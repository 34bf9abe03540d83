"""Logging set-up: key=value lines, secrets redacted, noisy libraries quietened."""

from __future__ import annotations

import logging
import os
import re

_TOKEN_PATTERNS = [
    re.compile(r"bot\d{6,12}:[A-Za-z0-9_-]{30,}"),  # Telegram bot token inside URLs
    re.compile(r"\d{6,12}:[A-Za-z0-9_-]{30,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
]


class RedactingFilter(logging.Filter):
    """Replace anything that looks like a secret, and any configured secret, with ***."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        self.secrets = [s for s in (secrets or []) if s and len(s) >= 6]

    def redact(self, text: str) -> str:
        """The text with secrets masked."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        for pattern in _TOKEN_PATTERNS:
            text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and record.exc_text is None and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        return True


def setup_logging(*, quiet: bool = False, secrets: list[str] | None = None) -> None:
    """Configure the root logger once; ``quiet`` keeps CLI output to warnings."""
    level = os.environ.get("LOG_LEVEL", "WARNING" if quiet else "INFO").upper()
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s")
    )
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs full request URLs at INFO, and the Telegram token is part of those URLs.
    for name in ("httpx", "httpcore", "chromadb", "sentence_transformers", "transformers",
                 "urllib3", "telegram.ext.Updater", "apscheduler", "bm25s"):  # fmt: skip
        logging.getLogger(name).setLevel(logging.WARNING)
