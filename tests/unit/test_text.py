"""Tokenisation, normalisation, language detection and sentence splitting (bot/rag/text.py)."""

from __future__ import annotations

import ast
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from bot.rag import text
from bot.rag.text import (
    count_words,
    detect_language,
    question_kind,
    split_question,
    split_sentences,
    strip_diacritics,
    tokenize,
    what_instead_of_place,
)

# --- language detection ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("허브의 주소는 어디인가요?", "ko"),
        ("ハブの住所はどこですか", "ja"),
        ("東京都", "ja"),  # Han only: read as Japanese (the four-language assumption)
        ("Địa chỉ của hub ở đâu?", "vi"),
        ("hub o dau vay", "vi"),  # Vietnamese typed without diacritics
        ("Where is the hub located?", "en"),
        # An English question quoting a Vietnamese name stays English.
        ("Is 123 Trương Định the hub?", "en"),
        ("Seoul Startup Hub 서울창업허브", "ko"),
        # "cảm ơn" typed without marks: its "on" is no English preposition
        ("ok cam on", "vi"),
        ("cam on nhe", "vi"),
        ("turn the cam on please", "en"),
        ("Is the camera on?", "en"),
    ],
)
def test_detect_language(question: str, language: str) -> None:
    assert detect_language(question) == language


def test_detect_language_falls_back_to_the_default_without_words() -> None:
    assert detect_language("12345 ?!", default="ko") == "ko"
    assert detect_language("", default="vi") == "vi"


def test_hangul_outweighing_kana_is_korean_and_the_reverse_japanese() -> None:
    assert detect_language("허브 허브 ハ") == "ko"
    assert detect_language("ハブ ハブ 허") == "ja"


# --- normalisation ---------------------------------------------------------------------------


def test_strip_diacritics_maps_vietnamese_to_plain_latin() -> None:
    assert strip_diacritics("Đường Trương Định") == "Duong Truong Dinh"
    assert strip_diacritics("khởi nghiệp") == "khoi nghiep"
    # Hangul comes back decomposed into jamo (NFD) and is not recomposed: callers that
    # apply it to Korean (the glossary's _norm) normalise to NFC again afterwards.
    assert unicodedata.normalize("NFC", strip_diacritics("서울창업허브")) == "서울창업허브"


def test_tokenize_normalises_composed_and_decomposed_forms_alike() -> None:
    composed = unicodedata.normalize("NFC", "Khởi nghiệp")
    decomposed = unicodedata.normalize("NFD", "Khởi nghiệp")
    assert composed != decomposed
    assert tokenize(composed) == tokenize(decomposed)


# --- tokenisation ----------------------------------------------------------------------------


def test_korean_particles_and_endings_are_stripped_before_bigrams() -> None:
    # "허브의" and "허브는" both reduce to the noun: the particle is no evidence of a topic.
    assert tokenize("허브의") == ["허브"]
    assert tokenize("허브는") == ["허브"]
    assert tokenize("주소는 어디인가요?") == ["주소"]
    # Long runs become overlapping character bigrams.
    assert tokenize("창업허브") == ["창업", "업허", "허브"]


def test_a_two_syllable_korean_word_is_read_both_as_noun_and_as_word_plus_particle() -> None:
    # "면적" is a noun, "층에" a noun and a particle: the tokenizer cannot tell, so it keeps both,
    # and the bare noun then shares a token with the noun followed by a particle.
    assert tokenize("면적") == ["면", "면적"]
    assert "면적" in tokenize("면적은")
    assert tokenize("층에") == ["층", "층에"]
    assert "층" in tokenize("몇 층")
    assert count_words(tokenize("면적")) == 1


def test_the_korean_question_word_is_not_part_of_the_counter_it_is_glued_to() -> None:
    # "몇명" asks how many people: documents write "53명", not "몇명".
    assert tokenize("몇명이에요") == ["명"]
    assert tokenize("몇층") == tokenize("몇 층") == ["층"]


def test_a_korean_particle_left_alone_is_grammar() -> None:
    # "서울창업허브랑 호치민 허브 차이" once the programme's name is taken out: "랑" (and) is the
    # particle that was glued to the name, not a word the documents fail to use.
    assert tokenize("랑 허브 차이") == ["허브", "차", "차이"]
    assert tokenize("부터 까지 에서") == []
    assert tokenize("랑", drop_stopwords=False) == ["랑"]


