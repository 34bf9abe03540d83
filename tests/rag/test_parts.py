"""The answer-quality parts on their own: no model, no store (fast)."""

from __future__ import annotations

import numpy as np
import pytest

from bot.rag import smalltalk, text
from bot.rag.conversation import ConversationMemory, resolve
from bot.rag.keyword import KeywordIndex, word_groups
from bot.rag.scoring import Scorer, fit_listwise, fit_logistic, to_confidence
from bot.rag.text import (
    detect_language,
    question_kind,
    split_question,
    split_sentences,
    states_kind,
    tokenize,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Kim leads IPTC. It opened in 2003.", ["Dr. Kim leads IPTC.", "It opened in 2003."]),
        ("KRW 23.1 bn in sales. No. 1 base.", ["KRW 23.1 bn in sales.", "No. 1 base."]),
        ("허브는 3층에 있습니다. 방문 전에 확인하세요.", ["허브는 3층에 있습니다.", "방문 전에 확인하세요."]),
        ("面積は1,758 m²です。場所はホーチミンです。", ["面積は1,758 m²です。", "場所はホーチミンです。"]),
        ("- first item\n- second item", ["- first item", "- second item"]),
    ],
)
def test_sentences_split_where_they_end(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_hard_wrapped_lines_are_joined_back_into_sentences() -> None:
    wrapped = (
        "Title of a short report\n"
        "The registration fee for electric vehicles in Vietnam was set at zero per cent for\n"
        "three years from March 2022 and was later extended by another decree until the end\n"
        "of February 2027, the report says.\n"
        "A second paragraph starts here."
    )
    sentences = split_sentences(wrapped)
    assert sentences[0] == "Title of a short report"
    assert sentences[1].startswith("The registration fee") and sentences[1].endswith("says.")
    assert sentences[2] == "A second paragraph starts here."
    # A paragraph of two lines is wrapped the same way.
    two = "Founders can park bicycles in the basement racks of the Tech Trade Center, next to the\nfreight elevator. The racks are free."
    assert split_sentences(two)[0].endswith("next to the freight elevator.")


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("hi", "greeting"),
        ("안녕하세요!", "greeting"),
        ("Xin chào", "greeting"),
        ("こんにちは", "greeting"),
        ("what can you do for me?", "capability"),
        ("저한테 뭘 해줄 수 있어요?", "capability"),
        ("Bạn có thể giúp gì?", "capability"),
        ("Bạn giúp được mình những gì?", "capability"),  # "mình": for me
        ("em hỗ trợ tôi được gì", "capability"),
        ("何ができますか？", "capability"),
        # the assistant's own act ("answer") is no subject
        ("ボットは何について答えてくれますか", "capability"),
        ("What topics can you answer?", "capability"),
        ("thanks a lot!", "thanks"),
        ("감사합니다", "thanks"),
        ("Cảm ơn bạn nhiều nha", "thanks"),
        # Vietnamese chat typed without its marks
        ("cam on ban", "thanks"),
        ("xin chao", "greeting"),
        ("tam biet", "goodbye"),
        ("ありがとうございました", "thanks"),
        ("はじめまして、韓国でSaaSを作っています", "greeting"),
        # closing a chat ("ok", "bye") is not a question to decline
        ("ok", "goodbye"),
        ("Okay, got it. Bye!", "goodbye"),
        ("안녕히 계세요", "goodbye"),
        ("네 알겠습니다", "goodbye"),
        ("tạm biệt", "goodbye"),
        ("わかりました", "goodbye"),
    ],
)
def test_small_talk_is_recognised_in_four_languages(message: str, intent: str) -> None:
    talk = smalltalk.classify(message)
    assert talk is not None and talk.intent == intent


@pytest.mark.parametrize("message", ["ok, where is the hub?", "알겠습니다. 그럼 면적은요?"])
def test_a_closing_word_before_a_question_leaves_a_question(message: str) -> None:
    assert smalltalk.classify(message) is None


