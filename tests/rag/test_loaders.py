"""Loaders: structure and metadata from each format; each kind of bad file refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import IngestError
from bot.rag.chunking import chunk_document
from bot.rag.loaders import ParserPool, parse_bytes
from tests.rag.files import broken_xml_docx, docx_bytes, pdf_bytes, zip_bomb_docx


def test_markdown_front_matter_and_heading_paths() -> None:
    raw = (
        "---\ntitle: Hub facts\nlanguage: en\ntopic: hub-overview\nlast_verified: 2026-10-01\n"
        "sources: [a, b]\n---\n# Hub facts\n\nIntro text.\n\n## Size\n\nIt is 1,758 m².\n\n"
        "### Floors\n\nThird floor.\n\n## Opening\n\nMay 2021.\n"
    ).encode()
    doc = parse_bytes(raw, Path("hub.md"))
    assert (doc.title, doc.language, doc.topic, doc.last_verified) == (
        "Hub facts", "en", "hub-overview", "2026-10-01",
    )  # fmt: skip
    assert doc.sources == ["a", "b"]
    assert [s.path for s in doc.sections] == [(), ("Size",), ("Size", "Floors"), ("Opening",)]
    chunks = chunk_document(doc, doc_key="k", source="hub.md", path="/x/hub.md", content_hash="ab" * 32)
    meta = chunks[2].metadata
    assert meta["section"] == "Size > Floors"
    assert meta["title"] == "Hub facts" and meta["source"] == "hub.md"
    assert meta["language"] == "en" and meta["last_verified"] == "2026-10-01"
    again = chunk_document(doc, doc_key="k", source="hub.md", path="/x/hub.md", content_hash="ab" * 32)
    assert [c.id for c in chunks] == [c.id for c in again], "chunk ids must be stable"


def test_html_headings_become_sections_and_scripts_are_dropped() -> None:
    raw = (
        "<html lang='ko'><head><title>T</title><script>alert(1)</script></head><body>"
        "<h1>허브 안내</h1><p>소개</p><h2>면적</h2><p>1,758 m²입니다.</p>"
        "<nav>menu</nav><h2>위치</h2><ul><li>3층</li></ul></body></html>"
    ).encode()
    doc = parse_bytes(raw, Path("page.html"))
    assert doc.title == "허브 안내" and doc.language == "ko"
    sections = {s.path: s.text for s in doc.sections}
    assert "1,758" in sections[("면적",)]
    assert sections[("위치",)] == "3층"
    assert "alert" not in " ".join(sections.values()) and "menu" not in " ".join(sections.values())


def test_docx_headings_and_title() -> None:
    raw = docx_bytes([("Title", "Guide"), ("Heading 2", "Fees"), ("Normal", "Ask the staff.")])
    doc = parse_bytes(raw, Path("guide.docx"))
    assert doc.title == "Guide"
    assert [(s.path, s.text) for s in doc.sections] == [(("Fees",), "Ask the staff.")]


def test_pdf_text_by_page() -> None:
    doc = parse_bytes(pdf_bytes("The hub opened in May 2021."), Path("a.pdf"))
    assert doc.sections[0].path == ("page 1",)
    assert "May 2021" in doc.sections[0].text


def test_a_document_in_an_unsupported_language_is_not_labelled_japanese() -> None:
    chinese = "首尔创业中心胡志明市办公室\n\n我们为韩国创业公司提供办公空间和咨询服务。".encode()
    assert parse_bytes(chinese, Path("zh.txt")).language == ""
    named = parse_bytes(b"---\nlanguage: zh\n---\n" + chinese, Path("zh.md"))
    assert named.language == "zh"
    assert parse_bytes("ハブの住所はどこですか。".encode(), Path("ja.txt")).language == "ja"


def test_text_in_a_legacy_encoding_is_decoded() -> None:
    raw = "Phí thuê văn phòng: hỏi nhân viên.".encode("cp1258", errors="ignore")
    doc = parse_bytes("Trung tâm khởi nghiệp — thông tin.".encode("utf-16"), Path("a.txt"))
    assert "khởi nghiệp" in doc.sections[0].text
    assert parse_bytes(raw, Path("b.txt")).sections


@pytest.mark.parametrize(
    ("name", "raw", "reason"),
    [
        ("empty.md", b"   \n", "empty file"),
        ("binary.txt", b"abc\x00\x01\x02def", "binary"),
        ("bad.pdf", b"%PDF-1.4\n garbage that is not a pdf \x00\xff", "PDF"),
        ("notpdf.pdf", b"hello", "not a PDF"),
        ("locked.pdf", pdf_bytes("secret", password="pw"), "encrypted"),
        ("bomb.docx", zip_bomb_docx(), "zip bomb"),
        ("broken.docx", broken_xml_docx(), ".docx"),
        ("notzip.docx", b"PK not really", "not a valid .docx"),
        ("only-front-matter.md", b"---\ntitle: x\n---\n", "no text"),
        ("bad-yaml.md", b"---\ntitle: [unclosed\n---\nbody", "front matter"),
        ("data.xlsx", b"whatever", "unsupported"),
    ],
)
def test_bad_files_raise_ingest_error_with_reason(name: str, raw: bytes, reason: str) -> None:
    with pytest.raises(IngestError) as info:
        parse_bytes(raw, Path(name))
    assert reason.lower() in info.value.reason.lower()


def test_worker_enforces_size_cap_and_survives_bad_files(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 5000)
    good = tmp_path / "good.md"
    good.write_text("# T\n\nhello", encoding="utf-8")
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 broken")
    with ParserPool(max_bytes=4000, timeout=30) as pool:
        with pytest.raises(IngestError, match="over the"):
            pool.parse(big)
        with pytest.raises(IngestError):
            pool.parse(bad)
        assert pool.parse(good).title == "T"
