"""The widget in Debian's headless Chromium, against a real uvicorn server and the real assistant.

Every test fails on any console error or uncaught page error, which includes
Content-Security-Policy violations. Screenshots go to test-artifacts/ for people to look at.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.rag.assistant import Assistant
from bot.rag.generate import REFUSAL
from bot.web import create_app

from ..llm.fake_openai import FakeOpenAI, Reply, RunningServer
from ..llm.test_generative import passages_of
from .browser import (
    ANSWERS,
    SHADOW_JS,
    WIDGET,
    Site,
    answer_after,
    ask,
    geometry,
    lang_host,
    open_page,
    screenshot,
    widget,
)
from .helpers import web_settings

pytestmark = pytest.mark.browser

KO_AREA = "서울창업허브 호치민의 면적은 얼마인가요?"
EN_OPENED = "When did Seoul Startup Hub Ho Chi Minh open?"
# An answer with a long lead and details: on a phone it is taller than the message view.
EN_LONG = "Where are Seoul's overseas startup bases?"
OUT_OF_SCOPE = "What is the capital of France?"
XSS = '<img src=x onerror="window.__xss=1">'
# Two questions, the second about a deadline no document gives: shown, but unsure.
UNSURE = "Do you run an accelerator program? When is the next application deadline?"

# The widget's own words (its UI copy, not answers), per language.
INTRO = {
    "ko": "안녕하세요! 서울창업허브 호치민과 베트남 진출에 대해 물어보세요.",
    "en": "Hello! Ask me about Seoul Startup Hub Ho Chi Minh and expanding your startup to Vietnam.",
    "vi": "Xin chào! Hãy hỏi tôi về Seoul Startup Hub Hồ Chí Minh và việc đưa startup sang Việt Nam.",
    "ja": "こんにちは。ソウル創業ハブ・ホーチミンとベトナム進出についてご質問ください。",
}
MORE = {"ko": "더 보기", "en": "Show more", "vi": "Xem thêm", "ja": "続きを表示"}
LESS = {"ko": "접기", "en": "Show less", "vi": "Thu gọn", "ja": "折りたたむ"}
SOURCES = {"ko": "출처 {n}개", "en": "{n} sources", "vi": "{n} nguồn", "ja": "出典 {n}件"}
ONE_SOURCE = {"ko": "출처 1개", "en": "1 source", "vi": "1 nguồn", "ja": "出典 1件"}
STAFF = {"ko": "담당자에게 문의", "en": "Ask a staff member", "vi": "Hỏi nhân viên", "ja": "スタッフに質問"}
VERIFIED = {"ko": "확인일", "en": "verified", "vi": "xác minh", "ja": "確認日"}
# The newest answer's top edge sits this close to the top of the message view (PIN_OFFSET).
AT_TOP = (0, 12)


@pytest.fixture()
def site(assistant, state, serve) -> Site:
    """The demo page served by a real uvicorn server over the real assistant."""
    app = create_app(web_settings(assistant.settings), assistant, state)
    return Site(serve(app), assistant, state)


@pytest.fixture()
def page(browser, site: Site) -> Iterator:
    """A fresh browser tab on the demo page; fails the test on any console error."""
    context, page = open_page(browser, site, viewport={"width": 1280, "height": 860})
    page.goto(site.url + "/")
    yield page
    context.close()
    assert site.errors == []


def open_widget(page) -> None:
    widget(page, "button.launcher").click()
    widget(page, "[role=dialog]").wait_for(state="visible")


def sources_label(lang: str, count: int) -> str:
    return ONE_SOURCE[lang] if count == 1 else SOURCES[lang].format(n=count)


def start_sampling(page) -> None:
    """Record, every frame, where the newest bot bubble's top is in the message view."""
    page.evaluate(
        f"""() => {{
        const root = {SHADOW_JS};
        const log = root.querySelector('.log');
        const before = root.querySelectorAll('.msg.bot').length;
        window.__samples = [];
        window.__sampling = true;
        const tick = () => {{
            const bots = root.querySelectorAll('.msg.bot');
            if (bots.length > before) {{
                const bubble = bots[bots.length - 1];
                window.__samples.push({{
                    top: bubble.getBoundingClientRect().top - log.getBoundingClientRect().top,
                    chars: bubble.querySelector('.lead').textContent.length,
                    preview: bubble.hasAttribute('aria-hidden'),
                }});
            }}
            if (window.__sampling) requestAnimationFrame(tick);
        }};
        requestAnimationFrame(tick);
    }}"""
    )


