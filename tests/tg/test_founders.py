"""Founders through the front door: real updates over HTTP, the real assistant answering."""

from __future__ import annotations

import asyncio
import logging

from bot.tg.app import TelegramService
from bot.tg.chats import ChatStore
from bot.tg.expand import AnswerViews
from bot.tg.format import answer_view, render_answer
from bot.tg.handlers import founders
from bot.tg.i18n import t
from tests.tg.conftest import (
    as_received,
    expand_data_of,
    has_button,
    plain,
    question_id_of,
    say,
    tg_settings_for,
    wait_sent,
)
from tests.tg.fake_bot_api import callback_update, message_update, user_json

AREA_KO = "서울창업허브 호치민의 면적은 얼마인가요?"
AREA_EN = "How big is Seoul Startup Hub Ho Chi Minh?"
# Two questions, the second about a deadline no document gives: answered, but unsure.
UNSURE_EN = "Do you run an accelerator program? When is the next application deadline?"


async def test_korean_question_is_answered_lead_first_with_its_buttons(
    api, service, assistant, state
):
    say(api, 501, user_json(501, "ko"), AREA_KO)
    [call] = await wait_sent(api, 501, has_button("fb:"))

    expected = await asyncio.to_thread(assistant.answer, AREA_KO)
    assert expected.answered and expected.language == "ko" and expected.sources
    assert expected.details  # there is something behind "More"
    assert call.params["parse_mode"] == "HTML"
    # Exactly the collapsed answer (escaping is unit-tested on render_answer), and it parses
    # as Telegram HTML (the fake refuses bare < > & and unknown tags with a 400).
    assert call.text == render_answer(answer_view(expected, "ko"))
    shown = call.rendered
    assert shown.startswith(expected.lead)
    assert plain(expected.details) not in plain(shown)  # behind "More", not a wall of text
    for source in expected.sources:  # one compact line names the documents…
        assert source.title in shown
    assert t("verified", "ko") not in shown  # …the full list waits behind "Sources"
    # "typing…" was shown before the answer.
    actions = api.calls("sendChatAction", chat_id=501)
    assert actions and actions[0].params["action"] == "typing"
    assert api.calls(chat_id=501).index(actions[0]) < api.calls(chat_id=501).index(call)
    # More, Sources, 👍 / 👎 and the localised hand-off, all carrying the logged question id.
    question_id = question_id_of(call)
    assert call.button_data() == [
        f"x:{question_id}:1",
        f"x:{question_id}:2",
        f"fb:1:{question_id}",
        f"fb:-1:{question_id}",
        f"ho:{question_id}",
    ]
    assert [b["text"] for b in call.buttons] == [
        f"{t('more', 'ko')} ▾",
        t("sources_button", "ko", n=str(len(expected.sources))),
        "👍",
        "👎",
        t("ask_staff", "ko"),
    ]
    logged = state.question(question_id, "tg:501")
    assert logged is not None and logged["question"] == AREA_KO and logged["language"] == "ko"
    assert state.question(question_id, "tg:502") is None  # scoped to its own chat


async def test_more_and_sources_expand_the_same_message_and_keep_the_handoff(
    api, service, assistant, state
):
    founder = user_json(510, "en")
    say(api, 510, founder, AREA_EN)
    [answer] = await wait_sent(api, 510, has_button("fb:"))
    question_id, message_id = question_id_of(answer), answer.result["message_id"]
    expected = await asyncio.to_thread(assistant.answer, AREA_EN)
    details = plain(expected.details)
    assert details and details not in plain(answer.rendered)

    def edits() -> list:
        return api.calls("editMessageText", chat_id=510, ok=True)

    # More: the same message now holds the details; its button turns into "Less".
    api.enqueue(callback_update(510, founder, f"x:{question_id}:1", as_received(answer)))
    await api.wait_for(lambda: len(edits()) == 1, what="the answer expanded")
    [more] = edits()
    assert more.params["message_id"] == message_id
    assert more.rendered.startswith(expected.lead) and details in plain(more.rendered)
    assert more.button_data() == [
        f"x:{question_id}:0",
        f"x:{question_id}:3",
        f"fb:1:{question_id}",
        f"fb:-1:{question_id}",
        f"ho:{question_id}",
    ]
    assert more.buttons[0]["text"] == f"{t('less', 'en')} ▴"
    assert more.buttons[-1]["text"] == t("ask_staff", "en")

    # A vote takes the 👍/👎 away and leaves the rest.
    api.enqueue(callback_update(510, founder, f"fb:1:{question_id}", more.result))
    await api.wait_for(lambda: api.calls("editMessageReplyMarkup", chat_id=510), what="vote")
    [voted] = api.calls("editMessageReplyMarkup", chat_id=510)
    assert voted.button_data() == [f"x:{question_id}:0", f"x:{question_id}:3", f"ho:{question_id}"]

    # Sources: title, section and verified date of each, under the details; the votes stay gone.
    api.enqueue(callback_update(510, founder, f"x:{question_id}:3", voted.result))
    await api.wait_for(lambda: len(edits()) == 2, what="the sources listed")
    listed = edits()[1]
    assert listed.params["message_id"] == message_id
    assert details in plain(listed.rendered)
    for source in expected.sources:
        assert source.title in listed.rendered and source.section in listed.rendered
        assert f"({t('verified', 'en')} {source.last_verified})" in listed.rendered
    assert listed.button_data() == [f"x:{question_id}:2", f"x:{question_id}:1", f"ho:{question_id}"]
    assert [b["text"] for b in listed.buttons] == [
        f"{t('less', 'en')} ▴",
        t("sources_hide", "en"),
        t("ask_staff", "en"),
    ]

    # Less: the details fold away again, the source list stays.
    api.enqueue(callback_update(510, founder, f"x:{question_id}:2", listed.result))
    await api.wait_for(lambda: len(edits()) == 3, what="the details folded")
    folded = edits()[2]
    assert folded.params["message_id"] == message_id
    assert details not in plain(folded.rendered) and expected.sources[0].section in folded.rendered
    assert folded.button_data() == [f"x:{question_id}:3", f"x:{question_id}:0", f"ho:{question_id}"]
    # Every press was answered (the spinner stops), and not one new message was sent.
    await api.wait_for(lambda: len(api.calls("answerCallbackQuery", ok=True)) == 4, what="acks")
    assert len(api.sent(510)) == 1


