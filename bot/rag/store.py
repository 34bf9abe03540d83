"""The Chroma collection behind the knowledge base: embedded (PersistentClient) or a server (HttpClient).

Chroma is the single source of truth: every chunk carries its file's path and content hash,
so the indexer can tell what changed without any side table that could drift from it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from bot.config import Settings
from bot.errors import StoreUnavailable
from bot.rag.chunking import Metadata

logger = logging.getLogger(__name__)

_PAGE = 2000


@dataclass
class IndexedDocument:
    """What the store knows about one indexed file."""

    path: str
    source: str
    title: str
    language: str
    topic: str
    last_verified: str
    content_hashes: set[str] = field(default_factory=set)
    chunk_ids: list[str] = field(default_factory=list)
    expected_chunks: int = 0

    @property
    def complete(self) -> bool:
        """One version, all chunks present (false after a run was killed mid-document)."""
        return len(self.content_hashes) == 1 and len(self.chunk_ids) == self.expected_chunks


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as read back from the store."""

    id: str
    text: str
    metadata: Metadata


@dataclass(frozen=True)
class Hit:
    """A dense-search result: chunk id and cosine similarity."""

    id: str
    similarity: float


def make_client(settings: Settings):  # -> chromadb.api.ClientAPI
    """Create the Chroma client the settings ask for, with telemetry off."""
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    if settings.chroma_host:
        headers = {}
        if settings.chroma_token is not None:
            headers["Authorization"] = f"Bearer {settings.chroma_token.get_secret_value()}"
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                headers=headers,
                settings=ChromaSettings(anonymized_telemetry=False),
            )
        except Exception as exc:
            raise StoreUnavailable(
                f"Chroma server {settings.chroma_host}:{settings.chroma_port} unreachable"
            ) from exc
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(
        path=str(settings.chroma_dir),
        settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
    )


class KnowledgeStore:
    """Typed access to the knowledge collection; embeddings are always supplied by us."""

    def __init__(self, settings: Settings, client=None) -> None:
        self._client = client if client is not None else make_client(settings)
        # embedding_function=None: Chroma's default would download a model on first use.
        self._collection = self._client.get_or_create_collection(
            settings.collection_name,
            embedding_function=None,
            metadata={"hnsw:space": "cosine"},
        )

    def count(self) -> int:
        """Number of chunks stored."""
        return self._collection.count()

    def heartbeat(self) -> None:
        """Raise StoreUnavailable when the store cannot answer."""
        try:
            self._collection.count()
        except Exception as exc:
            raise StoreUnavailable("vector store not reachable") from exc

    def iter_chunks(self, include_text: bool = True) -> Iterator[StoredChunk]:
        """Every stored chunk, paged."""
        include = ["metadatas", "documents"] if include_text else ["metadatas"]
        offset = 0
        while True:
            page = self._collection.get(include=include, limit=_PAGE, offset=offset)
            ids = page["ids"]
            if not ids:
                return
            docs = page.get("documents") or [""] * len(ids)
            for chunk_id, text, meta in zip(ids, docs, page["metadatas"] or [], strict=False):
                yield StoredChunk(chunk_id, text or "", dict(meta or {}))
            if len(ids) < _PAGE:
                return
            offset += len(ids)

    def documents(self) -> dict[str, IndexedDocument]:
        """Indexed files by absolute path, with their content hashes and chunk ids."""
        docs: dict[str, IndexedDocument] = {}
        for chunk in self.iter_chunks(include_text=False):
            meta = chunk.metadata
            path = str(meta.get("path", ""))
            doc = docs.get(path)
            if doc is None:
                doc = docs[path] = IndexedDocument(
                    path=path,
                    source=str(meta.get("source", "")),
                    title=str(meta.get("title", "")),
                    language=str(meta.get("language", "")),
                    topic=str(meta.get("topic", "")),
                    last_verified=str(meta.get("last_verified", "")),
                    expected_chunks=int(meta.get("chunk_count", 0)),
                )
            doc.content_hashes.add(str(meta.get("content_hash", "")))
            doc.chunk_ids.append(chunk.id)
        return docs

    def add(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[Metadata],
        embeddings: Sequence[Sequence[float]],
    ) -> None:
        """Insert or replace chunks with their embeddings."""
        if ids:
            self._collection.upsert(
                ids=list(ids),
                documents=list(texts),
                metadatas=[dict(m) for m in metadatas],
                embeddings=[list(e) for e in embeddings],
            )

    def get_embeddings(self, ids: Sequence[str]) -> dict[str, tuple[str, Metadata, list[float]]]:
        """Text, metadata and embedding of the given chunks (used to move a renamed file)."""
        if not ids:
            return {}
        page = self._collection.get(
            ids=list(ids), include=["documents", "metadatas", "embeddings"]
        )
        return {
            chunk_id: (text or "", dict(meta or {}), [float(x) for x in emb])
            for chunk_id, text, meta, emb in zip(
                page["ids"], page["documents"], page["metadatas"], page["embeddings"], strict=True
            )
        }

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id."""
        for start in range(0, len(ids), _PAGE):
            self._collection.delete(ids=list(ids[start : start + _PAGE]))

    def query(self, embedding: Sequence[float], k: int) -> list[Hit]:
        """Nearest chunks to ``embedding`` by cosine similarity."""
        try:
            result = self._collection.query(
                query_embeddings=[list(embedding)], n_results=k, include=["distances"]
            )
        except Exception as exc:
            raise StoreUnavailable("vector store query failed") from exc
        ids = result["ids"][0] if result["ids"] else []
        distances = result["distances"][0] if result.get("distances") else []
        return [Hit(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=False)]
