"""Issue 14, finding 7: anonymous text cannot deface the admin page (Debian's headless
Chromium, a real uvicorn server, the real assistant)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import insert

from bot.state import handoffs, questions, utcnow
from bot.web import create_app

from .helpers import ADMIN_TOKEN, web_settings

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDTH = 1280

UNBROKEN = "x" * 1000
ACCENTS_ABOVE = "e" + "\u0301" * 999  # 1,000 characters: the question limit
ACCENTS_BELOW = "o" + "\u0323" * 999


def _region(page, top: float, bottom: float) -> bytes:
    """A screenshot of the full-width band between two page heights."""
    return page.screenshot(
        full_page=True, clip={"x": 0, "y": top, "width": WIDTH, "height": max(bottom - top, 1)}
    )


def test_long_and_stacked_visitor_text_does_not_deface_the_admin_page(
    browser, assistant, state, serve
) -> None:
    settings = web_settings(assistant.settings)
    base = serve(create_app(settings, assistant, state), settings)
    with httpx.Client(base_url=base, timeout=120) as http:
        assert http.post("/api/ask", json={"question": UNBROKEN}).status_code == 200
        for contact, question in (("c" * 200, UNBROKEN), ("flood@example.com", ACCENTS_ABOVE)):
            response = http.post("/api/handoff", json={"contact": contact, "question": question})
            assert response.status_code == 200
    # Floods stored before intake limited them (an older version): the page must hold anyway.
    with state.engine.begin() as conn:
        conn.execute(insert(questions).values(
            channel="web", conversation="web:legacy", language="en", question=ACCENTS_BELOW,
            answer="", answered=False, confidence=0.0, top_source="", created_at=utcnow(),
        ))  # fmt: skip
        conn.execute(insert(handoffs).values(
            channel="web", conversation="web:legacy", language="en", question=ACCENTS_ABOVE,
            answer="", sources="[]", contact=ACCENTS_BELOW, status="open", created_at=utcnow(),
        ))  # fmt: skip
    gaps, open_handoffs = len(state.gaps(30)), len(state.open_handoffs())
    assert gaps >= 2 and open_handoffs == 3

    errors: list[str] = []
    context = browser.new_context(viewport={"width": WIDTH, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(base + "/admin")
        page.get_by_label("Admin token").fill(ADMIN_TOKEN)
        page.get_by_role("button", name="Use token").click()
        page.get_by_text("Signed in.").wait_for()
        expect(page.locator("#gaps li")).to_have_count(gaps)
        expect(page.locator("#handoffs li")).to_have_count(open_handoffs)

        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "admin-defacement-1280.png"), full_page=True)
        # Everything outside the two lists, as three full-width bands; then the same bands
        # with the lists hidden (layout unchanged): a mark drawn out of a list row shows up
        # as a difference.
        bands = _bands_outside(page, ["handoffs", "gaps"])
        shot = [_region(page, top, bottom) for top, bottom in bands]
        page.evaluate("for (const id of ['handoffs', 'gaps'])"
                      " document.getElementById(id).style.visibility = 'hidden'")  # fmt: skip
        clean = [_region(page, top, bottom) for top, bottom in bands]
    finally:
        context.close()

    assert scroll_width <= WIDTH, f"the page is {scroll_width} px wide"
    for (top, bottom), drawn, hidden in zip(bands, shot, clean, strict=True):
        assert drawn == hidden, f"a list row draws over the page between y={top} and y={bottom}"
    assert errors == []
    # Limited at intake: 4 marks are kept, the other 995 never stored.
    stored = [h.question for h in state.open_handoffs() if h.contact == "flood@example.com"]
    assert stored == ["e" + "\u0301" * 4]


def _bands_outside(page, ids: list[str]) -> list[tuple[float, float]]:
    """The page heights above, between and below the elements with ``ids`` (in page order)."""
    height = page.evaluate("document.documentElement.scrollHeight")
    boxes = sorted((page.locator(f"#{i}").bounding_box() for i in ids), key=lambda b: b["y"])
    edges = [0.0]
    for box in boxes:
        edges += [box["y"], box["y"] + box["height"]]
    edges.append(height)
    return list(zip(edges[::2], edges[1::2], strict=True))
