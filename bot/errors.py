"""The project's exception tree.

    AssistantError                 base: everything the project raises on purpose
    ├── ConfigError                a setting is missing or invalid (names the variable)
    ├── IngestError                one file could not be indexed; ``reason`` is shown to staff
    ├── IngestCancelled            ingestion stopped between batches (the service is stopping)
    ├── StoreUnavailable           the vector store cannot be reached (server down, locked dir)
    └── DataDirLocked              another service process already owns the data directory

Channels translate these at their boundary: the CLI prints the message and exits non-zero,
the HTTP API answers with a status and a safe ``detail``, Telegram replies politely.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class of every error raised on purpose by the assistant."""


class ConfigError(AssistantError):
    """A setting is missing or has an invalid value."""


class IngestError(AssistantError):
    """A file could not be indexed; ``reason`` is a short human explanation."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IngestCancelled(AssistantError):
    """Ingestion was asked to stop (SIGTERM); what it wrote is complete or rolled back."""


class StoreUnavailable(AssistantError):
    """The vector store cannot be reached right now."""


class DataDirLocked(AssistantError):
    """Another service process owns the data directory."""