def stop_sampling(page) -> list[dict]:
    """Stop after the next two frames: the settled answer is sampled at least once even when
    a loaded machine drew no frame between its arrival and this call."""
    return page.evaluate(
        """() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => {
            window.__sampling = false;
            resolve(window.__samples);
        })))"""
    )


# --- conversation -----------------------------------------------------------------------------


def test_conversation_with_sources_feedback_and_reload(page, site: Site) -> None:
    launcher = widget(page, "button.launcher")
    open_widget(page)
    assert launcher.get_attribute("aria-expanded") == "true"

    korean = ask(page, KO_AREA)
    english = ask(page, EN_OPENED)

    assert korean["answered"] and english["answered"]
    expected_ko = site.assistant.answer(KO_AREA)
    answers = widget(page, ANSWERS)
    assert answers.count() == 2
    # The lead first, as the core wrote it; the details wait behind "more".
    assert answers.nth(0).locator(".lead").text_content() == expected_ko.lead
    assert answers.nth(1).locator(".lead").text_content() == english["lead"]
    # Sources: one compact line, the list collapsed until asked for.
    toggle = answers.nth(0).locator("button.src-toggle")
    assert toggle.text_content() == sources_label("ko", len(expected_ko.sources))
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not answers.nth(0).locator(".src-title").first.is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    titles = answers.nth(0).locator(".src-title").all_text_contents()
    assert titles == [s.title for s in expected_ko.sources]
    assert "서울창업허브 호치민 한눈에 보기" in titles
    assert answers.nth(0).locator(".src-title").first.is_visible()
    first = expected_ko.sources[0]
    if first.section != first.title:
        assert answers.nth(0).locator(".src-section").first.text_content() == first.section
    verified = answers.nth(0).locator(".src-verified").first.text_content()
    assert verified == f"확인일 {first.last_verified}"
    en_toggle = answers.nth(1).locator("button.src-toggle")
    en_toggle.click()
    en_titles = answers.nth(1).locator(".src-title").all_text_contents()
    assert en_titles == [s["title"] for s in english["sources"]]

    thumbs_up = answers.nth(1).locator("button[data-rating=up]")
    with page.expect_response(lambda r: r.url.endswith("/api/feedback")) as feedback:
        thumbs_up.click()
    assert feedback.value.status == 200
    answers.nth(1).locator(".status").filter(has_text="기록되었습니다").wait_for()
    assert thumbs_up.get_attribute("aria-pressed") == "true"
    rows = site.state.feedback_for(english["question_id"])
    assert [(r["rating"], r["conversation"]) for r in rows] == [
        (1, f"web:{english['conversation_id']}")
    ]

    page.reload()
    restored = widget(page, ANSWERS)
    restored.nth(1).wait_for()
    assert widget(page, "[role=dialog]").is_visible()  # it was open before the reload
    assert widget(page, ".msg.user .text").all_text_contents() == [KO_AREA, EN_OPENED]
    assert restored.nth(0).locator(".lead").text_content() == expected_ko.lead
    assert restored.nth(1).locator("button[data-rating=up]").get_attribute("aria-pressed") == "true"
    # The newest answer is shown from its first line again.
    assert AT_TOP[0] <= geometry(page)["answerTop"] <= AT_TOP[1]
    # The next question continues the same conversation.
    third = ask(page, OUT_OF_SCOPE)
    assert third["conversation_id"] == english["conversation_id"]


def test_more_shows_the_details(page, site: Site) -> None:
    open_widget(page)

    body = ask(page, EN_LONG)

    assert body["details"], "the test needs an answer with details"
    answer = widget(page, ANSWERS).last
    details = answer.locator(".details")
    more = answer.locator("button.more-btn")
    assert more.text_content() == MORE["ko"]
    assert more.get_attribute("aria-expanded") == "false"
    assert not details.is_visible()
    assert details.get_attribute("id") == more.get_attribute("aria-controls")

    more.click()

    assert more.get_attribute("aria-expanded") == "true"
    assert more.text_content() == LESS["ko"]
    assert details.is_visible()
    assert details.text_content() == body["details"]
    # Lead and details together are the whole answer.
    assert body["answer"] == f"{body['lead']}\n\n{body['details']}"
    more.click()
    assert not details.is_visible() and more.text_content() == MORE["ko"]


