"""Hybrid retrieval: dense (Chroma) + BM25 keyword search, fused, with glossary query expansion."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from langchain_core.embeddings import Embeddings

from bot.rag.chunking import Metadata, keyword_text
from bot.rag.glossary import Glossary, GlossaryEntry
from bot.rag.keyword import KeywordIndex
from bot.rag.store import KnowledgeStore
from bot.rag.text import detect_language, tokenize

logger = logging.getLogger(__name__)

RRF_K = 60
DENSE_WEIGHT = 0.3
# Glossary expansions help recall but must not outweigh the words the founder typed;
# names (HUTECH, NATEC …) are precise and weigh more than concepts (fee, address …).
NAME_EXPANSION_WEIGHT = 0.5
CONCEPT_EXPANSION_WEIGHT = 0.15
SUBJECT_WEIGHT = 0.3


@functools.lru_cache(maxsize=8192)
def _form_tokens(form: str) -> frozenset[str]:
    return frozenset(tokenize(form))


@functools.lru_cache(maxsize=1024)
def _entry_tokens(entry: GlossaryEntry) -> frozenset[str]:
    return frozenset(t for form in entry.forms for t in _form_tokens(form))


@dataclass
class Candidate:
    """One retrieved chunk with every signal that ranked it."""

    id: str
    text: str
    metadata: Metadata
    dense: float = 0.0
    keyword: float = 0.0
    score: float = 0.0
    coverage: float = 0.0

    @property
    def language(self) -> str:
        """Language of the chunk's document."""
        return str(self.metadata.get("language", ""))

    @property
    def topic(self) -> str:
        """Topic id, or the file when the document has none."""
        return str(self.metadata.get("topic") or self.metadata.get("path", ""))


@dataclass
class Retrieval:
    """Ranked candidates for a question and the query as it was searched."""

    question: str
    language: str
    query_tokens: list[str]
    expanded_tokens: list[str]
    expansions: list[tuple[list[str], float]] = field(default_factory=list)
    names: int = 0
    synonyms: list[tuple[frozenset[str], frozenset[str]]] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)


@dataclass(frozen=True)
class _Snapshot:
    index: KeywordIndex
    texts: dict[str, str]
    metadatas: dict[str, Metadata]
    version: str


