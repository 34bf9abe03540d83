"""Incremental ingestion: hash files, parse what changed, embed only new chunks, delete what is gone.

The run is ordered so that a crash at any point leaves a repairable index: new chunks of a
document are written before its old ones are deleted, and a document whose chunks are
incomplete or of two versions is simply re-indexed by the next run.

Work is bounded so that indexing never starves answers nor blocks a shutdown: text is
embedded a few sentences per call, each store write holds one round of chunks, and between
calls the run checks ``cancel`` (it then drops what it wrote of unfinished documents and
raises IngestCancelled) and calls ``pause`` (the assistant lets waiting answers go first).
Documents under ``uploads/`` and ``faq/`` get their date, topic and provenance from the
server's change log (bot/rag/provenance.py), never from their own front matter.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.config import Settings
from bot.errors import AssistantError, IngestCancelled, IngestError
from bot.rag.chunking import Chunk, chunk_document
from bot.rag.embeddings import embed_questions, embedder_id
from bot.rag.loaders import SUPPORTED_SUFFIXES, ParsedDocument, ParserPool
from bot.rag.provenance import ChangeLog, Provenance, origin_of
from bot.rag.store import IndexedDocument, KnowledgeStore, StoredSentence

logger = logging.getLogger(__name__)

# Chunks per embedding round: their sentences and headings are embedded, then written in one
# store write (one write per round, not per document: each embedded-Chroma upsert holds the
# GIL for tens of ms).
EMBED_BATCH = 16
# Texts per embedding call: the engine uses every core for a call, so a long call delays a
# question's embedding behind it; between calls the run may stop or let answers go first.
EMBED_CALL = 8
# Bumped when what is embedded per chunk changes, so older indexes are re-embedded.
INDEX_FORMAT = "sentences-1"
IGNORED_NAMES = frozenset({"readme.md", "readme.txt"})

ProgressCallback = Callable[[int, int], None]
Checkpoint = Callable[[], None]


class UsageError(AssistantError):
    """The ingest request itself is wrong (a path that does not exist)."""


@dataclass
class FailedFile:
    """A file that could not be indexed, with the reason shown to staff."""

    path: str
    reason: str


@dataclass
class IngestReport:
    """What one ingestion run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    failed: list[FailedFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """True when the index content changed."""
        return bool(self.added or self.updated or self.deleted or self.renamed)

    def files(self) -> dict[str, list[str]]:
        """The files behind each count (for a human summary printed elsewhere)."""
        return {
            "added": list(self.added),
            "updated": list(self.updated),
            "unchanged": list(self.unchanged),
            "renamed": list(self.renamed),
            "deleted": list(self.deleted),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> IngestReport:
        """Rebuild a report from `to_dict()` plus `files()` (as the admin API returns it)."""
        files = data.get("files") or {}
        assert isinstance(files, dict)
        failed = data.get("failed") or []
        assert isinstance(failed, list)
        skipped = data.get("skipped") or []
        assert isinstance(skipped, list)
        chunks, seconds = data.get("chunks_embedded", 0), data.get("seconds", 0.0)
        assert isinstance(chunks, int | float | str) and isinstance(seconds, int | float | str)
        return cls(
            added=list(files.get("added", [])),
            updated=list(files.get("updated", [])),
            unchanged=list(files.get("unchanged", [])),
            deleted=list(files.get("deleted", [])),
            renamed=list(files.get("renamed", [])),
            failed=[FailedFile(str(f["path"]), str(f["reason"])) for f in failed],
            skipped=[str(s) for s in skipped],
            chunks_embedded=int(chunks),
            seconds=float(seconds),
        )

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of ``ingest.py --json``: counts, failures with reasons, seconds."""
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "deleted": len(self.deleted),
            "renamed": len(self.renamed),
            "chunks_embedded": self.chunks_embedded,
            "failed": [asdict(f) for f in self.failed],
            "skipped": list(self.skipped),
            "seconds": round(self.seconds, 3),
        }


def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# Why a file found in a folder is not indexed although its name looks like a document.
LINK_OUTSIDE = "symbolic link to a file outside the knowledge folder: not followed"


@dataclass(frozen=True)
class _Scope:
    files: list[Path]
    folders: list[Path]
    explicit_files: list[Path]
    skipped: list[tuple[str, str]]  # (path, reason; "" for an unsupported type)


def _scan(paths: Sequence[Path], root: Path | None = None) -> _Scope:
    """The files under ``paths``; a symbolic link found in a folder is followed only when its
    target is inside that folder or inside ``root`` (the knowledge folder)."""
    files: dict[Path, None] = {}
    folders: list[Path] = []
    explicit: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for raw in paths:
        path = raw.expanduser().resolve()
        if path.is_dir():
            folders.append(path)
            for candidate in sorted(path.rglob("*")):
                rel_parts = candidate.relative_to(path).parts
                if any(part.startswith((".", "_")) for part in rel_parts):
                    continue
                if not candidate.is_file() and not candidate.is_symlink():
                    continue
                if candidate.name.lower() in IGNORED_NAMES:
                    continue
                if candidate.suffix.lower() not in SUPPORTED_SUFFIXES:
                    skipped.append((str(candidate), ""))
                    continue
                target = candidate.resolve()
                if not any(target.is_relative_to(inside) for inside in (path, root) if inside):
                    # A link (or a link in its path) out of the folder would index and quote
                    # a file nobody put into the knowledge base.
                    skipped.append((str(candidate), LINK_OUTSIDE))
                    continue
                files[target if not candidate.is_symlink() else candidate] = None
        elif path.exists() or path.is_symlink():
            explicit.append(path)
            files[path] = None
        else:
            raise UsageError(f"no such file or folder: {raw}")
    return _Scope(list(files), folders, explicit, skipped)


class Indexer:
    """Brings the knowledge store in line with files on disk, embedding only what changed."""

    def __init__(
        self,
        settings: Settings,
        store: KnowledgeStore,
        embeddings_factory: Callable[[], Embeddings],
    ) -> None:
        self.settings = settings
        self.store = store
        self._embeddings_factory = embeddings_factory
        self._knowledge_root = settings.knowledge_dir.expanduser().resolve()
        model = getattr(embeddings_factory, "name", settings.embedding_model)
        # Stored with every chunk: a chunk written by another model or format is re-embedded.
        self.embedder = f"{embedder_id(str(model))}|{INDEX_FORMAT}"

    def _display(self, path: Path) -> str:
        try:
            return path.relative_to(self._knowledge_root).as_posix()
        except ValueError:
            return path.name

    def _key(self, path: Path) -> str:
        """A document's identity in the store: its path inside the knowledge folder.

        Relative, so replicas and staff machines that mount the folder elsewhere share one
        index instead of each adding its own copy; files outside the folder keep their
        absolute path. (Indexes keyed by absolute paths are re-keyed by the rename logic on
        the next ingest, without embedding anything again.)
        """
        try:
            return path.relative_to(self._knowledge_root).as_posix()
        except ValueError:
            return str(path)

    def _location(self, key: str) -> Path:
        """The file a store key refers to on this machine."""
        path = Path(key)
        return path if path.is_absolute() else self._knowledge_root / path

    def ingest(
        self,
        paths: Iterable[Path] | None = None,
        progress: ProgressCallback | None = None,
        *,
        cancel: threading.Event | None = None,
        pause: Checkpoint | None = None,
        max_chunks: int | None = None,
    ) -> IngestReport:
        """Index new and changed files under ``paths``; delete vanished ones within that scope.

        ``cancel``: checked between parses and embedding calls; when set, the run removes what
        it wrote of unfinished documents and raises IngestCancelled (finished documents stay).
        ``pause``: called between embedding calls (to let answers go first).
        ``max_chunks``: a file that makes more chunks fails with the reason (upload cap).
        """
        started = time.perf_counter()

        def checkpoint() -> None:
            if cancel is not None and cancel.is_set():
                raise IngestCancelled("ingestion stopped: the service is shutting down")
            if pause is not None:
                pause()

        scope = _scan(list(paths) if paths else [self.settings.knowledge_dir], self._knowledge_root)
        report = IngestReport(
            skipped=[
                f"{self._display(Path(p))} ({reason})" if reason else self._display(Path(p))
                for p, reason in scope.skipped
            ]
        )
        for p, reason in scope.skipped:
            if reason:
                logger.warning("ingest skipped path=%s reason=%s", self._display(Path(p)), reason)
        indexed = self.store.documents()
        changes = ChangeLog(self._knowledge_root)
        provenance_index = changes.provenance_index()

        pending: list[tuple[Path, str, IndexedDocument | None]] = []
        seen: set[str] = set()
        for path in scope.files:
            key = self._key(path)
            seen.add(key)
            display = self._display(path)
            try:
                size = path.stat().st_size
                if size > self.settings.max_file_bytes:
                    raise IngestError(
                        f"file is {size / 1048576:.1f} MB, over the "
                        f"{self.settings.max_file_mb:g} MB limit"
                    )
                digest = file_hash(path)
            except IngestError as exc:
                report.failed.append(FailedFile(display, exc.reason))
                continue
            except OSError as exc:
                report.failed.append(
                    FailedFile(display, f"file could not be read ({exc.strerror or exc})")
                )
                continue
            previous = indexed.get(key)
            if (
                previous
                and previous.complete
                and previous.content_hashes == {digest}
                and previous.embedders == {self.embedder}
                # Indexed before provenance was recorded (or moved between folders): redo.
                and previous.origin == origin_of(key)
            ):
                report.unchanged.append(display)
            else:
                pending.append((path, digest, previous))

        vanished = [
            doc
            for key, doc in indexed.items()
            if key not in seen and self._in_scope(self._location(key), scope)
        ]
        moved_from = self._match_renames(pending, vanished)

        new_chunks: list[tuple[Path, list[Chunk], IndexedDocument | None]] = []
        if pending:
            with ParserPool(
                self.settings.max_file_bytes, self.settings.parse_timeout, cancel=cancel
            ) as pool:
                for path, digest, previous in pending:
                    checkpoint()
                    display = self._display(path)
                    source_doc = moved_from.get(str(path))
                    if source_doc is not None:
                        self._move(source_doc, path, display, digest)
                        report.renamed.append(f"{source_doc.source} → {display}")
                        continue
                    try:
                        parsed = pool.parse(path)
                    except IngestError as exc:
                        logger.warning("ingest failed path=%s reason=%s", display, exc.reason)
                        report.failed.append(FailedFile(display, exc.reason))
                        continue
                    key = self._key(path)
                    provenance = changes.provenance(key, digest, path, provenance_index)
                    chunks = chunk_document(
                        _server_set(parsed, provenance),
                        doc_key=key,
                        source=display,
                        path=key,
                        content_hash=digest,
                        chunk_size=self.settings.chunk_size,
                        chunk_overlap=self.settings.chunk_overlap,
                        extra=provenance.metadata() if provenance else None,
                    )
                    if max_chunks is not None and len(chunks) > max_chunks:
                        reason = (
                            f"too large: it would make {len(chunks):,} chunks, over the limit "
                            f"of {max_chunks:,} per upload (MAX_UPLOAD_CHUNKS); split it into "
                            "smaller documents"
                        )
                        logger.warning("ingest refused path=%s chunks=%d", display, len(chunks))
                        report.failed.append(FailedFile(display, reason))
                        continue
                    new_chunks.append((path, chunks, previous))

        report.chunks_embedded = self._embed_and_write(new_chunks, report, progress, checkpoint)
        for doc in vanished:
            if doc.path in {d.path for d in moved_from.values()}:
                continue
            self.store.delete(doc.chunk_ids)
            report.deleted.append(doc.source)
        if report.changed and not paths:
            # Housekeeping on whole-folder runs only: it reads every sentence record, and a
            # leftover costs nothing but space (retrieval ignores sentences without a chunk).
            self._delete_leftover_sentences()
        report.seconds = time.perf_counter() - started
        logger.info(
            "ingest done added=%d updated=%d unchanged=%d deleted=%d renamed=%d failed=%d "
            "chunks_embedded=%d seconds=%.2f",
            len(report.added), len(report.updated), len(report.unchanged), len(report.deleted),
            len(report.renamed), len(report.failed), report.chunks_embedded, report.seconds,
        )  # fmt: skip
        return report

    @staticmethod
    def _in_scope(path: Path, scope: _Scope) -> bool:
        if path in scope.explicit_files:
            return True
        return any(path.is_relative_to(folder) for folder in scope.folders)

    def _match_renames(
        self,
        pending: list[tuple[Path, str, IndexedDocument | None]],
        vanished: list[IndexedDocument],
    ) -> dict[str, IndexedDocument]:
        """New paths whose exact content was indexed under a path that no longer exists."""
        by_hash = {
            next(iter(doc.content_hashes)): doc for doc in vanished if doc.complete
        }
        moves: dict[str, IndexedDocument] = {}
        for path, digest, previous in pending:
            if previous is None and digest in by_hash:
                # Into or out of uploads/ or faq/, provenance changes: index it anew.
                if by_hash[digest].origin != origin_of(self._key(path)):
                    continue
                moves[str(path)] = by_hash.pop(digest)
        return moves

    def _move(self, doc: IndexedDocument, path: Path, display: str, digest: str) -> None:
        """Re-key a renamed file's chunks and sentences without embedding anything again."""
        from bot.rag.chunking import chunk_id

        stored = self.store.get_embeddings(doc.chunk_ids)
        new_ids: dict[str, str] = {}
        ids, texts, metas, vectors = [], [], [], []
        for old_id, (text, meta, vector) in stored.items():
            meta = {**meta, "path": self._key(path), "source": display}
            new_ids[old_id] = chunk_id(self._key(path), digest, int(meta.get("chunk_index", 0)))
            ids.append(new_ids[old_id])
            texts.append(text)
            metas.append(meta)
            vectors.append(vector)
        self.store.add_sentences(
            [s.moved_to(new_ids[s.chunk_id]) for s in self.store.iter_sentences(doc.chunk_ids)]
        )
        self.store.add(ids, texts, metas, vectors)
        kept = set(ids)
        self.store.delete([i for i in doc.chunk_ids if i not in kept])

    def _embed_and_write(
        self,
        docs: list[tuple[Path, list[Chunk], IndexedDocument | None]],
        report: IngestReport,
        progress: ProgressCallback | None,
        checkpoint: Checkpoint,
    ) -> int:
        """Embed every chunk's sentences and heading in rounds across documents, writing each
        round in one store write; once a document's chunks are all stored, drop its previous
        version. On IngestCancelled, the chunks of unfinished documents are removed again."""
        total = sum(len(chunks) for _, chunks, _ in docs)
        if total == 0:
            for path, _, previous in docs:  # parsed but empty: nothing to write
                (report.updated if previous else report.added).append(self._display(path))
            return 0
        embeddings = self._embeddings_factory()
        if progress:
            progress(0, total)
        queue = [(d, i) for d, (_, chunks, _) in enumerate(docs) for i in range(len(chunks))]
        stored = dict.fromkeys(range(len(docs)), 0)  # chunks written per document
        heading_cache: dict[str, list[float]] = {}
        done = 0
        try:
            for start in range(0, len(queue), EMBED_BATCH):
                batch = queue[start : start + EMBED_BATCH]
                chunks = [docs[d][1][i] for d, i in batch]
                embedded = _embed_chunks(embeddings, chunks, heading_cache, checkpoint)
                # One store write per round, not per document: each embedded-Chroma upsert
                # holds the GIL for tens of ms, and many in a row stalled answers for seconds
                # (benchmarks/production_load.py, part 2). A big document is written round
                # by round too; answers only see it after the run (the retriever's snapshot
                # is rebuilt then), and an interrupted one is repaired by the next run.
                self._write(embedded, [docs[d][2] for d, _ in batch])
                complete = []
                for d, _ in batch:
                    stored[d] += 1
                    if stored[d] == len(docs[d][1]):
                        complete.append(d)
                self._finish([docs[d] for d in complete], report)
                done += len(batch)
                if progress:
                    progress(done, total)
        except IngestCancelled:
            self._drop_unfinished(docs, stored)
            raise
        self._finish([doc for doc in docs if not doc[1]], report)  # documents without chunks
        return total

    def _write(
        self, items: list[_EmbeddedChunk], previous: list[IndexedDocument | None]
    ) -> None:
        """Store one round of chunks (sentences first, then the chunks that own them)."""
        rewritten = [
            item.chunk.id
            for item, prev in zip(items, previous, strict=True)
            if prev is not None and item.chunk.id in set(prev.chunk_ids)
        ]
        if rewritten:
            # Same content, new model or format: its old sentences may number differently.
            self.store.delete_sentences(rewritten)
        self.store.add_sentences([s for item in items for s in item.sentences])
        self.store.add(
            [item.chunk.id for item in items],
            [item.chunk.text for item in items],
            [{**item.chunk.metadata, "embedder": self.embedder} for item in items],
            [item.vector for item in items],
        )

    def _finish(
        self, docs: list[tuple[Path, list[Chunk], IndexedDocument | None]], report: IngestReport
    ) -> None:
        """Documents whose new chunks are all stored: drop their previous versions (new first,
        then the old: a crash in between is repaired by the next run)."""
        for path, doc_chunks, previous in docs:
            if previous is not None:
                keep = {c.id for c in doc_chunks}
                self.store.delete([i for i in previous.chunk_ids if i not in keep])
            (report.updated if previous else report.added).append(self._display(path))

    def _drop_unfinished(
        self, docs: list[tuple[Path, list[Chunk], IndexedDocument | None]], stored: dict[int, int]
    ) -> None:
        """A stopped run: remove the new chunks of documents it did not finish, so the index
        holds only complete documents (their previous versions are untouched)."""
        for d, (_, doc_chunks, previous) in enumerate(docs):
            if 0 < stored[d] < len(doc_chunks):
                old = set(previous.chunk_ids) if previous is not None else set()
                self.store.delete([c.id for c in doc_chunks[: stored[d]] if c.id not in old])

    def forget(self, paths: Iterable[Path]) -> list[str]:
        """Drop the chunks of documents whose files are gone (an undone upload); returns the
        sources removed."""
        indexed = self.store.documents()
        removed = []
        for path in paths:
            doc = indexed.get(self._key(path.expanduser().resolve()))
            if doc is not None:
                self.store.delete(doc.chunk_ids)
                removed.append(doc.source)
        return removed

    def _delete_leftover_sentences(self) -> None:
        """Sentences whose chunk is gone (a run killed between the two deletes)."""
        live = {c.id for c in self.store.iter_chunks(include_text=False)}
        leftover = sorted(self.store.sentence_chunk_ids() - live)
        if leftover:
            logger.info("deleting sentences of %d removed chunks", len(leftover))
            self.store.delete_sentences(leftover)


@dataclass
class _EmbeddedChunk:
    chunk: Chunk
    sentences: list[StoredSentence]  # the heading (if any), then each sentence, in order
    vector: list[float]


def _in_calls(
    embed: Callable[[list[str]], list[list[float]]], texts: list[str], checkpoint: Checkpoint
) -> list[list[float]]:
    """``embed(texts)`` in calls of EMBED_CALL texts, with ``checkpoint()`` before each."""
    vectors: list[list[float]] = []
    for start in range(0, len(texts), EMBED_CALL):
        checkpoint()
        vectors += embed(texts[start : start + EMBED_CALL])
    return vectors


def _embed_chunks(
    embeddings: Embeddings,
    chunks: list[Chunk],
    heading_cache: dict[str, list[float]],
    checkpoint: Checkpoint = lambda: None,
) -> list[_EmbeddedChunk]:
    """Embed each chunk's heading (as a question) and sentences (as passages).

    The chunk's own vector is the normalised mean of its sentence vectors: one embedding pass
    over the text instead of two, and a chunk is near a question when its sentences are.
    """
    headings = [c.heading for c in chunks]
    new_headings = list(dict.fromkeys(h for h in headings if h and h not in heading_cache))
    heading_vectors = _in_calls(
        lambda texts: embed_questions(embeddings, texts), new_headings, checkpoint
    )
    for heading, vector in zip(new_headings, heading_vectors, strict=True):
        heading_cache[heading] = vector
    sentence_lists = [c.sentences or [c.text] for c in chunks]
    flat = [s for sentences in sentence_lists for s in sentences]
    vectors = _in_calls(embeddings.embed_documents, flat, checkpoint)
    result: list[_EmbeddedChunk] = []
    offset = 0
    for chunk, heading, sentences in zip(chunks, headings, sentence_lists, strict=True):
        own = vectors[offset : offset + len(sentences)]
        offset += len(sentences)
        mean = np.mean(np.asarray(own, dtype=np.float32), axis=0)
        norm = float(np.linalg.norm(mean)) or 1.0
        texts = ([("heading", heading, heading_cache[heading])] if heading else []) + [
            ("sentence", s, v) for s, v in zip(sentences, own, strict=True)
        ]
        records = [
            StoredSentence.of(chunk.id, kind, position, text, vector)
            for position, (kind, text, vector) in enumerate(texts)
        ]
        result.append(_EmbeddedChunk(chunk, records, (mean / norm).tolist()))
    return result


def _server_set(doc: ParsedDocument, provenance: Provenance | None) -> ParsedDocument:
    """A staff-published document as the server vouches for it: its title and language stay
    (staff saw them), but its date is the day it was published, it claims no topic (so it
    never stands in for a curated topic such as membership) and no sources of its own."""
    if provenance is None:
        return doc
    doc.topic = ""
    doc.last_verified = provenance.added_on
    doc.sources = []
    return doc