@pytest.mark.parametrize(
    ("message", "remainder"),
    [
        ("안녕하세요, 허브 주소가 어떻게 되나요?", "허브 주소가 어떻게 되나요?"),
        ("hello, fee?", "fee?"),
        ("hi, tell me about the hub", "tell me about the hub"),
        ("Xin chào, cho tôi hỏi địa chỉ hub", "cho tôi hỏi địa chỉ hub"),
        ("xin chao, hub o dau?", "hub o dau?"),
        # no question mark: the question word typed without its marks says it asks
        ("xin chao, hub o dau vay", "hub o dau vay"),
        ("안녕하세요 반갑습니다, 하이테크파크 알려주세요", "하이테크파크 알려주세요"),
        # kept as written: capitals tell where its sentences start
        ("Hi! I'm a fintech founder. Where is SHTP?", "I'm a fintech founder. Where is SHTP?"),
    ],
)
def test_a_greeting_before_a_question_is_dropped(message: str, remainder: str) -> None:
    talk = smalltalk.classify(message)
    assert talk is not None and talk.intent == "" and talk.remainder == remainder


@pytest.mark.parametrize(
    "message",
    [
        "Hi Seoul Friends?",
        "하이서울 브랜드는 뭐예요?",
        "Where is the hub?",
        "help with my visa",
        # a greeting word inside another word, or not opening the message, greets nobody
        "Tell me about the Samsung complex in Saigon Hi-Tech Park",
        "Hi-Tech Park?",
        "사이공 하이테크파크 면적",
        "I just wanted to say hello to the team, who runs the hub",
        "camera on the hub's desk?",
    ],
)
def test_questions_are_not_small_talk(message: str) -> None:
    assert smalltalk.classify(message) is None


def test_small_talk_reply_is_built_from_the_documents() -> None:
    documents = {
        "en": [
            ("membership", "Joining the hub", ["How do I apply?", "Does it cost anything?"]),
            ("location", "Where is the hub?", ["Which building is it in?"]),
        ]
    }
    text = smalltalk.reply("capability", "ko", documents)  # no Korean documents: English ones
    assert "Joining the hub" in text and "How do I apply?" in text
    assert text.startswith("서울창업허브 호치민 안내 도우미")
    assert "천만에요" in smalltalk.reply("thanks", "ko", documents)


def test_follow_up_takes_the_previous_subject_and_memory_stays_per_conversation() -> None:
    memory = ConversationMemory(max_conversations=2)
    memory.remember("tg:1", "What is Saigon Hi-Tech Park?", ["Saigon Hi-Tech Park"])
    previous = memory.last("tg:1")
    assert resolve("How big is it?", [], 1, previous) == "How big is it? (Saigon Hi-Tech Park)"
    assert resolve("面積は?", [], 1, previous).endswith("(Saigon Hi-Tech Park)")
    # A new name is a new subject; a long question with its own words stands alone.
    assert resolve("When was HUTECH founded?", ["HUTECH"], 2, previous) == "When was HUTECH founded?"
    assert memory.last("web:2") is None
    memory.remember("web:2", "q", [])
    memory.remember("web:3", "q", [])
    assert memory.last("tg:1") is None  # bounded: the oldest conversation is forgotten
    assert len(memory) == 2


def test_a_bare_follow_up_after_a_turn_about_the_hub_takes_the_hub() -> None:
    memory = ConversationMemory()
    memory.remember("h", "When did the hub open?", [], about_hub=True)
    previous = memory.last("h")
    hub = "Seoul Startup Hub Ho Chi Minh"
    assert resolve("Where is it?", [], 0, previous, hub=hub) == f"Where is it? ({hub})"
    assert resolve("どこ？", [], 0, previous, "ja", hub="ソウル創業ハブ") == "どこ？ (ソウル創業ハブ)"
    # words of its own, or no fact asked: searched as typed
    assert resolve("How big is it?", [], 1, previous, hub=hub) == "How big is it?"
    assert resolve("really?", [], 0, previous, hub=hub) == "really?"
    # a turn that named a programme lends that name, not the hub
    memory.remember("n", "What is Saigon Hi-Tech Park?", ["Saigon Hi-Tech Park"], about_hub=True)
    assert resolve("Where is it?", [], 0, memory.last("n"), hub=hub).endswith("(Saigon Hi-Tech Park)")
    # a turn that was not answered about the hub lends nothing
    memory.remember("d", "What's the weather tomorrow?", [])
    assert resolve("Where is it?", [], 0, memory.last("d"), hub=hub) == "Where is it?"