def test_html_in_a_question_is_shown_as_text_and_runs_nothing(page, site: Site) -> None:
    open_widget(page)

    ask(page, XSS)

    assert widget(page, ".msg.user .text").last.text_content() == XSS
    assert page.evaluate("window.__xss") is None
    assert page.evaluate(f"{SHADOW_JS}.querySelectorAll('img').length") == 0
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    page.reload()
    widget(page, ".msg.user").first.wait_for()
    assert widget(page, ".msg.user .text").last.text_content() == XSS
    assert page.evaluate("window.__xss") is None
    assert page.evaluate(f"{SHADOW_JS}.querySelectorAll('img').length") == 0


# --- the way to a person ----------------------------------------------------------------------


def test_declined_question_offers_a_staff_handoff(page, site: Site) -> None:
    open_widget(page)

    declined = ask(page, OUT_OF_SCOPE)

    assert declined["answered"] is False and declined["outcome"] == "declined"
    answer = widget(page, ANSWERS).last
    handoff = answer.locator("button.handoff-btn")
    assert handoff.text_content() == STAFF["ko"]
    assert answer.locator("button.handoff-link").count() == 0  # the button replaces the link
    handoff.click()
    contact = answer.get_by_label("이메일, 전화번호 또는 텔레그램")
    assert contact.evaluate(f"el => el === {SHADOW_JS}.activeElement")
    contact.fill("founder@example.com")
    assert answer.get_by_label("질문 내용").input_value() == OUT_OF_SCOPE
    screenshot(page, "widget-handoff-form.png")
    with page.expect_response(lambda r: r.url.endswith("/api/handoff")) as sent:
        answer.get_by_role("button", name="담당자에게 보내기").click()
    assert sent.value.status == 200
    answer.get_by_text("허브 담당자가 연락드리겠습니다").wait_for()
    screenshot(page, "widget-handoff-sent.png")

    [stored] = site.state.open_handoffs()
    assert stored.channel == "web"
    assert stored.conversation == f"web:{declined['conversation_id']}"
    assert stored.contact == "founder@example.com"
    assert stored.question == OUT_OF_SCOPE
    assert stored.answer == declined["answer"]


def test_handoff_is_a_quiet_link_under_confident_answers_and_a_button_under_unsure_ones(
    page, site: Site
) -> None:
    open_widget(page)

    confident = ask(page, KO_AREA)
    unsure = ask(page, UNSURE)

    assert confident["outcome"] == "answered"
    assert unsure["outcome"] == "unsure" and unsure["answered"] is True, unsure
    answers = widget(page, ANSWERS)
    # Under the confident answer: reachable, but quiet (a link, no button, no warning).
    link = answers.nth(0).locator("button.handoff-link")
    assert link.text_content() == STAFF["ko"]
    assert link.is_visible()
    assert answers.nth(0).locator("button.handoff-btn").count() == 0
    assert answers.nth(0).locator(".note").count() == 0
    # Under the unsure one: offered, with the reason.
    assert answers.nth(1).locator(".lead").text_content() == unsure["lead"]
    assert answers.nth(1).locator(".note").is_visible()
    handoff = answers.nth(1).locator("button.handoff-btn")
    assert handoff.text_content() == STAFF["ko"]
    assert answers.nth(1).locator("button.handoff-link").count() == 0
    handoff.click()
    assert answers.nth(1).get_by_label("질문 내용").input_value() == UNSURE
    # The quiet link opens the same form, with the confident answer's question.
    link.click()
    assert answers.nth(0).get_by_label("질문 내용").input_value() == KO_AREA
    with page.expect_response(lambda r: r.url.endswith("/api/handoff")) as sent:
        answers.nth(0).get_by_label("이메일, 전화번호 또는 텔레그램").fill("@founder_tg")
        answers.nth(0).get_by_role("button", name="담당자에게 보내기").click()
    assert sent.value.status == 200
    [stored] = site.state.open_handoffs()
    assert stored.question == KO_AREA and stored.contact == "@founder_tg"


