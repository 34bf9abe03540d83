"""Structure-aware chunking: one chunk per heading section, long sections split with overlap."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from bot.rag.loaders import ParsedDocument
from bot.rag.text import split_sentences

Metadata = dict[str, str | int | float | bool]

# Sentence-ish separators for all four languages, coarsest first.
_SEPARATORS = ["\n\n", "\n", ". ", "。", "？", "! ", "? ", "; ", ", ", "、", " ", ""]


@dataclass(frozen=True)
class Chunk:
    """A piece of a document with the metadata every answer cites."""

    id: str
    text: str
    metadata: Metadata

    @property
    def index_text(self) -> str:
        """What is embedded and keyword-indexed: title and section path give the body context."""
        return index_text(self.text, self.metadata)

    @property
    def heading(self) -> str:
        """The innermost heading over the chunk: in the knowledge base, the founder's question."""
        return heading_of(self.metadata)

    @property
    def sentences(self) -> list[str]:
        """The chunk's sentences, each embedded on its own so answers can lead with one."""
        return split_sentences(self.text)


def topic_of(metadata: Metadata) -> str:
    """The chunk's topic id (translations share it), or its file when the document has none."""
    return str(metadata.get("topic") or metadata.get("path", ""))


def heading_of(metadata: Metadata) -> str:
    """The last part of a chunk's section path ("" before the first heading)."""
    return str(metadata.get("section", "")).rsplit(" > ", 1)[-1].strip()


def index_text(text: str, metadata: Metadata) -> str:
    """The embedded form of a chunk (title, section path, body)."""
    return f"{metadata.get('title', '')}\n{metadata.get('section', '')}\n{text}"


def keyword_text(text: str, metadata: Metadata) -> str:
    """The keyword-indexed form: the section heading counts twice (headings are the questions
    the section answers, so they are the best evidence of what it is about)."""
    section = metadata.get("section", "")
    return f"{metadata.get('title', '')}\n{section}\n{section}\n{text}"


def chunk_id(doc_key: str, content_hash: str, index: int) -> str:
    """Stable id: same file, same content, same position → same id across runs."""
    key = hashlib.sha1(doc_key.encode("utf-8")).hexdigest()[:10]
    return f"{key}-{content_hash[:16]}-{index:04d}"


def chunk_document(
    doc: ParsedDocument,
    *,
    doc_key: str,
    source: str,
    path: str,
    content_hash: str,
    chunk_size: int = 1000,
    chunk_overlap: int = 150,
    extra: Mapping[str, str | int | float | bool] | None = None,
) -> list[Chunk]:
    """Split a parsed document into chunks carrying title, source, section, language, date
    (and ``extra`` metadata, e.g. the server-set provenance of an upload)."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=min(chunk_overlap, chunk_size // 2),
        separators=_SEPARATORS,
        keep_separator="end",
    )
    pieces: list[tuple[str, str]] = []
    for section in doc.sections:
        section_path = " > ".join(section.path)
        texts = [section.text] if len(section.text) <= chunk_size else splitter.split_text(section.text)
        pieces.extend((section_path, text.strip()) for text in texts if text.strip())
    base: Metadata = {
        "title": doc.title,
        "source": source,
        "path": path,
        "language": doc.language,
        "topic": doc.topic,
        "last_verified": doc.last_verified,
        "format": doc.format,
        "doc_sources": "; ".join(doc.sources),
        "content_hash": content_hash,
        "chunk_count": len(pieces),
        **(extra or {}),
    }
    return [
        Chunk(
            id=chunk_id(doc_key, content_hash, i),
            text=text,
            metadata={**base, "section": section_path, "chunk_index": i},
        )
        for i, (section_path, text) in enumerate(pieces)
    ]
