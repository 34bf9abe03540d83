"""The assistant: question in, grounded answer with sources (or an honest decline) out."""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from bot import languages
from bot.config import Settings
from bot.errors import StoreUnavailable
from bot.rag import smalltalk
from bot.rag.answer import (
    DECLINE,
    LANGUAGE_NAMES,
    OTHER_LANGUAGE_NOTE,
    UNAVAILABLE,
    Answer,
    choose_lead,
    join_sentences,
    lead_budget,
    message,
    to_source,
    trim_to,
)
from bot.rag.conversation import ConversationMemory, resolve, without_what_about
from bot.rag.embeddings import embed_questions, load_embeddings
from bot.rag.generate import MAX_PASSAGES, FallbackCounter, Generator, Passage
from bot.rag.glossary import NAMES_THE_HUB, Glossary
from bot.rag.indexer import Indexer, IngestReport, ProgressCallback
from bot.rag.llm import LazyChatModel
from bot.rag.retrieval import Candidate, HybridRetriever, Retrieval
from bot.rag.scoring import DecisionFeatures, Scorer, to_confidence
from bot.rag.store import IndexedDocument, KnowledgeStore
from bot.rag.text import (
    REQUEST_WORDS,
    asks_contact,
    asks_upcoming,
    count_words,
    detect_language,
    points_back,
    question_kind,
    question_sentence,
    split_question,
    states_kind,
    tokenize,
)

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
# Longest wait of ingestion for answers in progress before its next embedding call.
ANSWERS_FIRST_SECONDS = 0.05
# A second section of the answering document is added to the details when it scores this
# close to the first (rank logits).
SECOND_PASSAGE_GAP = 1.0


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


