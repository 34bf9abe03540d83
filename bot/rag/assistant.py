"""The assistant: question in, grounded answer with sources (or an honest decline) out."""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from langchain_core.embeddings import Embeddings

from bot.config import Settings
from bot.errors import StoreUnavailable
from bot.rag.answer import (
    DECLINE,
    LANGUAGE_NAMES,
    OTHER_LANGUAGE_NOTE,
    UNAVAILABLE,
    Answer,
    extract_passage,
    message,
    to_source,
)
from bot.rag.embeddings import load_embeddings
from bot.rag.generate import MAX_PASSAGES, FallbackCounter, Generator, Passage
from bot.rag.glossary import Glossary
from bot.rag.indexer import Indexer, IngestReport, ProgressCallback
from bot.rag.llm import LazyChatModel
from bot.rag.retrieval import Candidate, HybridRetriever, Retrieval
from bot.rag.store import IndexedDocument, KnowledgeStore
from bot.rag.text import detect_language

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
# A second section of the answering document is quoted when it scores this close to the first.
SECOND_PASSAGE_RATIO = 0.75
# Keyword coverage a question needs to count as covered, per language: CJK tokens are
# character pairs and Vietnamese adds diacritic-free twins, so the scales differ.
# Calibrated on eval/questions.jsonl (`python -m bot eval`); confidence 0.5 = threshold.
COVERAGE_THRESHOLD = {"en": 0.30, "ko": 0.19, "ja": 0.18, "vi": 0.45}
DEFAULT_COVERAGE_THRESHOLD = 0.30