def test_vietnamese_what_time_and_when_are_question_words() -> None:
    # "mấy giờ" (what time) and "bao giờ" (when) ask a time as "何時" does: "giờ" is the
    # question's grammar there, while "giờ làm việc" (working hours) is a topic.
    assert "giờ" not in tokenize("ký hôm nào, mấy giờ?")
    assert "gio" not in tokenize("ky hom nao may gio")
    assert "giờ" not in tokenize("có từ bao giờ?")
    assert "giờ" in tokenize("giờ làm việc của hub")
    assert "giờ" in tokenize("mấy giờ", drop_stopwords=False)


def test_korean_question_words_are_stop_words_unless_kept() -> None:
    assert "어디" not in tokenize("어디 있나요")
    assert "어디" in tokenize("어디", drop_stopwords=False)


@pytest.mark.parametrize(
    ("question", "time_word"),
    [
        ("When is the next deadline?", "next"),
        ("다음 모집 마감은 언제예요?", "다음"),
        ("이번 모집 마감은 언제예요?", "이번"),
        ("次の締め切りはいつ？", "次"),
        ("次回のロードショーはいつ？", "次回"),
        ("Hạn nộp hồ sơ đợt tới là khi nào?", "tới"),
    ],
)
def test_next_and_this_are_time_not_topic_in_every_language(question: str, time_word: str) -> None:
    # English has always dropped "next": its Korean, Japanese and Vietnamese twins are no more
    # a topic (a word no document uses would make the question look out of scope).
    tokens = tokenize(question)
    plain = strip_diacritics(time_word)
    assert not any(plain in strip_diacritics(token) for token in tokens)
    assert tokens


@pytest.mark.parametrize(
    ("question", "topic", "pronouns"),
    [
        ("Can you guys help him with something?", ["help"], ["guys", "him", "something"]),
        ("저희 회사도 거기 들어갈 수 있나요?", ["회사"], ["저희", "거기"]),
        ("그런 것도 지원해요?", ["지원"], ["그런", "것"]),
        ("우리는 이거 신청하고 싶어요", ["신청"], ["우리", "이거"]),
        ("Tụi mình muốn hỏi, bọn họ có hỗ trợ không", ["hỗ"], ["tụi", "tui", "bọn", "bon", "họ"]),
        ("弊社は私たちの製品を", ["製品"], ["弊社", "私"]),
        ("僕らも応募できますか", ["応募"], ["僕"]),
    ],
)
def test_pronouns_are_grammar_in_every_language(
    question: str, topic: list[str], pronouns: list[str]
) -> None:
    # English has always dropped "we", "our", "this", "that": who asks is not what is asked,
    # in any language (a word no document uses would make the question look out of scope).
    tokens = tokenize(question)
    assert all(word in tokens for word in topic)
    assert not any(word in pronouns for word in tokens)


def test_vietnamese_stop_words_typed_without_marks_are_stop_words() -> None:
    # "voi" typed for "với", "cac" for "các": grammar, as the marked forms are.
    assert tokenize("startup o seoul voi o hcm la mot") == tokenize("startup ở seoul với ở hcm là một")
    assert "cac" not in tokenize("cac truong dai hoc")
    # a mark-less form that is also a word of its own stays ("Ban quản lý": the board)
    assert "ban" in tokenize("ban quan ly")


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("hub duoc thanh lap khi nao", "date"),
        ("hub mo cua may gio", "date"),
        ("hub o dau vay", "where"),
        ("hub nam o tang may", "where"),
        ("dien tich hub bao nhieu m2", "number"),
        ("bao nhieu startup tham gia", "number"),
        ("phi thue van phong bao nhieu", "price"),
        ("ai la giam doc cua hub", "who"),
        ("hub la gi", "other"),
    ],
)
def test_vietnamese_typed_without_marks_asks_the_same_kind_of_fact(question: str, kind: str) -> None:
    # Founders often type Vietnamese without its marks; "khi nao" asks when as "khi nào" does
    # ("tham gia", to take part, is no "giá", a price).
    assert text.question_kind(question) == kind


def test_vietnamese_without_marks_asks_contact_and_upcoming_too() -> None:
    assert text.asks_contact("so dien thoai cua hub la gi")
    assert text.asks_upcoming("han nop ho so dot toi la khi nao")
    assert not text.asks_upcoming("cho toi biet hub mo cua khi nao")  # toi: "tôi" (I)


