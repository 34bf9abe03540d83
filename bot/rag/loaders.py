"""Turn one knowledge file (.md .txt .pdf .docx .html) into titled, sectioned text.

Parsing untrusted files is the riskiest step of ingestion, so ``ParserPool`` runs it in a
separate worker process with a time limit and a memory cap: a parser that hangs or explodes
costs that one file, never the run. Every failure surfaces as ``IngestError(reason)``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing as mp
import re
import threading
import time
import zipfile
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Self

import yaml

from bot.errors import IngestCancelled, IngestError
from bot.languages import UNSUPPORTED
from bot.rag.text import detect_language

if TYPE_CHECKING:  # bs4 is imported where HTML is parsed
    from bs4.element import PageElement, Tag

SUPPORTED_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm"})
# A .docx is a zip: refuse archives that inflate beyond this or by more than this ratio.
DOCX_MAX_UNCOMPRESSED = 200 * 1024 * 1024
DOCX_MAX_RATIO = 150
WORKER_MEMORY_BYTES = 2 * 1024 * 1024 * 1024
WORKER_START_TIMEOUT = 120.0
# While waiting for the worker, check this often whether the run was asked to stop.
CANCEL_POLL_SECONDS = 0.2
# Front matter may list sources; more than this is not a real document's citation list.
MAX_SOURCES = 100


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path (empty path: before the first heading)."""

    path: tuple[str, ...]
    text: str


@dataclass
class _Headings:
    """The headings open at a point of a document, outermost first, as (level, title): a
    heading closes every open heading of its level or deeper."""

    open: list[tuple[int, str]] = field(default_factory=list)

    def enter(self, level: int, title: str) -> None:
        while self.open and self.open[-1][0] >= level:
            self.open.pop()
        self.open.append((level, title))

    def clear(self) -> None:
        self.open.clear()

    @property
    def path(self) -> tuple[str, ...]:
        """The heading path of text at this point."""
        return tuple(title for _, title in self.open)


@dataclass
class ParsedDocument:
    """A parsed file: metadata from its front matter or structure, and its sections."""

    title: str
    language: str
    format: str
    sections: list[Section]
    topic: str = ""
    last_verified: str = ""
    sources: list[str] = field(default_factory=list)


# --- decoding ---------------------------------------------------------------------------------


def decode_text(raw: bytes) -> str:
    """Decode bytes of a text file, refusing binary content."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError("invalid UTF-16 text") from exc
    if b"\x00" in raw[:8192]:
        text = _utf16_without_bom(raw)
        if text is None:
            raise IngestError("binary content (NUL bytes), not a text document")
        return text
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # only for the rare non-UTF-8 file

    best = from_bytes(raw).best()
    if best is None:
        raise IngestError("not readable as text in any known encoding")
    return str(best)


def _utf16_without_bom(raw: bytes) -> str | None:
    """UTF-16 saved without a BOM: NULs fill one byte of most code units, never the other."""
    sample = raw[:8192]
    if len(raw) % 2 or len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    for encoding, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        # Latin text has a NUL high byte in (nearly) every unit and none in the low byte.
        if zeros.count(0) >= 0.3 * len(zeros) and other.count(0) == 0:
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                return None
    return None


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", text)
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


# --- front matter and Markdown ----------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
# No lazy group before a trailing class: "(.+?)[ \t#]*$" backtracks quadratically on a long
# line of spaces, so the closing #s are stripped in code instead (see ``_heading``).
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+)$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _as_date(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip() if value is not None else ""


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """Return (front matter mapping, body) of a Markdown/text document."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1))
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: an int beyond the digit limit
        raise IngestError(f"front matter is not valid YAML ({type(exc).__name__})") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise IngestError("front matter must be a mapping of keys to values")
    return meta, text[match.end() :]


def markdown_sections(body: str) -> tuple[str, list[Section]]:
    """Split Markdown at headings; returns (first H1 or "", sections with heading paths)."""
    h1 = ""
    headings = _Headings()
    sections: list[Section] = []
    buffer: list[str] = []
    in_fence = False

    def flush() -> None:
        text = _clean("\n".join(buffer))
        if text:
            sections.append(Section(headings.path, text))
        buffer.clear()

    for line in body.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if not heading:
            buffer.append(line)
            continue
        flush()
        raw_title = heading.group(2)
        level, title = len(heading.group(1)), _clean(raw_title.rstrip(" \t#") or raw_title[0])
        if level == 1 and not h1:
            h1 = title
            headings.clear()
            continue
        headings.enter(level, title)
    flush()
    return h1, sections


