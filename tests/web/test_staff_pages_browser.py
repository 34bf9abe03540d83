"""The admin page and the API docs in Debian's headless Chromium, against a real uvicorn server.

The suite runs with the network cut (``unshare -n``): the docs must render from this server
alone. Every test fails on any console error (Content-Security-Policy violations included).
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from bot.rag.assistant import Assistant
from bot.web import create_app

from .browser import Site, open_page, screenshot
from .helpers import ADMIN_TOKEN, make_settings, web_settings

pytestmark = pytest.mark.browser


def doc(title: str, verified: str | None, body: str) -> str:
    """A knowledge document in the repository's format."""
    meta = f"last_verified: {verified}\n" if verified else ""
    return f"---\ntitle: {title}\nlanguage: en\n{meta}---\n# {title}\n\n## {title}?\n\n{body}\n"


# How many lines each element's text takes (one rect per line box).
LINES_OF_TEXT = """els => els.map(el => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
})"""


def sign_in(page, url: str) -> None:
    page.goto(url + "/admin")
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Use token").click()
    page.get_by_text("Signed in.").wait_for()


@pytest.fixture()
def admin_site(knowledge_assistant, state, serve) -> Site:
    """The app over the real assistant whose knowledge folder is a private temp dir."""
    app = create_app(web_settings(knowledge_assistant.settings), knowledge_assistant, state)
    return Site(serve(app), knowledge_assistant, state)


def test_admin_page_uploads_undoes_and_deletes(browser, admin_site: Site, tmp_path) -> None:
    site, assistant = admin_site, admin_site.assistant
    document = tmp_path / "desk-rental.md"
    document.write_text(
        "---\ntitle: Desk rental\nlanguage: en\n---\n# Desk rental\n\n"
        "## Can I rent a single desk?\n\nSingle desks can be rented by the week.\n",
        encoding="utf-8",
    )
    context, page = open_page(browser, site, viewport={"width": 1100, "height": 900})
    try:
        sign_in(page, site.url)
        assert page.locator("#sources tr").count() == len(assistant.sources())

        page.get_by_label("Upload a document").set_input_files(str(document))
        page.get_by_role("button", name="Upload and index").click()
        page.get_by_text("Published uploads/desk-rental.md").wait_for(timeout=120_000)
        row = page.locator("#sources tr", has_text="uploads/desk-rental.md")
        assert row.locator("td").nth(1).text_content() == "Desk rental"
        today = dt.datetime.now(dt.UTC).date().isoformat()
        assert row.locator("td").nth(4).text_content() == f"upload · admin page · {today}"
        expect(page.locator("#undoable")).to_contain_text("upload of uploads/desk-rental.md")
        page.locator("#h-changes").scroll_into_view_if_needed()
        screenshot(page, "admin-upload-changes.png")

        # Undo in one step: the upload leaves the folder and the list.
        page.get_by_role("button", name="Undo last change").click()
        page.get_by_text("uploads/desk-rental.md: undone: removed from the answers").wait_for(
            timeout=120_000
        )
        expect(page.locator("#sources tr", has_text="uploads/desk-rental.md")).to_have_count(0)
        expect(page.locator("#changes li").first).to_contain_text("undo uploads/desk-rental.md")
        expect(page.locator("#changes li").nth(1)).to_contain_text(
            "upload uploads/desk-rental.md — admin page (undone)"
        )
        expect(page.get_by_role("button", name="Undo last change")).to_be_disabled()
        assert not (assistant.settings.knowledge_dir / "uploads" / "desk-rental.md").exists()

        # Upload again, then delete it from the list.
        page.get_by_label("Upload a document").set_input_files(str(document))
        page.get_by_role("button", name="Upload and index").click()
        page.get_by_text("Published uploads/desk-rental.md").wait_for(timeout=120_000)
        row = page.locator("#sources tr", has_text="uploads/desk-rental.md")

        page.once("dialog", lambda dialog: dialog.accept())
        row.get_by_role("button", name="Delete uploads/desk-rental.md").click()
        page.get_by_text("Deleted uploads/desk-rental.md").wait_for()
        # The message comes before the list is reloaded: wait for the row to go (or time out).
        expect(page.locator("#sources tr", has_text="uploads/desk-rental.md")).to_have_count(0)
        assert not (assistant.settings.knowledge_dir / "uploads" / "desk-rental.md").exists()
    finally:
        context.close()
    assert site.errors == []