def test_follow_ups_that_ask_one_word_or_point_to_a_place_take_the_previous_subject() -> None:
    memory = ConversationMemory()
    memory.remember("c", "What is the Hi Seoul brand SME programme?", ["Hi Seoul"])
    previous = memory.last("c")
    # English asks "since when?" with one word and a question word
    assert resolve("since when?", [], 1, previous) == "since when? (Hi Seoul)"
    # …but one word without a question word is a new question
    assert resolve("visa?", [], 1, previous) == "visa?"
    # a new name with "there" still asks about the previous place
    memory.remember("d", "サムスンのSEHCってどんなところ？", ["SEHC"])
    assert resolve("市長はそこに何時に行ったの？", ["市長"], 3, memory.last("d")).endswith("(SEHC)")
    assert resolve("When was HUTECH founded?", ["HUTECH"], 2, memory.last("d")) == (
        "When was HUTECH founded?"
    )
    # a turn without names lends its words to a question pointing back at it
    memory.remember("e", "Tell me about the original hub in Mapo", [], "the original hub in Mapo")
    assert resolve("and the size of that one?", [], 2, memory.last("e")).endswith(
        "(the original hub in Mapo)"
    )


def test_what_about_keeps_the_predicate() -> None:
    memory = ConversationMemory()
    memory.remember("c", "When was VNU-HCM founded?", ["VNU-HCM"])
    assert resolve("and HUTECH?", ["HUTECH"], 0, memory.last("c")) == "When was founded? (HUTECH)"
    assert resolve("HUTECH은요?", ["HUTECH"], 0, memory.last("c")) == "When was founded? (HUTECH)"
    # A whole question that ends in 요 names a new subject with its own predicate
    assert resolve("SBA가 뭐예요", ["SBA"], 0, memory.last("c")) == "SBA가 뭐예요"
    # …and one with a word of its own asks that of the name
    assert resolve("NATECの代表は？", ["NATEC"], 1, memory.last("c")) == "NATECの代表は？"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How big is the hub?", "number"),
        ("면적은 얼마인가요?", "number"),
        ("When was the LOI signed?", "date"),
        ("LOIはいつ締結されましたか？", "date"),
        ("Is 31 Hàn Thuyên the hub's address?", "yes-no"),
        ("Where is the hub?", "where"),
        ("2022年のNATECのトップは誰でしたか？", "who"),
        ("What does the hub offer?", "other"),
    ],
)
def test_question_kind(question: str, kind: str) -> None:
    assert question_kind(question) == kind


def test_two_questions_in_one_message_are_split() -> None:
    assert split_question("Do you run an accelerator programme? When is the next deadline?") == [
        "Do you run an accelerator programme?",
        "When is the next deadline?",
    ]
    assert split_question("Where is it? ok?") == ["Where is it? ok?"]
    # a question word and one word of its own stands alone, unless it points back
    assert split_question("What is NATEC? Who heads it?") == ["What is NATEC? Who heads it?"]


def test_an_english_question_quoting_a_vietnamese_name_is_english() -> None:
    assert detect_language("Is 123 Trương Định the address of the hub?") == "en"
    assert detect_language("hub o dau vay") == "vi"


def test_diacritics_come_back_from_the_corpus() -> None:
    index = KeywordIndex(
        ["a", "b"],
        ["Hub ở đâu? Hub hỗ trợ kết nối nhà đầu tư.", "Đầu tư và văn phòng ở Quận 1."],
    )
    assert index.restore_diacritics("hub o dau") == "hub ở đâu"
    assert index.restore_diacritics("ho tro ket noi nha dau tu") == "hỗ trợ kết nối nhà đầu tư"
    assert index.restore_diacritics("hub ở đâu") == "hub ở đâu"  # has diacritics: unchanged


def test_typos_are_repaired_towards_corpus_words_and_question_words() -> None:
    index = KeywordIndex(["a"], ["The hub is located at the back of the Tech Trade Center."])
    assert index.correct_spelling("wher is the hub locatd?") == "where is the hub located?"
    assert index.correct_spelling("whta is it") == "what is it"
    # Short words that are not question words are left alone ("bank" is not "back").
    assert index.correct_spelling("visa bank rent") == "visa bank rent"