def test_a_noun_that_reads_as_a_pronoun_and_a_particle_stays() -> None:
    # "제도" (a scheme) is not "제" (I) + 도, nor "할인" (a discount) "할" + 인.
    assert "제도" in tokenize("지원 제도")
    assert "할인" in tokenize("할인 있어요?")


def test_japanese_keeps_kanji_and_katakana_and_drops_hiragana_grammar() -> None:
    assert tokenize("ハブの住所はどこですか") == ["ハブ", "住所"]
    assert tokenize("サイゴン") == ["サイ", "イゴ", "ゴン"]
    # A word typed in kana only is kept (it has nothing else), minus stop bigrams.
    assert tokenize("すし") == ["すし"]
    assert tokenize("ですか") == []


def test_vietnamese_adds_plain_forms_and_syllable_pairs() -> None:
    tokens = tokenize("khởi nghiệp")
    assert tokens == ["khởi", "khoi", "nghiệp", "nghiep", "khoi_nghiep"]
    # Typed without diacritics, the plain forms and the pair still match the accented text.
    assert set(tokenize("khoi nghiep")) <= set(tokens)


def test_no_word_pair_spans_a_sentence_or_clause_break() -> None:
    # The words either side of a full stop, question mark or comma are no phrase.
    tokens = tokenize("We build software. Why did Seoul go? Mapo, Seoul")
    assert {"build_software", "seoul_go"} <= set(tokens)
    assert not {"software_seoul", "go_mapo", "mapo_seoul"} & set(tokens)
    assert "viet_nam" in tokenize("Hồ Chí Minh, Việt Nam")
    assert "minh_viet" not in tokenize("Hồ Chí Minh, Việt Nam")
    # A name joined by a hyphen or a dot inside a word stays one phrase.
    assert "seoul_ho" in tokenize("Seoul-Ho Chi Minh") and tokenize("TP.HCM") == ["tp.hcm"]


def test_english_is_lower_cased_stemmed_and_stop_words_dropped() -> None:
    assert tokenize("The Startups and Companies") == ["startup", "company", "startups_companies"]
    assert tokenize("class") == ["class"]  # "ss" is not a plural
    # A question in the present finds a document in the past ("When did SBA sign …" /
    # "SBA signed …"), and the other forms of a word alike.
    assert tokenize("signed") == tokenize("sign") == tokenize("signing")
    assert tokenize("opened") == tokenize("open") and tokenize("located") == tokenize("locate")
    assert tokenize("established") == tokenize("establish") and tokenize("applied") == tokenize("apply")
    # derivations stay apart; "-eed" after a bare consonant cluster is no "-ed"
    assert tokenize("location") != tokenize("locate") and tokenize("speed") == ["speed"]
    kept = tokenize("Where is the hub", drop_stopwords=False)
    assert kept[:4] == ["where", "is", "the", "hub"]


def test_clipped_english_words_are_the_words_documents_spell_out() -> None:
    # "info" is a real word (spelling repair leaves it), yet no document writes it.
    assert tokenize("what info") == tokenize("what information")
    assert tokenize("partner unis") == tokenize("partner university")
    # Vietnamese chat shorthand: "ĐH" is đại học, "VN" Việt Nam, "ko" the question's không
    assert tokenize("trường ĐH") == tokenize("trường đại học")
    assert tokenize("mở cty ở VN ko") == tokenize("mở công ty ở Việt Nam không")


def test_korean_light_verbs_leave_their_noun() -> None:
    # "지원받았어요" (received support): the topic is 지원, not the bigrams "원받", "받았"
    assert tokenize("지원받았어요") == tokenize("지원")
    assert tokenize("방문했어요") == tokenize("방문")
    assert tokenize("대한민국") == ["대한", "한민", "민국"]  # a noun, not 대 + 한


def test_a_korean_question_word_with_a_casual_ending_is_grammar() -> None:
    # "허브 어디야" (where's the hub?): "디야" is no topic word, and "신청해" is 신청
    assert tokenize("허브 어디야") == tokenize("허브")
    assert tokenize("입주비 얼마야") == tokenize("입주비")
    assert tokenize("어떻게 신청해") == tokenize("신청")
    # "뭘" is "뭐" with its particle, "해 줄" the auxiliary "do for": no topic in either
    assert tokenize("허브가 뭘 해줄 수 있나요") == tokenize("허브")
    assert not {"해주", "해줄"} & set(tokenize("지원해줄 수 있나요? 지원해주나요?"))
    # 있다 / 없다 in any tense frame the question ("since when has it existed?")
    assert tokenize("언제부터 있었어요?") == [] and tokenize("비용 없어요?") == tokenize("비용")
    assert tokenize("주차장 있을까요") == tokenize("주차장") and tokenize("있었던") == []
    assert tokenize("분야") and tokenize("이해") == ["이해"]  # nouns keep their syllables


