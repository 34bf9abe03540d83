"""Hypothesis strategies for hostile knowledge files: mutated real PDFs and DOCX, tag soup, etc."""

from __future__ import annotations

import io
import zipfile
from functools import cache

from hypothesis import strategies as st

from tests.rag.files import docx_bytes, pdf_bytes

# Text that exercises every decoding path: all of Unicode (surrogates excluded: not encodable).
UNICODE = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)
CONTROL = st.text(st.characters(max_codepoint=0x20), max_size=50)
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "euc-kr",
             "shift_jis", "cp1258", "latin-1")  # fmt: skip
SAMPLES = (
    "서울창업허브 호치민 입주 안내. 면적은 1,758 m²입니다.",
    "Seoul Startup Hub Ho Chi Minh: how to apply for the programme.",
    "Trung tâm khởi nghiệp Seoul tại TP. Hồ Chí Minh — phí thuê văn phòng.",
    "ソウル創業ハブ・ホーチミンの入居案内です。",
)


@cache
def pdf_bases() -> tuple[bytes, ...]:
    """Real PDFs made with pypdf: plain, compressed content streams, two pages, encrypted."""
    from pypdf import PdfReader, PdfWriter

    plain = pdf_bytes("The hub opened in May 2021. Fees: ask the staff.")
    writer = PdfWriter()
    for text in ("Page one text about visas.", "Page two text about offices."):
        writer.add_page(PdfReader(io.BytesIO(pdf_bytes(text))).pages[0])
    for page in writer.pages:
        page.compress_content_streams()  # FlateDecode: mutations hit the zlib paths
    writer.add_metadata({"/Title": "Guide"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return plain, buffer.getvalue(), pdf_bytes("locked", password="pw")


@cache
def docx_bases() -> tuple[bytes, ...]:
    """Real .docx files made with python-docx: headings and paragraphs, and one with a table."""
    from docx import Document

    simple = docx_bytes(
        [
            ("Title", "Guide"),
            ("Heading 1", "Visas"),
            ("Normal", "Apply early."),
            ("Heading 2", "Fees"),
            ("Normal", "Ask the staff."),
        ]
    )
    document = Document()
    document.add_heading("Offices", level=1)
    table = document.add_table(rows=2, cols=2)
    for row, values in zip(table.rows, (("Floor", "Seats"), ("3", "40")), strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return simple, buffer.getvalue()


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[bytes]) -> bytes:
    """``base`` bytes after 1–4 random edits: truncation, byte flips, insertions, deletions."""
    data = bytearray(draw(base))
    for op in draw(st.lists(st.sampled_from("tfidr"), min_size=1, max_size=4)):
        size = len(data)
        at = draw(st.integers(0, size))
        if op == "t":
            del data[at:]
        elif op == "f" and size:
            for _ in range(draw(st.integers(1, 8))):
                data[draw(st.integers(0, size - 1))] = draw(st.integers(0, 255))
        elif op == "i":
            data[at:at] = draw(st.binary(max_size=64) | st.sampled_from(PDF_TOKENS))
        elif op == "d":
            del data[at : at + draw(st.integers(1, 256))]
        elif op == "r":  # repeat a slice: duplicated objects, tables, tags
            end = min(size, at + draw(st.integers(1, 128)))
            data[at:at] = data[at:end] * draw(st.integers(1, 20))
    return bytes(data)


PDF_TOKENS = (
    b"obj", b"endobj", b"<<", b">>", b"[", b"]", b"/Type /Page", b"/Pages", b"/Kids [1 0 R]",
    b"stream\n", b"endstream", b"xref\n0 1\n", b"trailer", b"startxref\n", b"/Length 99999",
    b"/Filter /FlateDecode", b"/Encrypt", b"1 0 R", b"-1", b"99999999999999999999", b"(",
    b")", b"\\", b"%%EOF", b"/Root 1 0 R",
)  # fmt: skip


@st.composite
def pdf_soup(draw: st.DrawFn) -> bytes:
    """A %PDF header followed by random PDF syntax (deep nesting included)."""
    parts = draw(st.lists(st.sampled_from(PDF_TOKENS) | st.binary(max_size=16), max_size=60))
    depth = draw(st.sampled_from((0, 0, 10, 3000)))
    return b"%PDF-1.7\n" + b"<<" * depth + b" ".join(parts) + b">>" * depth


def pdf_inputs() -> st.SearchStrategy[bytes]:
    """Mutated real PDFs, mostly; PDF token soup; arbitrary bytes after a header."""
    bases = st.sampled_from(pdf_bases())
    return st.one_of(
        mutated(bases),
        mutated(bases),
        pdf_soup(),
        st.binary(max_size=300).map(lambda tail: b"%PDF-1.4\n" + tail),
        st.binary(max_size=100),
    )


def _rezip(members: list[tuple[str, bytes]], compression: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in dict(members).items():  # one member per name (zipfile warns)
            archive.writestr(name, data)
    return buffer.getvalue()


XML_TOKENS = (
    b"<w:p>", b"</w:p>", b"<w:r><w:t>", b"</w:t></w:r>", b"<w:pStyle w:val=\"Heading 1\"/>",
    b"<w:tbl><w:tr><w:tc>", b"</w:tc></w:tr></w:tbl>", b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]>",
    b"&a;", b"<?xml version=\"1.0\"?>", b"<", b">", b"\x00", b"]]>", b"<![CDATA[", b"&#0;",
    b"xmlns:w=\"urn:bad\"", "한국어".encode(), b"\xff\xfe",
)  # fmt: skip


@st.composite
def docx_members(draw: st.DrawFn) -> bytes:
    """A real .docx rebuilt with members dropped, truncated, corrupted, replaced or added."""
    source = zipfile.ZipFile(io.BytesIO(draw(st.sampled_from(docx_bases()))))
    members: list[tuple[str, bytes]] = []
    for info in source.infolist():
        data = source.read(info.filename)
        action = draw(st.sampled_from("kkkkdtxr"))
        if action == "d" and info.filename != "word/document.xml":
            continue
        if action == "t":
            data = data[: draw(st.integers(0, len(data)))]
        elif action == "x":  # splice XML fragments into the part
            for _ in range(draw(st.integers(1, 5))):
                at = draw(st.integers(0, len(data)))
                data = data[:at] + draw(st.sampled_from(XML_TOKENS)) + data[at:]
        elif action == "r":
            data = draw(st.binary(max_size=200))
        members.append((info.filename, data))
    # No NUL: zipfile cuts a name at it, and an empty name breaks zipfile itself.
    extra_names = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=40)
    for name in draw(st.lists(extra_names | st.sampled_from(("../evil", "/abs", "a" * 300)),
                              max_size=3)):  # fmt: skip
        members.append((name, draw(st.binary(max_size=100))))
    compression = draw(st.sampled_from((zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED)))
    return _rezip(members, compression)


@st.composite
def docx_bomb(draw: st.DrawFn) -> bytes:
    """Small archives that inflate far beyond the allowed ratio, or hold an entity bomb."""
    kind = draw(st.sampled_from(("zeros", "entities", "nested")))
    if kind == "zeros":
        body = b"\0" * (draw(st.integers(1, 4)) * 1024 * 1024)
    elif kind == "entities":
        body = (
            b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
            + b"".join(b'<!ENTITY %c "%s">' % (98 + i, (b"&%c;" % (97 + i)) * 10) for i in range(8))
            + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
            b'main"><w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>'
        )
    else:
        depth = draw(st.sampled_from((300, 5000)))
        body = b"<w:document>" + b"<w:p>" * depth + b"x" + b"</w:p>" * depth + b"</w:document>"
    good = zipfile.ZipFile(io.BytesIO(docx_bases()[0]))
    members = [(i.filename, good.read(i.filename)) for i in good.infolist()]
    members = [(n, body if n == "word/document.xml" else d) for n, d in members]
    return _rezip(members, zipfile.ZIP_DEFLATED)


def docx_inputs() -> st.SearchStrategy[bytes]:
    """Mutated real .docx bytes, rebuilt archives with broken members, bombs, random bytes."""
    return st.one_of(
        mutated(st.sampled_from(docx_bases())),
        docx_members(),
        docx_members(),
        docx_bomb(),
        st.binary(max_size=200).map(lambda tail: b"PK\x03\x04" + tail),
    )


HTML_TOKENS = (
    "<div>", "</div>", "<p>", "</p>", "<h1>", "</h1>", "<h2 class=x>", "</h3>", "<script>",
    "</script>", "<style>", "<nav>", "<!--", "-->", "<![CDATA[", "]]>", "<html lang='ko'>",
    "<html lang=", "<meta name='date' content='2026-01-01'>", "<meta name=updated>", "&amp;",
    "&#x", "&#99999999;", "<", "</", ">", "<br/>", "<title>", "</title>", "<table><tr><td>",
    "<svg><h1>hidden</h1></svg>", "<?php ?>", "<!DOCTYPE html>", "\x00", "\r", "\u00a0",
)  # fmt: skip


@st.composite
def html_inputs(draw: st.DrawFn) -> bytes:
    """Tag soup with random text, nesting, huge attributes, in a random encoding."""
    parts = draw(st.lists(st.sampled_from(HTML_TOKENS) | UNICODE | st.sampled_from(SAMPLES),
                          max_size=40))  # fmt: skip
    depth = draw(st.sampled_from((0, 0, 0, 50, 2000)))
    tag = draw(st.sampled_from(("div", "h2", "script", "li", "b")))
    text = f"<{tag}>" * depth + "".join(parts) + f"</{tag}>" * draw(st.integers(0, depth))
    if draw(st.booleans()):
        value = draw(st.sampled_from(("a", "'", '"', " ", "<", "가")))
        text = f'<div title="{value * draw(st.integers(0, 100_000))}">{text}</div>'
    return _encode(draw, text)


def _encode(draw: st.DrawFn, text: str) -> bytes:
    encoding = draw(st.sampled_from(ENCODINGS))
    return text.encode(encoding, errors=draw(st.sampled_from(("replace", "ignore"))))


@st.composite
def markdown_inputs(draw: st.DrawFn) -> bytes:
    """Markdown with random front matter, headings, fences, control chars and huge lines."""
    lines: list[str] = []
    front = draw(st.sampled_from(("none", "yaml", "random", "unclosed", "bomb")))
    if front != "none":
        lines.append("---")
        if front == "yaml":
            key = st.sampled_from(("title", "language", "lang", "topic", "last_verified",
                                   "updated", "date", "sources", "source", "x"))  # fmt: skip
            value = st.sampled_from(("2026-11-01", "[a, b]", "{a: 1}", "null", "~", "- x",
                                     "&a [1]", "*a", "!!binary aGk=", "1" * 5000, "'",
                                     "[[[[[[", "!!python/object:os.system", "2026-13-45",
                                     "true", "12:30:00", ".inf")) | UNICODE  # fmt: skip
            lines += [f"{draw(key)}: {draw(value)}" for _ in range(draw(st.integers(0, 6)))]
        elif front == "random":
            lines += draw(st.lists(UNICODE, max_size=5))
        elif front == "bomb":  # YAML aliases: a billion references if turned into text
            lines.append("a0: &a0 [x, x, x, x, x, x, x, x, x]")
            lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
            lines.append(f"{draw(st.sampled_from(('title', 'sources', 'topic')))}: *a8")
        if front != "unclosed":
            lines.append("---")
    line = st.one_of(
        UNICODE,
        CONTROL,
        st.sampled_from(SAMPLES),
        st.builds(
            lambda h, t: h + " " + t, st.sampled_from(("#", "##", "######", "#######")), UNICODE
        ),
        st.sampled_from(("```", "~~~", "# ", "#", "## ##", "   ", "\t#")),
        st.builds(
            lambda c, n: "# a" + c * n + "b",
            st.sampled_from((" ", "#", "\t", " #")),
            st.integers(0, 200_000),
        ),
    )
    lines += draw(st.lists(line, max_size=30))
    return _encode(draw, "\n".join(lines))


@st.composite
def text_inputs(draw: st.DrawFn) -> bytes:
    """Text in odd encodings (with and without BOM), random bytes, control characters."""
    kind = draw(st.sampled_from(("encoded", "encoded", "bytes", "bom", "control", "mixed")))
    text = draw(st.sampled_from(SAMPLES) | UNICODE)
    if kind == "encoded":
        return _encode(draw, text)
    if kind == "bytes":
        return draw(st.binary(max_size=500))
    if kind == "bom":  # a BOM followed by anything, even an odd number of bytes
        bom = draw(st.sampled_from((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")))
        return bom + draw(st.binary(max_size=200) | st.just(text.encode("utf-16-le")))
    if kind == "control":
        return draw(CONTROL).encode("utf-8") + text.encode("utf-8")
    cut = draw(st.integers(0, 40))
    return (
        text.encode("utf-16")[:cut]
        + draw(st.binary(max_size=50))
        + text.encode("euc-kr", "replace")
    )
