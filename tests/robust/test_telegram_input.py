"""Odd Telegram messages (empty, 4,096 chars, control characters, emoji only, NUL): polite replies.

The bot runs against the local fake Bot API with the real assistant; the error handler must
never fire and no reply may show a traceback.
"""

from __future__ import annotations

import logging

import pytest

from bot.tg.i18n import TEXTS
from tests.tg.conftest import say, wait_sent
from tests.tg.fake_bot_api import user_json

ODD_MESSAGES = {
    "empty": "",
    "max-length": ("서울창업허브 호치민의 면적은 얼마인가요? " * 200)[:4096],
    "control-chars": "\x01\x02\x1b[31m visa \x07\x7f?\x1f",
    "emoji-only": "😀🎉🇻🇳🙏🏽👩‍💻",
    "nul": "\x00",
    "nul-inside": "How big is\x00 the hub?",
    "html-like": "<b>unclosed &amp; </i> <script>alert(1)</script> & < >",
    "invisible": "\u202e\u200b\u2066\ufeff",
}
ERROR_TEXTS = set(TEXTS["error"].values())


@pytest.mark.parametrize("kind", list(ODD_MESSAGES))
async def test_odd_message_gets_a_polite_reply(api, service, caplog, kind: str) -> None:
    caplog.set_level(logging.ERROR, logger="bot.tg")
    chat = 7000 + list(ODD_MESSAGES).index(kind)
    say(api, chat, user_json(chat, "ko"), ODD_MESSAGES[kind])
    replies = await wait_sent(api, chat, timeout=60)
    # The bot's typing indicator and the reply both belong to this one update: once a reply is
    # there, any error of that update has been handled (reported before or instead of it).
    for reply in replies:
        shown = reply.rendered
        assert shown.strip(), "an empty reply"
        assert shown not in ERROR_TEXTS, f"the error handler answered {kind!r}"
        assert "Traceback" not in shown and "Exception" not in shown and "Error:" not in shown
        # An answer (feedback buttons), a decline offering the staff, or "text only, please".
        buttons = reply.button_data()
        assert (
            any(b.startswith(("fb:", "ho:")) for b in buttons) or shown == TEXTS["text_only"]["ko"]
        ), (kind, shown[:200], buttons)
    failures = [r for r in caplog.records if "telegram update failed" in r.getMessage()]
    assert not failures, [r.getMessage() for r in failures]


async def test_a_message_without_words_is_declined_in_the_users_language(api, service) -> None:
    """Emoji alone say nothing about the language: the Korean user's own language is used."""
    from bot.rag.answer import DECLINE

    say(api, 7100, user_json(7100, "ko"), ODD_MESSAGES["emoji-only"])
    replies = await wait_sent(api, 7100, timeout=60)
    assert DECLINE["ko"] in replies[0].rendered
