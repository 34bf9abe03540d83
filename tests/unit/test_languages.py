"""The language registry: every language complete, one normaliser, detection of scripts.

No model, no servers: these run in a second.
"""

from __future__ import annotations

import json
import re
import string
from importlib import resources

import pytest

from bot import languages
from bot.languages import BY_CODE, CODES, DEFAULT, LANGUAGES, UNSUPPORTED
from bot.rag.answer import DECLINE, LANGUAGE_NAMES, OTHER_LANGUAGE_NOTE, UNAVAILABLE, lead_budget
from bot.rag.smalltalk import EXEMPLARS, classify, reply
from bot.rag.text import detect_language, question_kind
from bot.tg.i18n import TEXTS, t
from bot.web.widget import PLACEHOLDER, widget_script, widget_texts

ENGLISH = BY_CODE[DEFAULT]
WIDGET_JS = resources.files("bot.web").joinpath("static/widget.js").read_text("utf-8")


def _fields(text: str) -> set[str]:
    """The {placeholders} of a text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_registry_holds_the_four_languages_english_first() -> None:
    # English first: small-talk phrases are removed table after table in this order.
    assert CODES == ("en", "ko", "vi", "ja")
    assert [lang.code for lang in LANGUAGES] == list(CODES)
    assert len({lang.name for lang in LANGUAGES}) == len(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES, ids=lambda lang: lang.code)
def test_every_language_has_every_text_the_channels_use(lang) -> None:
    for catalogue in ("telegram", "widget", "smalltalk_replies", "question_cues"):
        ours, english = getattr(lang, catalogue), getattr(ENGLISH, catalogue)
        assert set(ours) == set(english), catalogue
        for key, text in ours.items():
            assert text.strip(), (catalogue, key)
            if catalogue != "question_cues":  # regexes, not format strings
                assert _fields(text) == _fields(english[key]), (catalogue, key)
    assert set(lang.smalltalk_phrases) == set(lang.smalltalk_exemplars) == {
        "greeting", "thanks", "capability", "goodbye"
    }
    assert all(lang.smalltalk_phrases.values()) and all(lang.smalltalk_exemplars.values())
    assert set(lang.names) >= set(CODES)
    assert lang.decline and lang.unavailable and _fields(lang.other_language_note) == {"lang"}
    for pattern in (lang.question_words, *lang.question_cues.values()):
        re.compile(pattern)


def test_the_widget_uses_only_keys_every_language_has() -> None:
    used = set(re.findall(r"\bT\.([A-Za-z]+)", WIDGET_JS))
    assert used, "widget.js reads its texts as T.key"
    for lang in LANGUAGES:
        assert used <= set(lang.widget), (lang.code, used - set(lang.widget))


def test_the_served_widget_carries_the_registry_texts() -> None:
    assert WIDGET_JS.count(PLACEHOLDER) == 1
    served = widget_script().decode("utf-8")
    assert PLACEHOLDER not in served
    start = served.index("const STRINGS = ") + len("const STRINGS = ")
    literal, _ = json.JSONDecoder().raw_decode(served[start:])
    assert literal == widget_texts()
    assert literal["ko"]["askStaff"] == BY_CODE["ko"].widget["askStaff"] == "담당자에게 문의"


def test_core_and_telegram_tables_are_views_of_the_registry() -> None:
    for lang in LANGUAGES:
        assert DECLINE[lang.code] == lang.decline
        assert UNAVAILABLE[lang.code] == lang.unavailable
        assert OTHER_LANGUAGE_NOTE[lang.code] == lang.other_language_note
        assert LANGUAGE_NAMES[lang.code] == dict(lang.names)
        assert lead_budget(lang.code) == lang.lead_budget
        assert set(EXEMPLARS["greeting"]) == set(CODES)
        for key, text in lang.telegram.items():
            assert TEXTS[key][lang.code] == text
    assert t("sources", "vi") == "Nguồn" and t("sources", "xx") == "Sources"
    assert lead_budget("ko") == 150 and lead_budget("en") == 300


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ko", "ko"), ("ko-KR", "ko"), ("KO_kr", "ko"), (" ja ", "ja"), ("vi-VN", "vi"),
        ("en-US", "en"), ("EN", "en"), ("zh-CN", None), ("zh", None), ("pt-BR", None),
        ("", None), (None, None), ("-", None), ("kor", None),
    ],
)
def test_one_normaliser_for_every_channel(code, expected) -> None:
    assert languages.normalise(code) == expected


def test_channels_use_the_registry_normaliser() -> None:
    from bot.tg import i18n
    from bot.web import common

    assert i18n.normalise_language is languages.normalise
    assert common.request_language is languages.normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Where is the hub?", "en"),
        ("hub o dau vay", "vi"),
        ("cam on ban", "vi"),
        ("Hub ở đâu vậy?", "vi"),
        ("허브 주소가 어디인가요?", "ko"),
        # Korean with hanja stays Korean.
        ("서울창업허브의 所在地는 어디인가요?", "ko"),
        ("韓國 스타트업 支援 프로그램은?", "ko"),
        # Japanese with any kana stays Japanese, kanji and all.
        ("ハブの住所は？", "ja"),
        ("入居条件を教えて", "ja"),
        # Japanese keywords written in kanji only (eval/founders/ja.jsonl asks these).
        ("住所", "ja"),
        ("面積", "ja"),
        ("費用", "ja"),
        ("東京都千代田区丸の内一丁目", "ja"),
        # Chinese: Han without kana, with Chinese-only characters or a whole sentence.
        ("你好，请问首尔创业中心的地址在哪里？", UNSUPPORTED),
        ("会员费是多少", UNSUPPORTED),
        ("首尔创业中心胡志明市办公室提供哪些服务", UNSUPPORTED),
        ("首爾創業中心胡志明市辦公室提供哪些服務", UNSUPPORTED),
        # Other scripts the bot does not read.
        ("Привет, где находится хаб?", UNSUPPORTED),
        ("สวัสดีครับ ฮับอยู่ที่ไหน", UNSUPPORTED),
        ("مرحبا، أين يقع المركز؟", UNSUPPORTED),
        # An English question quoting Chinese or Russian is English.
        ("What does 你好 mean in the hub's newsletter?", "en"),
        ("Is the Москва office part of the hub programme?", "en"),
        # Jamo-only chat shorthand is not a foreign script.
        ("ㅎㅇ", "en"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_unsupported_note_names_every_language_in_english() -> None:
    note = languages.unsupported_note()
    assert "{" not in note
    for lang in LANGUAGES:
        assert lang.name in note
    assert languages.spoken() == "Korean, English, Vietnamese or Japanese"


def test_question_words_and_small_talk_read_the_registry() -> None:
    assert question_kind("허브 주소가 어디인가요?") == "where"
    assert question_kind("ハブはいつ開設されましたか？") == "date"
    assert question_kind("Hub rộng bao nhiêu mét vuông?") == "number"
    greeting = classify("xin chào")
    assert greeting is not None and greeting.intent == "greeting"
    thanks = classify("ありがとうございます")
    assert thanks is not None and thanks.intent == "thanks"
    assert reply("thanks", "ko", {}) == BY_CODE["ko"].smalltalk_replies["thanks"]
