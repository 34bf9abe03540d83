"""Builders for test documents: good ones in every format, and each kind of bad one."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path


def write_md(path: Path, title: str, topic: str, sections: dict[str, str], lang: str = "en") -> Path:
    """A knowledge-base Markdown file with front matter."""
    body = "\n\n".join(f"## {heading}\n\n{text}" for heading, text in sections.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"---\ntitle: \"{title}\"\nlanguage: {lang}\ntopic: {topic}\n"
        f"sources:\n  - \"test source\"\nlast_verified: 2026-11-01\n---\n\n# {title}\n\n{body}\n",
        encoding="utf-8",
    )
    return path


def docx_bytes(paragraphs: list[tuple[str, str]]) -> bytes:
    """A real .docx made with python-docx: (style, text) pairs."""
    from docx import Document

    document = Document()
    for style, text in paragraphs:
        document.add_paragraph(text, style=style)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(text: str, *, password: str | None = None) -> bytes:
    """A one-page PDF whose text layer holds ``text`` (optionally encrypted)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 72 720 Td ({safe}) Tj ET".encode("latin-1"))
    page[NameObject("/Contents")] = writer._add_object(stream)
    if password:
        writer.encrypt(user_password=password, owner_password=password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def zip_bomb_docx(uncompressed_mb: int = 300) -> bytes:
    """A .docx-named zip whose document.xml inflates to hundreds of MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        chunk = b"\0" * (1024 * 1024)
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(uncompressed_mb):
                member.write(chunk)
    return buffer.getvalue()


def broken_xml_docx() -> bytes:
    """A zip with the parts of a .docx whose document.xml is not well-formed."""
    good = docx_bytes([("Normal", "hello")])
    source = zipfile.ZipFile(io.BytesIO(good))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/document.xml":
                data = data[: len(data) // 2]
            archive.writestr(info, data)
    return buffer.getvalue()


def slow_html(megabytes: int = 8) -> bytes:
    """Valid but huge HTML that takes the parser seconds: trips a short time limit."""
    row = b"<div class='x'><span>word</span><b>more</b></div>\n"
    return b"<html><body>" + row * (megabytes * 1024 * 1024 // len(row)) + b"</body></html>"


def write_english_corpus(root: Path) -> Path:
    """Two small English documents (the hub, its fees) under ``root``."""
    write_md(root / "en" / "hub.md", "Hub", "hub", {
        "How big is the hub?": "Seoul Startup Hub Ho Chi Minh covers 1,758 m² of shared office.",
        "When did it open?": "The hub opened in May 2021 as Seoul's first overseas base.",
    })  # fmt: skip
    write_md(root / "en" / "fees.md", "Fees", "membership", {
        "What does it cost?": "Fees are not published; ask the hub staff.",
    })  # fmt: skip
    return root