# --- where a new answer appears ---------------------------------------------------------------


def test_new_answer_shows_its_first_line_at_the_top_of_the_view(browser, site: Site) -> None:
    context, page = open_page(
        browser, site, viewport={"width": 360, "height": 740}, device_scale_factor=2,
        is_mobile=True, has_touch=True,
    )
    try:
        page.goto(site.url + "/")
        open_widget(page)
        # The intro's example questions arrive by their own request; once shown, nothing
        # above the conversation changes height while the answers are measured.
        widget(page, ".chips").first.wait_for()
        ask(page, EN_OPENED)
        start_sampling(page)

        body = ask(page, EN_LONG)

        samples = stop_sampling(page)
        where = geometry(page)
        # The answer begins the view: its top at the top, the question above scrolled away.
        assert AT_TOP[0] <= where["answerTop"] <= AT_TOP[1], where
        assert 0 < where["leadTop"] < 60, where
        assert where["previousBottom"] <= 0, where
        # It was put there once and did not move while it arrived (preview, then final).
        assert samples, "the answer never showed"
        assert max(s["top"] for s in samples) - min(s["top"] for s in samples) < 0.5, samples
        answer = widget(page, ANSWERS).last
        assert answer.locator(".lead").text_content() == body["lead"]

        # Opening the details grows the answer downwards: its first line stays.
        answer.locator("button.more-btn").click()
        opened = geometry(page)
        assert opened["answerTop"] == pytest.approx(where["answerTop"], abs=0.5)
        assert opened["answerHeight"] > opened["viewHeight"]  # a long answer indeed
        # Opening the sources (now below the fold) leaves the line tapped where it was.
        toggle = answer.locator("button.src-toggle")
        toggle.scroll_into_view_if_needed()
        tapped = toggle.bounding_box()
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        assert toggle.bounding_box()["y"] == pytest.approx(tapped["y"], abs=0.5)
        screenshot(page, "widget-long-answer-360.png")
    finally:
        context.close()
    assert site.errors == []


@pytest.fixture()
def llm_site(
    indexed_settings, shared_embeddings, state, serve
) -> Iterator[tuple[Site, FakeOpenAI]]:
    """The demo page over an assistant whose answers a (scripted) LLM streams word by word."""
    fake = FakeOpenAI()
    server = RunningServer(fake)
    server.start()
    settings = indexed_settings.model_copy(
        update={
            "answer_generator": "openai",
            "llm_base_url": fake.base_url,
            "llm_model": "fake-model",
            "llm_timeout": 10.0,
        }
    )
    assistant = Assistant(settings, embeddings=shared_embeddings)
    app = create_app(web_settings(settings), assistant, state)
    yield Site(serve(app), assistant, state), fake
    server.stop()


def test_streamed_answer_grows_below_its_first_line(browser, llm_site) -> None:
    site, fake = llm_site

    def quote_slowly(body: dict) -> Reply:
        # A grounded model quoting its passages, one word about every 20 ms. (The greeting's
        # example questions are checked meanwhile: refused at once, they fall back.)
        if KO_AREA not in body["messages"][-1]["content"]:
            return Reply(REFUSAL)
        quoted = [f"{' '.join(text.split())} [{n}]" for n, text in passages_of(body).items()]
        return Reply(" ".join(quoted), gap=0.02)

    fake.responder = quote_slowly
    context, page = open_page(browser, site, viewport={"width": 360, "height": 740})
    try:
        page.goto(site.url + "/")
        open_widget(page)
        start_sampling(page)
        box = widget(page, "textarea#ssh-question")
        box.fill(KO_AREA)
        box.press("Enter")
        widget(page, ANSWERS).first.wait_for()
        widget(page, ".typing").wait_for(state="hidden")
        samples = stop_sampling(page)

        previews = [s for s in samples if s["preview"]]
        assert len({s["chars"] for s in previews}) >= 5, "the answer did not stream"
        tops = [s["top"] for s in samples]
        # Not one pixel of movement from the first word to the checked answer.
        assert max(tops) - min(tops) < 0.5, samples
        assert AT_TOP[0] <= tops[0] <= AT_TOP[1]
        where = geometry(page)
        assert where["answerHeight"] > where["viewHeight"]  # it outgrew the view meanwhile
        assert where["answerTop"] == pytest.approx(tops[0], abs=0.5)
        # Screen readers hear the final answer once: the preview was hidden from them.
        assert widget(page, ".msg.bot[aria-hidden]").count() == 0
    finally:
        context.close()
    assert site.errors == []