def _scalar(value: object) -> str:
    """A front matter value as text; lists and mappings count as absent.

    ``str()`` of a YAML alias bomb (lists referencing lists) is exponentially large, so only
    scalars are ever turned into text.
    """
    if isinstance(value, (dt.date, dt.datetime)):
        return _as_date(value)
    if isinstance(value, (str, int, float)):
        try:
            return str(value).strip()
        except ValueError:  # an int beyond the interpreter's digit limit
            return ""
    return ""


def _from_front_matter(meta: dict[str, object], doc: ParsedDocument) -> ParsedDocument:
    if title := _scalar(meta.get("title")):
        doc.title = title
    if language := _scalar(meta.get("language") or meta.get("lang")):
        doc.language = language.lower()
    if topic := _scalar(meta.get("topic")):
        doc.topic = topic
    for key in ("last_verified", "updated", "date"):
        if meta.get(key):
            doc.last_verified = _scalar(meta[key])
            break
    sources = meta.get("sources") or meta.get("source") or []
    if not isinstance(sources, list):
        sources = [sources]
    doc.sources = [text for text in map(_scalar, sources[:MAX_SOURCES]) if text]
    return doc


def parse_markdown(raw: bytes, path: Path) -> ParsedDocument:
    """Parse Markdown with optional YAML front matter."""
    meta, body = split_front_matter(decode_text(raw))
    h1, sections = markdown_sections(body)
    doc = ParsedDocument(title=h1 or path.stem, language="", format="markdown", sections=sections)
    return _from_front_matter(meta, doc)


def parse_text(raw: bytes, path: Path) -> ParsedDocument:
    """Parse plain text (front matter allowed): one section."""
    meta, body = split_front_matter(decode_text(raw))
    body = _clean(body)
    first = body.split("\n", 1)[0].strip() if body else ""
    title = first if 0 < len(first) <= 80 else path.stem
    doc = ParsedDocument(title=title, language="", format="text", sections=[Section((), body)])
    return _from_front_matter(meta, doc)


# --- HTML -------------------------------------------------------------------------------------

_HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "nav", "footer", "iframe"}
_BLOCK_TAGS = {
    "p", "div", "li", "tr", "br", "section", "article", "blockquote", "pre", "dd", "dt",
    "table", "ul", "ol", "main", "header", "td", "th",
}  # fmt: skip


def parse_html(raw: bytes, path: Path) -> ParsedDocument:
    """Parse HTML into sections under its h1–h6 headings (scripts and navigation dropped)."""
    from bs4 import BeautifulSoup
    from bs4.element import Comment, Doctype, NavigableString, ProcessingInstruction, Tag

    soup = BeautifulSoup(decode_text(raw), "html.parser")
    title_tag = soup.find("title")
    page_title = _clean(title_tag.get_text(" ")) if title_tag else ""
    lang = ""
    html_tag = soup.find("html")
    if isinstance(html_tag, Tag) and isinstance(html_tag.get("lang"), str):
        lang = str(html_tag["lang"]).split("-")[0].lower()

    headings = _Headings()
    sections: list[Section] = []
    buffer: list[str] = []
    h1 = ""

    def flush() -> None:
        # Collapse runs first: " *\n *" alone rescans every run of spaces (quadratic).
        text = _clean(re.sub(r" ?\n ?", "\n", re.sub(r"[ \t\u00a0]+", " ", "".join(buffer))))
        if text:
            sections.append(Section(headings.path, text))
        buffer.clear()

    node = soup.contents[0] if soup.contents else None
    while node is not None:
        if isinstance(node, Tag):
            name = node.name.lower() if node.name else ""
            if name in _SKIP_TAGS:
                node = _skip_subtree(node)
                continue
            if name in _HEADING_TAGS:
                flush()
                level, text = _HEADING_TAGS[name], _clean(node.get_text(" "))
                if text:
                    if level == 1 and not h1:
                        h1 = text
                        headings.clear()
                    else:
                        headings.enter(level, text)
                node = _skip_subtree(node)
                continue
            if name in _BLOCK_TAGS:
                buffer.append("\n")
        elif isinstance(node, NavigableString) and not isinstance(
            node, (Comment, Doctype, ProcessingInstruction)
        ):
            buffer.append(str(node))
        node = node.next_element
    flush()
    doc = ParsedDocument(
        title=h1 or page_title or path.stem, language=lang, format="html", sections=sections
    )
    meta_date = soup.find("meta", attrs={"name": re.compile("^(last[-_]verified|updated|date)$")})
    if isinstance(meta_date, Tag) and isinstance(meta_date.get("content"), str):
        doc.last_verified = str(meta_date["content"]).strip()
    return doc


