"""Answers and their sources, and the extractive answerer that needs no LLM."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from bot.languages import LANGUAGES
from bot.rag.glossary import Glossary
from bot.rag.retrieval import Candidate, Retrieval, Sentence
from bot.rag.scoring import LeadFeatures, Scorer
from bot.rag.text import (
    asks_upcoming,
    describes_itself,
    is_bare_reply,
    opens_with_reference,
    points_elsewhere,
    question_kind,
    states_kind,
    tokenize,
)

# The fixed messages per language code, from the language registry (bot/languages).
LANGUAGE_NAMES = {lang.code: dict(lang.names) for lang in LANGUAGES}
# Channel-neutral: each channel puts its own localised hand-off control under a decline
# (Telegram's button, the widget's link), so the text never names one.
DECLINE = {lang.code: lang.decline for lang in LANGUAGES}
UNAVAILABLE = {lang.code: lang.unavailable for lang in LANGUAGES}
OTHER_LANGUAGE_NOTE = {lang.code: lang.other_language_note for lang in LANGUAGES}


def message(table: dict[str, str], language: str) -> str:
    """A fixed message in the user's language (English for languages we have no text for)."""
    return table.get(language, table["en"])


@dataclass(frozen=True)
class Source:
    """Where an answer comes from.

    ``origin`` is "upload" (a document staff uploaded) or "faq" (a staff answer saved from a
    hand-off), set by the server with ``added_on`` (its date); "" for the curated knowledge
    base. Channels show it instead of "verified …", so founders see where a text came from.
    """

    title: str
    source: str
    section: str
    snippet: str
    score: float
    language: str = ""
    last_verified: str = ""
    origin: str = ""
    added_on: str = ""


@dataclass
class Answer:
    """What every channel formats: the text, whether it answers, its language and sources.

    ``lead`` is the one or two sentences that state what was asked; ``details`` the rest of
    the passage (channels may show it behind "more"). ``answer`` is both, lead first.
    ``outcome`` is "answered", "unsure" (shown, with the hand-off to staff offered),
    "declined" or "smalltalk" (a greeting or "what can you do?" answered from the topics).
    """

    answer: str
    answered: bool
    language: str
    sources: list[Source] = field(default_factory=list)
    confidence: float = 0.0
    # The store could not be reached: the text asks the founder to try again later.
    unavailable: bool = False
    lead: str = ""
    details: str = ""
    outcome: str = ""

    def __post_init__(self) -> None:
        if not self.lead:
            self.lead = self.answer
        if not self.outcome:
            self.outcome = "answered" if self.answered else "declined"

    def to_dict(self) -> dict[str, object]:
        """The JSON shape shared by the CLI and the HTTP API."""
        return {
            "answer": self.answer,
            "answered": self.answered,
            "language": self.language,
            "lead": self.lead,
            "details": self.details,
            "outcome": self.outcome,
            "sources": [asdict(s) for s in self.sources],
        }


