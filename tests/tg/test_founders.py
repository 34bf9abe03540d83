"""Founders through the front door: real updates over HTTP, the real assistant answering."""

from __future__ import annotations

import asyncio
import logging

from bot.tg.app import TelegramService
from bot.tg.chats import ChatStore
from bot.tg.format import format_answer
from bot.tg.i18n import t
from tests.tg.conftest import (
    as_received,
    has_button,
    question_id_of,
    say,
    tg_settings_for,
    wait_sent,
)
from tests.tg.fake_bot_api import callback_update, message_update, user_json

AREA_KO = "서울창업허브 호치민의 면적은 얼마인가요?"
AREA_EN = "How big is Seoul Startup Hub Ho Chi Minh?"


async def test_korean_question_is_answered_in_html_with_sources(api, service, assistant, state):
    say(api, 501, user_json(501, "ko"), AREA_KO)
    [call] = await wait_sent(api, 501, has_button("fb:"))

    expected = await asyncio.to_thread(assistant.answer, AREA_KO)
    assert expected.answered and expected.language == "ko" and expected.sources
    assert call.params["parse_mode"] == "HTML"
    # Exactly the formatted answer (escaping is unit-tested on format_answer), and it parses
    # as Telegram HTML (the fake refuses bare < > & and unknown tags with a 400).
    assert call.text == format_answer(expected, "ko")[0]
    shown = call.rendered
    assert " ".join(expected.answer.split()) in " ".join(shown.split())
    assert t("sources", "ko") in shown
    for source in expected.sources:
        assert source.title in shown and source.section in shown
        assert f"{t('verified', 'ko')} {source.last_verified}" in shown
    # "typing…" was shown before the answer.
    actions = api.calls("sendChatAction", chat_id=501)
    assert actions and actions[0].params["action"] == "typing"
    assert api.calls(chat_id=501).index(actions[0]) < api.calls(chat_id=501).index(call)
    # Buttons: 👍 / 👎 and the localised hand-off label, all carrying the logged question id.
    question_id = question_id_of(call)
    assert call.button_data() == [
        f"fb:1:{question_id}",
        f"fb:-1:{question_id}",
        f"ho:{question_id}",
    ]
    assert call.buttons[2]["text"] == t("ask_staff", "ko")
    logged = state.question(question_id, "tg:501")
    assert logged is not None and logged["question"] == AREA_KO and logged["language"] == "ko"
    assert state.question(question_id, "tg:502") is None  # scoped to its own chat


async def test_start_greets_in_korean_and_lang_overrides_it(api, service, state):
    korean = user_json(502, "ko")
    say(api, 502, korean, "/start")
    [greeting] = await wait_sent(api, 502)
    assert greeting.text == t("greeting", "ko", name=korean["first_name"])
    assert "서울창업허브 호치민" in greeting.rendered and "프로그램 문서" in greeting.rendered

    say(api, 502, korean, "/lang en")
    await wait_sent(api, 502, lambda c: c.rendered == t("language_set", "en"))
    assert ChatStore(state.engine).language(502) == "en"  # stored in the state DB
    say(api, 502, korean, "/help")
    await wait_sent(api, 502, lambda c: c.text == t("greeting", "en", name=korean["first_name"]))

    say(api, 502, korean, "/lang xx")
    await wait_sent(api, 502, lambda c: c.rendered == t("language_usage", "en"))


async def test_thumbs_are_stored_and_thumbs_down_asks_what_was_wrong(api, service, state):
    founder = user_json(503, "en")
    say(api, 503, founder, AREA_EN)
    [first] = await wait_sent(api, 503, has_button("fb:"))
    first_id = question_id_of(first)

    api.enqueue(callback_update(503, founder, f"fb:1:{first_id}", as_received(first)))
    await api.wait_for(lambda: api.calls("editMessageReplyMarkup", chat_id=503), what="edit")
    assert [row["rating"] for row in state.feedback_for(first_id)] == [1]
    # The vote buttons are gone; the hand-off button stays.
    [edit] = api.calls("editMessageReplyMarkup", chat_id=503)
    assert edit.button_data() == [f"ho:{first_id}"]
    assert edit.buttons[0]["text"] == t("ask_staff", "en")

    say(api, 503, founder, "When did Seoul Startup Hub Ho Chi Minh open?")
    await wait_sent(api, 503, has_button("fb:"), count=2)
    second = [c for c in api.sent(503) if has_button("fb:")(c)][-1]
    second_id = question_id_of(second)
    api.enqueue(callback_update(503, founder, f"fb:-1:{second_id}", as_received(second)))
    [prompt] = await wait_sent(api, 503, lambda c: c.rendered == t("what_was_wrong", "en"))
    assert prompt.params["reply_markup"].get("force_reply") is True
    assert [row["rating"] for row in state.feedback_for(second_id)] == [-1]

    say(api, 503, founder, "The opening date is missing the year.", reply_to=as_received(prompt))
    await wait_sent(api, 503, lambda c: c.rendered == t("comment_saved", "en"))
    [row] = state.feedback_for(second_id)
    assert row["comment"] == "The opening date is missing the year."
    # The comment was not treated as a question.
    assert len([c for c in api.sent(503) if has_button("fb:")(c)]) == 2