def _skip_subtree(tag: Tag) -> PageElement | None:
    """The first element after ``tag`` and everything inside it (iterative: deep nesting is safe)."""
    sibling_holder: Tag | None = tag
    while sibling_holder is not None:
        if sibling_holder.next_sibling is not None:
            return sibling_holder.next_sibling
        sibling_holder = sibling_holder.parent
    return None


# --- PDF and DOCX -----------------------------------------------------------------------------


def parse_pdf(raw: bytes, path: Path) -> ParsedDocument:
    """Extract the text of each page of a PDF; encrypted files are refused."""
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    if not raw.lstrip()[:5].startswith(b"%PDF"):
        raise IngestError("not a PDF file (missing %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unknown ciphers
                raise IngestError("encrypted PDF (password protected)") from exc
            if not ok:
                raise IngestError("encrypted PDF (password protected)")
        sections = []
        for number, page in enumerate(reader.pages, start=1):
            text = _clean(page.extract_text() or "")
            if text:
                sections.append(Section((f"page {number}",), text))
        title = ""
        with contextlib.suppress(Exception):
            metadata = reader.metadata
            title = str((metadata.get("/Title") if metadata else None) or "").strip()
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise IngestError(f"malformed PDF ({type(exc).__name__})") from exc
    except RecursionError as exc:
        raise IngestError("malformed PDF (nesting too deep)") from exc
    return ParsedDocument(title=title or path.stem, language="", format="pdf", sections=sections)


def _check_zip(raw: bytes) -> None:
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
        raise IngestError("not a valid .docx (not a zip archive)") from exc
    total = sum(info.file_size for info in infos)
    if total > DOCX_MAX_UNCOMPRESSED or total > DOCX_MAX_RATIO * max(len(raw), 1):
        raise IngestError(
            f"refused: .docx would inflate to {total // (1024 * 1024)} MB (zip bomb protection)"
        )
    if "word/document.xml" not in {info.filename for info in infos}:
        raise IngestError("not a valid .docx (word/document.xml missing)")


def parse_docx(raw: bytes, path: Path) -> ParsedDocument:
    """Read paragraphs and tables of a .docx; 'Heading N' styles become section headings."""
    import io

    _check_zip(raw)
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(io.BytesIO(raw))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, OSError) as exc:
        raise IngestError(f"malformed .docx ({type(exc).__name__})") from exc
    except Exception as exc:  # lxml.etree.XMLSyntaxError and friends
        raise IngestError(f"malformed .docx XML ({type(exc).__name__})") from exc

    headings = _Headings()
    sections: list[Section] = []
    buffer: list[str] = []
    title = ""

    def flush() -> None:
        text = _clean("\n".join(buffer))
        if text:
            sections.append(Section(headings.path, text))
        buffer.clear()

    try:
        for paragraph in document.paragraphs:
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            text = paragraph.text.strip()
            if style == "Title" and text and not title:
                title = text
                continue
            level_match = re.match(r"Heading (\d)", style)
            if level_match and text:
                flush()
                level = int(level_match.group(1))
                if level == 1 and not title:
                    title = text
                    continue
                headings.enter(level, text)
            elif text:
                buffer.append(text)
        for table in document.tables:
            for row in table.rows:
                buffer.append(" | ".join(cell.text.strip() for cell in row.cells))
        flush()
        core_title = (document.core_properties.title or "").strip()
    except Exception as exc:  # broken XML surfaces lazily while iterating
        raise IngestError(f"malformed .docx content ({type(exc).__name__})") from exc
    return ParsedDocument(
        title=title or core_title or path.stem, language="", format="docx", sections=sections
    )


_PARSERS = {
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".txt": parse_text,
    ".html": parse_html,
    ".htm": parse_html,
    ".pdf": parse_pdf,
    ".docx": parse_docx,
}


def parse_bytes(raw: bytes, path: Path) -> ParsedDocument:
    """Parse file content by the file's suffix; raises IngestError for anything unusable."""
    suffix = path.suffix.lower()
    parser = _PARSERS.get(suffix)
    if parser is None:
        raise IngestError(f"unsupported file type {suffix or '(none)'}")
    if not raw.strip():
        raise IngestError("empty file")
    try:
        doc = parser(raw, path)
    except IngestError:
        raise
    except MemoryError as exc:
        raise IngestError("file too large to parse within the memory limit") from exc
    except RecursionError as exc:
        raise IngestError("document structure nested too deeply") from exc
    except Exception as exc:  # a parser bug must cost one file, not the run
        raise IngestError(f"could not parse ({type(exc).__name__})") from exc
    if not any(section.text.strip() for section in doc.sections):
        raise IngestError("no text content found")
    if not doc.language:
        sample = " ".join(s.text for s in doc.sections)[:4000]
        detected = detect_language(doc.title + " " + sample)
        # A document in a language the bot does not read (Chinese, …) is indexed unlabelled
        # rather than as a founder language; staff can name it in front matter (language: zh).
        doc.language = "" if detected == UNSUPPORTED else detected
    return doc