# --- greeting and languages -------------------------------------------------------------------


def test_greeting_offers_example_questions_from_the_knowledge_base(browser, site: Site) -> None:
    context, page = open_page(browser, site, viewport={"width": 1280, "height": 800})
    try:
        with page.expect_response(lambda r: "/api/examples" in r.url) as fetched:
            page.goto(site.url + "/")
        offered = fetched.value.json()
        assert fetched.value.url.endswith("/api/examples?language=ko")
        open_widget(page)
        chips = widget(page, ".intro button.chip")
        chips.first.wait_for()

        texts = chips.all_text_contents()
        assert texts == offered["questions"]
        assert 2 <= len(texts) <= 3
        headings = {
            heading
            for _, _, section_headings in site.assistant.retriever.documents_by_language()["ko"]
            for heading in section_headings
        }
        assert set(texts) <= headings  # the documents' own questions, not made up
        assert widget(page, ".intro .chips").get_attribute("aria-labelledby")

        body = answer_after(page, lambda: chips.first.click())

        assert widget(page, ".msg.user .text").last.text_content() == texts[0]
        assert body["answered"] is True and body["outcome"] in ("answered", "unsure")
        assert widget(page, ANSWERS).last.locator(".lead").text_content() == body["lead"]
        # The greeting keeps its examples after a reload, without asking the server again.
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.reload()
        widget(page, ".intro button.chip").first.wait_for()
        assert widget(page, ".intro button.chip").all_text_contents() == texts
        assert not [url for url in requests if "/api/examples" in url]
    finally:
        context.close()
    assert site.errors == []


@pytest.mark.parametrize("lang", ["ko", "en", "vi", "ja"])
def test_widget_in_each_language(browser, site: Site, lang: str) -> None:
    context, page = open_page(browser, site, viewport={"width": 1280, "height": 800})
    try:
        lang_host(page, site, lang)
        page.goto(site.url + "/")
        open_widget(page)
        assert widget(page, ".intro .text").text_content() == INTRO[lang]
        chips = widget(page, ".intro button.chip")
        chips.first.wait_for()
        headings = {
            heading
            for _, _, section_headings in site.assistant.retriever.documents_by_language()[lang]
            for heading in section_headings
        }
        assert set(chips.all_text_contents()) <= headings
        if lang in ("ko", "en"):
            screenshot(page, f"widget-{lang}-1280-greeting.png")

        body = answer_after(page, lambda: chips.first.click())

        assert body["language"] == lang
        answer = widget(page, ANSWERS).last
        assert answer.get_attribute("lang") is None  # the bubble's UI words are in ``lang``
        assert answer.locator(".lead").get_attribute("lang") == lang
        toggle = answer.locator("button.src-toggle")
        assert toggle.text_content() == sources_label(lang, len(body["sources"]))
        staff = "button.handoff-link" if body["outcome"] == "answered" else "button.handoff-btn"
        assert answer.locator(staff).text_content() == STAFF[lang]
        assert AT_TOP[0] <= geometry(page)["answerTop"] <= AT_TOP[1]
        if lang in ("ko", "en"):
            screenshot(page, f"widget-{lang}-1280.png")
        if body["details"]:
            more = answer.locator("button.more-btn")
            assert more.text_content() == MORE[lang]
            more.click()
        toggle.click()
        verified = answer.locator(".src-verified").first.text_content()
        assert verified == f"{VERIFIED[lang]} {body['sources'][0]['last_verified']}"
        if lang in ("ko", "en"):
            screenshot(page, f"widget-{lang}-1280-expanded.png")
    finally:
        context.close()
    assert site.errors == []


