"""Issue 14, findings 10 and 11, through a real uvicorn server: symbolic links out of the
knowledge folder, hostile DELETE sources, and a webhook body nested thousands deep."""

from __future__ import annotations

import os

import httpx
import pytest

from bot.tg.app import telegram_webhook
from bot.web import create_app

from .helpers import ADMIN_TOKEN, WEBHOOK_SECRET, ZEBRA_DOC, web_settings

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# A fact that exists only in a file outside the knowledge folder.
OUTSIDE_DOC = b"""---
title: "Staff payroll export"
language: en
---

# Staff payroll export

## What is the payroll passphrase of the hub?

The payroll passphrase of the hub is tangerine-omega-77 and it opens the salary sheet.
"""


@pytest.fixture()
def admin_base(knowledge_assistant, state, serve) -> str:
    """The web app over the real assistant, its knowledge folder a private temp dir."""
    settings = web_settings(knowledge_assistant.settings)
    return serve(create_app(settings, knowledge_assistant, state), settings)


# --- finding 10: symbolic links out of knowledge/ ---------------------------------------------


def test_a_link_out_of_the_knowledge_folder_is_not_followed(
    admin_base, knowledge_assistant, tmp_path
) -> None:
    knowledge = knowledge_assistant.settings.knowledge_dir
    outside = tmp_path / "elsewhere" / "payroll.md"
    outside.parent.mkdir()
    outside.write_bytes(OUTSIDE_DOC)
    notes = knowledge / "notes"
    notes.mkdir()
    (notes / "zebra.md").write_text(ZEBRA_DOC, encoding="utf-8")
    os.symlink(outside, notes / "payroll.md")
    # A link that stays inside the folder is an ordinary alias and still indexed.
    os.symlink(notes / "zebra.md", notes / "zebra-alias.md")

    with httpx.Client(base_url=admin_base, timeout=300) as http:
        report = http.post("/api/admin/ingest", json={"paths": [str(notes)]}, headers=AUTH)
        sources = http.get("/api/admin/sources", headers=AUTH).json()
        asked = http.post(
            "/api/ask", json={"question": "What is the payroll passphrase of the hub?"}
        ).json()

    assert report.status_code == 200, report.text
    body = report.json()
    assert sorted(body["files"]["added"]) == ["notes/zebra-alias.md", "notes/zebra.md"]
    [skipped] = body["skipped"]
    assert skipped.startswith("notes/payroll.md (") and "outside the knowledge folder" in skipped
    assert all(d["source"] != "notes/payroll.md" for d in sources)
    assert "tangerine-omega-77" not in asked["answer"]
    assert all(s["source"] != "notes/payroll.md" for s in asked["sources"])


# --- finding 11: DELETE sources and the webhook ------------------------------------------------


def test_delete_with_a_30000_character_source_is_a_4xx(admin_base) -> None:
    with httpx.Client(base_url=admin_base, timeout=60) as http:
        long_name = http.delete(
            "/api/admin/documents", params={"source": "a" * 30_000 + ".md"}, headers=AUTH
        )
        long_parts = http.delete(
            "/api/admin/documents", params={"source": "/".join(["b" * 255] * 3) + ".md"},
            headers=AUTH,
        )  # fmt: skip
        too_long_to_ingest = http.post(
            "/api/admin/ingest", json={"paths": ["c" * 30_000]}, headers=AUTH
        )

    assert long_name.status_code == 422
    assert long_parts.status_code in (400, 404)
    assert too_long_to_ingest.status_code == 422
    for response in (long_name, long_parts, too_long_to_ingest):
        assert isinstance(response.json()["detail"], str)


def test_delete_of_a_file_that_is_not_an_indexed_document_deletes_nothing(
    admin_base, knowledge_assistant
) -> None:
    knowledge = knowledge_assistant.settings.knowledge_dir
    readme = knowledge / "README.md"
    readme.write_text("# How staff edit this folder\n", encoding="utf-8")
    draft = knowledge / "uploads" / "draft.md"
    draft.parent.mkdir()
    draft.write_text(ZEBRA_DOC, encoding="utf-8")  # on disk, never indexed

    with httpx.Client(base_url=admin_base, timeout=60) as http:
        responses = [
            http.delete("/api/admin/documents", params={"source": source}, headers=AUTH)
            for source in ("README.md", "uploads/draft.md")
        ]

    assert [r.status_code for r in responses] == [404, 404]
    assert all("not an indexed document" in r.json()["detail"] for r in responses)
    assert readme.exists() and draft.exists()


def test_a_webhook_body_nested_5000_deep_is_acknowledged_not_a_500(
    assistant, state, serve, caplog
) -> None:
    received: list[dict] = []

    async def handler(update: dict) -> None:
        received.append(update)

    settings = web_settings(assistant.settings)
    base = serve(create_app(settings, assistant, state, webhooks=[telegram_webhook(settings, handler)]), settings)
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
               "Content-Type": "application/json"}  # fmt: skip
    deep_array = "[" * 5000 + "]" * 5000
    deep_object = '{"update_id": 1, "message": ' + '{"a": ' * 5000 + "1" + "}" * 5001

    with httpx.Client(base_url=base, timeout=60) as http:
        answers = [
            http.post("/telegram/webhook", content=body, headers=headers)
            for body in (deep_array, deep_object)
        ]
        fine = http.post("/telegram/webhook", json={"update_id": 7}, headers=headers)

    # 2xx: Telegram resends every update it gets a non-2xx for, so a 500 would come back
    # again and again.
    assert [a.status_code for a in answers] == [200, 200]
    assert all(a.json()["ignored"] is True for a in answers)
    assert fine.status_code == 200 and received == [{"update_id": 7}]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
