"""A burst of founders at once, with Telegram answering some sends with 429 retry-after."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.tg.conftest import say
from tests.tg.fake_bot_api import user_json

QUESTIONS = [
    "How big is Seoul Startup Hub Ho Chi Minh?",
    "When did Seoul Startup Hub Ho Chi Minh open?",
    "서울창업허브 호치민의 면적은 얼마인가요?",
    "What is the capital of France?",  # declined: still one message with the hand-off button
]
FOUNDERS = range(20_000, 20_100)

# PTB's own RetryAfter.__init__ reads its deprecated int-valued retry_after (PTB 22.2+).
pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)


async def test_burst_of_100_founders_all_answered_despite_429s(api, service):
    api.fail_next("sendMessage", 3, retry_after=1)
    api.fail_next("sendChatAction", 2, retry_after=1)
    for number, chat_id in enumerate(FOUNDERS):
        say(api, chat_id, user_json(chat_id, "en"), QUESTIONS[number % len(QUESTIONS)])

    def answered_chats() -> set[int | None]:
        return {c.chat_id for c in api.sent() if any(d.startswith("ho:") for d in c.button_data())}

    await api.wait_for(lambda: answered_chats() >= set(FOUNDERS), timeout=150, what="100 answers")

    rejected = [c for c in api.calls("sendMessage") if c.status == 429]
    assert len(rejected) == 3  # the injected ones, each retried after its retry_after
    per_chat = Counter(c.chat_id for c in api.sent() if c.chat_id in FOUNDERS)
    assert set(per_chat) == set(FOUNDERS) and set(per_chat.values()) == {1}