def test_a_kana_run_opening_with_a_question_word_is_grammar() -> None:
    # after a comma, "どこにあるの" starts a run of its own: it is not a word typed in kana
    assert tokenize("ハブ、どこにあるの") == tokenize("ハブ")
    assert tokenize("ハブ、いくらですか") == tokenize("ハブ")
    assert tokenize("もうしこみ")  # a word typed in kana is still a word


def test_a_kana_run_that_is_a_particle_or_a_polite_predicate_is_grammar() -> None:
    # "SBAがNATECと…": the Latin names cut the run, leaving particles on their own
    assert tokenize("SBAがNATECと") == ["sba", "natec"]
    # "…、まだやってますか", "…、ほんとですか": a predicate typed in kana, not a topic word
    assert tokenize("ハブ、まだやってますか") == tokenize("ハブ")
    assert tokenize("ハブ、ほんとですか") == tokenize("ハブ")
    assert tokenize("ハブ、ざっくりでいいので") == tokenize("ハブ")
    assert tokenize("すし") == ["すし"] and tokenize("もうしこみ")  # words typed in kana stay


def test_korean_who_and_the_thing_forms_are_grammar() -> None:
    # 누가 is "who" with its subject particle; 거 / 건 / 게 / 걸 are 것 ("the thing") contracted
    assert tokenize("누가 제공하는 거예요?") == tokenize("제공")
    assert tokenize("다른 건가요?") == tokenize("다른")
    assert tokenize("시작한 게 언제예요") == tokenize("시작") and tokenize("어떤 걸") == tokenize("어떤")
    # a light verb left alone once its ending is gone is the question's frame ("했어요")
    assert tokenize("어디서 했어요?") == [] and tokenize("도움 됐어요") == tokenize("도움")
    assert tokenize("물어봐도 되죠?") == tokenize("물어봐도") and tokenize("하는") == []
    assert "할인" in tokenize("할인") and "해외" in tokenize("해외")
    # nouns that begin with those syllables stay words
    assert "건물" in tokenize("건물") and "거래" in tokenize("거래는")
    assert "한" in tokenize("한-베 행사")


def test_a_possessive_is_the_word_itself() -> None:
    assert tokenize("SBA's role") == tokenize("SBA role")
    assert tokenize("the hub’s address") == tokenize("the hub address")
    assert tokenize("when's the deadline") == tokenize("when is the deadline")
    assert tokenize("founders' visas") == tokenize("founders visas")


def test_numbers_lose_thousands_separators() -> None:
    assert "1000000" in tokenize("1,000,000 VND")


def test_every_latin_stop_word_is_a_single_token() -> None:
    # A stop word with a space in it could never match a token (tokens are single words).
    for word in text.STOPWORDS:
        assert " " not in word, word


# --- the stop lists themselves -----------------------------------------------------------------

_LISTS = ("STOPWORDS", "_VI_WORDS", "_EN_WORDS", "_VI_PLAIN_STOPWORDS", "_JA_STOP_BIGRAMS", "_KO_STOP_BIGRAMS")


def _literal_entries() -> dict[str, list[str]]:
    """The entries of each word list as written in the source (a frozenset hides repeats)."""
    tree = ast.parse(Path(text.__file__).read_text("utf-8"))
    found: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in _LISTS:
                found[name] = [
                    sub.value
                    for sub in ast.walk(node.value)
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str)
                ]
    return found


def test_word_lists_hold_no_duplicates() -> None:
    entries = _literal_entries()
    assert set(entries) == set(_LISTS)
    for name, words in entries.items():
        repeated = [w for w, n in Counter(words).items() if n > 1]
        assert not repeated, f"{name} repeats {repeated}"
        assert len(words) == len(getattr(text, name))


def test_stop_bigrams_are_bigrams() -> None:
    # tokenize only ever compares bigrams (or a single character) with these sets.
    for name in ("_JA_STOP_BIGRAMS", "_KO_STOP_BIGRAMS"):
        assert all(len(g) == 2 for g in getattr(text, name)), name