class LazyEmbeddings:
    """Loads the embedding model on first use, once, thread-safely."""

    def __init__(self, name: str, loader: Callable[[str], Embeddings] = load_embeddings) -> None:
        self.name = name
        self._loader = loader
        self._model: Embeddings | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded."""
        return self._model is not None

    def __call__(self) -> Embeddings:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._loader(self.name)
        return self._model


@dataclass(frozen=True)
class Confidence:
    """How sure retrieval is that the knowledge base covers the question (0.5 = threshold)."""

    value: float
    coverage: float
    dense: float
    names: int


def confidence(retrieval: Retrieval, top_n: int = 5) -> Confidence:
    """Keyword coverage of the best candidates, raised when a programme name was asked about.

    Dense similarity is reported but not trusted here: the default English model gives
    unrelated Korean or Vietnamese text similarities as high as related text.
    """
    top = retrieval.candidates[:top_n]
    if not top:
        return Confidence(0.0, 0.0, 0.0, retrieval.names)
    coverage = max(c.coverage for c in top)
    dense = max(c.dense for c in top)
    threshold = COVERAGE_THRESHOLD.get(retrieval.language, DEFAULT_COVERAGE_THRESHOLD)
    value = min(1.0, 0.5 * coverage / threshold)
    if retrieval.names:
        value = max(value, 0.5)
    return Confidence(round(value, 4), coverage, dense, retrieval.names)


def normalise_question(question: str) -> str:
    """NFC, control characters removed, whitespace collapsed, length capped."""
    text = unicodedata.normalize("NFC", question)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())[:MAX_QUESTION_CHARS]


class Assistant:
    """Answers questions from the knowledge store; also owns ingestion for the same store."""

    def __init__(
        self,
        settings: Settings,
        store: KnowledgeStore | None = None,
        embeddings: LazyEmbeddings | None = None,
        glossary: Glossary | None = None,
    ) -> None:
        self.settings = settings
        self.store = store if store is not None else KnowledgeStore(settings)
        self.embeddings = embeddings or LazyEmbeddings(settings.embedding_model)
        self.retriever = HybridRetriever(
            self.store,
            self.embeddings,
            glossary or Glossary.load(),
            candidate_k=settings.candidate_k,
            fusion=settings.fusion,
            dense_languages=(
                frozenset(settings.embedding_languages) if settings.embedding_languages else None
            ),
            refresh_seconds=settings.index_refresh_seconds,
        )
        self.indexer = Indexer(settings, self.store, self.embeddings)
        # True while the service's start-up work (first-run indexing, warm-up) is pending:
        # /readyz stays 503 meanwhile, so no traffic arrives at a half-built index.
        self.starting = False
        self._ingest_lock = threading.Lock()
        self._local = threading.local()
        # Generative answers are optional; the extractive answer below is always the fallback.
        self.generator: Generator | None = None
        if settings.answer_generator != "extractive":
            self.generator = Generator(settings, LazyChatModel(settings))
        self.llm_fallbacks = self.generator.fallbacks if self.generator else FallbackCounter()

    @property
    def last_retrieval(self) -> Retrieval | None:
        """The retrieval behind this thread's last answer (for evaluation and debugging)."""
        return getattr(self._local, "retrieval", None)

    # --- knowledge ---------------------------------------------------------------------------

    def ingest(
        self, paths: list[Path] | None = None, progress: ProgressCallback | None = None
    ) -> IngestReport:
        """Index files (default: the knowledge folder) and refresh the keyword index."""
        with self._ingest_lock:
            report = self.indexer.ingest(paths, progress=progress)
            if report.changed:
                # Other replicas (and this one's keyword index) rebuild when this moves on.
                self.store.bump_version()
                if self.retriever.loaded:
                    self.retriever.refresh()
        return report

    def ensure_index(self, progress: ProgressCallback | None = None) -> IngestReport | None:
        """Index the knowledge folder when the store is empty (first run on a new machine)."""
        if self.store.count() > 0:
            return None
        logger.info("index empty: ingesting %s", self.settings.knowledge_dir)
        return self.ingest(progress=progress)

    def sources(self) -> list[IndexedDocument]:
        """Indexed documents, sorted by source path."""
        return sorted(self.store.documents().values(), key=lambda d: d.source)

    def warm_up(self) -> None:
        """Load the model and keyword index now rather than on the first question."""
        self.retriever.refresh()
        self.embeddings().embed_query("warm up")

    # --- answering ---------------------------------------------------------------------------

    def answer(
        self,
        question: str,
        language: str | None = None,
        conversation: str | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer from the documents, or decline in the question's language.

        ``conversation`` ("tg:<chat>", "web:<id>") scopes follow-up history; ``on_token``
        receives generated text as it arrives (generative answers only).
        """
        text = normalise_question(question)
        lang = (language or detect_language(text)).lower()
        self._local.retrieval = None
        if not text:
            return Answer(message(DECLINE, lang), False, lang)
        generator = self.generator
        query = generator.standalone(text, conversation) if generator else text
        try:
            retrieval = self.retriever.retrieve(query, lang)
            self._local.retrieval = retrieval
        except StoreUnavailable:
            logger.warning("answer unavailable: store unreachable")
            return Answer(message(UNAVAILABLE, lang), False, lang, unavailable=True)
        conf = confidence(retrieval)
        logger.debug(
            "retrieval lang=%s coverage=%.2f dense=%.2f conf=%.2f",
            lang, conf.coverage, conf.dense, conf.value,
        )  # fmt: skip
        if not retrieval.candidates or conf.value < self.settings.min_confidence:
            # Out of scope: the LLM is never asked.
            declined = Answer(message(DECLINE, lang), False, lang, confidence=conf.value)
            if generator is not None:
                generator.remember(conversation, text, "")
            return declined
        extractive = self._extractive(retrieval, lang, conf.value)
        if generator is None:
            return extractive
        result = self._generative(generator, query, retrieval, lang, conf.value, on_token)
        final = result or extractive
        generator.remember(conversation, text, final.answer)
        return final

    def _generative(
        self,
        generator: Generator,
        question: str,
        retrieval: Retrieval,
        lang: str,
        value: float,
        on_token: Callable[[str], None] | None,
    ) -> Answer | None:
        """A cited LLM answer over the best passages, or None to use the extractive one."""
        candidates: list[Candidate] = []
        seen: set[str] = set()
        for candidate in self._ranked_for(retrieval, lang):
            if candidate.id in seen:
                continue
            seen.add(candidate.id)
            candidates.append(candidate)
            if len(candidates) >= MAX_PASSAGES:
                break
        passages = [
            Passage(n, str(c.metadata.get("title", "")), c.text)
            for n, c in enumerate(candidates, start=1)
        ]
        generated = generator.answer(question, lang, passages, on_token)
        if generated is None:
            return None
        sources = [to_source(candidates[i]) for i in generated.cited]
        return Answer(generated.text, True, lang, sources, confidence=value)

    def _extractive(self, retrieval: Retrieval, lang: str, value: float) -> Answer:
        """The answer quoted from the best passages (no LLM)."""
        chosen = self._choose(retrieval, lang)
        passage = extract_passage(chosen.text, retrieval, self.settings.answer_max_chars)
        second = self._second_passage(retrieval, chosen)
        if second is not None:
            budget = self.settings.answer_max_chars - len(passage)
            if budget > 120:
                passage += "\n\n" + extract_passage(second.text, retrieval, budget)
        if chosen.language and chosen.language != lang and lang in OTHER_LANGUAGE_NOTE:
            names = LANGUAGE_NAMES.get(lang, LANGUAGE_NAMES["en"])
            note = OTHER_LANGUAGE_NOTE[lang].format(lang=names.get(chosen.language, chosen.language))
            passage = f"{note}\n{passage}"
        sources = [to_source(chosen)]
        if second is not None:
            sources.append(to_source(second))
        seen_docs = {chosen.metadata.get("path")}
        for candidate in self._ranked_for(retrieval, lang)[1:]:
            if len(sources) >= 3:
                break
            if candidate.metadata.get("path") in seen_docs:
                continue
            if candidate.score < 0.5 * retrieval.candidates[0].score:
                break
            seen_docs.add(candidate.metadata.get("path"))
            sources.append(to_source(candidate))
        return Answer(passage, True, lang, sources, confidence=value)

    def _second_passage(self, retrieval: Retrieval, chosen: Candidate) -> Candidate | None:
        """Another section of the same document that scores nearly as well, if there is one."""
        for candidate in retrieval.candidates[: self.settings.top_k]:
            if candidate.id == chosen.id:
                continue
            if candidate.metadata.get("path") != chosen.metadata.get("path"):
                continue
            if candidate.score >= SECOND_PASSAGE_RATIO * max(chosen.score, 1e-9):
                return candidate
            return None
        return None

    def _ranked_for(self, retrieval: Retrieval, lang: str) -> list[Candidate]:
        """Candidates with those in the question's language first among near-equals."""
        return sorted(
            retrieval.candidates[: self.settings.top_k * 2],
            key=lambda c: -(c.score * (1.15 if c.language == lang else 1.0)),
        )

    def _choose(self, retrieval: Retrieval, lang: str) -> Candidate:
        """The passage to answer from: best topic, in the question's language when possible."""
        best = retrieval.candidates[0]
        # No passage in the question's language: English is the founders' common second
        # language, so it is preferred over, say, Korean for a Vietnamese question.
        for fallback in dict.fromkeys((lang, "en")):
            for candidate in retrieval.candidates[: self.settings.top_k * 2]:
                if candidate.topic == best.topic and candidate.language == fallback:
                    return candidate
            found = self.retriever.best_in_language(retrieval, best.topic, fallback)
            if found is not None and found.keyword > 0:
                found.score = best.score
                return found
        return best
