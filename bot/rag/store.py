"""The Chroma collection behind the knowledge base: embedded (PersistentClient) or a server (HttpClient).

Chroma is the single source of truth: every chunk carries its file's path and content hash,
so the indexer can tell what changed without any side table that could drift from it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from bot.config import Settings
from bot.errors import StoreUnavailable
from bot.rag.chunking import Metadata

if TYPE_CHECKING:  # chromadb is imported lazily (it is slow to import)
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import Include, Where
    from chromadb.api.types import Metadata as ChromaMetadata

logger = logging.getLogger(__name__)

_PAGE = 2000
# A one-record side collection holds the knowledge base's version: every ingest that changes
# something writes a new one, so replicas sharing a Chroma server notice and rebuild their
# keyword index. Its single 1-dimensional vector is a placeholder (Chroma requires one).
_VERSION_SUFFIX = "__version"
_VERSION_ID = "version"
# Each chunk's heading and sentences, embedded one by one, live in a side collection keyed
# "<chunk id>#<n>": they let retrieval match a question to one sentence or to the FAQ heading,
# and the answer lead with the sentence that answers. Written before their chunk, deleted
# after it, so a chunk in the main collection always has its sentences.
_SENTENCE_SUFFIX = "__sentences"


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
    # The embedding model and index format each chunk was written with (see Indexer).
    embedders: set[str] = field(default_factory=set)
    # Server-set provenance of staff uploads and saved FAQs (bot/rag/provenance.py).
    origin: str = ""
    added_by: str = ""
    added_on: str = ""

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
class StoredSentence:
    """A heading or sentence of a chunk, with its vector (the side collection's record)."""

    id: str
    chunk_id: str
    kind: str  # "heading" | "sentence"
    position: int
    text: str
    embedding: Sequence[float]

    @classmethod
    def of(
        cls, chunk_id: str, kind: str, position: int, text: str, embedding: Sequence[float]
    ) -> StoredSentence:
        """A record keyed "<chunk id>#<position>" (re-writing a chunk replaces its records)."""
        return cls(f"{chunk_id}#{position}", chunk_id, kind, position, text, embedding)

    def moved_to(self, chunk_id: str) -> StoredSentence:
        """The same sentence and vector under another chunk id (a renamed file)."""
        return StoredSentence.of(chunk_id, self.kind, self.position, self.text, self.embedding)


@dataclass(frozen=True)
class Hit:
    """A dense-search result: chunk id and cosine similarity."""

    id: str
    similarity: float


def make_client(settings: Settings) -> ClientAPI:
    """Create the Chroma client the settings ask for, with telemetry off."""
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    if settings.chroma_host:
        headers = {}
        if settings.chroma_token is not None:
            # Chroma 1.5's server has no authentication of its own: the token is checked by
            # the proxy in front of it (deploy/chroma-auth.conf.template).
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
                f" ({_describe(exc)})"
            ) from exc
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(
        path=str(settings.chroma_dir),
        settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
    )


def _ours(meta: ChromaMetadata | None) -> Metadata:
    """A record's metadata as we wrote it: Chroma types values more loosely (lists, sparse
    vectors, None) than the scalars this module ever stores."""
    return cast("Metadata", dict(meta or {}))


def _vectors(embeddings: Sequence[Sequence[float]]) -> list[Sequence[float] | Sequence[int]]:
    return [list(e) for e in embeddings]


def _of_chunks(chunk_ids: Sequence[str]) -> Where:
    """The filter for the sentences of these chunks."""
    # Chroma's Where types operator keys as literals, which a nested dict literal is not
    # inferred as: the cast only names the type.
    return cast("Where", {"chunk_id": {"$in": list(chunk_ids)}})


