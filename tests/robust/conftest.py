"""Fixtures of the robustness tests: the Telegram ones are shared with tests/tg."""

from tests.tg.conftest import (  # noqa: F401 - fixtures re-exported
    api,
    service,
    tg_assistant,
    tg_settings,
)