class HybridRetriever:
    """Dense + keyword retrieval over one knowledge store."""

    def __init__(
        self,
        store: KnowledgeStore,
        embeddings: Callable[[], Embeddings],
        glossary: Glossary,
        *,
        candidate_k: int = 30,
        fusion: Literal["rrf", "weighted", "dense", "keyword"] = "weighted",
        dense_languages: frozenset[str] | None = None,
        refresh_seconds: float = 5.0,
    ) -> None:
        self.store = store
        self._embeddings = embeddings
        self.glossary = glossary
        self.candidate_k = candidate_k
        self.fusion = fusion
        # Languages the embedding model actually reads (None: all). For chunks in other
        # languages its similarities are noise, so their fused score is keyword evidence only.
        self.dense_languages = dense_languages
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        # How often to ask the store whether another process (a replica sharing the Chroma
        # server, or a staff ingest) changed the knowledge base since the last rebuild.
        self.refresh_seconds = refresh_seconds
        self._checked_at = time.monotonic()
        self._rebuilding = threading.Lock()

    def refresh(self) -> int:
        """Rebuild the keyword index from the store (after ingestion); returns the chunk count."""
        # Read the version first: a change made while we read is then seen by the next check.
        version = self.store.version()
        ids, texts, metas = [], {}, {}
        for chunk in self.store.iter_chunks():
            ids.append(chunk.id)
            texts[chunk.id] = chunk.text
            metas[chunk.id] = chunk.metadata
        index = KeywordIndex(ids, [keyword_text(texts[i], metas[i]) for i in ids])
        with self._lock:
            self._snapshot = _Snapshot(index, texts, metas, version)
            self._checked_at = time.monotonic()
        logger.info("keyword index rebuilt chunks=%d version=%s", len(ids), version[:8] or "-")
        return len(ids)

    def refresh_if_changed(self) -> bool:
        """Rebuild when the store's version moved on (checked at most every refresh_seconds).

        One thread rebuilds; the others keep answering from the previous snapshot meanwhile.
        Returns whether a rebuild happened.
        """
        snapshot = self._snapshot
        if snapshot is None:
            return False
        if time.monotonic() - self._checked_at < self.refresh_seconds:
            return False
        if not self._rebuilding.acquire(blocking=False):
            return False
        try:
            self._checked_at = time.monotonic()
            if self.store.version() == snapshot.version:
                return False
            logger.info("knowledge base changed elsewhere: rebuilding the keyword index")
            self.refresh()
            return True
        finally:
            self._rebuilding.release()

    def _current(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is None:
            with self._rebuilding:
                if self._snapshot is None:
                    self.refresh()
            snapshot = self._snapshot
        else:
            self.refresh_if_changed()
            snapshot = self._snapshot
        assert snapshot is not None
        return snapshot

    @property
    def loaded(self) -> bool:
        """Whether the keyword index has been built (it is built lazily)."""
        return self._snapshot is not None

    def chunk(self, chunk_id: str) -> tuple[str, Metadata]:
        """Text and metadata of a chunk by id."""
        snap = self._current()
        return snap.texts[chunk_id], snap.metadatas[chunk_id]

    def retrieve(self, question: str, language: str | None = None) -> Retrieval:
        """Rank chunks for ``question`` by the configured fusion of dense and keyword search."""
        snap = self._current()
        lang = language or detect_language(question)
        spelled = snap.index.correct_spelling(question)
        matched_forms = self.glossary.match_forms(spelled)
        matched = list(dict.fromkeys(entry for entry, _ in matched_forms))
        stripped = self.glossary.strip_subject(spelled)
        query_tokens = tokenize(stripped)
        about_subject_only = not query_tokens
        query_tokens = query_tokens or tokenize(spelled)
        # A programme name the founder typed counts in full, stop words included ("SRO MOST").
        for entry, form in matched_forms:
            if not (entry.concept or entry.subject):
                query_tokens += [
                    t for t in tokenize(form, drop_stopwords=False) if t not in query_tokens
                ]
        typed = set(query_tokens)
        # The hub's own name is in every document: it only nudges (low weight), never decides.
        subject = [t for t in tokenize(spelled) if t not in typed]
        names: list[str] = []
        concepts: list[str] = []
        synonyms: list[tuple[frozenset[str], frozenset[str]]] = []
        for entry, form in matched_forms:
            synonyms.append((_form_tokens(form), _entry_tokens(entry)))
        for entry in matched:
            if entry.subject:
                continue
            bucket = concepts if entry.concept else names
            bucket.extend(t for t in _entry_tokens(entry) if t not in typed)
        names = list(dict.fromkeys(names))
        concepts = list(dict.fromkeys(t for t in concepts if t not in set(names)))
        expanded_tokens = query_tokens + names + concepts
        result = Retrieval(
            question,
            lang,
            query_tokens,
            expanded_tokens,
            [
                (names, NAME_EXPANSION_WEIGHT),
                (concepts, CONCEPT_EXPANSION_WEIGHT),
                (subject, SUBJECT_WEIGHT),
            ],
            synonyms=synonyms,
            names=sum(1 for entry in matched if not (entry.concept or entry.subject)),
        )
        if not len(snap.index):
            return result

        dense_hits: list[tuple[str, float]] = []
        if self.fusion != "keyword":
            dense_query = spelled
            if matched and lang != "en":
                # The default model reads English: give it the English names of what was asked.
                dense_query += " (" + "; ".join(entry.english for entry in matched) + ")"
            vector = self._embeddings().embed_query(dense_query)
            dense_hits = [(h.id, h.similarity) for h in self.store.query(vector, self.candidate_k)]
        keyword_hits: list[tuple[str, float]] = []
        if self.fusion != "dense":
            keyword_hits = snap.index.search_weighted(
                query_tokens, result.expansions, self.candidate_k
            )

        candidates: dict[str, Candidate] = {}

        def candidate(chunk_id: str) -> Candidate | None:
            if chunk_id not in snap.texts:  # written after the snapshot; picked up on refresh
                return None
            if chunk_id not in candidates:
                candidates[chunk_id] = Candidate(
                    chunk_id, snap.texts[chunk_id], snap.metadatas[chunk_id]
                )
            return candidates[chunk_id]

        top_keyword = keyword_hits[0][1] if keyword_hits else 1.0
        for rank, (chunk_id, similarity) in enumerate(dense_hits):
            if (c := candidate(chunk_id)) is not None:
                c.dense = similarity
                c.score += self._dense_part(rank, similarity)
        for rank, (chunk_id, score) in enumerate(keyword_hits):
            if (c := candidate(chunk_id)) is not None:
                c.keyword = score / top_keyword if top_keyword else 0.0
                c.score += self._keyword_part(rank, c.keyword)
        for c in candidates.values():
            c.coverage = snap.index.coverage(query_tokens, c.id, synonyms)
            if (
                self.fusion == "weighted"
                and self.dense_languages is not None
                and lang not in self.dense_languages
                and c.language not in self.dense_languages
            ):
                # The model cannot read this question or this chunk: judge on keywords alone
                # rather than penalise the chunk for a similarity the model cannot compute.
                c.score = c.keyword
        if about_subject_only:
            # "What is Seoul Startup Hub Ho Chi Minh?": every document matches the name, so
            # the subject's home topic (its overview) answers.
            home = {entry.topic for entry in matched if entry.subject and entry.topic}
            for c in candidates.values():
                if c.topic in home:
                    c.score += 1.0
        result.candidates = sorted(candidates.values(), key=lambda c: -c.score)
        return result

    def _dense_part(self, rank: int, similarity: float) -> float:
        match self.fusion:
            case "rrf":
                return 1.0 / (RRF_K + rank + 1)
            case "weighted":
                return DENSE_WEIGHT * max(similarity, 0.0)
            case _:
                return max(similarity, 0.0)

    def _keyword_part(self, rank: int, normalised: float) -> float:
        match self.fusion:
            case "rrf":
                return 1.0 / (RRF_K + rank + 1)
            case "weighted":
                return (1.0 - DENSE_WEIGHT) * normalised
            case _:
                return normalised

    def best_in_language(self, retrieval: Retrieval, topic: str, language: str) -> Candidate | None:
        """The best chunk of ``topic`` written in ``language`` by keyword score, if any."""
        snap = self._current()
        scores = snap.index.weighted_scores(retrieval.query_tokens, retrieval.expansions)
        best: Candidate | None = None
        best_score = -1.0
        for i, chunk_id in enumerate(snap.index.ids):
            meta = snap.metadatas[chunk_id]
            if meta.get("language") != language:
                continue
            if str(meta.get("topic") or meta.get("path", "")) != topic:
                continue
            if scores[i] > best_score:
                best_score = float(scores[i])
                best = Candidate(chunk_id, snap.texts[chunk_id], meta, keyword=best_score)
        if best is not None:
            best.coverage = snap.index.coverage(
                retrieval.query_tokens, best.id, retrieval.synonyms
            )
        return best