def test_admin_freshness_statistics_and_layout(browser, admin_site: Site) -> None:
    site, assistant = admin_site, admin_site.assistant
    folder = assistant.settings.knowledge_dir / "checks"
    folder.mkdir()
    (folder / "old.md").write_text(
        doc("Old desk rules", "2001-02-03", "Desks are cleaned on Mondays."), encoding="utf-8"
    )
    (folder / "older.md").write_text(
        doc("Older locker rules", "1999-12-31", "Lockers are free."), encoding="utf-8"
    )
    (folder / "undated.md").write_text(
        doc("Undated printer notes", None, "The printer is on floor 2."), encoding="utf-8"
    )
    (folder / "fresh.md").write_text(
        doc("Fresh kitchen rules", "2999-01-01", "The kitchen closes at 8 pm."), encoding="utf-8"
    )
    report = assistant.ingest([folder])
    assert not report.failed, report.failed
    # One question from each channel, logged as each channel logs them.
    web = assistant.answer("When did Seoul Startup Hub Ho Chi Minh open?")
    site.state.log_question("web", "web:abcdefgh1", "When did it open?", web, web.confidence)
    telegram = assistant.answer("서울창업허브 호치민의 면적은 얼마인가요?")
    tg_id = site.state.log_question("telegram", "tg:42", "면적은?", telegram, telegram.confidence)
    site.state.record_feedback(tg_id, "telegram", "tg:42", -1)

    for width in (1280, 768):
        context, page = open_page(browser, site, viewport={"width": width, "height": 800})
        try:
            sign_in(page, site.url)
            # Never verified first, then the oldest; the fresh document is not flagged.
            ours = ["checks/undated.md", "checks/older.md", "checks/old.md"]
            flagged = [
                source
                for source in page.locator("#fresh tr td:first-child").all_text_contents()
                if source.startswith("checks/")
            ]
            assert flagged == ours
            undated = page.locator("#fresh tr", has_text="checks/undated.md")
            assert undated.locator("td.date").text_content() == "never"
            older = page.locator("#fresh tr", has_text="checks/older.md")
            assert older.locator("td.date").text_content() == "1999-12-31"
            assert "180 days" in page.locator("#fresh-rule").text_content()
            assert page.locator("#fresh-empty").is_hidden()

            # Statistics count both channels.
            channels = {
                row.locator("td").first.text_content(): [
                    cell.text_content() for cell in row.locator("td").all()[1:]
                ]
                for row in page.locator("#channels tr").all()
            }
            assert channels["Website widget"][0] == "1"
            assert channels["Telegram"][0] == "1" and channels["Telegram"][3] == "1"
            assert channels["All channels"][0] == "2"

            # Layout: dates on one line, the upload row's buttons side by side, no overflow.
            dates = page.locator("td.date, th.date")
            assert dates.count() > 4
            for lines in dates.evaluate_all(LINES_OF_TEXT):
                assert lines == 1
            upload = page.get_by_role("button", name="Upload and index").bounding_box()
            reindex = page.get_by_role("button", name="Re-index all").bounding_box()
            assert upload is not None and reindex is not None
            assert reindex["y"] == pytest.approx(upload["y"], abs=1)
            assert reindex["x"] > upload["x"] + upload["width"]
            assert reindex["x"] + reindex["width"] <= width
            assert page.evaluate("document.documentElement.scrollWidth") <= width

            screenshot(page, f"admin-{width}.png")
            page.locator("#h-docs").scroll_into_view_if_needed()
            screenshot(page, f"admin-{width}-documents.png")
        finally:
            context.close()
    assert site.errors == []


def test_admin_empty_states(browser, tmp_path, shared_embeddings, state, serve) -> None:
    settings = make_settings(tmp_path / "data", tmp_path / "knowledge")
    (tmp_path / "knowledge").mkdir()
    empty = Assistant(settings, embeddings=shared_embeddings)
    site = Site(serve(create_app(web_settings(settings), empty, state)), empty, state)
    context, page = open_page(browser, site, viewport={"width": 1280, "height": 800})
    try:
        sign_in(page, site.url)

        for empty_id in ("sources", "fresh", "handoffs", "gaps", "stats"):
            note = page.locator(f"#{empty_id}-empty")
            assert note.is_visible(), empty_id
            assert note.text_content().startswith("None yet"), empty_id
        assert page.locator("#sources-table").is_hidden()
        assert page.locator("#fresh-table").is_hidden()
        assert page.locator("#channels-table").is_hidden()
        screenshot(page, "admin-empty-1280.png", full_page=True)
    finally:
        context.close()
    assert site.errors == []


def test_docs_render_from_this_server_alone(browser, site_for_docs) -> None:
    site = site_for_docs
    context, page = open_page(browser, site, viewport={"width": 1280, "height": 800})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(site.url + "/docs")
        title = page.locator(".swagger-ui .info .title")
        expect(title).to_contain_text("Seoul Startup Hub Ho Chi Minh assistant")
        paths = page.locator(".swagger-ui .opblock-summary-path")
        expect(paths.filter(has_text="/api/ask/stream")).to_have_count(1)
        assert "/api/examples" in paths.all_text_contents()
        # Operations open and show their schema (rendered by the local bundle, too).
        paths.filter(has_text="/api/examples").first.click()
        expect(page.locator(".swagger-ui .parameters").first).to_contain_text("language")
        screenshot(page, "docs-1280.png")
    finally:
        context.close()
    outside = [url for url in requested if not url.startswith((site.url + "/", "data:"))]
    assert outside == []
    assert any(url.endswith("/docs-assets/swagger-ui-bundle.js") for url in requested)
    assert site.errors == []


@pytest.fixture()
def site_for_docs(plumbing_settings, fake_assistant, state, serve) -> Site:
    """The docs describe the API; the plumbing assistant is enough behind them."""
    app = create_app(plumbing_settings, fake_assistant, state)
    return Site(serve(app), fake_assistant, state)
