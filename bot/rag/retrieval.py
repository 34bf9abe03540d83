"""Hybrid retrieval: sentence- and heading-level dense search + BM25 keyword search, scored together.

Every chunk is represented three ways: its BM25 terms, the vector of each of its sentences,
and the vector of its heading (in the knowledge base, the founder's question the section
answers). A question is matched against all of them; the evidence is combined by the scorer
(``bot/rag/scoring.py``, weights fitted on the training questions of ``eval/``).

The keyword index and the sentence vectors are an in-memory snapshot of the store, rebuilt
when the knowledge base changes (here or in another replica); the dense search over the
snapshot is exact (one matrix-vector product), which at this corpus size is faster than an
approximate index query.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.errors import StoreUnavailable
from bot.rag.chunking import Metadata, heading_of, keyword_text, topic_of
from bot.rag.glossary import HUB_WORD, Glossary, GlossaryEntry
from bot.rag.keyword import KeywordIndex
from bot.rag.scoring import RankFeatures, Scorer
from bot.rag.store import KnowledgeStore
from bot.rag.text import (
    asks_upcoming,
    detect_language,
    question_kind,
    split_sentences,
    states_kind,
    tokenize,
    what_instead_of_place,
)

logger = logging.getLogger(__name__)

RRF_K = 60
# Glossary expansions help recall but must not outweigh the words the founder typed;
# names (HUTECH, NATEC …) are precise and weigh more than concepts (fee, address …).
NAME_EXPANSION_WEIGHT = 0.5
CONCEPT_EXPANSION_WEIGHT = 0.15
SUBJECT_WEIGHT = 0.3
# Rank-logit bonus of the home topic's opening section for a question that names only the
# subject: about one logit, so a section much closer to the wording still wins.
OPENING_BONUS = 1.0
# Dense candidates taken from each document language, besides the best overall.
PER_LANGUAGE_CANDIDATES = 8
# A question with at most this many keyword tokens and no programme name is "vague".
VAGUE_TOKENS = 2


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
    heading_similarity: float = 0.0
    # Similarities minus the median over all chunks of the same language: the model's
    # similarities run higher between texts of one language, so "how much this chunk stands
    # out among its language's chunks" compares fairly across languages.
    dense_lift: float = 0.0
    heading_lift: float = 0.0
    row: int = -1
    # What the rank model saw (weighted fusion only): kept for evaluation and fitting.
    features: RankFeatures | None = None

    @property
    def language(self) -> str:
        """Language of the chunk's document."""
        return str(self.metadata.get("language", ""))

    @property
    def topic(self) -> str:
        """Topic id, or the file when the document has none."""
        return topic_of(self.metadata)


@dataclass(frozen=True)
class Sentence:
    """A sentence of a chunk and how close it is to the question (cosine)."""

    text: str
    position: int
    similarity: float


@dataclass
class Retrieval:
    """Ranked candidates for a question and the query as it was searched."""

    question: str
    language: str
    query_tokens: list[str]
    expansions: list[tuple[list[str], float]] = field(default_factory=list)
    names: int = 0
    synonyms: list[tuple[frozenset[str], frozenset[str]]] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    # Glossary entries named in the question (programme names, concepts, the hub).
    entries: list[GlossaryEntry] = field(default_factory=list)
    # IDF-weighted share of the question's words that no document uses, and of its word pairs.
    unseen: float = 0.0
    unseen_pairs: float = 0.0
    query_vector: np.ndarray | None = None
    dense_reliable: bool = True
    # Normalised forms of what the question is about (its programme names, else the hub).
    about: frozenset[str] = frozenset()
    # Keyword tokens of the programme names as typed ("サイゴン・ハイテクパーク"): they tell which
    # passage, not which of its sentences, answers.
    name_tokens: frozenset[str] = frozenset()
    snapshot: _Snapshot | None = None
    # The evidence for every chunk row of the snapshot (not only the candidates), so a
    # passage of the same topic in another language can be picked without searching again.
    dense_by_row: np.ndarray | None = None
    heading_by_row: np.ndarray | None = None
    keyword_by_row: np.ndarray | None = None

    @property
    def words(self) -> int:
        """Distinct word tokens of the question (word pairs left out)."""
        return len({t for t in self.query_tokens if "_" not in t})