# --- sentences and questions ------------------------------------------------------------------


def test_split_sentences_keeps_abbreviations_and_splits_cjk_stops() -> None:
    assert split_sentences("Dr. Kim opened it. It is in HCMC! 허브입니다。次です。") == [
        "Dr. Kim opened it.",
        "It is in HCMC!",
        "허브입니다。",
        "次です。",
    ]


def test_split_sentences_keeps_lower_case_continuations() -> None:
    assert split_sentences("Bring papers, e.g. the licence. Then apply.") == [
        "Bring papers, e.g. the licence.",
        "Then apply.",
    ]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many startups joined?", "number"),
        ("언제 열었나요?", "date"),
        ("Who is in charge?", "who"),
        ("ハブはどこですか", "where"),
        ("Is it free?", "yes-no"),
        ("What does the hub offer?", "other"),
        # how much money: a price, not any number
        ("How much is the rent?", "price"),
        ("입주 비용이 얼마예요?", "price"),
        ("家賃はいくらですか", "price"),
        ("tiền thuê văn phòng bao nhiêu", "price"),
        ("면적이 얼마예요?", "number"),
    ],
)
def test_question_kind(question: str, kind: str) -> None:
    assert question_kind(question) == kind


def test_split_question_parts_need_two_keywords_each() -> None:
    two = "Do you run an accelerator program? When is the application deadline?"
    assert split_question(two) == [
        "Do you run an accelerator program?",
        "When is the application deadline?",
    ]
    # "Where?" alone has no keywords: it stays with its neighbour.
    assert split_question("Where? The incubator office") == ["Where? The incubator office"]


def _kinds(part: str) -> frozenset[str]:
    # a stand-in for the glossary's concepts: the kinds of fact a part asks
    words = (("fee", "비용"), ("fee", "fee"), ("where", "위치"))
    return frozenset(kind for kind, word in words if word in part.lower())


def test_a_one_word_part_asking_another_kind_of_fact_is_a_question_of_its_own() -> None:
    assert split_question("허브 위치는? 비용은?", _kinds) == ["허브 위치는?", "비용은?"]
    assert split_question("Where is the hub? Fees?", _kinds) == ["Where is the hub?", "Fees?"]
    # the same kind again, or no kind named: one question, as before
    assert split_question("허브 비용은? 비용은?", _kinds) == ["허브 비용은? 비용은?"]
    assert split_question("Who runs the hub? SBA?", _kinds) == ["Who runs the hub? SBA?"]
    assert split_question("허브 위치는? 비용은?") == ["허브 위치는? 비용은?"]  # no kinds given


def test_question_sentence_is_the_last_sentence_when_it_asks() -> None:
    assert text.question_sentence("We build EV chargers. What does the hub offer?") == (
        "What does the hub offer?"
    )
    assert text.question_sentence("저희는 핀테크 스타트업입니다. 허브는 뭘 하나요?") == "허브는 뭘 하나요?"
    assert text.question_sentence("What does the hub offer?") is None  # nothing around it
    assert text.question_sentence("Where is it? We are in Seoul.") is None  # not last


def test_split_question_at_comma_and_a_second_question() -> None:
    # ", and" + a question word or auxiliary starts a second question, even a short one.
    assert split_question("Which universities work with the hub, and is there a fee?") == [
        "Which universities work with the hub",
        "is there a fee?",
    ]
    # Without the comma, "and" joins the parts of one question.
    assert split_question("how many local hires and how much revenue") == [
        "how many local hires and how much revenue"
    ]
    # "and" + a noun is a list, not a question; a fragment with no keyword stays attached.
    assert split_question("Tell me about SBA, and NATEC") == ["Tell me about SBA, and NATEC"]
    assert split_question("Is the EV fee still 0%, and when?") == [
        "Is the EV fee still 0%, and when?"
    ]


# --- what a sentence states, and how much a question says ----------------------------------


