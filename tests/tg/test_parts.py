"""The small parts on their own: HTML formatting and splitting, rate limit, FAQ files, texts."""

from __future__ import annotations

import datetime as dt
import html
import re

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rag.answer import Answer, Source
from bot.tg.expand import AnswerViews, expand_data
from bot.tg.faq import faq_file_stem, faq_markdown, faq_question, slugify
from bot.tg.format import (
    HEAD_LIMIT,
    MAX_MESSAGE,
    MORE,
    SOURCES,
    AnswerView,
    answer_view,
    render_answer,
    split_text,
    tg_len,
)
from bot.tg.i18n import LANGUAGES, TEXTS, normalise_language, t
from bot.tg.ratelimit import UserRateLimiter, Verdict
from tests.tg.fake_bot_api import render_html


def plain(text: str) -> str:
    return " ".join(text.split())


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab <>&\"'.!?。\n가나😀 ")), min_size=0, max_size=12_000)
)
def test_split_text_fits_telegram_and_keeps_every_character(text: str) -> None:
    messages = split_text(text)
    for message in messages:
        assert tg_len(message) <= MAX_MESSAGE
        render_html(message)  # valid Telegram HTML: nothing left unescaped
    shown = "".join(render_html(m) for m in messages)
    assert re.sub(r"\s", "", shown) == re.sub(r"\s", "", text)


def test_long_answers_are_cut_at_paragraphs_then_sentences() -> None:
    paragraph = " ".join(f"Sentence number {i} about the hub." for i in range(150))  # ~5 kB
    messages = split_text(f"Short intro.\n\n{paragraph}")
    assert len(messages) == 2
    assert messages[0].startswith("Short intro.\n\nSentence number 0")
    assert messages[0].endswith("about the hub.") and messages[1].startswith("Sentence number")


def test_answer_html_escapes_text_and_sources() -> None:
    source = Source(
        title='Fees <2026> & "deposits"', source="en/fees.md", section="Q&A <b>",
        snippet="", score=1.0, language="en", last_verified="2026-11-01",
    )  # fmt: skip
    answer = Answer(
        'Deposit is < 2 months & "refundable".\n\n<script>x</script> & more.', True, "en",
        [source], lead='Deposit is < 2 months & "refundable".', details="<script>x</script> & more.",
    )  # fmt: skip
    view = answer_view(answer, "en")
    collapsed = render_answer(view)
    assert collapsed == (
        "Deposit is &lt; 2 months &amp; &quot;refundable&quot;.\n\n"
        "<i>Sources: Fees &lt;2026&gt; &amp; &quot;deposits&quot;</i>"
    )
    expanded = render_answer(view, MORE | SOURCES)
    assert "&lt;script&gt;x&lt;/script&gt; &amp; more." in expanded
    assert "<b>Fees &lt;2026&gt; &amp; &quot;deposits&quot;</b> — Q&amp;A &lt;b&gt;" in expanded
    assert "(verified 2026-11-01)" in render_html(expanded)  # valid Telegram HTML


def test_lead_first_then_details_and_the_source_list_on_request() -> None:
    sources = [
        Source("Overview", "en/a.md", "How big is it?", "", 1.0, "en", "2026-11-27"),
        Source("Overview", "en/a.md", "Who provides it?", "", 0.9, "en", "2026-11-27"),
        Source("Location", "en/b.md", "Where is it?", "", 0.8, "en", "2026-10-01"),
    ]
    note = "(No English document covers this; the answer is taken from a Korean document.)"
    answer = Answer(
        f"{note}\nThe hub has 1,758 m².\n\nThe space is provided free of charge.", True, "en",
        sources, lead="The hub has 1,758 m².", details="The space is provided free of charge.",
    )  # fmt: skip
    view = answer_view(answer, "en")
    collapsed = render_html(render_answer(view))
    # The lead (with the core's note on the document's language) and one compact line.
    assert collapsed == f"{note}\nThe hub has 1,758 m².\n\nSources: Overview · Location"
    assert render_html(render_answer(view, MORE)) == (
        f"{note}\nThe hub has 1,758 m².\n\nThe space is provided free of charge.\n\n"
        "Sources: Overview · Location"
    )
    listed = render_html(render_answer(view, SOURCES))
    assert "free of charge" not in listed
    assert listed.endswith(
        "Sources\n• Overview — How big is it? (verified 2026-11-27)\n"
        "• Overview — Who provides it? (verified 2026-11-27)\n"
        "• Location — Where is it? (verified 2026-10-01)"
    )


def test_expanded_answers_fit_one_message_with_the_details_cut_at_a_sentence() -> None:
    details = " ".join(
        f"Detail sentence number {i} about the hub & its <rooms>." for i in range(300)
    )
    answer = Answer(f"The lead.\n\n{details}", True, "en", [], lead="The lead.", details=details)
    message = render_answer(answer_view(answer, "en"), MORE)
    assert tg_len(message) <= MAX_MESSAGE
    shown = render_html(message)
    assert shown.startswith("The lead.\n\nDetail sentence number 0 about the hub & its <rooms>.")
    assert shown.endswith("about the hub & its <rooms>. …")  # a whole sentence, then " …"
    assert tg_len(message) > MAX_MESSAGE - 200  # and it used the room there was