@dataclass(frozen=True)
class _Snapshot:
    index: KeywordIndex
    texts: dict[str, str]
    metadatas: dict[str, Metadata]
    version: str
    # Sentence and heading vectors, grouped by chunk row (rows of ``index.ids``).
    vectors: np.ndarray  # (n, dim) float32
    sentence_chunk: np.ndarray  # (n,) chunk row of each vector
    sentence_heading: np.ndarray  # (n,) True for a heading
    sentence_position: np.ndarray  # (n,)
    sentence_texts: list[str]
    starts: np.ndarray  # (chunks + 1,) first vector row of each chunk row
    chunk_language: np.ndarray  # (chunks,) language of each chunk row
    programme: np.ndarray  # (chunks,) the chunk's section names the hub

    def rows_of(self, chunk_row: int) -> range:
        """Vector rows of one chunk (its heading first, then its sentences in order)."""
        return range(int(self.starts[chunk_row]), int(self.starts[chunk_row + 1]))

    @functools.cached_property
    def heading_rows(self) -> np.ndarray:
        """Vector rows that are headings."""
        return np.flatnonzero(self.sentence_heading)

    @functools.cached_property
    def body_rows(self) -> np.ndarray:
        """Vector rows that are sentences."""
        return np.flatnonzero(~self.sentence_heading)

    @functools.cached_property
    def language_rows(self) -> dict[str, np.ndarray]:
        """Chunk rows per document language."""
        return {
            lang: np.flatnonzero(self.chunk_language == lang)
            for lang in set(self.chunk_language.tolist())
        }

    @functools.cached_property
    def topic_rows(self) -> dict[tuple[str, str], list[int]]:
        """Chunk rows per (topic, language)."""
        rows: dict[tuple[str, str], list[int]] = {}
        for row, chunk_id in enumerate(self.index.ids):
            key = (topic_of(self.metadatas[chunk_id]), str(self.chunk_language[row]))
            rows.setdefault(key, []).append(row)
        return rows

    @functools.cached_property
    def documents(self) -> dict[str, list[tuple[str, str, list[str]]]]:
        """(topic, title, headings) of every document, per language."""
        found: dict[str, dict[str, tuple[str, str, list[str]]]] = {}
        for chunk_id in self.index.ids:
            meta = self.metadatas[chunk_id]
            entry = found.setdefault(str(meta.get("language", "")), {}).setdefault(
                str(meta.get("path", "")), (topic_of(meta), str(meta.get("title", "")), [])
            )
            heading = heading_of(meta)
            if heading and heading not in entry[2]:
                entry[2].append(heading)
        return {lang: list(docs.values()) for lang, docs in found.items()}


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
        scorer: Scorer | None = None,
    ) -> None:
        self.store = store
        self._embeddings = embeddings
        self.glossary = glossary
        self.candidate_k = candidate_k
        self.fusion = fusion
        # Languages the embedding model actually reads (None: all). For a question in another
        # language its similarities are noise, and chunks are ranked on keyword evidence.
        self.dense_languages = dense_languages
        self.scorer = scorer or Scorer.load(getattr(embeddings, "name", ""))
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        # How often to ask the store whether another process (a replica sharing the Chroma
        # server, or a staff ingest) changed the knowledge base since the last rebuild.
        self.refresh_seconds = refresh_seconds
        self._checked_at = time.monotonic()
        self._rebuilding = threading.Lock()

    def refresh(self) -> int:
        """Rebuild the keyword index and sentence vectors from the store; returns the chunk count."""
        # Read the version first: a change made while we read is then seen by the next check.
        version = self.store.version()
        ids, texts, metas = [], {}, {}
        for chunk in self.store.iter_chunks():
            ids.append(chunk.id)
            texts[chunk.id] = chunk.text
            metas[chunk.id] = chunk.metadata
        index = KeywordIndex(ids, [keyword_text(texts[i], metas[i]) for i in ids])
        snapshot = self._with_sentences(index, texts, metas, version)
        with self._lock:
            self._snapshot = snapshot
            self._checked_at = time.monotonic()
        logger.info(
            "keyword index rebuilt chunks=%d sentences=%d version=%s",
            len(ids), len(snapshot.sentence_texts), version[:8] or "-",
        )  # fmt: skip
        return len(ids)

    def _with_sentences(
        self, index: KeywordIndex, texts: dict[str, str], metas: dict[str, Metadata], version: str
    ) -> _Snapshot:
        row_of = {chunk_id: row for row, chunk_id in enumerate(index.ids)}
        records = []
        for sentence in self.store.iter_sentences():
            row = row_of.get(sentence.chunk_id)
            if row is None or len(sentence.embedding) == 0:
                continue  # a leftover of an interrupted run, or written after the chunk read
            records.append((row, sentence.position, sentence.kind == "heading", sentence))
        records.sort(key=lambda r: (r[0], r[1]))
        n_chunks = len(index.ids)
        if records:
            vectors = np.asarray([r[3].embedding for r in records], dtype=np.float32)
        else:
            vectors = np.zeros((0, 1), dtype=np.float32)
        chunk_rows = np.asarray([r[0] for r in records], dtype=np.int64)
        counts = np.bincount(chunk_rows, minlength=n_chunks) if records else np.zeros(n_chunks)
        starts = np.zeros(n_chunks + 1, dtype=np.int64)
        starts[1:] = np.cumsum(counts)
        missing = int(np.sum(counts == 0))
        if missing and records:
            logger.warning("%d chunks have no sentence vectors: run ingest.py", missing)
        return _Snapshot(
            index=index,
            texts=texts,
            metadatas=metas,
            version=version,
            vectors=vectors,
            sentence_chunk=chunk_rows,
            sentence_heading=np.asarray([r[2] for r in records], dtype=bool),
            sentence_position=np.asarray([r[1] for r in records], dtype=np.int64),
            sentence_texts=[r[3].text for r in records],
            starts=starts,
            chunk_language=np.asarray(
                [str(metas[i].get("language", "")) for i in index.ids], dtype=object
            ),
            programme=self._about_subject(index.ids, texts, metas),
        )

    def _about_subject(
        self, ids: list[str], texts: dict[str, str], metas: dict[str, Metadata]
    ) -> np.ndarray:
        """Per chunk row: whether its section names the hub (heading or text) — the
        programme's own material, as opposed to background on the market or the city."""
        return np.asarray(
            [
                self.glossary.mentions_subject(f"{heading_of(metas[i])}\n{texts[i]}")
                for i in ids
            ],
            dtype=bool,
        )

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
            try:
                current = self.store.version()
            except StoreUnavailable as exc:
                # Keep answering from the last snapshot (the knowledge base cannot change while
                # the store is down); /readyz reports the outage.
                logger.warning("store unreachable, answering from the last snapshot: %s", exc)
                return False
            if current == snapshot.version:
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

    def documents_by_language(self) -> dict[str, list[tuple[str, str, list[str]]]]:
        """(topic, title, headings) of every indexed document, per language (for small talk)."""
        return self._current().documents

    def _repair(self, snap: _Snapshot, question: str, lang: str) -> str:
        """Spelling repaired against the corpus, and Vietnamese diacritics put back."""
        spelled = snap.index.correct_spelling(question, english=lang == "en")
        if lang == "ko":
            return snap.index.correct_hangul(spelled)
        if lang == "ja":
            return snap.index.correct_katakana(spelled)
        return snap.index.restore_diacritics(spelled) if lang == "vi" else spelled

    def unseen_share(self, tokens: list[str]) -> float:
        """IDF-weighted share of these keyword tokens that no chunk uses."""
        return self._current().index.unseen_share(tokens)

    def unseen_words(self, text: str, language: str) -> list[str]:
        """The text's words (spelling repaired as for a search) that no chunk uses."""
        snap = self._current()
        return snap.index.unseen_words(tokenize(self._repair(snap, text, language)))

    def embed(self, question: str, language: str | None = None) -> np.ndarray:
        """The question's vector, as ``retrieve`` would compute it (after spelling repair)."""
        snap = self._current()
        spelled = self._repair(snap, question, language or detect_language(question))
        return np.asarray(self._embeddings().embed_query(spelled), dtype=np.float32)

    def retrieve(self, question: str, language: str | None = None) -> Retrieval:
        """Rank chunks for ``question`` by dense, keyword and heading evidence."""
        snap = self._current()
        lang = language or detect_language(question)
        # "What kind of place is the hub?" asks what it is: "place" would pull toward where.
        spelled = what_instead_of_place(self._repair(snap, question, lang))
        matched_forms = self.glossary.match_forms(spelled)
        matched = list(dict.fromkeys(entry for entry, _ in matched_forms))
        stripped = HUB_WORD.sub(" ", self.glossary.strip_subject(spelled))
        query_tokens = snap.index.settle_readings(tokenize(stripped))
        # Nothing but the hub's name ("What is Seoul Startup Hub Ho Chi Minh?", "What does the
        # hub do?") asks for its overview, the subject's home topic; "Where is …?" or "When did
        # … open?" ask for one fact about it.
        home: frozenset[str] = frozenset()
        if not query_tokens and question_kind(spelled) in ("other", "yes-no"):
            subjects = [e for e in matched if e.subject and e.topic]
            if not subjects and HUB_WORD.search(spelled):
                subjects = [e for e in self.glossary.entries if e.subject and e.topic]
            home = frozenset(e.topic for e in subjects)
        query_tokens = query_tokens or tokenize(spelled)
        # A programme name the founder typed counts in full: the words of every form of it the
        # glossary matched, as far as the documents use them. The documents are indexed without
        # stop words, so a form's stop word ("most" of "SRO MOST") or a spacing variant's
        # reading ("하" of "하이 서울 프렌즈") would find nothing and only count as a word the
        # documents lack.
        for entry, form in matched_forms:
            if not (entry.concept or entry.subject):
                query_tokens += [
                    t
                    for t in tokenize(form, drop_stopwords=False)
                    if t not in query_tokens and snap.index.uses(t)
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
        result = Retrieval(
            question,
            lang,
            query_tokens,
            [
                (names, NAME_EXPANSION_WEIGHT),
                (concepts, CONCEPT_EXPANSION_WEIGHT),
                (subject, SUBJECT_WEIGHT),
            ],
            synonyms=synonyms,
            names=sum(1 for entry in matched if not (entry.concept or entry.subject)),
            entries=matched,
            unseen_pairs=snap.index.unseen_pair_share(query_tokens),
            snapshot=snap,
            about=self.glossary.forms_about(matched),
            name_tokens=frozenset(
                t
                for entry, form in matched_forms
                if not (entry.concept or entry.subject)
                for t in _form_tokens(form)
            ),
        )
        # A founder's message often carries context sentences around the question ("We are an
        # EV-charging startup with no local contacts. What support does the hub give?"): word
        # evidence is judged on its best sentence as well as on the whole.
        parts = [query_tokens] + [
            tokens for tokens in (tokenize(p) for p in split_sentences(stripped)) if len(tokens) >= 2
        ]
        parts = parts if len(parts) > 2 else parts[:1]
        result.unseen = min(snap.index.unseen_share(p, synonyms) for p in parts)
        n_chunks = len(snap.index)
        if not n_chunks:
            return result

        # --- dense: every sentence and heading against the question --------------------------
        sentence_best = np.zeros(n_chunks, dtype=np.float32)
        heading_sim = np.zeros(n_chunks, dtype=np.float32)
        has_heading = np.zeros(n_chunks, dtype=bool)
        dense_ok = self.fusion != "keyword" and len(snap.sentence_texts) > 0
        result.dense_reliable = dense_ok and (
            self.dense_languages is None or lang in self.dense_languages
        )
        if dense_ok:
            # By meaning, "허브"/"ハブ"/"hub" alone is the hub named in full, as documents name
            # it. Not in English: there the effect measured small and mixed, and "who is the
            # director of the hub" went to the hub's overview instead of the SBA section.
            dense_text = self.glossary.with_full_name(spelled, lang) if lang != "en" else spelled
            vector = np.asarray(self._embeddings().embed_query(dense_text), dtype=np.float32)
            result.query_vector = vector
            sims = snap.vectors @ vector
            heading_rows, sentence_rows = snap.heading_rows, snap.body_rows
            sentence_best.fill(-1.0)
            np.maximum.at(sentence_best, snap.sentence_chunk[sentence_rows], sims[sentence_rows])
            sentence_best[sentence_best < -0.5] = 0.0
            heading_sim[snap.sentence_chunk[heading_rows]] = sims[heading_rows]
            has_heading[snap.sentence_chunk[heading_rows]] = True

        # --- keyword --------------------------------------------------------------------------
        keyword = np.zeros(n_chunks, dtype=np.float32)
        if self.fusion != "dense":
            raw = snap.index.weighted_scores(query_tokens, result.expansions)
            top = float(raw.max()) if len(raw) else 0.0
            if top > 0:
                keyword = (raw / top).astype(np.float32)

        # --- candidates: the best by either kind of evidence -----------------------------------
        k = min(self.candidate_k, n_chunks)
        pool: set[int] = set()
        dense_median: dict[str, float] = {}
        heading_median: dict[str, float] = {}
        if dense_ok:
            dense_rank = np.maximum(sentence_best, heading_sim)
            pool.update(int(i) for i in np.argpartition(-dense_rank, k - 1)[:k])
            # Per language too: a question's similarities to chunks in its own language run
            # higher, and a topic written only in English must still reach a Vietnamese question.
            for lang_code, rows_of_lang in snap.language_rows.items():
                dense_median[lang_code] = float(np.median(sentence_best[rows_of_lang]))
                headed = rows_of_lang[has_heading[rows_of_lang]]
                heading_median[lang_code] = (
                    float(np.median(heading_sim[headed])) if len(headed) else dense_median[lang_code]
                )
                per_language = min(PER_LANGUAGE_CANDIDATES, len(rows_of_lang))
                best_rows = rows_of_lang[
                    np.argpartition(-dense_rank[rows_of_lang], per_language - 1)[:per_language]
                ]
                pool.update(int(i) for i in best_rows)
        if self.fusion != "dense":
            positive = np.flatnonzero(keyword > 0)
            if len(positive) > k:
                positive = positive[np.argpartition(-keyword[positive], k - 1)[:k]]
            pool.update(int(i) for i in positive)
        rows = sorted(pool)
        result.dense_by_row = sentence_best
        result.heading_by_row = np.where(has_heading, heading_sim, sentence_best)
        result.keyword_by_row = keyword
        if not rows:
            return result
        candidates: list[Candidate] = []
        for row in rows:
            chunk_id = snap.index.ids[row]
            c = Candidate(chunk_id, snap.texts[chunk_id], snap.metadatas[chunk_id], row=row)
            c.dense = float(sentence_best[row])
            c.heading_similarity = float(result.heading_by_row[row])
            c.keyword = float(keyword[row])
            c.dense_lift = c.dense - dense_median.get(c.language, c.dense)
            c.heading_lift = c.heading_similarity - heading_median.get(c.language, c.heading_similarity)
            c.coverage = max(snap.index.coverage(p, chunk_id, synonyms) for p in parts)
            candidates.append(c)
        self._score(candidates, result, home)
        result.candidates = sorted(candidates, key=lambda c: -c.score)
        return result

    def _score(
        self, candidates: list[Candidate], result: Retrieval, home: frozenset[str] = frozenset()
    ) -> None:
        match self.fusion:
            case "rrf":
                by_dense = sorted(candidates, key=lambda c: -max(c.dense, c.heading_similarity))
                by_keyword = sorted(candidates, key=lambda c: -c.keyword)
                for rank, c in enumerate(by_dense):
                    c.score = 1.0 / (RRF_K + rank + 1)
                for rank, c in enumerate(by_keyword):
                    c.score += 1.0 / (RRF_K + rank + 1) if c.keyword > 0 else 0.0
            case "dense":
                for c in candidates:
                    c.score = max(c.dense, c.heading_similarity)
            case "keyword":
                for c in candidates:
                    c.score = c.keyword
            case _:
                snap = result.snapshot
                assert snap is not None
                # "fee?", "料金は?": too little to go on; the programme's own documents come
                # before background material (a founder asking the hub's bot means the hub).
                vague = result.names == 0 and result.words <= VAGUE_TOKENS
                kind = question_kind(result.question)
                upcoming = asks_upcoming(result.question)
                best_dense = max(c.dense for c in candidates)
                best_heading = max(c.heading_similarity for c in candidates)
                for c in candidates:
                    c.features = RankFeatures(
                        dense=c.dense,
                        heading=c.heading_similarity,
                        dense_gap=c.dense - best_dense,
                        heading_gap=c.heading_similarity - best_heading,
                        dense_lift=c.dense_lift,
                        heading_lift=c.heading_lift,
                        keyword=c.keyword,
                        coverage=c.coverage,
                        answer_type=float(states_kind(c.text, kind, upcoming=upcoming)),
                        same_language=c.language == result.language,
                        programme=bool(snap.programme[c.row]),
                        vague=vague,
                        dense_reliable=result.dense_reliable,
                    )
                    c.score = self.scorer.rank(c.features)
        # A question about the subject itself: every document matches its name, so its home
        # topic answers, led by the opening section that defines it ("What does the hub do?" is
        # not "Who runs it?").
        for c in candidates:
            if c.topic in home:
                c.score += 10.0 + (OPENING_BONUS if c.metadata.get("chunk_index") == 0 else 0.0)

    def sentences(self, retrieval: Retrieval, candidate: Candidate) -> list[Sentence]:
        """The candidate's sentences with their similarity to the question.

        Falls back to splitting the text (similarity 0) when the snapshot has no vectors for
        it (a candidate found outside the snapshot, or an index without sentence vectors).
        """
        snap = retrieval.snapshot
        vector = retrieval.query_vector
        if snap is not None and 0 <= candidate.row < len(snap.index.ids):
            rows = [r for r in snap.rows_of(candidate.row) if not snap.sentence_heading[r]]
            if rows and snap.index.ids[candidate.row] == candidate.id:
                sims = snap.vectors[rows] @ vector if vector is not None else np.zeros(len(rows))
                return [
                    Sentence(snap.sentence_texts[r], int(snap.sentence_position[r]), float(s))
                    for r, s in zip(rows, sims, strict=True)
                ]
        return [Sentence(text, i, 0.0) for i, text in enumerate(split_sentences(candidate.text))]

    def best_in_language(self, retrieval: Retrieval, topic: str, language: str) -> Candidate | None:
        """The best chunk of ``topic`` written in ``language`` (dense + keyword), from the
        evidence the retrieval computed for every chunk."""
        snap = retrieval.snapshot or self._current()
        rows = snap.topic_rows.get((topic, language))
        if not rows:
            return None
        zeros = np.zeros(len(snap.index.ids), dtype=np.float32)
        dense = retrieval.dense_by_row if retrieval.dense_by_row is not None else zeros
        heading = retrieval.heading_by_row if retrieval.heading_by_row is not None else zeros
        keyword = retrieval.keyword_by_row if retrieval.keyword_by_row is not None else zeros
        row = max(rows, key=lambda r: float(keyword[r] + dense[r] + heading[r]))
        chunk_id = snap.index.ids[row]
        best = Candidate(chunk_id, snap.texts[chunk_id], snap.metadatas[chunk_id], row=row)
        best.dense, best.heading_similarity = float(dense[row]), float(heading[row])
        best.keyword = float(keyword[row])
        best.coverage = snap.index.coverage(retrieval.query_tokens, chunk_id, retrieval.synonyms)
        best.score = best.keyword + best.dense + best.heading_similarity
        return best
