"""The BM25 keyword index, coverage and spelling repair (bot/rag/keyword.py) on a toy corpus."""

from __future__ import annotations

import pytest

from bot.rag.keyword import UNSEEN_WEIGHT, KeywordIndex, word_groups
from bot.rag.text import tokenize

DOCS = {
    "office": "The incubator office address is 31 Han Thuyen street.",
    "accelerator": "Our accelerator programme selects ten startups every year.",
    "vi": "Công ty khởi nghiệp ở đâu? Văn phòng đầu tư ở đâu.",
    "fund": "Investment fund for startups, investors and the demo day.",
}


@pytest.fixture(scope="module")
def index() -> KeywordIndex:
    return KeywordIndex(list(DOCS), list(DOCS.values()))


def test_the_document_with_the_question_words_ranks_first(index: KeywordIndex) -> None:
    ranked = index.search(tokenize("Where is the office address?"), k=4)
    assert ranked[0][0] == "office"
    # Only documents sharing a word get a (positive) score.
    assert [chunk_id for chunk_id, _ in ranked] == ["office"]


def test_a_rarer_word_outweighs_a_common_one(index: KeywordIndex) -> None:
    # "startups" is in two documents, "accelerator" in one: the rare word decides.
    ranked = index.search(tokenize("accelerator for startups"), k=4)
    assert [chunk_id for chunk_id, _ in ranked] == ["accelerator", "fund"]
    assert ranked[0][1] > ranked[1][1] > 0
    assert index.idf("accelerator") > index.idf("startup")


def test_unseen_words_weigh_more_than_any_seen_word(index: KeywordIndex) -> None:
    rarest_seen = max(index.idf(t) for doc in DOCS.values() for t in tokenize(doc))
    assert index.idf("submarine") == pytest.approx(rarest_seen * UNSEEN_WEIGHT)


def test_weighted_expansion_adds_a_fraction_of_its_score(index: KeywordIndex) -> None:
    typed = tokenize("office")
    base = index.scores(typed)
    boosted = index.weighted_scores(typed, [(tokenize("investment"), 0.5)])
    fund_row = index.position("fund")
    office_row = index.position("office")
    assert fund_row is not None and office_row is not None
    assert base[fund_row] == 0
    assert boosted[fund_row] == pytest.approx(0.5 * index.scores(tokenize("investment"))[fund_row])
    assert boosted[office_row] == pytest.approx(base[office_row])
    assert index.search_weighted(typed, [(tokenize("investment"), 0.5)], k=2)[0][0] == "office"


def test_coverage_is_the_idf_weighted_share_of_question_words_present(index: KeywordIndex) -> None:
    question = tokenize("incubator office address")
    assert index.coverage(question, "office") == pytest.approx(1.0)
    assert index.coverage(question, "fund") == 0.0
    assert 0.0 < index.coverage(tokenize("office submarine"), "office") < 0.5
    assert index.coverage(question, "no-such-chunk") == 0.0


def test_synonyms_count_a_typed_form_as_present(index: KeywordIndex) -> None:
    question = tokenize("bureau address")
    bureau, office = frozenset(tokenize("bureau")), frozenset(tokenize("office"))
    without = index.coverage(question, "office")
    with_synonym = index.coverage(question, "office", [(bureau, bureau | office)])
    assert without < with_synonym == pytest.approx(1.0)


def test_unseen_share_flags_questions_the_corpus_does_not_cover(index: KeywordIndex) -> None:
    assert index.unseen_share(tokenize("visa for my dog")) == 1.0
    assert index.unseen_share(tokenize("incubator office")) == 0.0
    assert index.unseen_pair_share(tokenize("demo day")) == 0.0
    assert index.unseen_pair_share(tokenize("day demo")) == 1.0


def test_word_groups_chain_cjk_bigrams_and_pair_accented_with_plain_forms() -> None:
    assert word_groups(tokenize("サイゴン 面積")) == [["サイ", "イゴ", "ゴン"], ["面積"]]
    assert word_groups(tokenize("khởi nghiệp")) == [["khởi", "khoi"], ["nghiệp", "nghiep"]]


def test_spelling_repair_uses_the_corpus_vocabulary(index: KeywordIndex) -> None:
    assert index.correct_spelling("ofice adress") == "office address"
    assert index.correct_spelling("acelerator") == "accelerator"
    # Known words and words far from every corpus word are left alone.
    assert index.correct_spelling("demo submarine") == "demo submarine"


def test_real_words_are_not_typos_of_corpus_words() -> None:
    # "parking" is one swap from "pairing", "charging" from "changing", "weather" from
    # "whether": a word of the English dictionary is what the founder meant, and repairing
    # it to a corpus word makes an out-of-scope question look covered.
    index = KeywordIndex(
        ["pairs", "ev"],
        ["The pairing of startups.", "Changing rules whether or not you plan ahead."],
    )
    assert index.correct_spelling("parking near the hub") == "parking near the hub"
    assert index.correct_spelling("charging startup") == "charging startup"
    assert index.correct_spelling("weather this weekend") == "weather this weekend"
    assert index.correct_spelling("a plant") == "a plant"
    # Words in no dictionary are still repaired.
    assert index.correct_spelling("pairng and chanjing") == "pairing and changing"