# --- keyboard, screen reader, small screens ---------------------------------------------------


def test_keyboard_opens_and_escape_closes(page, site: Site) -> None:
    focused_launcher = (
        f"() => document.activeElement && document.activeElement.localName === '{WIDGET}' "
        f"&& {SHADOW_JS}.activeElement === {SHADOW_JS}.querySelector('button.launcher')"
    )
    for _ in range(40):  # the page's links and FAQ items come first
        page.keyboard.press("Tab")
        if page.evaluate(focused_launcher):
            break
    else:
        pytest.fail("the launcher is not reachable with Tab")
    launcher = widget(page, "button.launcher")
    assert launcher.get_attribute("aria-label") == "허브 도우미 채팅 열기"

    page.keyboard.press("Enter")

    dialog = widget(page, "[role=dialog]")
    dialog.wait_for(state="visible")
    assert dialog.get_attribute("aria-labelledby") == "ssh-title"
    assert widget(page, "[role=log]").get_attribute("aria-live") == "polite"
    assert page.evaluate(f"{SHADOW_JS}.activeElement.id") == "ssh-question"
    page.keyboard.type("허브는 어디에 있나요?")
    page.keyboard.press("Enter")
    widget(page, ANSWERS).first.wait_for()

    page.keyboard.press("Escape")

    dialog.wait_for(state="hidden")
    assert launcher.get_attribute("aria-expanded") == "false"
    assert page.evaluate(focused_launcher)


def test_keyboard_reaches_every_control_of_an_answer(page, site: Site) -> None:
    open_widget(page)
    body = ask(page, EN_LONG)
    assert body["outcome"] == "answered" and body["details"] and body["sources"]
    focused = (
        f"() => {{ const el = {SHADOW_JS}.activeElement; "
        "return el.className + ' ' + (el.dataset.rating || ''); }"
    )

    # Backwards from the question box: the answer's controls, last to first.
    order = []
    for _ in range(5):
        page.keyboard.press("Shift+Tab")
        order.append(page.evaluate(focused).strip())
    assert order == [
        "link-btn handoff-link",
        "down",
        "up",
        "link-btn src-toggle",
        "link-btn more-btn",
    ]
    more = widget(page, ANSWERS).last.locator("button.more-btn")
    page.keyboard.press("Enter")
    assert more.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Space")
    assert more.get_attribute("aria-expanded") == "false"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_small_screen_360px(browser, site: Site, lang: str) -> None:
    context, page = open_page(
        browser, site, viewport={"width": 360, "height": 740}, device_scale_factor=2,
        is_mobile=True, has_touch=True,
    )
    try:
        lang_host(page, site, lang)
        page.goto(site.url + "/")
        open_widget(page)
        widget(page, ".intro button.chip").first.wait_for()
        screenshot(page, f"widget-{lang}-360-greeting.png")
        chips = widget(page, ".intro button.chip")
        for index in range(chips.count()):
            chip = chips.nth(index).bounding_box()
            assert chip is not None and chip["x"] >= 0 and chip["x"] + chip["width"] <= 360

        body = ask(page, EN_OPENED if lang == "en" else KO_AREA)
        answer = widget(page, ANSWERS).last
        assert AT_TOP[0] <= geometry(page)["answerTop"] <= AT_TOP[1]
        screenshot(page, f"widget-{lang}-360.png")
        if body["details"]:
            answer.locator("button.more-btn").click()
        answer.locator("button.src-toggle").click()

        dialog = widget(page, "[role=dialog]").bounding_box()
        assert dialog is not None
        assert dialog["x"] >= 0 and dialog["x"] + dialog["width"] <= 360
        assert dialog["y"] >= 0 and dialog["y"] + dialog["height"] <= 740
        send = widget(page, ".composer button[type=submit]").bounding_box()
        assert send is not None and send["x"] + send["width"] <= 360
        assert answer.locator(".src-title").first.text_content() == body["sources"][0]["title"]
        where = geometry(page)
        assert where["pageOverflowX"] <= 0 and where["logOverflowX"] <= 0, where
        screenshot(page, f"widget-{lang}-360-expanded.png")
    finally:
        context.close()
    assert site.errors == []