def test_typos_are_repaired_against_the_words_as_written_not_their_stems() -> None:
    # The index keeps stems ("servic"), two edits from "servcies": the repair must compare
    # with the corpus's own words ("services"), or the typo reads as a word no document uses.
    index = KeywordIndex(["a"], ["The hub offers services to Korean startups. We offer help."])
    assert index.correct_spelling("what servcies does the hub ofer") == (
        "what services does the hub offer"
    )
    assert index.correct_spelling("who runs teh hub") == "who runs the hub"
    # Three-letter words are not turned into other words ("pho" is not "who").
    assert index.correct_spelling("best pho nearby") == "best pho nearby"
    # Vietnamese typed without diacritics is not English with typos.
    assert index.correct_spelling("dich vu cua hub gom gi", english=False) == (
        "dich vu cua hub gom gi"
    )


@pytest.mark.parametrize(
    ("sentence", "states"),
    [
        ("There are 1,060 Hi Seoul companies.", True),
        ("The hub covers 1,758 m².", True),
        ("하이서울 기업은 1,065개입니다.", True),
        ("The brand has been used since October 2002 and the programme since 2004.", False),
        ("LOI는 2022년 8월 3일에 체결되었습니다.", False),
        ("Ký ngày 3 tháng 8 năm 2022.", False),
        ("2003年5月2日に設立されました。", False),
    ],
)
def test_a_count_is_a_number_that_is_not_a_date(sentence: str, states: bool) -> None:
    assert states_kind(sentence, "number") is states


def test_unseen_words_and_pairs_are_measured() -> None:
    index = KeywordIndex(["a"], ["registration fee for electric vehicles"])
    assert index.unseen_share(["fee", "vehicl"]) == 0.0
    assert index.unseen_share(["pho", "recipe"]) == 1.0
    assert index.unseen_pair_share(["registration_fee", "share_price"]) == 0.5


def test_a_long_name_in_hangul_or_katakana_weighs_as_one_word() -> None:
    # Bigram tokens: "サイゴンハイテクパーク" is nine of them, "面積" (area) one. Weighed per
    # token, a sentence naming the park outweighed the one stating its area.
    index = KeywordIndex(
        ["name", "area", "other"],
        ["サイゴン・ハイテクパークはホーチミン市にある。", "敷地面積は913haである。", "ソウル市の話。"],
    )
    question = tokenize("サイゴン・ハイテクパークの面積は？")
    assert word_groups(question)[-1] == ["面積"]
    assert len(word_groups(question)) == 3
    by_name = index.coverage(question, "name")
    by_area = index.coverage(question, "area")
    assert 0.3 < by_area and by_name < 0.8
    # A Vietnamese word and its form without diacritics are one word, found by either form.
    assert word_groups(tokenize("địa chỉ")) == [["địa", "dia"], ["chỉ", "chi"]]
    assert KeywordIndex(["a"], ["dia chi cua hub"]).coverage(tokenize("địa chỉ"), "a") == 1.0


def test_confidence_scale_is_monotone_and_fixed_at_the_thresholds() -> None:
    scorer = Scorer.default()
    scorer.decline_below, scorer.unsure_below = 0.4, 0.8
    values = [to_confidence(p, scorer) for p in np.linspace(0, 1, 21)]
    assert values == sorted(values)
    assert to_confidence(0.4, scorer) == pytest.approx(0.3)
    assert to_confidence(0.8, scorer) == pytest.approx(0.6)


def test_listwise_fit_puts_the_positives_first() -> None:
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(60):
        x = rng.normal(size=(8, 3))
        y = np.zeros(8)
        best = int(np.argmax(x[:, 0] - 0.5 * x[:, 2]))
        y[best] = 1.0
        groups.append((x, y))
    model = fit_listwise(groups, l2=0.01)
    hits = sum(
        int(np.argmax([model.logit(list(row)) for row in x]) == int(np.argmax(y)))
        for x, y in groups
    )
    assert hits >= 54
    assert model.weights[0] > 0 > model.weights[2]