def _describe(exc: BaseException) -> str:
    """A short, secret-free description of a client error for logs and /readyz."""
    text = str(exc).splitlines()[0][:160] if str(exc) else ""
    if "401" in text or "nauthorized" in text or "403" in text or "orbidden" in text:
        return "the server refused the token: check CHROMA_TOKEN"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class KnowledgeStore:
    """Typed access to the knowledge collection; embeddings are always supplied by us.

    With a Chroma server the connection is made lazily and re-made after a failure, so a
    service started while the server is down, or that sees it restart, recovers on its own;
    every failure to reach the server surfaces as StoreUnavailable.
    """

    def __init__(self, settings: Settings, client: ClientAPI | None = None) -> None:
        self._settings = settings
        self._client = client
        self._collection: Collection | None = None
        self._versions: Collection | None = None
        self._sentences: Collection | None = None
        self._connect_lock = threading.Lock()
        self.remote = bool(settings.chroma_host) and client is None
        self.location = (
            f"chroma server {settings.chroma_host}:{settings.chroma_port}"
            if self.remote
            else f"embedded chroma {settings.chroma_dir}"
        )
        if not self.remote:
            self._connect()  # embedded: a broken or locked folder is an error at start-up
            return
        try:
            self._connect()
        except StoreUnavailable as exc:
            logger.warning("store unavailable at start-up (will retry on use): %s", exc)

    def _connect(self) -> Collection:
        collection = self._collection
        if collection is not None:
            return collection
        with self._connect_lock:
            if self._collection is None:
                with self._guard("connect"):
                    client = self._client if self._client is not None else (
                        make_client(self._settings)
                    )
                    name = self._settings.collection_name
                    # embedding_function=None: Chroma's default would download a model.
                    collection = client.get_or_create_collection(
                        name, embedding_function=None, metadata={"hnsw:space": "cosine"}
                    )
                    self._versions = client.get_or_create_collection(
                        name + _VERSION_SUFFIX, embedding_function=None
                    )
                    self._sentences = client.get_or_create_collection(
                        name + _SENTENCE_SUFFIX,
                        embedding_function=None,
                        metadata={"hnsw:space": "cosine"},
                    )
                    self._client = client
                    self._collection = collection
                    logger.info("store connected: %s", self.location)
            return self._collection

    def _side(self) -> tuple[Collection, Collection]:
        """The version and sentence collections (made by ``_connect`` with the main one)."""
        self._connect()
        versions, sentences = self._versions, self._sentences
        assert versions is not None and sentences is not None  # set before _collection
        return versions, sentences

    @contextlib.contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        """Turn a server that cannot be reached into StoreUnavailable (and reconnect next time).

        Embedded errors are real bugs or a broken folder and are raised as they are.
        """
        try:
            yield
        except StoreUnavailable:
            raise
        except Exception as exc:
            if not self.remote:
                raise
            # The next call reconnects: the server may have restarted with new collection ids.
            self._collection = None
            raise StoreUnavailable(f"{self.location}: {what} failed ({_describe(exc)})") from exc

    def count(self) -> int:
        """Number of chunks stored."""
        collection = self._connect()
        with self._guard("count"):
            return collection.count()

    def embedders(self, sample: int = 50) -> set[str]:
        """The embedder tags of a sample of chunks (cheap check that the index is current)."""
        collection = self._connect()
        with self._guard("read"):
            page = collection.get(include=["metadatas"], limit=sample)
        return {str((m or {}).get("embedder", "")) for m in page.get("metadatas") or []}

    def heartbeat(self) -> int:
        """The number of chunks; StoreUnavailable when the store cannot answer."""
        try:
            return self.count()
        except StoreUnavailable:
            raise
        except Exception as exc:
            raise StoreUnavailable(f"vector store not reachable ({_describe(exc)})") from exc

    def version(self) -> str:
        """The knowledge base's version marker ("" before the first ingest wrote one)."""
        versions, _ = self._side()
        with self._guard("version"):
            page = versions.get(ids=[_VERSION_ID], include=["metadatas"])
        metas = page.get("metadatas") or []
        return str((metas[0] or {}).get("version", "")) if metas else ""

    def bump_version(self) -> str:
        """Record that the knowledge base changed; returns the new marker."""
        versions, _ = self._side()
        marker = uuid.uuid4().hex
        with self._guard("bump version"):
            versions.upsert(
                ids=[_VERSION_ID],
                embeddings=_vectors([[1.0]]),
                metadatas=[{"version": marker, "updated_at": time.time()}],
            )
        return marker

    def iter_chunks(self, include_text: bool = True) -> Iterator[StoredChunk]:
        """Every stored chunk, paged."""
        include: Include = ["metadatas", "documents"] if include_text else ["metadatas"]
        collection = self._connect()
        offset = 0
        while True:
            with self._guard("read"):
                page = collection.get(include=include, limit=_PAGE, offset=offset)
            ids = page["ids"]
            if not ids:
                return
            docs = page.get("documents") or [""] * len(ids)
            for chunk_id, text, meta in zip(ids, docs, page["metadatas"] or [], strict=False):
                yield StoredChunk(chunk_id, text or "", _ours(meta))
            if len(ids) < _PAGE:
                return
            offset += len(ids)

    def documents(self) -> dict[str, IndexedDocument]:
        """Indexed files by key (path inside the knowledge folder), with hashes and chunk ids."""
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
                    origin=str(meta.get("origin", "")),
                    added_by=str(meta.get("added_by", "")),
                    added_on=str(meta.get("added_on", "")),
                )
            doc.content_hashes.add(str(meta.get("content_hash", "")))
            doc.embedders.add(str(meta.get("embedder", "")))
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
            self._upsert(self._connect(), "write", ids, texts, metadatas, embeddings)

    def _upsert(
        self,
        collection: Collection,
        what: str,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[Metadata],
        embeddings: Sequence[Sequence[float]],
    ) -> None:
        with self._guard(what):
            collection.upsert(
                ids=list(ids),
                documents=list(texts),
                metadatas=[dict(m) for m in metadatas],
                embeddings=_vectors(embeddings),
            )

    def get_embeddings(self, ids: Sequence[str]) -> dict[str, tuple[str, Metadata, list[float]]]:
        """Text, metadata and embedding of the given chunks (used to move a renamed file)."""
        if not ids:
            return {}
        collection = self._connect()
        with self._guard("read"):
            page = collection.get(ids=list(ids), include=["documents", "metadatas", "embeddings"])
        texts, metas, vectors = page["documents"], page["metadatas"], page["embeddings"]
        assert texts is not None and metas is not None and vectors is not None  # all included
        return {
            chunk_id: (text or "", _ours(meta), [float(x) for x in emb])
            for chunk_id, text, meta, emb in zip(page["ids"], texts, metas, vectors, strict=True)
        }

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id, then their sentences."""
        collection = self._connect()
        for start in range(0, len(ids), _PAGE):
            with self._guard("delete"):
                collection.delete(ids=list(ids[start : start + _PAGE]))
        self.delete_sentences(ids)

    # --- sentences ------------------------------------------------------------------------------

    def add_sentences(self, sentences: Sequence[StoredSentence]) -> None:
        """Insert or replace headings/sentences."""
        _, collection = self._side()
        for start in range(0, len(sentences), _PAGE):
            page = sentences[start : start + _PAGE]
            self._upsert(
                collection,
                "write sentences",
                [s.id for s in page],
                [s.text for s in page],
                [{"chunk_id": s.chunk_id, "kind": s.kind, "position": s.position} for s in page],
                [s.embedding for s in page],
            )

    def delete_sentences(self, chunk_ids: Sequence[str]) -> None:
        """Remove every heading/sentence of the given chunks."""
        _, collection = self._side()
        chunk_ids = list(chunk_ids)
        for start in range(0, len(chunk_ids), 500):
            part = chunk_ids[start : start + 500]
            with self._guard("delete sentences"):
                collection.delete(where=_of_chunks(part))

    def iter_sentences(
        self, chunk_ids: Sequence[str] | None = None, include_embeddings: bool = True
    ) -> Iterator[StoredSentence]:
        """Headings and sentences (of the given chunks, or all), paged; without embeddings,
        only what identifies them (text and vector empty)."""
        _, collection = self._side()
        include: Include = ["metadatas"]
        if include_embeddings:
            include += ["documents", "embeddings"]
        where = _of_chunks(chunk_ids) if chunk_ids is not None else None
        if chunk_ids is not None and not chunk_ids:
            return
        offset = 0
        while True:
            with self._guard("read sentences"):
                page = collection.get(
                    where=where, include=include, limit=_PAGE, offset=offset
                )
            ids = page["ids"]
            if not ids:
                return
            # A numpy array (embedded Chroma) or lists (a server); rows are used as they come.
            vectors: Any = page.get("embeddings")
            if vectors is None:
                vectors = [[]] * len(ids)
            for sentence_id, text, meta, vector in zip(
                ids, page.get("documents") or [""] * len(ids), page["metadatas"] or [], vectors,
                strict=False,
            ):
                meta = _ours(meta)
                yield StoredSentence(
                    sentence_id,
                    str(meta.get("chunk_id", "")),
                    str(meta.get("kind", "sentence")),
                    int(meta.get("position", 0)),
                    text or "",
                    vector if vector is not None else [],
                )
            if len(ids) < _PAGE:
                return
            offset += len(ids)

    def sentence_chunk_ids(self) -> set[str]:
        """Chunk ids that have sentences stored (to find leftovers of an interrupted run)."""
        return {s.chunk_id for s in self.iter_sentences(include_embeddings=False)}

    def query(self, embedding: Sequence[float], k: int) -> list[Hit]:
        """Nearest chunks to ``embedding`` by cosine similarity."""
        collection = self._connect()
        try:
            result = collection.query(
                query_embeddings=_vectors([embedding]), n_results=k, include=["distances"]
            )
        except Exception as exc:
            if self.remote:
                self._collection = None
            raise StoreUnavailable(f"vector store query failed ({_describe(exc)})") from exc
        ids = result["ids"][0] if result["ids"] else []
        found = result.get("distances")
        distances = found[0] if found else []
        return [Hit(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=False)]
