"""The widget in Debian's headless Chromium, against a real uvicorn server and the real assistant.

Playwright drives the system Chromium (never a downloaded browser). Every test fails on any
console error or uncaught page error, which includes Content-Security-Policy violations.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bot.web import create_app

from .helpers import web_settings

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium")
LAUNCH_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 20_000

KO_AREA = "서울창업허브 호치민의 면적은 얼마인가요?"
EN_OPENED = "When did Seoul Startup Hub Ho Chi Minh open?"
OUT_OF_SCOPE = "What is the capital of France?"
XSS = '<img src=x onerror="window.__xss=1">'

WIDGET = "ssh-hcmc-assistant"
SHADOW_JS = f"document.querySelector('{WIDGET}').shadowRoot"


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium for the module."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@dataclass
class Site:
    """The running server and what the test needs to check behind it."""

    url: str
    assistant: object
    state: object
    errors: list[str] = field(default_factory=list)


@pytest.fixture()
def site(assistant, state, serve) -> Site:
    """The demo page served by a real uvicorn server over the real assistant."""
    app = create_app(web_settings(assistant.settings), assistant, state)
    return Site(serve(app), assistant, state)


def _open_page(browser, site: Site, **context_options):
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)

    def on_console(message) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            site.errors.append(f"console {message.type}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: site.errors.append(f"pageerror: {error}"))
    return context, page


@pytest.fixture()
def page(browser, site: Site) -> Iterator:
    """A fresh browser tab on the demo page; fails the test on any console error."""
    context, page = _open_page(browser, site, viewport={"width": 1280, "height": 860})
    page.goto(site.url + "/")
    yield page
    context.close()
    assert site.errors == []


def widget(page, selector: str):
    """A locator inside the widget's (open) shadow root."""
    return page.locator(f"{WIDGET} {selector}")


def ask(page, question: str) -> dict:
    """Type a question, press Enter, wait for the answer; returns the API's JSON."""
    box = widget(page, "textarea#ssh-question")
    box.fill(question)
    # The widget streams (server-sent events); the "done" event carries the JSON body.
    # Chromium does not keep streamed bodies, so the route passes the response through and
    # keeps a copy.
    captured: list[str] = []

    def keep(route) -> None:
        response = route.fetch()
        captured.append(response.text())
        route.fulfill(response=response)

    page.route("**/api/ask/stream", keep)
    try:
        with page.expect_response(lambda r: r.url.endswith("/api/ask/stream")) as info:
            box.press("Enter")
    finally:
        page.unroute("**/api/ask/stream", keep)
    assert info.value.headers["content-type"].startswith("text/event-stream")
    assert len(captured) == 1
    events = [block.split("\n") for block in captured[0].split("\n\n") if block]
    done = [lines[1] for lines in events if lines[0] == "event: done"]
    assert len(done) == 1, events
    body = json.loads(done[0].removeprefix("data: "))
    answers = widget(page, ".msg.bot")
    answers.last.locator(".text").filter(has_text=body["answer"][:40]).wait_for()
    widget(page, ".typing").wait_for(state="hidden")
    return body


def test_conversation_with_sources_feedback_and_reload(page, site: Site) -> None:
    launcher = widget(page, "button.launcher")
    launcher.click()
    widget(page, "[role=dialog]").wait_for(state="visible")
    assert launcher.get_attribute("aria-expanded") == "true"

    korean = ask(page, KO_AREA)
    english = ask(page, EN_OPENED)

    assert korean["answered"] and english["answered"]
    expected_ko = site.assistant.answer(KO_AREA)
    bot_messages = widget(page, ".msg.bot")
    # The intro, then one answer per question, shown exactly as the core wrote them.
    assert bot_messages.count() == 3
    assert bot_messages.nth(1).locator(".text").text_content() == expected_ko.answer
    assert bot_messages.nth(2).locator(".text").text_content() == english["answer"]
    titles = bot_messages.nth(1).locator(".src-title").all_text_contents()
    assert titles == [s.title for s in expected_ko.sources]
    assert "서울창업허브 호치민 한눈에 보기" in titles
    verified = bot_messages.nth(1).locator(".src-verified").first.text_content()
    assert verified == f"(확인일 {expected_ko.sources[0].last_verified})"
    en_titles = bot_messages.nth(2).locator(".src-title").all_text_contents()
    assert en_titles == [s["title"] for s in english["sources"]]

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget.png"))

    thumbs_up = bot_messages.nth(2).locator("button[data-rating=up]")
    with page.expect_response(lambda r: r.url.endswith("/api/feedback")) as feedback:
        thumbs_up.click()
    assert feedback.value.status == 200
    bot_messages.nth(2).locator(".status").filter(has_text="기록되었습니다").wait_for()
    assert thumbs_up.get_attribute("aria-pressed") == "true"
    rows = site.state.feedback_for(english["question_id"])
    assert [(r["rating"], r["conversation"]) for r in rows] == [
        (1, f"web:{english['conversation_id']}")
    ]

    page.reload()
    restored = widget(page, ".msg.bot")
    restored.nth(2).wait_for()
    assert widget(page, "[role=dialog]").is_visible()  # it was open before the reload
    assert widget(page, ".msg.user .text").all_text_contents() == [KO_AREA, EN_OPENED]
    assert restored.nth(1).locator(".text").text_content() == expected_ko.answer
    assert restored.nth(2).locator("button[data-rating=up]").get_attribute("aria-pressed") == "true"
    # The next question continues the same conversation.
    third = ask(page, OUT_OF_SCOPE)
    assert third["conversation_id"] == english["conversation_id"]


