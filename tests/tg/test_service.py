"""Running the service: webhook mode with its secret, configuration errors, no token in logs."""

from __future__ import annotations

import logging

import httpx
import pytest
from pydantic import SecretStr

from bot.errors import ConfigError
from bot.tg.app import TelegramService, file_url_for
from bot.tg.i18n import t
from bot.web.app import create_app
from tests.tg.conftest import TOKEN, say, tg_settings_for, wait_sent
from tests.tg.fake_bot_api import message_update, user_json

SECRET = "webhook-secret-for-tests-42"


async def test_webhook_mode_through_the_web_route(
    api, indexed_settings, tmp_path, assistant, state
):
    settings = tg_settings_for(
        indexed_settings, tmp_path, api,
        telegram_webhook_url="https://bot.example.org/telegram/webhook",
        telegram_webhook_secret=SecretStr(SECRET),
    )  # fmt: skip
    service = TelegramService(settings, assistant, state)
    web = create_app(settings, assistant, state, webhooks=[service.web_hook()])
    await service.start()
    try:
        [hook] = api.calls("setWebhook")
        assert hook.params["url"] == "https://bot.example.org/telegram/webhook"
        assert hook.params["secret_token"] == SECRET
        assert api.calls("getUpdates") == []  # no polling in webhook mode

        update = {"update_id": 1, **message_update(api, 801, user_json(801, "ko"), "/start")}
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                response = await client.post("/telegram/webhook", json=update, headers=headers)
                assert response.status_code == 403
            assert api.sent(801) == []
            good = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            response = await client.post("/telegram/webhook", json=update, headers=good)
            assert response.status_code == 200
        [greeting] = await wait_sent(api, 801)
        assert greeting.text.startswith(t("greeting", "ko", name="User801"))

        for malformed in ({"message": {}}, ["not", "an", "update"], {"update_id": "1"}):
            with pytest.raises((TypeError, ValueError)):
                await service.process_webhook_update(malformed)  # type: ignore[arg-type]
    finally:
        await service.stop()


def test_configuration_errors_name_the_variable(indexed_settings, tmp_path, api, assistant, state):
    half = tg_settings_for(
        indexed_settings, tmp_path, api, telegram_webhook_url="https://bot.example.org/hook"
    )
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        TelegramService(half, assistant, state)
    no_token = tg_settings_for(indexed_settings, tmp_path, api, telegram_bot_token=None)
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        TelegramService(no_token, assistant, state)
    no_staff = tg_settings_for(indexed_settings, tmp_path, api, staff_chat_id=None)
    assert TelegramService(no_staff, assistant, state).notifier is None
    assert file_url_for("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url_for("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"


async def test_the_token_never_reaches_the_logs(
    api, indexed_settings, tmp_path, assistant, state, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)  # everything, including python-telegram-bot's debug
    settings = tg_settings_for(indexed_settings, tmp_path, api)
    service = TelegramService(settings, assistant, state)
    await service.start()
    try:
        say(api, 802, user_json(802, "en"), "/start")
        say(api, 803, user_json(803, "en"), "How big is Seoul Startup Hub Ho Chi Minh?")
        await wait_sent(api, 802)
        await wait_sent(api, 803)

        def broken(question: str, language: str | None = None, **_: object):
            raise RuntimeError(f"failed calling {api.base_url}{TOKEN}/sendMessage")

        monkeypatch.setattr(assistant, "answer", broken)
        say(api, 804, user_json(804, "en"), "Where is the hub?")
        await wait_sent(api, 804)
    finally:
        await service.stop()

    # PTB's DEBUG lines (the Bot API URL, which contains the token; whole updates) are not
    # written even at DEBUG; the error carried the token and reached the logs redacted.
    messages = [record.getMessage() for record in caplog.records]
    assert not any(m.startswith("Set Bot API URL") for m in messages)
    assert any(r.levelname == "DEBUG" for r in caplog.records)  # DEBUG was on for our code
    assert any("telegram update failed" in m for m in messages)
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text
    assert all(TOKEN not in m for m in messages)