async def test_an_expired_answer_is_told_politely_never_an_error(
    api, indexed_settings, tmp_path, assistant, state
):
    settings = tg_settings_for(indexed_settings, tmp_path, api)
    founder = user_json(511, "ko")

    def told() -> list[str]:
        """What presses were told (a plain acknowledgement says nothing)."""
        return [c.params["text"] for c in api.calls("answerCallbackQuery") if "text" in c.params]

    first = TelegramService(settings, assistant, state)
    first.application.bot_data["deps"].answers = AnswerViews(capacity=1)
    await first.start()
    try:
        say(api, 511, founder, AREA_KO)
        [old] = await wait_sent(api, 511, has_button("fb:"))
        say(api, 511, founder, AREA_KO)
        new = (await wait_sent(api, 511, has_button("fb:"), count=2))[1]
        # Only one answer fits in memory: the first one's buttons have expired.
        api.enqueue(callback_update(511, founder, expand_data_of(old)[0], as_received(old)))
        await api.wait_for(told, what="callback answer")
        assert told() == [t("answer_expired", "ko")]
        # The newer one still expands.
        api.enqueue(callback_update(511, founder, expand_data_of(new)[0], as_received(new)))
        await api.wait_for(lambda: api.calls("editMessageText", ok=True), what="the edit")
        # A press forged in another chat finds nothing of this chat's answer.
        elsewhere = {**as_received(new), "chat": {"id": 512, "type": "private", "first_name": "x"}}
        api.enqueue(callback_update(512, user_json(512, "en"), expand_data_of(new)[0], elsewhere))
        await api.wait_for(lambda: len(told()) == 2, what="the forged press answered")
        assert told()[1] == t("answer_expired", "en")
    finally:
        await first.stop()

    second = TelegramService(settings, assistant, state)  # a restart forgets every answer
    await second.start()
    try:
        api.enqueue(callback_update(511, founder, expand_data_of(new)[0], as_received(new)))
        await api.wait_for(lambda: len(told()) == 3, what="the press after a restart answered")
    finally:
        await second.stop()
    assert told()[2] == t("answer_expired", "ko")
    assert all(call.ok for call in api.calls())  # no error reached Telegram…
    assert [c.chat_id for c in api.calls("editMessageText")] == [511]  # …and one real edit
    assert not [c for c in api.sent(511) if c.rendered == t("error", "ko")]


async def test_start_greets_in_korean_and_lang_overrides_it(api, service, state):
    korean = user_json(502, "ko")
    say(api, 502, korean, "/start")
    [greeting] = await wait_sent(api, 502)
    assert greeting.text.startswith(t("greeting", "ko", name=korean["first_name"]))
    assert "서울창업허브 호치민" in greeting.rendered and "프로그램 문서" in greeting.rendered

    say(api, 502, korean, "/lang en")
    await wait_sent(api, 502, lambda c: c.rendered == t("language_set", "en"))
    assert ChatStore(state.engine).language(502) == "en"  # stored in the state DB
    say(api, 502, korean, "/help")
    english = t("greeting", "en", name=korean["first_name"])
    await wait_sent(api, 502, lambda c: c.text.startswith(english))
    # The examples follow the chosen language.
    [help_reply] = [c for c in api.sent(502) if c.text.startswith(english)]
    assert help_reply.button_data() and all(
        d.startswith("ex:en:") for d in help_reply.button_data()
    )

    say(api, 502, korean, "/lang xx")
    await wait_sent(api, 502, lambda c: c.rendered == t("language_usage", "en"))