def test_html_in_a_question_is_shown_as_text_and_runs_nothing(page, site: Site) -> None:
    widget(page, "button.launcher").click()

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


def test_declined_question_offers_a_staff_handoff(page, site: Site) -> None:
    widget(page, "button.launcher").click()

    declined = ask(page, OUT_OF_SCOPE)

    assert declined["answered"] is False
    answer = widget(page, ".msg.bot").last
    handoff = answer.locator("button.handoff-btn")
    assert handoff.text_content() == "담당자에게 문의"
    handoff.click()
    contact = answer.get_by_label("이메일, 전화번호 또는 텔레그램")
    assert contact.evaluate(f"el => el === {SHADOW_JS}.activeElement")
    contact.fill("founder@example.com")
    assert answer.get_by_label("질문 내용").input_value() == OUT_OF_SCOPE
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-handoff-form.png"))
    with page.expect_response(lambda r: r.url.endswith("/api/handoff")) as sent:
        answer.get_by_role("button", name="담당자에게 보내기").click()
    assert sent.value.status == 200
    answer.get_by_text("허브 담당자가 연락드리겠습니다").wait_for()
    page.screenshot(path=str(ARTIFACTS / "widget-handoff-sent.png"))

    [stored] = site.state.open_handoffs()
    assert stored.channel == "web"
    assert stored.conversation == f"web:{declined['conversation_id']}"
    assert stored.contact == "founder@example.com"
    assert stored.question == OUT_OF_SCOPE
    assert stored.answer == declined["answer"]


# Two questions, the second about a deadline no document gives: shown, but unsure.
UNSURE = "Do you run an accelerator program? When is the next application deadline?"


def test_unsure_answers_offer_the_staff_handoff_and_confident_ones_do_not(
    page, site: Site
) -> None:
    widget(page, "button.launcher").click()

    confident = ask(page, KO_AREA)
    unsure = ask(page, UNSURE)

    assert confident["outcome"] == "answered"
    assert unsure["outcome"] == "unsure" and unsure["answered"] is True, unsure
    answers = widget(page, ".msg.bot")
    assert answers.nth(1).locator("button.handoff-btn").count() == 0
    assert answers.nth(2).locator(".text").text_content() == unsure["answer"]
    handoff = answers.nth(2).locator("button.handoff-btn")
    assert handoff.text_content() == "담당자에게 문의"
    handoff.click()
    assert answers.nth(2).get_by_label("질문 내용").input_value() == UNSURE


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
    widget(page, ".msg.bot").nth(1).wait_for()

    page.keyboard.press("Escape")

    dialog.wait_for(state="hidden")
    assert launcher.get_attribute("aria-expanded") == "false"
    assert page.evaluate(focused_launcher)


def test_small_screen_360px(browser, site: Site) -> None:
    context, page = _open_page(
        browser, site, viewport={"width": 360, "height": 740}, device_scale_factor=2,
        is_mobile=True, has_touch=True,
    )
    try:
        page.goto(site.url + "/")
        widget(page, "button.launcher").click()
        body = ask(page, EN_OPENED)

        dialog = widget(page, "[role=dialog]").bounding_box()
        assert dialog is not None
        assert dialog["x"] >= 0 and dialog["x"] + dialog["width"] <= 360
        assert dialog["y"] >= 0 and dialog["y"] + dialog["height"] <= 740
        send = widget(page, ".composer button[type=submit]").bounding_box()
        assert send is not None and send["x"] + send["width"] <= 360
        assert widget(page, ".msg.bot").last.locator(".src-title").first.text_content() == (
            body["sources"][0]["title"]
        )
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 360
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "widget-360.png"))
    finally:
        context.close()
    assert site.errors == []


def test_admin_page_lists_uploads_and_deletes(browser, knowledge_assistant, state, serve,
                                              tmp_path) -> None:  # fmt: skip
    from .helpers import ADMIN_TOKEN

    site = Site(
        serve(create_app(web_settings(knowledge_assistant.settings), knowledge_assistant, state)),
        knowledge_assistant,
        state,
    )
    document = tmp_path / "desk-rental.md"
    document.write_text(
        "---\ntitle: Desk rental\nlanguage: en\n---\n# Desk rental\n\n"
        "## Can I rent a single desk?\n\nSingle desks can be rented by the week.\n",
        encoding="utf-8",
    )
    context, page = _open_page(browser, site, viewport={"width": 1100, "height": 900})
    try:
        page.goto(site.url + "/admin")
        page.get_by_label("Admin token").fill(ADMIN_TOKEN)
        page.get_by_role("button", name="Use token").click()
        page.get_by_text("Signed in.").wait_for()
        assert page.locator("#sources tr").count() == len(knowledge_assistant.sources())

        page.get_by_label("Upload").set_input_files(str(document))
        page.get_by_role("button", name="Upload and index").click()
        page.get_by_text("Indexed uploads/desk-rental.md").wait_for()
        row = page.locator("#sources tr", has_text="uploads/desk-rental.md")
        assert row.locator("td").nth(1).text_content() == "Desk rental"

        page.once("dialog", lambda dialog: dialog.accept())
        row.get_by_role("button", name="Delete uploads/desk-rental.md").click()
        page.get_by_text("Deleted uploads/desk-rental.md").wait_for()
        # The message comes before the list is reloaded: wait for the row to go (or time out).
        expect(page.locator("#sources tr", has_text="uploads/desk-rental.md")).to_have_count(0)
        assert not (knowledge_assistant.settings.knowledge_dir / "uploads" / "desk-rental.md").exists()
    finally:
        context.close()
    assert site.errors == []