def test_vietnamese_typed_without_diacritics_is_not_a_typo() -> None:
    # "khong" is "không" typed plainly, not a misspelling of a corpus word two edits away.
    index = KeywordIndex(["vi", "en"], ["Hỗ trợ không?", "Mr Hoang is in the office."])
    assert index.correct_spelling("ho tro khong", english=False) == "ho tro khong"


def test_spelling_repair_fixes_question_words_by_a_dropped_letter(index: KeywordIndex) -> None:
    assert index.correct_spelling("wher is it") == "where is it"
    assert index.correct_spelling("whta") == "what"
    # one letter from "what" and "want" alike: a question opens with the question word
    assert index.correct_spelling("wat is it") == "what is it"


def test_diacritics_are_restored_from_the_corpus_spelling(index: KeywordIndex) -> None:
    assert index.restore_diacritics("cong ty khoi nghiep o dau") == "công ty khởi nghiệp ở đâu"
    # Text that already has a diacritic is the founder's own spelling: unchanged.
    assert index.restore_diacritics("công ty o dau") == "công ty o dau"


def test_an_empty_index_answers_nothing() -> None:
    empty = KeywordIndex([], [])
    assert len(empty) == 0
    assert empty.search(["office"], k=3) == []


def test_korean_vowel_typos_are_repaired_to_the_one_corpus_word() -> None:
    index = KeywordIndex(
        ["hutech", "ttc"],
        ["휴텍(HUTECH)은 협력 대학입니다.", "테크트레이드센터는 건물입니다."],
    )
    # ㅐ/ㅔ typed for each other; the ending ("이랑도", "는") is kept
    assert index.correct_hangul("휴택이랑도 협력해요?") == "휴텍이랑도 협력해요?"
    assert index.correct_hangul("테크트래이드센터는?") == "테크트레이드센터는?"
    # known words and words with no single corpus neighbour are left alone
    assert index.correct_hangul("휴텍 위치") == "휴텍 위치"
    assert index.correct_hangul("베트남 비자") == "베트남 비자"


def test_a_two_way_korean_word_in_a_question_is_read_as_the_documents_use_it() -> None:
    index = KeywordIndex(
        ["size", "grant"],
        ["허브의 면적은 1,758 m²이고 면적이 넓습니다.", "지원금을 받을 수 있고 지원을 받는 기업은 교육도 받습니다."],
    )
    assert index.settle_readings(tokenize("면적")) == ["면적"]
    assert index.settle_readings(tokenize("받을 수 있나요")) == ["받"]
    # Either reading counts as the word: a bare noun is covered by the noun with a particle.
    assert index.coverage(tokenize("면적"), "size") == 1.0
    # Unknown both ways: the stem stays, and the word is one unseen word, not two.
    assert index.settle_readings(tokenize("돈이")) == ["돈"]
    assert index.unseen_words(tokenize("돈이")) == ["돈"]


def test_a_one_kanji_word_is_seen_when_a_document_word_has_the_kanji() -> None:
    # A verb's stem cut from its okurigana ("作" of 作りたい) is no sign the documents do not
    # cover the question when one of their words has the kanji (作成).
    index = KeywordIndex(["a", "b"], ["現地法人の作成を支援します。", "협약을 맺었습니다."])
    assert index.unseen_words(tokenize("法人を作りたい")) == []
    assert index.unseen_share(tokenize("法人を作りたい")) == 0.0
    # A kanji no document word has is still unseen; a two-kanji word needs the word itself;
    # Korean syllables are left to the Korean rules (a one-syllable stem stays unseen).
    assert index.unseen_words(tokenize("車で行く")) == ["車", "行"]
    assert index.unseen_words(tokenize("法作")) == ["法作"]
    assert index.unseen_words(tokenize("협약 맺은")) == ["맺"]


def test_japanese_question_prefixes_are_not_part_of_the_word() -> None:
    from bot.rag.text import tokenize

    assert tokenize("何階ですか") == ["階"] and "階" in tokenize("3階")
    assert "頃" not in tokenize("いつ頃ですか")


def test_katakana_typos_are_repaired_to_the_one_corpus_word_one_edit_away() -> None:
    index = KeywordIndex(
        ["robots", "samsung", "bot"],
        ["ロボット分野の協力です。", "サムスンの工場があります。", "Telegramボットで質問できます。"],
    )
    # a dropped ッ, a confused kana; "ボット" is two edits from "ロボト", not one
    assert index.correct_katakana("ロボトの分野は？") == "ロボットの分野は？"
    assert index.correct_katakana("サムソンの工場") == "サムスンの工場"
    # known words, words of two kana and words with no corpus neighbour are left alone
    assert index.correct_katakana("ロボット") == "ロボット"
    assert index.correct_katakana("ビザ") == "ビザ"
    assert index.correct_katakana("フィンテック") == "フィンテック"


def test_a_bigram_joining_two_covered_words_is_not_a_missing_word() -> None:
    index = KeywordIndex(["tax", "contact"], ["法人の税率です。", "直接の質問はスタッフへ。"])
    # 法人税率 → 法人, 人税, 税率: 人税 only straddles 法人 | 税率, both of which the corpus has
    assert index.unseen_share(tokenize("法人税率")) == 0.0
    assert index.coverage(tokenize("直接質問"), "contact") == pytest.approx(1.0)
    # a word of its own the corpus lacks still counts
    assert index.unseen_share(tokenize("株価")) == 1.0
    assert 0.0 < index.unseen_share(tokenize("法人株価")) < 1.0