def parse_file(path: Path, max_bytes: int) -> ParsedDocument:
    """Read and parse one file with the size cap applied before reading."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise IngestError(
                f"file is {size / 1048576:.1f} MB, over the {max_bytes / 1048576:.0f} MB limit"
            )
        raw = path.read_bytes()
    except PermissionError as exc:
        raise IngestError("file is not readable (permission denied)") from exc
    except IsADirectoryError as exc:
        raise IngestError("is a directory") from exc
    except OSError as exc:
        raise IngestError(f"file could not be read ({exc.strerror or type(exc).__name__})") from exc
    return parse_bytes(raw, path)


# --- the worker process -----------------------------------------------------------------------


def _worker_main(conn: Connection, max_bytes: int) -> None:
    import resource

    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    # Import the parsers before saying ready, so the time limit measures parsing only.
    import bs4  # noqa: F401
    import docx  # noqa: F401
    import pypdf  # noqa: F401

    conn.send(("ready", None))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        try:
            conn.send(("ok", parse_file(Path(request), max_bytes)))
        except IngestError as exc:
            conn.send(("error", exc.reason))
        except BaseException as exc:  # noqa: BLE001 - report, never die silently
            conn.send(("error", f"could not parse ({type(exc).__name__})"))


class ParserPool:
    """Parses files one at a time in a worker process, killing it when a file takes too long."""

    def __init__(
        self, max_bytes: int, timeout: float, cancel: threading.Event | None = None
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout
        # When set while waiting for the worker: kill it and raise IngestCancelled.
        self.cancel = cancel
        self._ctx = mp.get_context("spawn")
        self._proc: mp.process.BaseProcess | None = None
        self._conn: Connection | None = None

    def _start(self) -> Connection:
        if self._proc is None or not self._proc.is_alive() or self._conn is None:
            parent, child = self._ctx.Pipe()
            self._proc = self._ctx.Process(
                target=_worker_main, args=(child, self.max_bytes), daemon=True
            )
            try:
                self._proc.start()
            except (OSError, RuntimeError) as exc:  # no process left to start (limits, …)
                self._proc = None
                parent.close()
                child.close()
                raise IngestError(f"parser worker could not start ({type(exc).__name__})") from exc
            child.close()
            self._conn = parent
            if not self._wait(parent, WORKER_START_TIMEOUT):
                self._kill()
                raise IngestError("parser worker did not start")
            parent.recv()  # ("ready", None)
        return self._conn

    def _wait(self, conn: Connection, timeout: float) -> bool:
        """Wait up to ``timeout`` for the worker to answer; IngestCancelled when told to stop."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if conn.poll(max(0.0, min(left, CANCEL_POLL_SECONDS))):
                return True
            if self.cancel is not None and self.cancel.is_set():
                self._kill()
                raise IngestCancelled("ingestion stopped: the service is shutting down")
            if left <= 0:
                return False

    def _kill(self) -> None:
        if self._proc is not None and self._proc.pid is not None:  # started
            self._proc.kill()
            self._proc.join(5)
        if self._conn is not None:
            self._conn.close()
        self._proc, self._conn = None, None

    def parse(self, path: Path) -> ParsedDocument:
        """Parse ``path`` in the worker; raises IngestError on failure or timeout."""
        try:
            conn = self._start()
            conn.send(str(path))
            if not self._wait(conn, self.timeout):
                self._kill()
                raise IngestError(f"parser timed out after {self.timeout:g} s")
            status, payload = conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError, OSError) as exc:
            self._kill()
            raise IngestError("parser crashed (worker process died)") from exc
        if status == "error":
            raise IngestError(str(payload))
        document: ParsedDocument = payload  # the worker sends ("ok", ParsedDocument)
        return document

    def close(self) -> None:
        """Stop the worker process."""
        if self._conn is not None and self._proc is not None and self._proc.is_alive():
            with contextlib.suppress(OSError, BrokenPipeError):
                self._conn.send(None)
            self._proc.join(2)
        self._kill()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