def decision_features(retrieval: Retrieval, top_n: int = 5) -> DecisionFeatures:
    """The evidence the decision model weighs: the best chunk and its lead over other topics."""
    top = retrieval.candidates[:top_n]
    best = top[0]
    other = next((c for c in retrieval.candidates if c.topic != best.topic), None)
    return DecisionFeatures(
        rank=best.score,
        margin=best.score - other.score if other is not None else 5.0,
        coverage=max(c.coverage for c in top),
        dense=best.dense,
        heading=best.heading_similarity,
        lift=max(best.dense_lift, best.heading_lift),
        unseen=retrieval.unseen,
        unseen_pairs=retrieval.unseen_pairs,
        names=retrieval.names,
        words=retrieval.words,
        language=retrieval.language,
        dense_reliable=retrieval.dense_reliable and retrieval.query_vector is not None,
    )


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
        # Subjects of recent turns, for follow-ups ("How big is it?") without an LLM.
        self.conversations = ConversationMemory()
        self.intents = smalltalk.IntentMatcher(lambda texts: embed_questions(self.embeddings(), texts))
        # True while the service's start-up work (first-run indexing, warm-up) is pending:
        # /readyz stays 503 meanwhile, so no traffic arrives at a half-built index.
        self.starting = False
        self._ingest_lock = threading.Lock()
        # Set when the service stops (SIGTERM): ingestion ends between embedding calls.
        self.stopping = threading.Event()
        # Answers in progress: ingestion lets them go first (see _answers_first).
        self._answers = threading.Condition()
        self._answering = 0
        self._local = threading.local()
        # Generative answers are optional; the extractive answer below is always the fallback.
        self.generator: Generator | None = None
        if settings.answer_generator != "extractive":
            self.generator = Generator(settings, LazyChatModel(settings))
        self.llm_fallbacks = self.generator.fallbacks if self.generator else FallbackCounter()

    @property
    def scorer(self) -> Scorer:
        """The fitted rank / decide / lead models (the retriever ranks with the same)."""
        return self.retriever.scorer

    @property
    def generative(self) -> bool:
        """Whether answers are generated (``answer`` may then stream to ``on_token``)."""
        return self.generator is not None

    @property
    def last_retrieval(self) -> Retrieval | None:
        """The retrieval behind this thread's last answer (for evaluation and debugging)."""
        return getattr(self._local, "retrieval", None)

    # --- knowledge ---------------------------------------------------------------------------

    def ingest(
        self,
        paths: list[Path] | None = None,
        progress: ProgressCallback | None = None,
        *,
        max_chunks: int | None = None,
    ) -> IngestReport:
        """Index files (default: the knowledge folder) and refresh the keyword index.

        Raises IngestCancelled once ``stopping`` is set (only complete documents stay).
        ``max_chunks`` refuses any file that makes more chunks (the upload cap).
        """
        with self._ingest_lock:
            report = self.indexer.ingest(
                paths, progress=progress, cancel=self.stopping, pause=self._answers_first,
                max_chunks=max_chunks,
            )  # fmt: skip
            if report.changed:
                self._published()
        return report

    def forget(self, paths: list[Path]) -> list[str]:
        """Drop the chunks of documents whose files were removed; returns their sources."""
        with self._ingest_lock:
            removed = self.indexer.forget(paths)
            if removed:
                self._published()
        return removed

    def _published(self) -> None:
        # Other replicas (and this one's keyword index) rebuild when the version moves on.
        self.store.bump_version()
        if self.retriever.loaded:
            self.retriever.refresh()

    def chunk_count(self) -> int:
        """Chunks in the index; StoreUnavailable when the store cannot answer (readiness)."""
        return self.store.heartbeat()

    def index_stale(self) -> bool:
        """Whether stored chunks were embedded by another model or index format."""
        return bool(self.store.embedders() - {self.indexer.embedder})

    def ensure_index(self, progress: ProgressCallback | None = None) -> IngestReport | None:
        """Index the knowledge folder when the store is empty (first run on a new machine) or
        was written by another embedding model or index format (an upgrade)."""
        if self.store.count() > 0:
            if not self.index_stale():
                return None
            logger.info("index written by another model or format: re-embedding")
        else:
            logger.info("index empty: ingesting %s", self.settings.knowledge_dir)
        return self.ingest(progress=progress)

    def sources(self) -> list[IndexedDocument]:
        """Indexed documents, sorted by source path."""
        return sorted(self.store.documents().values(), key=lambda d: d.source)

    def example_questions(self, lang: str, limit: int = smalltalk.MAX_EXAMPLES) -> list[str]:
        """Questions the documents answer, from their headings in ``lang`` (for greetings)."""
        return smalltalk.example_questions(lang, self.retriever.documents_by_language(), limit)

    def warm_up(self) -> None:
        """Load the model, keyword index and small-talk exemplars now, not on the first question."""
        self.retriever.refresh()
        self.intents.nearest(np.asarray(self.embeddings().embed_query("warm up"), dtype=np.float32))

    # --- answering ---------------------------------------------------------------------------

    def answer(
        self,
        question: str,
        language: str | None = None,
        conversation: str | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer from the documents, or decline in the question's language.

        ``conversation`` ("tg:<chat>", "web:<id>") scopes follow-up memory; ``on_token``
        receives generated text as it arrives (generative answers only).
        """
        with self._answers:
            self._answering += 1
        try:
            return self._answer(question, language, conversation, on_token)
        finally:
            with self._answers:
                self._answering -= 1
                if not self._answering:
                    self._answers.notify_all()

    def _answers_first(self) -> None:
        """Called by ingestion between embedding calls: while answers are being computed,
        wait for them (at most ANSWERS_FIRST_SECONDS), so indexing takes the CPU that
        answers leave, not the other way round."""
        with self._answers:
            self._answers.wait_for(lambda: not self._answering, ANSWERS_FIRST_SECONDS)

    def _answer(
        self,
        question: str,
        language: str | None,
        conversation: str | None,
        on_token: Callable[[str], None] | None,
    ) -> Answer:
        text = normalise_question(question)
        lang = languages.normalise(language) or detect_language(text)
        self._local.retrieval = None
        if lang == languages.UNSUPPORTED:
            # Chinese, Thai, Russian, …: say in English which languages the bot reads.
            return Answer(languages.unsupported_note(), False, languages.DEFAULT)
        if not text:
            return Answer(message(DECLINE, lang), False, lang)
        talk = smalltalk.classify(text)
        if talk is not None and talk.intent:
            return self._small_talk(talk.intent, lang)
        if talk is not None and talk.remainder:
            text = talk.remainder  # "안녕하세요, 주소가 …" → the question without the greeting
        generator = self.generator
        query = generator.standalone(text, conversation) if generator else text
        follow_up = False
        try:
            completed = self._resolve(text, conversation) if generator is None else text
            parts: list[tuple[Retrieval, float]] = []
            own: tuple[Retrieval, float] | None = None
            if completed != text:
                follow_up = True
                # A follow-up that lacks its subject: asked about the previous turn's subject
                # (one question: the subject in brackets is not a second one).
                query = completed
                parts = [self._judge(completed, lang)]
                own = self._own_subject(text, parts[0], lang)
                if own is not None:
                    follow_up, query, parts = False, text, []
            if not parts:
                # Nothing to complete it with: "còn diện tích?" asks about diện tích.
                query = without_what_about(query)
                pieces = split_question(query, self._kinds_asked)
                # The question as typed was judged already when it turned out to have a
                # subject of its own.
                parts = [
                    own if own is not None and piece == text else self._judge(piece, lang)
                    for piece in pieces
                ]
            if len(parts) == 1 and parts[0][1] < self._decline_below:
                # About to decline a message that introduces itself before it asks ("I'm a
                # fintech founder. What does the hub do?"): the words around the question
                # can drown it, so the question sentence is asked alone as well.
                asked = question_sentence(query)
                alone = self._judge(asked, lang) if asked is not None else None
                if alone is not None and alone[1] >= self._decline_below:
                    parts = [alone]
            # About to decline: a greeting or "what can you do?" worded in a way the phrase
            # table missed is recognised by meaning instead (never over a possible answer:
            # "지원하려면 어떻게 해야 하나요?" is about applying, however close to "어떤 도움"
            # — unless the message is about the assistant and nothing else: "what does this
            # bot do?" is no question about the document that mentions the bot).
            # A message completed as a follow-up is judged as typed for this: "了解、どうもです"
            # after a question would otherwise borrow that question's subject and be answered
            # (searched as typed only when its meaning is small talk at all: most follow-ups
            # are not, and they cost one embedding instead of a second search).
            # A follow-up that asks when, where or how much ("언제부터요?") asks a fact, however
            # short: greetings, thanks and "what can you do?" ask none of these.
            about_itself = smalltalk.about_the_assistant(text)
            if follow_up and question_kind(text) not in ASKS_A_FACT:
                intent = self._talk_by_meaning(text, lang)
                if intent and (about_itself or self._judge(text, lang)[1] < self._decline_below):
                    return self._small_talk(intent, lang)
            elif about_itself or max(v for _, v in parts) < self._decline_below:
                whole = parts[0][0] if len(parts) == 1 and query == text else None
                intent = self._talk_by_meaning(text, lang, whole)
                if intent and not (intent == "capability" and self._asks_about_else(text, lang)):
                    return self._small_talk(intent, lang)
        except StoreUnavailable:
            logger.warning("answer unavailable: store unreachable")
            return Answer(message(UNAVAILABLE, lang), False, lang, unavailable=True)
        retrieval, value = parts[0]
        self._local.retrieval = retrieval
        answered = [(r, v) for r, v in parts if v >= self._decline_below and r.candidates]
        self._remember(conversation, query, text, bool(answered))
        if not answered:
            # Out of scope: the LLM is never asked.
            declined = Answer(message(DECLINE, lang), False, lang, confidence=value)
            if generator is not None:
                generator.remember(conversation, text, "")
            return declined
        if len(parts) > 1:
            return self._combined(parts, lang)
        extractive = self._extractive(retrieval, lang, value, text if follow_up else None)
        if generator is None:
            return extractive
        result = self._generative(generator, query, retrieval, lang, value, on_token)
        final = result or extractive
        generator.remember(conversation, text, final.answer)
        return final

    def _own_subject(
        self, question: str, completed: tuple[Retrieval, float], lang: str
    ) -> tuple[Retrieval, float] | None:
        """The question judged as typed, when it has a subject of its own after all: short
        ("EVの税金はいくら？", "ハノイにもありますか") but none of its words occurs in the document
        the previous turn's subject leads to, while a passage found without that subject holds
        some of them. A question that points back ("How big is it?", "거기 면적은?") keeps the
        previous subject, and so does one whose words that document uses ("có từ bao giờ?"
        after the Tech Trade Center: its document says since when)."""
        if points_back(question, connectives=False):
            return None
        lent = completed[0]
        snap = lent.snapshot
        if not lent.candidates or snap is None:
            return None
        own = self._judge(question, lang)
        retrieval, value = own
        if value < self._decline_below or not retrieval.candidates:
            return None
        best, lent_best = retrieval.candidates[0], lent.candidates[0]
        if best.topic == lent_best.topic:
            return None
        index = snap.index
        words, synonyms = retrieval.query_tokens, retrieval.synonyms
        # That document as written in the question's language, and as the answer would quote it.
        rows = snap.topic_rows.get((lent_best.topic, lang)) or snap.topic_rows.get(
            (lent_best.topic, lent_best.language), []
        )
        present = index.tokens_of(rows)
        pairs = [t for t in words if "_" in t and index.uses(t)]
        if lang == "vi" and pairs:
            # Vietnamese syllables are not words: "diện tích" is one (a pair the documents
            # use), and a document that has "diện" and "tích" elsewhere says nothing of size.
            if any(pair in present for pair in pairs):
                return None
        elif index.overlap(words, present, synonyms) > 0:
            return None
        return own if index.coverage(words, best.id, synonyms) > 0 else None

    @property
    def _decline_below(self) -> float:
        return self.settings.min_confidence

    def _judge(self, question: str, lang: str) -> tuple[Retrieval, float]:
        """Retrieve for one question and rate (0..1, see scoring.to_confidence) how sure it is."""
        retrieval = self.retriever.retrieve(question, lang)
        if not retrieval.candidates:
            return retrieval, 0.0
        features = decision_features(retrieval)
        value = to_confidence(self.scorer.decide(features), self.scorer)
        logger.debug(
            "retrieval lang=%s rank=%.2f margin=%.2f coverage=%.2f dense=%.3f unseen=%.2f conf=%.2f",
            lang, features.rank, features.margin, features.coverage, features.dense,
            features.unseen, value,
        )  # fmt: skip
        return retrieval, value

    def _outcome(self, value: float) -> str:
        if value < self._decline_below:
            return "declined"
        return "unsure" if value < self.settings.sure_confidence else "answered"

    def _resolve(self, question: str, conversation: str | None) -> str:
        """A follow-up completed with the previous turn's subject (see conversation.py)."""
        previous = self.conversations.last(conversation)
        if previous is None:
            return question
        glossary = self.retriever.glossary
        if glossary.mentions_subject(question) or NAMES_THE_HUB.search(question):
            return question  # "How big is the hub?" has its subject
        forms = [form for entry, form in glossary.match_forms(question) if not (entry.subject or entry.concept)]
        rest = question
        for form in forms:
            rest = rest.replace(form, " ")
        tokens = [t for t in tokenize(glossary.strip_subject(rest)) if "_" not in t]
        # A proper name no document uses ("capital of France?") is a new subject.
        proper = [w.lower() for w in PROPER_NAME.findall(rest)]
        if not forms and proper and self.retriever.unseen_share(proper) > 0:
            return question
        # Likewise a question about things no document mentions ("프랑스의 수도는?", "ホーチミンの
        # 今週の天気は？"): it asks about them, and lending it the previous turn's subject would
        # only make an out-of-scope question look answerable. One unknown word is not enough —
        # it may be the founder's word for the previous subject ("いつできた組織？") or grammar
        # the tokenizer splits badly ("몇 군데랑") — and a pronoun pointing back keeps the
        # previous subject whatever the words.
        language = detect_language(question)
        if (
            not points_back(question)
            and len(self._unknown_words(rest, language)) >= NEW_SUBJECT_WORDS
        ):
            return question
        if previous.topic_words and any(entry.concept for entry, _ in glossary.match_forms(question)):
            # "면적은요?" after "허브 위치가 어디예요?": the earlier question's own words were
            # mostly what it asked (where), which this one replaces (how big) — lend only
            # what is left once such words are gone, if anything is.
            lent = previous.topic_words
            for entry, form in glossary.match_forms(lent):
                if entry.concept or entry.subject:
                    lent = re.sub(re.escape(form), " ", lent, flags=re.IGNORECASE)
            lent = self._own_words(lent)
            # Particles and question words left behind ("은 누가 해요?", "でどんな が") lend
            # nothing (a run of hiragana alone is grammar, not a subject).
            words = count_words(
                [t for t in tokenize(lent) if len(t) > 1 and not HIRAGANA.fullmatch(t)]
            )
            previous = dataclasses.replace(previous, topic_words=lent if words else "")
        return resolve(
            question, forms, count_words(tokens), previous, language,
            hub=glossary.home_name(language),
        )  # fmt: skip

    def _remember(self, conversation: str | None, query: str, typed: str, answered: bool) -> None:
        """Remember what this turn was about: the names in the question as searched (so a
        chain of follow-ups keeps its subject), else — if it was answered — the words the
        founder typed (a declined question leaves nothing to follow up on)."""
        if not conversation:
            return
        glossary = self.retriever.glossary
        forms = [
            form
            for entry, form in glossary.match_forms(query)
            if not (entry.subject or entry.concept)
        ]
        # Without a programme name, the question's words (minus the hub's name) are its subject.
        words = self._own_words(typed)
        if len(tokenize(words)) < 2 or not answered:
            words = ""
        self.conversations.remember(
            conversation, query, list(dict.fromkeys(forms)), words, about_hub=answered
        )

    def _own_words(self, text: str) -> str:
        """A question's words without the hub's name and "tell me" (what it lends to a
        follow-up): "ハブの住所を教えてください" → "の住所を"."""
        text = NAMES_THE_HUB.sub(" ", self.retriever.glossary.strip_subject(text))
        return " ".join(REQUEST_WORDS.sub(" ", text).split())

    def _talk_by_meaning(self, text: str, lang: str, searched: Retrieval | None = None) -> str:
        """The small-talk intent the message means ("" when none is close enough), from the
        vector of its search when it has one."""
        # Words in quotes are mentioned, not said: "'만나서 반갑습니다'를 베트남어로 번역해
        # 주세요" asks for a translation; it does not greet.
        said = smalltalk.unquoted(text)
        vector = searched.query_vector if searched is not None and said == text else None
        if vector is None:
            vector = self.retriever.embed(said, lang)
        intent, similarity = self.intents.nearest(vector)
        return intent if similarity >= self.scorer.smalltalk_above else ""

    def _kinds_asked(self, text: str) -> frozenset[str]:
        """The glossary concepts a text names (fee, address, size …): the kinds of fact it asks."""
        return frozenset(e.english for e in self.retriever.glossary.match(text) if e.concept)

    def _asks_about_else(self, text: str, lang: str) -> bool:
        """Whether a message worded like "what can you help with?" names something that
        neither the documents nor the ways of asking that use ("ビザのサポートはありますか",
        "có hỗ trợ visa không"): a question about that thing, out of scope, not small talk."""
        unseen = self.retriever.unseen_words(text, lang)
        return any(word not in smalltalk.TALK_TOKENS for word in unseen)

    def _small_talk(self, intent: str, lang: str) -> Answer:
        text = smalltalk.reply(intent, lang, self.retriever.documents_by_language())
        return Answer(text, True, lang, confidence=1.0, lead=text, outcome="smalltalk")

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
        return Answer(
            generated.text, True, lang, sources, confidence=value, outcome=self._outcome(value)
        )

    def _lead_and_details(
        self,
        retrieval: Retrieval,
        chosen: Candidate,
        lang: str,
        budget: int,
        asked: str | None = None,
    ) -> tuple[str, str]:
        focus = self._asked_now(retrieval, asked, lang)
        sentences = self.retriever.sentences(focus, chosen)
        lead, rest = choose_lead(sentences, focus, self.scorer, lead_budget(lang))
        details = join_sentences(rest)
        second = self._second_passage(retrieval, chosen)
        if second is not None:
            details = f"{details}\n\n{second.text}".strip()
        lead_text = join_sentences(lead)
        return lead_text, trim_to(details, max(budget - len(lead_text), 0))

    def _asked_now(self, retrieval: Retrieval, asked: str | None, lang: str) -> Retrieval:
        """What the lead answers: for a follow-up completed with the previous turn's subject
        ("몇 쌍이요? (2019 pilot …)"), the words typed now — the subject found the passage,
        but the previous question's words would pick its sentence again."""
        if not asked:
            return retrieval
        try:
            vector = self.retriever.embed(asked, lang)
        except StoreUnavailable:
            return retrieval
        return dataclasses.replace(
            retrieval, question=asked, query_vector=vector, query_tokens=tokenize(asked)
        )

    def _extractive(
        self, retrieval: Retrieval, lang: str, value: float, asked: str | None = None
    ) -> Answer:
        """The answer quoted from the best passage, its most relevant sentences first (no LLM).
        ``asked``: a follow-up's own words, when ``retrieval`` searched it completed."""
        chosen = self._choose(retrieval, lang)
        lead, details = self._lead_and_details(
            retrieval, chosen, lang, self.settings.answer_max_chars, asked
        )
        note = self._language_note(chosen, lang)
        sources = [to_source(chosen)]
        seen_docs = {chosen.metadata.get("path")}
        for candidate in self._ranked_for(retrieval, lang)[1:]:
            if len(sources) >= 3:
                break
            if candidate.metadata.get("path") in seen_docs:
                continue
            if candidate.language not in (lang, chosen.language):
                continue  # a translation of what is cited says nothing new to this founder
            if candidate.score < retrieval.candidates[0].score - 2 * SECOND_PASSAGE_GAP:
                break
            seen_docs.add(candidate.metadata.get("path"))
            sources.append(to_source(candidate))
        text = "\n\n".join(part for part in (f"{note}\n{lead}" if note else lead, details) if part)
        if self._misses_kind(retrieval.question, lead):
            value = self._not_sure(value)
        if asked is not None and self._unknown_words(asked, lang):
            # A follow-up about a word no document uses ("주말에도 열어요?" after a question
            # about Hi Seoul: open at weekends): the borrowed subject is known, so the answer
            # looks confident, but nothing found can say what was asked.
            value = self._not_sure(value)
        if asked is not None and self._says_nothing_of(asked, lead, retrieval):
            # "オープン日" after a question about NATEC: the borrowed subject found NATEC's
            # passage, but its lead (what NATEC is) has nothing of what was asked now.
            value = self._not_sure(value)
        return Answer(
            text, True, lang, sources, confidence=value, lead=lead, details=details,
            outcome=self._outcome(value),
        )  # fmt: skip

    def _combined(self, parts: list[tuple[Retrieval, float]], lang: str) -> Answer:
        """Two questions in one message: each answered by its own lead, the weaker decides."""
        leads: list[str] = []
        details: list[str] = []
        sources = []
        seen: set[str] = set()
        values = []
        budget = self.settings.answer_max_chars // len(parts)
        for retrieval, value in parts:
            values.append(value)
            if value < self._decline_below or not retrieval.candidates:
                continue
            chosen = self._choose(retrieval, lang)
            if chosen.id in seen:
                continue
            seen.add(chosen.id)
            lead, rest = self._lead_and_details(retrieval, chosen, lang, budget)
            if self._misses_kind(retrieval.question, lead):
                values[-1] = self._not_sure(value)
            note = self._language_note(chosen, lang)
            leads.append(f"{note}\n{lead}" if note else lead)
            details.append(rest)
            sources.append(to_source(chosen))
        value = min(values)
        lead = "\n\n".join(leads)
        detail = "\n\n".join(d for d in details if d)
        return Answer(
            "\n\n".join(p for p in (lead, detail) if p), True, lang, sources, confidence=value,
            lead=lead, details=detail, outcome="unsure" if value < self._decline_below else self._outcome(value),
        )  # fmt: skip

    @staticmethod
    def _misses_kind(question: str, lead: str) -> bool:
        """Whether the question asks a number, a date or an amount the lead does not state
        ("How many members?" answered with a sentence that states no number), or contact
        details the lead says nothing of ("NATEC phone number" answered with what NATEC is)."""
        kind = question_kind(question)
        if asks_contact(question) and not states_kind(lead, "contact"):
            return True
        upcoming = asks_upcoming(question)
        return kind in SPECIFIC_KINDS and not states_kind(lead, kind, upcoming=upcoming)

    def _says_nothing_of(self, asked: str, lead: str, retrieval: Retrieval) -> bool:
        """Whether a follow-up's lead has none of the words the founder typed now (glossary
        synonyms count) and no fact of the kind asked: "where's their HQ?" is answered by a
        sentence that names a place without the word "HQ", "who heads it?" by one that names
        a person. A number, date or amount missing is ``_misses_kind``'s check; a follow-up
        of grammar alone ("Where is it?", "それは？") has no words to check."""
        snap = retrieval.snapshot
        kind = question_kind(asked)
        if snap is None or kind in SPECIFIC_KINDS or states_kind(lead, kind):
            return False
        glossary = self.retriever.glossary
        words = [t for t in tokenize(glossary.strip_subject(asked)) if "_" not in t]
        if not words:
            return False
        return snap.index.overlap(words, set(tokenize(lead)), retrieval.synonyms) == 0.0

    def _unknown_words(self, text: str, lang: str) -> list[str]:
        """The words of ``text`` that no document uses, the hub's name and glossary forms
        aside (a glossary word is known by its synonyms: "広さ" for the documents' "面積")."""
        glossary = self.retriever.glossary
        forms = [form.lower() for _, form in glossary.match_forms(text)]
        unseen = self.retriever.unseen_words(glossary.strip_subject(text), lang)
        return [word for word in unseen if not any(word.lower() in form for form in forms)]

    def _not_sure(self, value: float) -> float:
        """A confidence no higher than just below the sure line: the answer is shown with the
        hand-off, not vouched for, and /gaps (which reads the logged confidence) lists it."""
        return min(value, math.nextafter(self.settings.sure_confidence, 0.0))

    def _language_note(self, chosen: Candidate, lang: str) -> str:
        if chosen.language and chosen.language != lang and lang in OTHER_LANGUAGE_NOTE:
            names = LANGUAGE_NAMES.get(lang, LANGUAGE_NAMES["en"])
            return OTHER_LANGUAGE_NOTE[lang].format(lang=names.get(chosen.language, chosen.language))
        return ""

    def _second_passage(self, retrieval: Retrieval, chosen: Candidate) -> Candidate | None:
        """Another section of the same document that scores nearly as well, if there is one."""
        for candidate in retrieval.candidates[: self.settings.top_k]:
            if candidate.id == chosen.id:
                continue
            if candidate.metadata.get("path") != chosen.metadata.get("path"):
                continue
            if candidate.score >= chosen.score - SECOND_PASSAGE_GAP:
                return candidate
            return None
        return None

    def _ranked_for(self, retrieval: Retrieval, lang: str) -> list[Candidate]:
        """Candidates with those in the question's language first among near-equals."""
        return sorted(
            retrieval.candidates[: self.settings.top_k * 2],
            key=lambda c: -(c.score + (LANGUAGE_PREFERENCE if c.language == lang else 0.0)),
        )

    def _ranked_in_language(self, retrieval: Retrieval, lang: str) -> Candidate | None:
        """The best-ranked passage in ``lang`` among the top candidates of a topic that ranks
        as well as the best one (within `LANGUAGE_SWITCH_RANK`)."""
        top = retrieval.candidates[: self.settings.top_k * 2]
        first: dict[str, float] = {}
        for c in top:
            first.setdefault(c.topic, c.score)
        near = {t for t, score in first.items() if score >= top[0].score - LANGUAGE_SWITCH_RANK}
        own = [c for c in top if c.language == lang and c.topic in near]
        return max(own, key=lambda c: c.score) if own else None

    def _choose(self, retrieval: Retrieval, lang: str) -> Candidate:
        """The passage to answer from: best topic, in the question's language when possible."""
        best = retrieval.candidates[0]
        # No passage in the question's language: English is the founders' common second
        # language, so it is preferred over, say, Korean for a Vietnamese question.
        top = self.settings.top_k * 2
        for fallback in dict.fromkeys((lang, "en")):
            # Candidates are sorted by rank: the first of this topic in this language is the
            # one the fitted model prefers (the Korean "how big?" section, not the one sharing
            # the most words), whether or not it made the top of the list.
            place, own = next(
                (
                    (i, c)
                    for i, c in enumerate(retrieval.candidates)
                    if c.topic == best.topic and c.language == fallback
                ),
                (None, None),
            )
            if own is not None and place is not None and place < top:
                return own
            found = own or self.retriever.best_in_language(retrieval, best.topic, fallback)
            if found is not None and (found.keyword > 0 or found.dense > 0):
                # Documents in different languages are not always parallel: the English
                # overview says where the hub is, the Vietnamese one does not. A passage in
                # this language from a topic ranked as well as the best one answers instead
                # when it clearly outranks everything the best topic has in this language.
                ranked = self._ranked_in_language(retrieval, fallback)
                floor = own.score if own is not None else float("-inf")
                if ranked is not None and ranked.score > floor + LANGUAGE_SWITCH_RANK:
                    return ranked
                return dataclasses.replace(found, score=best.score)
        return best

# Kinds of fact a lead either states or does not (text.question_kind).
SPECIFIC_KINDS = frozenset({"number", "price", "date"})
ASKS_A_FACT = SPECIFIC_KINDS | {"where"}
# A capitalised Latin word after the first one ("… of France?").
PROPER_NAME = re.compile(r"(?<=\S )[A-Z][a-zà-ỹ]+")
# How far (rank logit) a passage in the question's language from a topic ranked as well as the
# best one must outrank the best topic's own passages in that language to answer instead.
LANGUAGE_SWITCH_RANK = 1.0
# A run of hiragana alone: Japanese grammar (particles, endings), never a subject to lend.
HIRAGANA = re.compile(r"[\u3041-\u309f]+")
# Words no document uses that make a message a new question rather than a follow-up.
NEW_SUBJECT_WORDS = 2
# Rank-logit bonus of a passage in the question's language among near-equals.
LANGUAGE_PREFERENCE = 0.5
