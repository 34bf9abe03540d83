"""Glossary matching and cross-language expansion (bot/rag/glossary.py) on its own entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.rag.glossary import HUB_WORD, Glossary, GlossaryEntry
from bot.rag.text import tokenize

YAML = """
entries:
  - en: Demo Hub
    subject: true
    topic: hub-overview
    ko: [데모허브, 데모 허브]
    ja: [デモハブ]
    vi: [trung tâm demo]
  - en: Tech Trade Center
    ko: [테크트레이드센터]
    ja: [テック・トレード・センター]
    vi: [trung tâm thương mại công nghệ]
    other: [ttc]
  - en: office rent
    kind: concept
    ko: [사무실 임대료]
    ja: [オフィス賃料]
    vi: [giá thuê văn phòng]
"""


@pytest.fixture(scope="module")
def glossary(tmp_path_factory: pytest.TempPathFactory) -> Glossary:
    path = tmp_path_factory.mktemp("glossary") / "glossary.yaml"
    path.write_text(YAML, encoding="utf-8")
    return Glossary.load(path)


def _english(entries: list[GlossaryEntry]) -> list[str]:
    return [entry.english for entry in entries]


def test_load_reads_every_language_as_an_alias(glossary: Glossary) -> None:
    ttc = glossary.entries[1]
    # English first; the other languages' aliases in the registry's order, then "other".
    assert ttc.forms[0] == "Tech Trade Center" and ttc.forms[-1] == "ttc"
    assert set(ttc.forms) == {
        "Tech Trade Center", "테크트레이드센터", "テック・トレード・センター",
        "trung tâm thương mại công nghệ", "ttc",
    }  # fmt: skip
    assert glossary.entries[2].concept and not ttc.concept
    assert glossary.entries[0].subject and glossary.entries[0].topic == "hub-overview"


@pytest.mark.parametrize(
    "question",
    [
        "테크 트레이드 센터는 어디인가요?",  # spaces the alias does not have
        "テックトレードセンターの住所",  # without the middle dot
        "Trung tam thuong mai cong nghe o dau",  # Vietnamese typed without diacritics
        "Where is the TTC?",  # a short Latin alias as a whole word
    ],
)
def test_a_form_in_any_language_finds_the_entry(glossary: Glossary, question: str) -> None:
    assert _english(glossary.match(question)) == ["Tech Trade Center"]


def test_short_latin_aliases_match_whole_words_only(glossary: Glossary) -> None:
    assert glossary.match("https://attc.example") == []


def test_the_loi_is_named_by_its_abbreviation_and_not_by_vietnamese_loi() -> None:
    packaged = Glossary.load()
    assert any("LOI" in english for english in _english(packaged.match("LOI ký khi nào")))
    # "trả lời" (to answer) is written with a diacritic: not the letter of intent
    assert not any("LOI" in english for english in _english(packaged.match("bạn trả lời được gì")))


@pytest.mark.parametrize(
    "question", ["2019 MOU là gì?", "biên bản ghi nhớ năm 2019", "업무협약(MOU)은 언제?", "覚書はいつ？"]
)
def test_the_2019_memorandum_is_not_the_2022_letter_of_intent(question: str) -> None:
    # Two agreements of the programme: a question about one must not pull in the other.
    english = _english(Glossary.load().match(question))
    assert any("MOU" in name for name in english), english
    assert not any("LOI" in name for name in english), english


def test_expansion_forms_cross_languages(glossary: Glossary) -> None:
    # A Korean question names the entry; its forms give the other languages' words.
    [entry] = glossary.match("사무실 임대료는 얼마인가요?")
    assert entry.english == "office rent"
    assert {"office rent", "オフィス賃料", "giá thuê văn phòng"} <= set(entry.forms)
    [(found, form)] = glossary.match_forms("사무실 임대료는 얼마인가요?")
    assert found is entry and form == "사무실 임대료"


def test_longest_form_wins_order(glossary: Glossary) -> None:
    # Both the hub and the centre are named; entries come back longest alias first.
    assert _english(glossary.match("trung tâm thương mại công nghệ và trung tâm demo")) == [
        "Tech Trade Center",
        "Demo Hub",
    ]


def test_strip_subject_removes_the_hub_name_in_any_spacing(glossary: Glossary) -> None:
    assert glossary.strip_subject("데모 허브 사무실 임대료").split() == ["사무실", "임대료"]
    assert glossary.strip_subject("Where is demo  hub?").split() == ["Where", "is", "?"]
    assert glossary.mentions_subject("데모허브의 위치")
    assert not glossary.mentions_subject("테크트레이드센터의 위치")


def test_strip_subject_takes_the_possessive_with_the_name(glossary: Glossary) -> None:
    # A stray "'s" would be tokenised as a word no document uses (read as out of scope).
    for query in ("What is Demo Hub's fee?", "What is demo hub’s fee?"):
        assert tokenize(glossary.strip_subject(query)) == ["fee"]
    assert tokenize(HUB_WORD.sub(" ", "the hub's phone number")) == ["phone", "number", "phone_number"]
    assert HUB_WORD.search("Where's the hub?")


def test_forms_about_default_to_the_hub_when_no_name_is_given(glossary: Glossary) -> None:
    concept = glossary.match("office rent")
    about = glossary.forms_about(concept)
    assert Glossary.mentions("The demo hub office", about)
    named = glossary.forms_about(glossary.match("TTC office rent"))
    assert Glossary.mentions("테크트레이드센터", named) and not Glossary.mentions("demo hub", named)


def test_the_packaged_glossary_loads_with_forms_in_several_languages() -> None:
    glossary = Glossary.load()
    assert glossary.entries
    subjects = [entry for entry in glossary.entries if entry.subject and entry.topic]
    assert subjects, "the hub itself must be a subject with a home topic"
    assert all(len(entry.forms) >= 2 for entry in glossary.entries)


def test_load_accepts_a_path(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("entries: []\n", encoding="utf-8")
    assert Glossary.load(path).entries == []


@pytest.mark.parametrize("question", ["ハブに入るための条件は？", "입주 조건이 뭐예요?", "điều kiện vào hub"])
def test_conditions_to_join_are_asked_as_eligibility_in_every_language(question: str) -> None:
    packaged = Glossary.load()
    assert any("eligibility" in english for english in _english(packaged.match(question)))


def test_the_short_word_for_the_hub_becomes_its_full_name(glossary: Glossary) -> None:
    assert glossary.with_full_name("ハブはどこ？", "ja") == "デモハブはどこ？"
    assert glossary.with_full_name("허브 위치", "ko") == "데모허브 위치"
    assert glossary.with_full_name("where is the hub?", "en") == "where is the Demo Hub?"
    # named in full already, or not named at all: unchanged
    assert glossary.with_full_name("데모허브 위치", "ko") == "데모허브 위치"
    assert glossary.with_full_name("Where is TTC?", "en") == "Where is TTC?"
    # a language the glossary has no form for: the English name
    assert glossary.with_full_name("hub o dau", "xx") == "Demo Hub o dau"


@pytest.mark.parametrize(
    "question", ["hạn chót nộp đơn là khi nào", "what's the due date?", "신청 기한은?", "応募期限は？"]
)
def test_a_deadline_is_asked_as_a_deadline_in_every_language(question: str) -> None:
    assert "deadline" in _english(Glossary.load().match(question))