@pytest.mark.parametrize(
    ("sentence", "kind", "states"),
    [
        # a source citation's date or article number is not the fact asked for
        ("The space is a private office (Kukmin Ilbo, 4 August 2022).", "date", False),
        ("스타트업 7쌍이 매칭됐습니다(khoahocphattrien.vn; sromost.gov.vn news 1117).", "number", True),
        ("시범 사업이었습니다(sromost.gov.vn news 1117).", "number", False),
        ("연락처는 이 채팅에서 문의하세요(2026년 11월 확인).", "date", False),
        ("It opened in May 2021 (Hankook Ilbo, 16 May 2021).", "date", True),
        # a fact in parentheses still counts
        ("Revenue reached KRW 23.1 bn (KRW 23.1 bn).", "number", True),
        ("空間は提供されました(2022年8月)。", "date", True),
        # Korean and Japanese years carry a unit right after the digits
        ("하이서울 브랜드 기업 제도는 2004년부터 운영됐습니다.", "date", True),
        ("SEHCは2016年から稼働しています。", "date", True),
        ("article 20240416500050", "date", False),
        # a place named to say where something is not does not answer "where?"
        ("The hub is on the 3rd floor of the Tech Trade Center.", "where", True),
        ("31 Hàn Thuyên, District 1 is the address of SRO MOST, not of the hub.", "where", False),
        ("31 Hàn Thuyên, 1군은 SRO MOST의 주소이며 허브의 주소가 아닙니다.", "where", False),
        ("1区の31 Hàn Thuyênはハブの住所ではありません。", "where", False),
        ("Số 31 Hàn Thuyên, Quận 1 không phải là địa chỉ của hub.", "where", False),
        ("Hub nằm ở tầng 3 của Tech Trade Center.", "where", True),
        # a price question is answered by what is charged, not by a count
        ("Companies paid no rent, only a small management fee.", "price", True),
        ("임대료는 없고 소액의 관리비만 받았습니다.", "price", True),
        ("The 2018 call selected 25 startups.", "price", False),
        ("지원 기업은 25개입니다.", "price", False),
        ("The fee is KRW 100,000 a month.", "price", True),
    ],
)
def test_states_kind_ignores_citations(sentence: str, kind: str, states: bool) -> None:
    assert text.states_kind(sentence, kind) is states


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("The deadline of the next call is not published.", "date"),
        ("다음 모집 마감일은 공개되어 있지 않습니다.", "date"),
        ("次の募集の締切は公表されていません。", "date"),
        ("Hạn nộp hồ sơ đợt tới chưa được công bố.", "date"),
        ("The number of resident companies is unknown; ask the staff.", "number"),
        ("입주 기업이 내는 비용은 알려지지 않았습니다.", "price"),
        ("料金はこのナレッジベースには掲載されていません。", "price"),
        ("Who manages the office day to day is not known.", "who"),
        ("The current fee is not in this knowledge base; ask the staff.", "price"),
        ("현재 비용은 이 지식베이스에 없으니 직원에게 문의하세요.", "price"),
        ("指定企業の数はこのナレッジベースでは分からないため、お問い合わせください。", "number"),
        ("Mức phí hiện tại không có trong cơ sở tri thức này.", "price"),
    ],
)
def test_saying_a_fact_is_not_published_answers_the_question_for_it(
    sentence: str, kind: str
) -> None:
    # "When is the deadline?" is answered, honestly, by "the deadline is not published": that
    # sentence should lead rather than one with an older date, and the answer is no less sure
    # for stating no date.
    assert text.states_unknown(sentence)
    assert text.states_kind(sentence, kind)


@pytest.mark.parametrize(
    "question",
    [
        "When is the next deadline?",
        "다음 모집 마감은 언제예요?",
        "올해 모집은 언제 해요?",
        "次回の募集はいつですか？",
        "Đợt tuyển tới là khi nào?",
    ],
)
def test_a_date_still_to_come_is_not_stated_by_a_past_one(question: str) -> None:
    assert text.asks_upcoming(question)
    assert text.question_kind(question) == "date"
    past = "The last call closed on 13 May 2019."
    assert text.states_kind(past, "date")
    assert not text.states_kind(past, "date", upcoming=True)
    assert text.states_kind("The call closes on 1 March 2099.", "date", upcoming=True)
    assert text.states_kind("The deadline of the next call is not published.", "date", upcoming=True)


def test_a_question_about_the_past_is_not_upcoming() -> None:
    for question in ("When did the hub open?", "허브는 언제 열었어요?", "ハブはいつ開設されましたか？", "Hub mở cửa năm nào?"):
        assert not text.asks_upcoming(question)