def test_logistic_fit_separates_the_classes() -> None:
    x = np.array([[0.0], [0.2], [0.4], [0.6], [0.8], [1.0]])
    y = np.array([0, 0, 0, 1, 1, 1], dtype=float)
    model = fit_logistic(x, y, l2=0.01)
    assert model.probability([0.1]) < 0.5 < model.probability([0.9])


def test_a_title_line_never_leads_when_a_sentence_can() -> None:
    # Documents staff add are not all FAQs: "1. Overview" lines sit among the sentences.
    from bot.rag.answer import choose_lead
    from bot.rag.retrieval import Retrieval, Sentence

    sentences = [
        Sentence("1. サイゴン・ハイテクパークの概要", 0, 0.95),
        Sentence("設立は2002年10月24日である。", 1, 0.80),
    ]
    question = "サイゴン・ハイテクパークの概要と設立日は？"
    retrieval = Retrieval(question, "ja", tokenize(question))
    lead, rest = choose_lead(sentences, retrieval, Scorer.default(), budget=20)
    assert [s.text for s in lead] == ["設立は2002年10月24日である。"]
    assert [s.text for s in rest] == ["1. サイゴン・ハイテクパークの概要"]


@pytest.mark.parametrize(
    ("opening", "fact", "question"),
    [
        (
            "Trang này giới thiệu về Cục Công tác phía Nam và quá trình hợp tác với Seoul.",
            "Cục được thành lập theo Quyết định 1234 ngày 22/4/2013.",
            "Which decision established SRO MOST?",
        ),
        (
            "本レポートでは、公開情報をもとにサイゴン・ハイテクパークの基本データを整理する。",
            "サイゴン・ハイテクパークは国家ハイテクパークの一つである。",
            "サイゴン・ハイテクパークについて教えて",
        ),
        (
            "This page introduces the agency and its work.",
            "The agency supports technology startups in the south.",
            "Tell me about the agency and its work",
        ),
    ],
)
def test_a_page_describing_itself_never_leads_when_a_fact_can(
    opening: str, fact: str, question: str
) -> None:
    # A page's own introduction shares the question's names, opens the document and here is
    # the closer of the two (no kind of fact asked favours the other), yet it states no fact;
    # the knowledge base's "this knowledge base does not publish …" does.
    from bot.rag.answer import choose_lead
    from bot.rag.retrieval import Retrieval, Sentence

    sentences = [Sentence(opening, 0, 0.95), Sentence(fact, 1, 0.80)]
    retrieval = Retrieval(question, "en", tokenize(question))
    lead, _ = choose_lead(sentences, retrieval, Scorer.default(), budget=20)
    assert [s.text for s in lead] == [fact]
    assert not text.describes_itself("This knowledge base does not publish the hub's phone number.")
    assert not text.describes_itself("このナレッジベースでは、電話番号を公開していません。")


def test_korean_what_about_endings_are_stripped() -> None:
    from bot.rag.text import tokenize

    # "면적은요?" is about 면적, like "면적은?" — not a word "은요"
    assert tokenize("면적은요?") == tokenize("면적은?") == ["면적"]
    assert tokenize("비용는요") == ["비용"]


def test_an_opening_what_about_is_no_topic() -> None:
    from bot.rag.conversation import without_what_about

    assert without_what_about("còn diện tích?") == "diện tích?"
    assert without_what_about("thế còn địa chỉ?") == "địa chỉ?"
    assert without_what_about("and the fee?") == "the fee?"
    # "còn" inside a question means "still"; a message that is only the opening stays
    assert without_what_about("hub còn mở cửa không?") == "hub còn mở cửa không?"
    assert without_what_about("and?") == "and?"


@pytest.mark.parametrize(
    ("message", "said"),
    [
        ("「ありがとう」はベトナム語で何ですか", "はベトナム語で何ですか"),
        ("'만나서 반갑습니다'를 번역해 주세요", "를 번역해 주세요"),
        ("what's the hub's address?", "what's the hub's address?"),  # apostrophes, no quote
        ('"hello"', '"hello"'),  # nothing but a quote: said after all
    ],
)
def test_quoted_words_are_mentioned_not_said(message: str, said: str) -> None:
    assert smalltalk.unquoted(message) == said
