"""Staff tools: uploads (size checked before download), undo, sources, reindex, gaps, stats."""

from __future__ import annotations

import datetime as dt

from bot.tg.i18n import t
from tests.tg.conftest import STAFF, STAFF_USER, as_received, has_button, say, wait_sent
from tests.tg.fake_bot_api import callback_update, message_update, user_json

PARKING_MD = """---
title: "Bicycle parking at the hub"
language: en
topic: facilities
sources: ["Hub facilities team"]
last_verified: 2026-11-01
---

# Bicycle parking at the hub

## Where can founders park bicycles at the hub?

Founders can park bicycles in the basement bike racks of the Tech Trade Center, next to the
freight elevator. The racks are free for hub members.
"""


def send_document(api, chat_id: int, user: dict, document: dict) -> None:
    """Enqueue a message carrying ``document``."""
    api.enqueue(message_update(api, chat_id, user, document=document))


def published(call) -> bool:
    """The report of a finished upload (not the "indexing…" message before it)."""
    return "— published" in call.rendered


async def test_staff_upload_is_stored_ingested_answerable_and_undone(api, service, tg_settings):
    document = api.add_file(PARKING_MD.encode(), "Hub Parking (v2).md")
    send_document(api, STAFF_USER, STAFF, document)
    [report] = await wait_sent(api, STAFF_USER, published, timeout=120)
    assert "uploads/Hub Parking (v2).md" in report.rendered and "Added 1" in report.rendered
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert f"uploaded by staff on {today}" in report.rendered  # what founders will see
    [undo_data] = report.button_data()
    assert undo_data.startswith("undo:")
    # The "indexing…" reply was edited as the job went; it ends saying so.
    edits = [c.rendered for c in api.calls("editMessageText", ok=True)]
    assert "✓ Indexing finished: uploads/Hub Parking (v2).md" in edits
    stored = tg_settings.knowledge_dir / "uploads" / "Hub Parking (v2).md"
    assert stored.read_text(encoding="utf-8") == PARKING_MD
    assert api.calls("<download>", ok=True)

    founder = user_json(701, "en")
    say(api, 701, founder, "Where can founders park bicycles at the hub?")
    [answer] = await wait_sent(api, 701, has_button("fb:"))
    assert "basement bike racks" in answer.rendered
    assert "Bicycle parking at the hub" in answer.rendered
    # The server's date and where it came from, not the document's "last_verified: 2026-11-01".
    assert f"(uploaded by staff on {today})" in answer.rendered
    assert "2026-11-01" not in answer.rendered

    say(api, STAFF_USER, STAFF, "/changes")
    [changes] = await wait_sent(api, STAFF_USER, lambda c: "Recent changes" in c.rendered)
    assert "upload uploads/Hub Parking (v2).md by Minji" in changes.rendered
    assert "↩" in changes.rendered.split("uploads/Hub Parking (v2).md", 1)[1]

    say(api, STAFF_USER, STAFF, "/undo")  # one step
    [undone] = await wait_sent(api, STAFF_USER, lambda c: "undone:" in c.rendered, timeout=120)
    assert "uploads/Hub Parking (v2).md" in undone.rendered
    assert "removed from the answers" in undone.rendered
    assert not stored.exists()
    say(api, 701, founder, "Where can founders park bicycles at the hub?")
    after = await wait_sent(api, 701, lambda c: has_button("fb:")(c) or has_button("ho:")(c),
                            count=2)  # fmt: skip
    assert "basement bike racks" not in after[-1].rendered

    say(api, STAFF_USER, STAFF, "/undo")
    await wait_sent(api, STAFF_USER, lambda c: "Nothing undone: nothing to undo" in c.rendered)


async def test_staff_upload_failure_is_reported_with_its_reason(api, service, tg_settings):
    send_document(api, STAFF_USER, STAFF, api.add_file(b"this is not a PDF", "broken.pdf"))
    [report] = await wait_sent(api, STAFF_USER, lambda c: "not published" in c.rendered,
                               timeout=120)  # fmt: skip
    assert "uploads/broken.pdf" in report.rendered and "not a PDF file" in report.rendered
    assert report.button_data() == []  # nothing to undo
    assert not (tg_settings.knowledge_dir / "uploads" / "broken.pdf").exists()