@pytest.mark.parametrize(
    ("question", "upcoming"),
    [
        ("What's the deadline?", True),
        ("마감이 언제예요?", True),
        ("締め切りはいつですか？", True),
        ("Hạn nộp hồ sơ là khi nào?", True),
        ("What was the deadline of the 2024 call?", False),
        ("What was the deadline?", False),
        ("2024년 마감일은 언제예요?", False),
        ("마감이 언제였어요?", False),
        ("前回の締め切りはいつでしたか？", False),
        ("Hạn nộp hồ sơ năm 2024 là khi nào?", False),
    ],
)
def test_a_deadline_asked_without_a_year_or_a_past_tense_is_still_to_come(
    question: str, upcoming: bool
) -> None:
    assert text.asks_upcoming(question) is upcoming


def test_an_unknown_fact_does_not_say_where_to_look() -> None:
    # "Where do I find the call?" is answered by where calls are posted, not by "no call has
    # been published".
    sentence = "The hub's own call is not published yet."
    assert text.states_unknown(sentence)
    assert not text.states_kind(sentence, "where")


@pytest.mark.parametrize(
    "sentence",
    [
        "The hub opened in May 2021.",
        "31 Hàn Thuyên is not the address of the hub.",
        "The hub does not charge rent to its members.",
        "서울창업허브는 2017년에 문을 열었습니다.",
        "ハブは住所を公表しています。",
    ],
)
def test_a_stated_or_denied_fact_is_not_an_unknown_one(sentence: str) -> None:
    assert not text.states_unknown(sentence)


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("キャンパスはどこにあるの？", 1),  # one katakana word, four bigrams
        ("면적은요?", 1),
        ("몇 쌍이나 매칭됐어요?", 2),
        ("ký hôm nào, mấy giờ?", 2),  # "mấy giờ" asks; plain forms and pairs add nothing
        ("since when?", 1),
        ("What is the Hi Seoul brand SME programme?", 5),
    ],
)
def test_count_words(question: str, words: int) -> None:
    assert text.count_words(tokenize(question)) == words


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        # the most specific cue wins over a bare "how many" word
        ("몇 년에 설립됐어요?", "date"),
        ("업력 몇 년까지 지원할 수 있어요?", "number"),
        ("ký hôm nào, mấy giờ?", "date"),
        ("ghép được mấy cặp vậy?", "number"),
        ("có từ hồi nào?", "date"),
        ("何年から稼働していますか", "date"),
        ("創業何年目まで入れますか", "number"),
        ("市長は何時に行ったの？", "date"),
    ],
)
def test_question_kind_prefers_the_most_specific_cue(question: str, kind: str) -> None:
    assert question_kind(question) == kind


def test_how_exact_words_are_not_topic_words() -> None:
    # a chatty "actually / 실제로 / 実際 / tell me" must not read as words no document uses
    assert tokenize("who actually runs the hub, please tell me") == tokenize("who runs the hub")
    assert tokenize("허브 실제로 누가 운영해요? 정확히 알려주세요") == tokenize("허브 누가 운영해요?")
    assert tokenize("ハブを実際に運営してるのって誰？教えてください") == ["ハブ", "運営"]
    # asking to be told ("얘기해 줘", "…에 대해 설명해 주세요", "소개해 줘") is not a topic
    assert tokenize("삼성 공장 얘기 해줘") == tokenize("삼성 공장에 대해 설명해 주세요") == ["삼성", "공장"]
    assert tokenize("SBA 소개해줘") == ["sba"]
    assert tokenize("투자 유치도 도와주나요?") == ["투자", "유치"]
    # English chat shorthand is not a topic either; "R&D" keeps its letters
    assert tokenize("can u tell me ur address pls") == tokenize("can you tell me your address")
    assert tokenize("joint R&D") == ["joint", "r", "d", "joint_r", "r_d"]
    # asking for the answer as a list ("목록", "一覧", "リスト") is its form, not its topic
    assert tokenize("협력 대학교 목록") == tokenize("협력 대학교")
    assert tokenize("提携大学の一覧") == tokenize("提携大学のリスト") == tokenize("提携大学")


@pytest.mark.parametrize(
    "question",
    ["What kind of place is the hub?", "허브는 뭐하는 곳이에요?", "ハブってどんなところ？", "Hub là nơi như thế nào?"],
)
def test_what_kind_of_place_asks_what_not_where(question: str) -> None:
    assert question_kind(question) == "other"
    assert "place" not in what_instead_of_place(question).lower()


def test_where_questions_stay_where() -> None:
    assert question_kind("Where is the hub?") == "where"
    assert question_kind("ハブはどこ？") == "where"
