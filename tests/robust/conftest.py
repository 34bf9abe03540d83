"""Fixtures of the robustness tests: the Telegram ones are shared with tests/tg."""

from tests.tg.conftest import api, service, tg_settings  # noqa: F401 - fixtures re-exported