async def test_undo_button_under_a_report_undoes_that_upload(api, service, tg_settings):
    send_document(api, STAFF_USER, STAFF, api.add_file(PARKING_MD.encode(), "parking.md"))
    [report] = await wait_sent(api, STAFF_USER, published, timeout=120)
    [undo_data] = report.button_data()

    outsider = user_json(706, "en")
    api.enqueue(callback_update(STAFF_USER, outsider, undo_data, as_received(report)))
    await api.wait_for(
        lambda: any(c.params.get("show_alert") for c in api.calls("answerCallbackQuery")),
        what="refusal",
    )
    assert (tg_settings.knowledge_dir / "uploads" / "parking.md").exists()

    api.enqueue(callback_update(STAFF_USER, STAFF, undo_data, as_received(report)))
    await wait_sent(api, STAFF_USER, lambda c: "undone:" in c.rendered, timeout=120)
    assert not (tg_settings.knowledge_dir / "uploads" / "parking.md").exists()


async def test_non_staff_documents_are_refused_without_download(api, service, tg_settings):
    founder = user_json(702, "ko")
    send_document(api, 702, founder, api.add_file(PARKING_MD.encode(), "parking.md"))
    [reply] = await wait_sent(api, 702)
    assert reply.rendered == t("staff_only", "ko")
    assert api.calls("getFile") == [] and api.calls("<download>") == []
    assert not (tg_settings.knowledge_dir / "uploads").exists()


async def test_oversize_and_unsupported_documents_are_refused_before_download(
    api, service, tg_settings
):
    oversize = api.add_file(b"%PDF-1.4 small body", "annual-report.pdf")
    oversize["file_size"] = tg_settings.max_file_bytes + 1  # what Telegram reports
    send_document(api, STAFF_USER, STAFF, oversize)
    [too_big] = await wait_sent(api, STAFF_USER)
    assert "over the 20 MB limit" in too_big.rendered

    send_document(api, STAFF_USER, STAFF, api.add_file(b"MZ", "tool.exe"))
    await wait_sent(api, STAFF_USER, lambda c: "unsupported file type .exe" in c.rendered)
    # The admin page's rule: a name the indexer skips would vanish at the next re-index.
    send_document(api, STAFF_USER, STAFF, api.add_file(b"# Notes", "README.md"))
    await wait_sent(api, STAFF_USER, lambda c: "README.md is a reserved name" in c.rendered)
    send_document(api, STAFF_USER, STAFF, api.add_file(b"# Notes", "../notes.md"))
    await wait_sent(api, STAFF_USER, lambda c: "must not contain a path" in c.rendered)
    assert api.calls("getFile") == [] and api.calls("<download>") == []


async def test_staff_reports_and_reindex(api, service, state):
    say(api, 703, user_json(703, "en"), "What is the capital of France?")  # declined
    await wait_sent(api, 703, has_button("ho:"))
    say(api, 704, user_json(704, "ko"), "서울창업허브 호치민의 면적은 얼마인가요?")
    await wait_sent(api, 704, has_button("fb:"))

    say(api, STAFF_USER, STAFF, "/gaps 7")
    [gaps] = await wait_sent(api, STAFF_USER, lambda c: "Gaps" in c.rendered)
    assert "capital of France" in gaps.rendered and "declined" in gaps.rendered

    say(api, STAFF_USER, STAFF, "/stats")
    [stats] = await wait_sent(api, STAFF_USER, lambda c: "Stats" in c.rendered)
    assert "en: 1 questions, 0% answered" in stats.rendered
    assert "ko: 1 questions, 100% answered" in stats.rendered

    say(api, STAFF_USER, STAFF, "/sources")
    [sources] = await wait_sent(api, STAFF_USER, lambda c: "indexed documents" in c.rendered)
    assert "ko/hub-overview.md" in sources.rendered and "verified 20" in sources.rendered

    say(api, STAFF_USER, STAFF, "/reindex")
    [summary] = await wait_sent(api, STAFF_USER, lambda c: "unchanged" in c.rendered, timeout=60)
    assert "Added 0 · updated 0" in summary.rendered

    say(api, STAFF_USER, STAFF, "/gaps soon")
    await wait_sent(api, STAFF_USER, lambda c: "Usage: /gaps" in c.rendered)


async def test_staff_commands_are_refused_to_others(api, service):
    outsider = user_json(705, "ja")
    for command in ("/stats", "/gaps", "/sources", "/reindex", "/undo", "/changes"):
        say(api, 705, outsider, command)
    replies = await wait_sent(api, 705, count=6)
    assert all(reply.rendered == t("staff_only", "ja") for reply in replies)