def _snippet(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def to_source(candidate: Candidate, score: float | None = None) -> Source:
    """Describe a candidate chunk as a cited source."""
    meta = candidate.metadata
    return Source(
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        section=str(meta.get("section", "")),
        snippet=_snippet(candidate.text),
        score=round(candidate.score if score is None else score, 4),
        language=str(meta.get("language", "")),
        last_verified=str(meta.get("last_verified", "")),
        origin=str(meta.get("origin", "")),
        added_on=str(meta.get("added_on", "")),
    )


def lead_features(sentences: list[Sentence], retrieval: Retrieval) -> list[LeadFeatures]:
    """The lead model's evidence for each sentence of a passage."""
    if not sentences:
        return []
    asked = question_kind(retrieval.question)
    upcoming = asks_upcoming(retrieval.question)
    yes_no = asked == "yes-no"
    index = retrieval.snapshot.index if retrieval.snapshot is not None else None
    best_similarity = max(s.similarity for s in sentences)
    reliable = retrieval.dense_reliable and retrieval.query_vector is not None
    # Within a passage about what the question names, its other words pick the sentence:
    # "サイゴン・ハイテクパークの面積は？" is answered by the sentence with 面積, not by the one
    # that repeats the park's name (naming it is the ``about`` evidence).
    asked_words = [t for t in retrieval.query_tokens if t not in retrieval.name_tokens]
    asked_words = asked_words or retrieval.query_tokens
    features = []
    for position, sentence in enumerate(sentences):
        overlap = (
            index.overlap(asked_words, set(tokenize(sentence.text)), retrieval.synonyms)
            if index is not None
            else 0.0
        )
        features.append(
            LeadFeatures(
                similarity=sentence.similarity,
                similarity_gap=sentence.similarity - best_similarity,
                overlap=overlap,
                answer_type=float(states_kind(sentence.text, asked, upcoming=upcoming)),
                first=position == 0,
                bare_reply=is_bare_reply(sentence.text) and not yes_no,
                dangling=points_elsewhere(sentence.text),
                short=len(sentence.text) < 25,
                about=Glossary.mentions(sentence.text, retrieval.about),
                dense_reliable=reliable,
            )
        )
    return features


def choose_lead(
    sentences: list[Sentence],
    retrieval: Retrieval,
    scorer: Scorer,
    budget: int,
) -> tuple[list[Sentence], list[Sentence]]:
    """Split a passage's sentences into the lead (one or two that state what was asked) and
    the rest, both in document order.

    Sentences are scored by the lead model (similarity to the question, shared words, the
    kind of fact asked for); the best one leads, joined by a neighbour when both fit within
    ``budget`` characters and the neighbour is needed: it is the sentence a pronoun or a bare
    "No." refers to, or it scores nearly as well.
    """
    if not sentences:
        return [], []
    yes_no = question_kind(retrieval.question) == "yes-no"
    scores = [scorer.lead(f) for f in lead_features(sentences, retrieval)]
    # A sentence pointing at text around it ("as follows:", "아래") never leads when another
    # can; nor does a title or a label left over from a page ("1. Overview"), nor a page
    # describing itself ("This page introduces …") — they answer nothing (documents staff
    # add are not all written as FAQs).
    stands = [not points_elsewhere(s.text) and not describes_itself(s.text) for s in sentences]
    eligible = (
        [i for i, s in enumerate(sentences) if stands[i] and ends_sentence(s.text)]
        or [i for i in range(len(sentences)) if stands[i]]
        or list(range(len(sentences)))
    )
    best = max(eligible, key=lambda i: (scores[i], -i))
    chosen = {best}
    text = sentences[best].text
    cap = int(budget * LEAD_STRETCH)
    if is_bare_reply(text) and best + 1 < len(sentences):
        # "아닙니다." alone says nothing: the next sentence carries the fact.
        chosen.add(best + 1)
    elif opens_with_reference(text) and best > 0:
        # "It was signed …": show what "it" is.
        chosen.add(best - 1)
    else:
        # Two sentences when they fit: the fact is often in the runner-up sentence (each
        # sentence of the knowledge base stands on its own, so they read well in order).
        others = [
            i
            for i in eligible
            if i != best
            and len(text) + len(sentences[i].text) + 1 <= cap
            and not is_bare_reply(sentences[i].text)
            and ends_sentence(sentences[i].text)
            and not _repeats(sentences[i].text, text)
            and not (opens_with_reference(sentences[i].text) and i - 1 not in chosen)
        ]
        if others:
            chosen.add(max(others, key=lambda i: (scores[i], -abs(i - best))))
    if not yes_no:
        # A bare "No." leads only a yes/no question.
        chosen = {i for i in chosen if not is_bare_reply(sentences[i].text)} or chosen
    lead = [sentences[i] for i in sorted(chosen)]
    rest = [s for i, s in enumerate(sentences) if i not in chosen]
    return lead, rest


# A two-sentence lead may run this far over the language's budget ("about 300 characters").
LEAD_STRETCH = 1.2
# Lead length: about two sentences, shorter in Korean and Japanese (denser scripts).
DEFAULT_LEAD_BUDGET = 300
LEAD_BUDGET = {lang.code: lang.lead_budget for lang in LANGUAGES}


def _repeats(sentence: str, lead: str) -> bool:
    """A sentence that says nothing the lead does not ("…, 허브 직원에게 문의하세요." twice)."""
    words = set(tokenize(sentence))
    return bool(words) and words <= set(tokenize(lead))


def ends_sentence(text: str) -> bool:
    """A full sentence or a list item, not a title or a label left over from a page."""
    stripped = text.rstrip(" )\"'”’」』")
    return stripped.endswith((".", "!", "?", "。", "！", "？", ":", "：")) or text.lstrip()[:1] in "-*•"


def lead_budget(language: str) -> int:
    """Characters a lead should stay within for a language."""
    return LEAD_BUDGET.get(language, DEFAULT_LEAD_BUDGET)


def join_sentences(sentences: list[Sentence]) -> str:
    """Sentences back into text: list items on their own lines, CJK without extra spaces."""
    out = ""
    for sentence in sentences:
        text = sentence.text
        if not out:
            out = text
        elif text.startswith(("-", "*", "•")) or text[:2].rstrip(".").isdigit():
            out += "\n" + text
        elif out[-1] in "。！？":
            out += text
        else:
            out += " " + text
    return out


def trim_to(text: str, limit: int) -> str:
    """Cut text at the last sentence or word boundary within ``limit`` characters."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    for mark in ("\n", "。", ". ", " "):
        at = cut.rfind(mark)
        if at > limit // 2:
            return cut[: at + len(mark)].rstrip() + " …"
    return cut.rstrip() + "…"