async def test_start_offers_example_questions_that_get_answered(api, service, assistant, state):
    korean = user_json(513, "ko")
    say(api, 513, korean, "/start")
    [greeting] = await wait_sent(api, 513)
    assert greeting.text == (
        t("greeting", "ko", name=korean["first_name"]) + "\n\n" + t("examples_intro", "ko")
    )
    examples = [button["text"] for button in greeting.buttons]
    assert 2 <= len(examples) <= 3
    assert greeting.button_data() == [f"ex:ko:{i}" for i in range(len(examples))]
    # The questions are the knowledge base's own Korean headings, and each gets an answer.
    headings = assistant.example_questions("ko", founders.EXAMPLE_CANDIDATES)
    assert set(examples) <= set(headings)
    for question in examples:
        answer = await asyncio.to_thread(assistant.answer, question)
        assert answer.answered and answer.outcome != "smalltalk", question

    api.enqueue(callback_update(513, korean, "ex:ko:1", as_received(greeting)))
    [answer] = await wait_sent(api, 513, has_button("ho:"))
    expected = await asyncio.to_thread(assistant.answer, examples[1])
    assert answer.text == render_answer(answer_view(expected, "ko", asked=examples[1]))
    assert answer.rendered.startswith(f"❓ {examples[1]}\n\n{expected.lead}")
    logged = state.question(question_id_of(answer), "tg:513")
    assert logged is not None and logged["question"] == examples[1]

    api.enqueue(callback_update(513, korean, "ex:ko:7", as_received(greeting)))
    await api.wait_for(lambda: len(api.calls("answerCallbackQuery")) == 2, what="stale example")
    assert api.calls("answerCallbackQuery")[1].params["text"] == t("example_expired", "ko")


async def test_without_a_telegram_language_the_bot_speaks_korean(api, service):
    nobody = user_json(514, None)
    say(api, 514, nobody, "/start")
    [greeting] = await wait_sent(api, 514)
    assert greeting.text.startswith(t("greeting", "ko", name=nobody["first_name"]))
    assert all(data.startswith("ex:ko:") for data in greeting.button_data())


async def test_small_talk_has_nothing_to_expand(api, service, assistant):
    say(api, 515, user_json(515, "en"), "hello")
    [reply] = await wait_sent(api, 515, has_button("ho:"))
    expected = await asyncio.to_thread(assistant.answer, "hello")
    assert expected.outcome == "smalltalk" and not expected.details and not expected.sources
    assert reply.text == render_answer(answer_view(expected, "en"))
    question_id = question_id_of(reply)
    # No "More" or "Sources": only the votes and the hand-off.
    assert reply.button_data() == [
        f"fb:1:{question_id}",
        f"fb:-1:{question_id}",
        f"ho:{question_id}",
    ]


async def test_unsure_answers_offer_the_staff(api, service, assistant):
    say(api, 516, user_json(516, "en"), UNSURE_EN)
    [reply] = await wait_sent(api, 516, has_button("ho:"))
    expected = await asyncio.to_thread(assistant.answer, UNSURE_EN)
    assert expected.outcome == "unsure" and expected.answered
    offer = t("unsure_offer", "en", button=t("ask_staff", "en"))
    assert reply.rendered.endswith(offer)
    assert reply.button_data()[-1] == f"ho:{question_id_of(reply)}"
    assert reply.buttons[-1]["text"] == t("ask_staff", "en")


async def test_thumbs_are_stored_and_thumbs_down_asks_what_was_wrong(api, service, state):
    founder = user_json(503, "en")
    say(api, 503, founder, AREA_EN)
    [first] = await wait_sent(api, 503, has_button("fb:"))
    first_id = question_id_of(first)

    api.enqueue(callback_update(503, founder, f"fb:1:{first_id}", as_received(first)))
    await api.wait_for(lambda: api.calls("editMessageReplyMarkup", chat_id=503), what="edit")
    assert [row["rating"] for row in state.feedback_for(first_id)] == [1]
    # The vote buttons are gone; More / Sources and the hand-off button stay.
    [edit] = api.calls("editMessageReplyMarkup", chat_id=503)
    assert edit.button_data() == [f"x:{first_id}:1", f"x:{first_id}:2", f"ho:{first_id}"]
    assert edit.buttons[-1]["text"] == t("ask_staff", "en")

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
    api, service, tg_assistant, caplog, monkeypatch
):
    def broken(question: str, language: str | None = None, **_: object):
        raise RuntimeError("index exploded")

    monkeypatch.setattr(tg_assistant, "answer", broken)  # the assistant the bot runs on
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
