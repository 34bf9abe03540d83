"""Telegram shows a generative answer progressively, then replaces it with the final answer."""

from __future__ import annotations

import asyncio

from bot.tg.app import TelegramService
from bot.tg.format import format_answer
from tests.tg.conftest import TOKEN, has_button, question_id_of, say, tg_settings_for
from tests.tg.fake_bot_api import FakeBotAPI, user_json

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
    try:
        say(api, 701, user_json(701, "ko"), AREA_KO)
        await api.wait_for(
            lambda: any(has_button("fb:")(c) for c in api.calls("editMessageText", 701, ok=True))
            or any(has_button("fb:")(c) for c in api.sent(701)),
            30,
            "the final answer",
        )
    finally:
        await service.stop()
        api.stop()

    previews = api.sent(701)
    edits = api.calls("editMessageText", 701, ok=True)
    assert previews and not has_button("fb:")(previews[0]), "a preview came first"
    assert AREA_FACT in previews[0].text or AREA_FACT in edits[0].text
    final = edits[-1]
    question_id = question_id_of(final)
    logged = state.question(question_id, "tg:701")
    assert logged is not None and AREA_FACT in str(logged["answer"])
    expected = await asyncio.to_thread(lambda: llm_assistant.answer(AREA_KO))
    assert final.text == format_answer(expected, "ko")[0]
    assert len(edits) >= 1 and len(api.sent(701)) == 1
