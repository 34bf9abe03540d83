"""Fixtures of the operations tests: the Telegram ones are shared with tests/tg."""

from __future__ import annotations

from tests.tg.conftest import api, tg_settings  # noqa: F401 - fixtures, used by name
