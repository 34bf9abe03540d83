"""One outline rule for Markdown, HTML and .docx (bot/rag/loaders.py ``_Headings``): a heading
closes every open heading of its level or deeper; the first level-1 heading is the title."""

from __future__ import annotations

from pathlib import Path

from bot.rag.loaders import parse_bytes
from tests.rag.files import docx_bytes

# (level, heading) or (0, paragraph), in document order.
OUTLINE = [
    (1, "Guide"),
    (2, "Fees"),
    (0, "Ask the staff."),
    (3, "Members"),
    (0, "Free for members."),
    (4, "Students"),
    (0, "Half price."),
    (3, "Guests"),
    (0, "Pay at the desk."),
    (2, "Rooms"),
    (0, "Book online."),
]
EXPECTED = [
    (("Fees",), "Ask the staff."),
    (("Fees", "Members"), "Free for members."),
    (("Fees", "Members", "Students"), "Half price."),
    (("Fees", "Guests"), "Pay at the desk."),
    (("Rooms",), "Book online."),
]


def _sections(raw: bytes, name: str) -> tuple[str, list[tuple[tuple[str, ...], str]]]:
    doc = parse_bytes(raw, Path(name))
    return doc.title, [(s.path, s.text) for s in doc.sections]


def test_markdown_outline() -> None:
    body = "\n\n".join(f"{'#' * level} {text}" if level else text for level, text in OUTLINE)
    assert _sections(body.encode(), "guide.md") == ("Guide", EXPECTED)


def test_html_outline() -> None:
    body = "".join(f"<h{level}>{text}</h{level}>" if level else f"<p>{text}</p>" for level, text in OUTLINE)
    raw = f"<html><body>{body}</body></html>".encode()
    assert _sections(raw, "guide.html") == ("Guide", EXPECTED)


def test_docx_outline() -> None:
    paragraphs = [(f"Heading {level}", text) if level else ("Normal", text) for level, text in OUTLINE]
    assert _sections(docx_bytes(paragraphs), "guide.docx") == ("Guide", EXPECTED)
