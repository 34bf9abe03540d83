"""The small parts on their own: HTML formatting and splitting, rate limit, FAQ files, texts."""

from __future__ import annotations

import datetime as dt
import html
import re

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rag.answer import Answer, Source
from bot.tg.faq import safe_file_name, slugify, write_faq
from bot.tg.format import MAX_MESSAGE, format_answer, split_text, tg_len
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
    answer = Answer('Deposit is < 2 months & "refundable".', True, "en", [source])
    [message] = format_answer(answer, "en")
    assert "&lt; 2 months &amp; &quot;refundable&quot;" in message
    assert "<b>Fees &lt;2026&gt; &amp; &quot;deposits&quot;</b> — Q&amp;A &lt;b&gt;" in message
    assert "(verified 2026-11-01)" in render_html(message)


def test_decline_offers_the_handoff_in_the_users_language() -> None:
    [message] = format_answer(Answer("죄송합니다.", False, "ko"), "ko")
    assert message == f"죄송합니다.\n\n{html.escape(t('decline_offer', 'ko'))}"


def test_rate_limiter_allows_n_per_minute_then_tells_once() -> None:
    now = [0.0]
    limiter = UserRateLimiter(2, clock=lambda: now[0])
    assert [limiter.check(1) for _ in range(2)] == [Verdict.ALLOW] * 2
    assert limiter.check(1) is Verdict.REFUSE_AND_TELL
    assert limiter.check(1) is Verdict.REFUSE_SILENTLY
    assert limiter.check(2) is Verdict.ALLOW  # per user
    now[0] = 60.0
    assert limiter.check(1) is Verdict.ALLOW


def test_faq_file_has_reviewed_front_matter(tmp_path) -> None:
    when = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
    question = '입주 비용은 "얼마"인가요?\nline two'
    path = write_faq(tmp_path, question, "무료입니다.", "ko", "Minji (Telegram id 1)", when)
    again = write_faq(tmp_path, question, "다른 답변", "ko", "Minji (Telegram id 1)", when)
    assert path.name == "2026-11-27-입주-비용은-얼마-인가요-line-two.md"
    assert again.name == "2026-11-27-입주-비용은-얼마-인가요-line-two-2.md"  # never overwritten
    text = path.read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front == {
        "title": question, "language": "ko", "topic": "faq",
        "sources": ["Hub staff answer via Telegram"], "last_verified": "2026-11-27",
        "approved_by": "Minji (Telegram id 1)", "approved_at": "2026-11-27T09:30:00+00:00",
    }  # fmt: skip
    heading = '입주 비용은 "얼마"인가요? line two'
    assert text.endswith(f"# {heading}\n\n## {heading}\n\n무료입니다.\n")


def test_safe_file_names() -> None:
    assert safe_file_name("../../etc/passwd", "x") == "passwd"
    assert safe_file_name("..\\..\\evil.md", "x") == "evil.md"
    assert safe_file_name(".hidden.PDF", "x") == "hidden.pdf"
    assert safe_file_name("회의 자료 (최종).docx", "x") == "회의-자료-최종.docx"
    assert safe_file_name(None, "upload-1") == "upload-1"
    assert slugify("???", "fallback") == "fallback"


def test_every_text_exists_in_every_language() -> None:
    for key, table in TEXTS.items():
        assert set(table) == set(LANGUAGES), key
    assert normalise_language("ko-KR") == "ko" and normalise_language("fr") is None
    assert t("rate_limited", "fr") == t("rate_limited", "en")