def test_a_long_answer_without_details_moves_its_end_behind_more() -> None:
    # A long generated answer has no details of its own: nothing of it may be lost.
    text = " ".join(f"Sentence {i} of a long generated answer." for i in range(200))
    view = answer_view(Answer(text, True, "en"), "en")
    assert view.details and tg_len(render_answer(view)) <= HEAD_LIMIT
    assert plain(f"{view.head} {view.details}") == plain(text)
    assert view.head.endswith("answer.")  # cut after a sentence


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab <>&\"'.!?。\n가😀 ")), min_size=1, max_size=6000),
    st.text(alphabet=st.sampled_from(list("ab <>&\"'.!?。\n가😀 ")), max_size=9000),
    st.lists(st.text(alphabet=st.sampled_from(list("ab<&> 가")), max_size=300), max_size=3),
    st.integers(0, 3),
)
def test_every_view_of_an_answer_is_one_valid_message(
    lead: str, details: str, titles: list[str], shown: int
) -> None:
    sources = [Source(title, "x.md", title, "", 1.0, "en", "2026-01-01") for title in titles]
    answer = Answer(f"{lead}\n\n{details}", True, "en", sources, lead=lead, details=details)
    message = render_answer(answer_view(answer, "en", asked=details[:500]), shown)
    assert tg_len(message) <= MAX_MESSAGE
    render_html(message)  # nothing left unescaped, tags balanced


def test_offers_of_the_handoff_follow_the_outcome() -> None:
    declined = render_answer(answer_view(Answer("죄송합니다.", False, "ko"), "ko"))
    assert declined == f"죄송합니다.\n\n{html.escape(t('decline_offer', 'ko'))}"
    unsure = Answer("Maybe.", True, "vi", outcome="unsure")
    assert render_html(render_answer(answer_view(unsure, "vi"))) == (
        "Maybe.\n\n" + t("unsure_offer", "vi", button=t("ask_staff", "vi"))
    )
    assert t("ask_staff", "vi") in t("unsure_offer", "vi", button=t("ask_staff", "vi"))
    sure = Answer("Yes.", True, "en", outcome="answered")
    assert render_answer(answer_view(sure, "en")) == "Yes."


def test_answer_views_are_bounded_and_scoped_to_their_chat() -> None:
    views = AnswerViews(capacity=2)
    first, second, third = (AnswerView(f"head {n}", "", (), "en") for n in range(3))
    views.put(100, 1, first)
    views.put(100, 2, second)
    assert views.get(100, 1) is first  # used: now the most recent
    views.put(100, 3, third)
    assert len(views) == 2
    assert views.get(100, 2) is None  # the least recently used went
    assert views.get(100, 1) is first and views.get(100, 3) is third
    assert views.get(999, 1) is None  # another chat never sees this chat's answer
    assert len(expand_data(2**31 - 1, MORE | SOURCES).encode()) <= 64


def test_rate_limiter_allows_n_per_minute_then_tells_once() -> None:
    now = [0.0]
    limiter = UserRateLimiter(2, clock=lambda: now[0])
    assert [limiter.check(1) for _ in range(2)] == [Verdict.ALLOW] * 2
    assert limiter.check(1) is Verdict.REFUSE_AND_TELL
    assert limiter.check(1) is Verdict.REFUSE_SILENTLY
    assert limiter.check(2) is Verdict.ALLOW  # per user
    now[0] = 60.0
    assert limiter.check(1) is Verdict.ALLOW


def test_faq_file_has_reviewed_front_matter() -> None:
    when = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
    question = '입주 비용은 "얼마"인가요?\nline two'
    text = faq_markdown(question, "무료입니다.", "ko", "Minji (Telegram id 1)", when)
    assert faq_file_stem(question, when) == "2026-11-27-입주-비용은-얼마-인가요-line-two"
    front = yaml.safe_load(text.split("---\n")[1])
    assert front == {
        "title": question, "language": "ko",
        "sources": ["Hub staff answer via Telegram"], "last_verified": "2026-11-27",
        "approved_by": "Minji (Telegram id 1)", "approved_at": "2026-11-27T09:30:00+00:00",
    }  # fmt: skip
    heading = '입주 비용은 "얼마"인가요? line two'
    assert text.endswith(f"# {heading}\n\n## {heading}\n\n무료입니다.\n")


def test_faq_question_is_one_short_line_or_nothing() -> None:
    assert faq_question("  Can I bring\n my dog?  ") == "Can I bring my dog?"
    assert faq_question("Hi") is None  # too short to be a question
    assert faq_question("/resolve now") is None  # a command, not a question
    assert faq_question("where is the hub " * 20) is None  # 340 characters: not a heading
    assert faq_question("x" * 200) == "x" * 200


def test_staff_published_sources_say_where_they_came_from() -> None:
    upload = Source("Official fee notice", "uploads/fees.md", "", "", 1.0, "en", "2026-11-27",
                    origin="upload", added_on="2026-11-27")  # fmt: skip
    faq = Source("Can I bring my dog?", "faq/dog.md", "", "", 1.0, "en", "2026-11-20",
                 origin="faq", added_on="2026-11-20")  # fmt: skip
    answer = Answer("Text.", True, "ko", [upload, faq])
    for shown in (0, SOURCES):  # the compact line and the full list
        message = render_html(render_answer(answer_view(answer, "ko"), shown))
        assert "(2026-11-27 직원이 올린 문서)" in message
        assert "(2026-11-20 직원 답변에서 저장)" in message
        assert t("verified", "ko") not in message  # an upload never claims to be verified
    english = render_html(render_answer(answer_view(answer, "en"), SOURCES))
    assert "(uploaded by staff on 2026-11-27)" in english
    assert "(saved from a staff answer on 2026-11-20)" in english


def test_faq_slug_falls_back_when_nothing_is_left() -> None:
    assert slugify("???", "fallback") == "fallback"


def test_every_text_exists_in_every_language() -> None:
    for key, table in TEXTS.items():
        assert set(table) == set(LANGUAGES), key
    assert normalise_language("ko-KR") == "ko" and normalise_language("fr") is None
    assert t("rate_limited", "fr") == t("rate_limited", "en")
