"""Telegram shows a generative answer progressively, then replaces it with the final answer,
whose Sources button expands it in place like any other answer."""

from __future__ import annotations

import asyncio

from bot.tg.app import TelegramService
from bot.tg.format import answer_view, render_answer
from bot.tg.i18n import t
from tests.tg.conftest import TOKEN, has_button, question_id_of, say, tg_settings_for
from tests.tg.fake_bot_api import FakeBotAPI, callback_update, user_json

from .test_generative import AREA_FACT, AREA_KO, citing


async def test_answer_is_previewed_then_edited_into_the_final_answer(
    indexed_settings, tmp_path, llm_settings, llm_assistant, fake_llm, state
) -> None:
    long_reply = "허브 면적은 {fact}m²입니다 [{n}]. " + " ".join(["자세한 안내입니다."] * 40)
    fake_llm.responder = citing(AREA_FACT, long_reply)
    api = FakeBotAPI(TOKEN).start()
    settings = tg_settings_for(indexed_settings, tmp_path, api).model_copy(
        update={k: getattr(llm_settings, k) for k in ("answer_generator", "llm_base_url",
                                                     "llm_model", "llm_timeout")}
    )  # fmt: skip
    service = TelegramService(settings, llm_assistant, state)
    await service.start()
    founder = user_json(701, "ko")
    try:
        say(api, 701, founder, AREA_KO)
        await api.wait_for(
            lambda: any(has_button("fb:")(c) for c in api.calls("editMessageText", 701, ok=True))
            or any(has_button("fb:")(c) for c in api.sent(701)),
            30,
            "the final answer",
        )
        edits = api.calls("editMessageText", 701, ok=True)
        final = edits[-1]
        question_id = question_id_of(final)
        # The final answer's Sources button expands that same message.
        api.enqueue(callback_update(701, founder, f"x:{question_id}:2", final.result))
        await api.wait_for(
            lambda: len(api.calls("editMessageText", 701, ok=True)) > len(edits), 30, "sources"
        )
        listed = api.calls("editMessageText", 701, ok=True)[-1]
    finally:
        await service.stop()
        api.stop()

    previews = api.sent(701)
    assert previews and not has_button("fb:")(previews[0]), "a preview came first"
    assert AREA_FACT in previews[0].text or AREA_FACT in edits[0].text
    logged = state.question(question_id, "tg:701")
    assert logged is not None and AREA_FACT in str(logged["answer"])
    expected = await asyncio.to_thread(lambda: llm_assistant.answer(AREA_KO))
    view = answer_view(expected, "ko")
    assert final.text == render_answer(view)
    assert len(edits) >= 1 and len(api.sent(701)) == 1
    # A generated answer has no details: Sources, votes and the hand-off, but no "More".
    assert not view.details and expected.sources
    assert final.button_data() == [
        f"x:{question_id}:2", f"fb:1:{question_id}", f"fb:-1:{question_id}", f"ho:{question_id}",
    ]  # fmt: skip
    assert listed.params["message_id"] == previews[0].result["message_id"]
    for source in expected.sources:
        assert source.title in listed.rendered and source.last_verified in listed.rendered
    assert listed.buttons[0]["text"] == t("sources_hide", "ko")
    assert listed.button_data()[1:] == final.button_data()[1:]
