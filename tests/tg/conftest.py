"""Telegram fixtures: a real Bot API server on 127.0.0.1 and the bot running against it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.tg.app import TelegramService
from tests.conftest import KNOWLEDGE, make_settings
from tests.tg.fake_bot_api import Call, FakeBotAPI, message_update, user_json

# Shaped like a real token, so the generic redaction patterns would recognise it too.
# Fake, and deliberately not shaped like a real token (7-digit bot id) so secret scanners
# stay quiet; the redaction filter still catches it by pattern and by value.
TOKEN = "1234567:AAHtestTOKENdoNotLog_0123456789abcdefXYZ"
STAFF_CHAT = -1001234567890
STAFF_USER = 9001
STAFF = user_json(STAFF_USER, "en", first_name="Minji", username="minji_hub")


@pytest.fixture()
def api() -> Iterator[FakeBotAPI]:
    """The fake Bot API, serving on an ephemeral port for one test."""
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture()
def tg_settings(indexed_settings: Settings, tmp_path: Path, api: FakeBotAPI) -> Settings:
    """Settings for the bot: the fake API, a staff chat and user, a temp knowledge dir."""
    return tg_settings_for(indexed_settings, tmp_path, api)


def tg_settings_for(
    indexed_settings: Settings, tmp_path: Path, api: FakeBotAPI, **overrides: object
) -> Settings:
    """Settings on the private index copy and a private copy of knowledge/ (tmp_path/knowledge),
    where uploads and FAQs are written."""
    knowledge = tmp_path / "knowledge"
    if not knowledge.exists():
        shutil.copytree(KNOWLEDGE, knowledge)
    values: dict[str, Any] = {
        "telegram_bot_token": SecretStr(TOKEN),
        "telegram_base_url": api.base_url,
        "staff_chat_id": STAFF_CHAT,
        "staff_user_ids": [STAFF_USER],
        **overrides,
    }
    return make_settings(indexed_settings.data_dir, knowledge_dir=knowledge, **values)


@pytest.fixture()
def tg_assistant(tg_settings: Settings, shared_embeddings):
    """The real assistant on the index copy, its knowledge folder the private copy (so staff
    uploads, FAQs and their change log land in tmp_path, never in the repository)."""
    from bot.rag.assistant import Assistant

    return Assistant(tg_settings, embeddings=shared_embeddings)


@pytest.fixture()
async def service(tg_settings: Settings, tg_assistant, state) -> AsyncIterator[TelegramService]:
    """The bot, long-polling the fake API."""
    running = TelegramService(tg_settings, tg_assistant, state)
    await running.start()
    yield running
    await running.stop()


def say(api: FakeBotAPI, chat_id: int, user: dict[str, Any], text: str, **kw: Any) -> dict:
    """Enqueue a text message; returns the message as the bot will receive it."""
    update = message_update(api, chat_id, user, text, **kw)
    api.enqueue(update)
    return update["message"]


async def wait_sent(
    api: FakeBotAPI,
    chat_id: int,
    where: Callable[[Call], bool] = lambda call: True,
    count: int = 1,
    timeout: float = 30.0,
) -> list[Call]:
    """Wait until the bot has sent ``count`` messages to ``chat_id`` matching ``where``."""

    def matching() -> list[Call]:
        return [call for call in api.sent(chat_id) if where(call)]

    await api.wait_for(
        lambda: len(matching()) >= count, timeout, what=f"{count} message(s) to {chat_id}"
    )
    return matching()


def has_button(prefix: str) -> Callable[[Call], bool]:
    """Matches messages with an inline button whose callback data starts with ``prefix``."""
    return lambda call: any(data.startswith(prefix) for data in call.button_data())


def question_id_of(call: Call) -> int:
    """The question id carried by the buttons under an answer."""
    data = next(d for d in call.button_data() if d.startswith("ho:"))
    return int(data.split(":")[1])


def as_received(call: Call) -> dict[str, Any]:
    """A message the bot sent, as it appears inside a later update (reply_to, callback)."""
    return call.result


def expand_data_of(call: Call) -> list[str]:
    """The callback data of the More/Sources buttons under an answer, in order."""
    return [data for data in call.button_data() if data.startswith("x:")]


def plain(text: str) -> str:
    """Text with its whitespace runs made single spaces (to compare shown text)."""
    return " ".join(text.split())