async def test_feedback_on_another_chats_answer_is_refused(api, service, state):
    say(api, 504, user_json(504, "en"), AREA_EN)
    [answer] = await wait_sent(api, 504, has_button("fb:"))
    question_id = question_id_of(answer)
    # A forged press in another chat carrying this chat's question id.
    intruder = user_json(505, "en")
    elsewhere = {**as_received(answer), "chat": {"id": 505, "type": "private", "first_name": "x"}}
    api.enqueue(callback_update(505, intruder, f"fb:-1:{question_id}", elsewhere))
    await api.wait_for(lambda: api.calls("answerCallbackQuery"), what="callback answer")
    [reply] = api.calls("answerCallbackQuery")
    assert reply.params["text"] == t("feedback_unknown", "en")
    assert state.feedback_for(question_id) == []


async def test_in_groups_answers_only_when_mentioned_or_replied_to(api, service):
    group = -200
    api.add_chat(group, "group", "Founders group")
    member = user_json(506, "ko")
    say(api, group, member, AREA_KO)  # not addressed to the bot
    asked = say(api, group, member, f"@hub_test_bot {AREA_KO}")
    [answer] = await wait_sent(api, group, has_button("fb:"))
    assert answer.params["reply_parameters"]["message_id"] == asked["message_id"]
    assert "@hub_test_bot" not in answer.rendered

    followup = say(api, group, member, "언제 문을 열었나요?", reply_to=as_received(answer))
    await wait_sent(api, group, count=2)
    replies = [c.params["reply_parameters"]["message_id"] for c in api.sent(group)]
    # Two answers, to the mention and to the reply; the unaddressed message got none.
    assert replies == [asked["message_id"], followup["message_id"]]


async def test_rate_limit_answers_politely_after_n_questions(
    api, indexed_settings, tmp_path, assistant, state
):
    settings = tg_settings_for(indexed_settings, tmp_path, api, user_rate_per_minute=3)
    running = TelegramService(settings, assistant, state)
    await running.start()
    try:
        founder = user_json(507, "ko")
        for _ in range(4):
            say(api, 507, founder, AREA_KO)
        sent = await wait_sent(api, 507, count=4)
    finally:
        await running.stop()
    answers = [c for c in sent if has_button("fb:")(c)]
    limited = [c for c in sent if c.rendered == t("rate_limited", "ko")]
    assert len(answers) == 3 and len(limited) == 1


async def test_error_handler_replies_politely_in_the_users_language(
    api, service, assistant, caplog, monkeypatch
):
    def broken(question: str, language: str | None = None, **_: object):
        raise RuntimeError("index exploded")

    monkeypatch.setattr(assistant, "answer", broken)
    caplog.set_level(logging.ERROR, logger="bot.tg.app")
    say(api, 508, user_json(508, "vi"), "Hub ở đâu?")
    [reply] = await wait_sent(api, 508)
    assert reply.rendered == t("error", "vi")
    assert "index exploded" not in reply.rendered
    failures = [r for r in caplog.records if "telegram update failed" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info[0] is RuntimeError


async def test_non_text_messages_get_a_hint(api, service):
    update = message_update(api, 509, user_json(509, "ja"))
    update["message"]["sticker"] = {
        "file_id": "S1", "file_unique_id": "US1", "type": "regular", "width": 512,
        "height": 512, "is_animated": False, "is_video": False,
    }  # fmt: skip
    api.enqueue(update)
    [reply] = await wait_sent(api, 509)
    assert reply.rendered == t("text_only", "ja")
