"""Shared parts of the browser tests: Debian's Chromium through Playwright, page helpers.

Playwright drives the system Chromium (never a downloaded browser). Pages opened with
``open_page`` record console errors and uncaught page errors (Content-Security-Policy
violations included) in ``site.errors``; the tests assert it stays empty.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

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

WIDGET = "ssh-hcmc-assistant"
SHADOW_JS = f"document.querySelector('{WIDGET}').shadowRoot"
# The answers (not the intro, not a streamed preview, which screen readers never hear).
ANSWERS = ".msg.bot:not(.intro):not([aria-hidden])"


@dataclass
class Site:
    """The running server and what the test needs to check behind it."""

    url: str
    assistant: object
    state: object
    errors: list[str] = field(default_factory=list)


def open_page(browser, site: Site, **context_options):
    """A new context and tab whose console errors land in ``site.errors``."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)

    def on_console(message) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            site.errors.append(f"console {message.type}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: site.errors.append(f"pageerror: {error}"))
    return context, page


def screenshot(page, name: str, **options) -> Path:
    """Save a screenshot into test-artifacts/ (looked at by people, not compared)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), **options)
    return path


def widget(page, selector: str):
    """A locator inside the widget's (open) shadow root."""
    return page.locator(f"{WIDGET} {selector}")


def answer_after(page, action) -> dict:
    """Run ``action`` (typing a question, tapping an example), wait for the answer it gets;
    returns the API's JSON (the stream's "done" event)."""
    # Chromium does not keep streamed bodies, so the route passes the response through and
    # keeps a copy.
    captured: list[str] = []

    def keep(route) -> None:
        response = route.fetch()
        captured.append(response.text())
        route.fulfill(response=response)

    before = widget(page, ANSWERS).count()
    page.route("**/api/ask/stream", keep)
    try:
        with page.expect_response(lambda r: r.url.endswith("/api/ask/stream")) as info:
            action()
    finally:
        page.unroute("**/api/ask/stream", keep)
    assert info.value.headers["content-type"].startswith("text/event-stream")
    assert len(captured) == 1
    events = [block.split("\n") for block in captured[0].split("\n\n") if block]
    done = [lines[1] for lines in events if lines[0] == "event: done"]
    assert len(done) == 1, events
    body = json.loads(done[0].removeprefix("data: "))
    widget(page, ANSWERS).nth(before).wait_for()
    widget(page, ".typing").wait_for(state="hidden")
    return body


def ask(page, question: str) -> dict:
    """Type a question, press Enter, wait for the answer; returns the API's JSON."""
    box = widget(page, "textarea#ssh-question")
    box.fill(question)
    return answer_after(page, lambda: box.press("Enter"))


def lang_host(page, site: Site, lang: str) -> None:
    """Serve the demo page as a page in ``lang`` would embed the widget (data-lang, <html
    lang>): the same one-tag embed, another language."""

    def rewrite(route) -> None:
        response = route.fetch()
        body = (
            response.text()
            .replace('data-lang="ko"', f'data-lang="{lang}"')
            .replace('<html lang="ko">', f'<html lang="{lang}">')
        )
        route.fulfill(response=response, body=body)

    page.route(site.url + "/", rewrite)


def geometry(page) -> dict:
    """Where the newest answer sits in the message view, and whether anything overflows."""
    return page.evaluate(
        f"""() => {{
        const root = {SHADOW_JS};
        const log = root.querySelector('.log');
        const answers = root.querySelectorAll('{ANSWERS}');
        const answer = answers[answers.length - 1];
        const view = log.getBoundingClientRect();
        const box = answer ? answer.getBoundingClientRect() : null;
        const lead = answer ? answer.querySelector('.lead').getBoundingClientRect() : null;
        const before = answer ? answer.previousElementSibling.getBoundingClientRect() : null;
        return {{
            answerTop: box && box.top - view.top,
            answerHeight: box && box.height,
            leadTop: lead && lead.top - view.top,
            previousBottom: before && before.bottom - view.top,
            viewHeight: log.clientHeight,
            logOverflowX: log.scrollWidth - log.clientWidth,
            pageOverflowX: document.documentElement.scrollWidth - window.innerWidth,
        }};
    }}"""
    )
