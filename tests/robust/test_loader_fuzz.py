"""Fuzzing every loader: whatever the bytes, parsing returns a document or raises IngestError.

2,000 generated inputs per loader (derandomized, so a CI failure reproduces locally), plus
the hostile cases that once hung or exploded, as explicit examples.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings

from bot.errors import IngestError
from bot.rag.loaders import ParsedDocument, parse_bytes
from tests.robust.inputs import (
    docx_inputs,
    html_inputs,
    markdown_inputs,
    pdf_inputs,
    text_inputs,
)

logger = logging.getLogger(__name__)

EXAMPLES = 2000
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# The catch-all in parse_bytes turns a parser's unexpected exception into this reason: it
# keeps ingestion alive, but each occurrence is logged so new parser bugs stay visible.
CATCH_ALL = "could not parse ("

outcomes: Counter[str] = Counter()


@pytest.fixture(autouse=True, scope="module")
def _report_outcomes() -> Iterator[None]:
    yield
    logger.info("loader fuzz outcomes: %s", dict(outcomes.most_common(30)))


def check(raw: bytes, name: str) -> None:
    """Parse ``raw``; the only acceptable failure is IngestError with a non-empty reason."""
    try:
        doc = parse_bytes(raw, Path(name))
    except IngestError as exc:
        assert exc.reason.strip(), "IngestError without a reason"
        assert "Traceback" not in exc.reason
        outcomes[f"{Path(name).suffix} {exc.reason[:60]}"] += 1
        return
    assert isinstance(doc, ParsedDocument)
    assert doc.title.strip() and isinstance(doc.language, str)
    assert any(section.text.strip() for section in doc.sections)
    for section in doc.sections:
        assert "\x00" not in section.text, "NUL bytes must not reach the index"
    outcomes[f"{Path(name).suffix} ok"] += 1


HUGE_SPACES_HTML = b"<p>a" + b" " * 1_000_000 + b"b</p>"
NESTED_DIVS = b"<html><body>" + b"<div>" * 100_000 + b"deep text" + b"</div>" * 100_000
HUGE_ATTRIBUTE = b"<div title='" + b"x" * 2_000_000 + b"'>text</div>"


@FUZZ
@given(raw=pdf_inputs())
def test_pdf_fuzz(raw: bytes) -> None:
    check(raw, "x.pdf")


@FUZZ
@given(raw=docx_inputs())
def test_docx_fuzz(raw: bytes) -> None:
    check(raw, "x.docx")


@FUZZ
@given(raw=html_inputs())
@example(raw=NESTED_DIVS)
@example(raw=HUGE_SPACES_HTML)
@example(raw=HUGE_ATTRIBUTE)
@example(raw=b"<h1>" * 50_000 + b"t")
def test_html_fuzz(raw: bytes) -> None:
    check(raw, "x.html")


@FUZZ
@given(raw=markdown_inputs())
@example(raw=b"# a" + b" " * 1_000_000 + b"b\nbody")  # quadratic heading regex (fixed)
@example(raw=b"---\ntitle: " + b"1" * 5000 + b"\n---\nbody")  # int beyond the digit limit
@example(raw=b"---\n" + b"[" * 20_000 + b"\n---\nbody")
def test_markdown_fuzz(raw: bytes) -> None:
    check(raw, "x.md")


@FUZZ
@given(raw=text_inputs())
@example(raw=b"\xff\xfe" + b"a")  # a BOM and an odd byte
@example(raw=b"\x00" * 10)
def test_text_fuzz(raw: bytes) -> None:
    check(raw, "x.txt")


def test_yaml_alias_bomb_is_not_expanded() -> None:
    """Front matter aliases nested 9 deep would be 387M items as text; only scalars are read."""
    lines = ["---", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    lines += ["title: *a9", "sources: *a9", "topic: Visas", "---", "# Heading", "", "Body text."]
    doc = parse_bytes("\n".join(lines).encode(), Path("bomb.md"))
    assert (doc.title, doc.topic, doc.sources) == ("Heading", "Visas", [])


def test_heading_with_closing_hashes_and_a_huge_line_keeps_its_meaning() -> None:
    raw = b"# Guide ##\n\n## Fees #  \n\nAsk.\n\n## " + b" " * 300_000 + b"x\n\nMore."
    doc = parse_bytes(raw, Path("g.md"))
    assert doc.title == "Guide"
    assert [s.path for s in doc.sections] == [("Fees",), ("x",)]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read_as_text(encoding: str) -> None:
    text = "Trung tâm khởi nghiệp Seoul: phí thuê văn phòng, hỏi nhân viên."
    doc = parse_bytes(text.encode(encoding), Path("vi.txt"))
    assert doc.sections[0].text == text


def test_binary_with_nul_bytes_in_both_halves_is_still_refused() -> None:
    with pytest.raises(IngestError, match="binary"):
        parse_bytes(b"\x00\x01\x02" * 100, Path("b.txt"))
