"""The three judgements of an answer, as small logistic models over evidence that generalises.

1. **Rank**: how likely a chunk answers the question (sentence and heading similarity, keyword
   score and coverage, language) — orders the candidates.
2. **Decide**: how likely the best chunk is right (its rank score, the margin over other
   topics, coverage, words no document uses …) — answer, answer as unsure, or decline.
3. **Lead**: how likely a sentence of the chosen chunk states the asked fact (similarity,
   shared words, the kind of fact asked for) — which sentence the answer opens with.

The weights and the two decision thresholds are fitted on the *training* part of ``eval/``
(``python -m bot eval --fit``) and shipped in ``bot/rag/data/scoring.json``, one entry per
embedding model; the held-out part is never used for fitting. Without an entry for the
configured model the defaults below apply (and a warning says so).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path

import numpy as np

from bot.languages import LANGUAGES

logger = logging.getLogger(__name__)

SCORING_FILE = "data/scoring.json"


@dataclass(frozen=True)
class RankFeatures:
    """Evidence that one chunk answers the question."""

    dense: float  # best cosine of a sentence of the chunk
    heading: float  # cosine of the chunk's heading (a question) — the dense value if none
    dense_gap: float  # dense minus the best dense of any candidate (≤ 0)
    heading_gap: float  # heading minus the best heading of any candidate (≤ 0)
    dense_lift: float  # dense minus the median over chunks of the chunk's language
    heading_lift: float  # heading minus the median heading of the chunk's language
    keyword: float  # BM25, relative to the best chunk (0..1)
    coverage: float  # IDF-weighted share of the question's words in the chunk
    answer_type: float  # 1 when the chunk states the kind of fact asked (a count, a date …)
    same_language: bool
    programme: bool  # the chunk's document is about the hub (names it)
    vague: bool  # the question has one or two words and names nothing ("fee?")
    dense_reliable: bool  # the model reads the question's language

    def vector(self) -> list[float]:
        """The features as the model sees them: dense evidence zeroed where it is noise."""
        d = 1.0 if self.dense_reliable else 0.0
        return [
            d * self.dense,
            d * self.heading,
            d * self.dense_gap,
            d * self.heading_gap,
            d * self.dense_lift,
            d * self.heading_lift,
            self.keyword,
            self.coverage,
            self.answer_type,
            float(self.same_language),
            float(self.programme),
            float(self.programme and self.vague),
            1.0 - d,
        ]


@dataclass(frozen=True)
class DecisionFeatures:
    """Evidence that the best chunk answers the question at all."""

    rank: float  # rank score of the best chunk
    margin: float  # its lead over the best chunk of another topic
    coverage: float  # best coverage among the top chunks
    dense: float
    heading: float
    lift: float  # how far the best chunk stands out from its language's median (heading or text)
    unseen: float  # IDF-weighted share of the question's words no document uses
    unseen_pairs: float  # share of its word pairs no document uses
    names: int  # programme names in the question
    words: int  # content tokens in the question
    language: str  # the question's (similarities and token counts differ by language)
    dense_reliable: bool

    def vector(self) -> list[float]:
        """The features as the model sees them."""
        d = 1.0 if self.dense_reliable else 0.0
        return [
            self.rank,
            self.margin,
            self.coverage,
            d * self.dense,
            d * self.heading,
            d * self.lift,
            self.unseen,
            self.unseen_pairs,
            float(min(self.names, 2)),
            math.log1p(self.words),
            1.0 - d,
            *(float(self.language == lang) for lang in LANGUAGE_OFFSETS),
        ]


# Languages with their own offset in the decision model (English is the reference).
LANGUAGE_OFFSETS = tuple(lang.code for lang in LANGUAGES if lang.fitted_offset)


@dataclass(frozen=True)
class LeadFeatures:
    """Evidence that a sentence states what was asked."""

    similarity: float  # cosine with the question
    similarity_gap: float  # minus the best sentence of the passage (≤ 0)
    overlap: float  # IDF-weighted share of the question's words in the sentence
    answer_type: float  # 1 when the sentence has the kind of fact asked (a number, a date …)
    first: bool  # the passage's first sentence
    bare_reply: bool  # opens with a bare "No." / "아닙니다." (for a question that is not yes/no)
    dangling: bool  # points to text that is not shown ("below", "these", "아래")
    short: bool  # under 25 characters
    about: bool  # names what the question is about (its programme names, else the hub)
    dense_reliable: bool

    def vector(self) -> list[float]:
        """The features as the model sees them."""
        d = 1.0 if self.dense_reliable else 0.0
        return [
            d * self.similarity,
            d * self.similarity_gap,
            self.overlap,
            self.answer_type,
            float(self.first),
            float(self.bare_reply),
            float(self.dangling),
            float(self.short),
            float(self.about),
        ]


RANK_NAMES = [
    f.name for f in fields(RankFeatures) if f.name not in ("dense_reliable", "vague")
] + ["programme_if_vague", "no_dense"]
DECISION_NAMES = [
    f.name for f in fields(DecisionFeatures) if f.name not in ("dense_reliable", "language")
] + ["no_dense"] + [f"language_{lang}" for lang in LANGUAGE_OFFSETS]
LEAD_NAMES = [f.name for f in fields(LeadFeatures) if f.name != "dense_reliable"]


@dataclass
class Model:
    """A logistic model: weights per feature name and a bias."""

    weights: list[float]
    bias: float

    def logit(self, x: list[float]) -> float:
        """w·x + b."""
        return float(np.dot(self.weights, x) + self.bias)

    def probability(self, x: list[float]) -> float:
        """σ(w·x + b)."""
        z = self.logit(x)
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def to_dict(self, names: list[str]) -> dict[str, object]:
        """JSON form with named weights."""
        return {
            "weights": {n: round(w, 5) for n, w in zip(names, self.weights, strict=True)},
            "bias": round(self.bias, 5),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object], names: list[str]) -> Model:
        """Read named weights; a missing name weighs 0 (a feature added after the fit)."""
        weights = data.get("weights") or {}
        assert isinstance(weights, dict)
        # weights.json holds numbers; float() of anything else fails loudly, as it should.
        return cls([float(weights.get(n, 0.0)) for n in names], float(data.get("bias", 0.0)))  # type: ignore[arg-type]


# Hand-set starting points (used only when no fitted entry exists for the model).
_DEFAULT_RANK = Model([2.0, 2.0, 20.0, 10.0, 5.0, 5.0, 2.0, 2.0, 0.5, 0.5, 0.2, 1.0, 0.0], -4.0)
_DEFAULT_DECISION = Model(
    [1.0, 0.5, 4.0, 2.0, 2.0, 10.0, -4.0, -1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], -3.0
)
_DEFAULT_LEAD = Model([2.0, 15.0, 3.0, 1.0, 0.5, -3.0, -2.0, -1.0, 0.5], 0.0)


@dataclass
class Scorer:
    """The fitted rank, decision and lead models of one embedding model, with thresholds."""

    rank_model: Model
    decision_model: Model
    lead_model: Model
    # Probability (decision model) below which the assistant declines, and below which an
    # answer is shown as unsure.
    decline_below: float = 0.3
    unsure_below: float = 0.6
    # Cosine to the nearest small-talk exemplar above which an unconfident message is small talk.
    smalltalk_above: float = 0.92
    embedder: str = ""

    def rank(self, features: RankFeatures) -> float:
        """Rank score (a logit) of a chunk."""
        return self.rank_model.logit(features.vector())

    def decide(self, features: DecisionFeatures) -> float:
        """Probability that the best chunk answers the question."""
        return self.decision_model.probability(features.vector())

    def lead(self, features: LeadFeatures) -> float:
        """Score (a logit) of a sentence as the answer's opening."""
        return self.lead_model.logit(features.vector())

    def to_dict(self) -> dict[str, object]:
        """JSON form (one entry of scoring.json)."""
        return {
            "rank": self.rank_model.to_dict(RANK_NAMES),
            "decision": self.decision_model.to_dict(DECISION_NAMES),
            "lead": self.lead_model.to_dict(LEAD_NAMES),
            "decline_below": round(self.decline_below, 4),
            "unsure_below": round(self.unsure_below, 4),
            "smalltalk_above": round(self.smalltalk_above, 4),
        }

    @classmethod
    def default(cls, embedder: str = "") -> Scorer:
        """The hand-set starting weights."""
        return cls(
            Model(list(_DEFAULT_RANK.weights), _DEFAULT_RANK.bias),
            Model(list(_DEFAULT_DECISION.weights), _DEFAULT_DECISION.bias),
            Model(list(_DEFAULT_LEAD.weights), _DEFAULT_LEAD.bias),
            embedder=embedder,
        )

    @classmethod
    def load(cls, model_name: str, path: Path | None = None) -> Scorer:
        """The fitted entry for an embedding model (EMBEDDING_MODEL), or the defaults."""
        from bot.rag.embeddings import embedder_id

        embedder = embedder_id(model_name) if model_name else ""
        entries = read_entries(path)
        entry = entries.get(embedder)
        if not isinstance(entry, dict):
            if embedder:
                logger.warning(
                    "no fitted scoring weights for embedder=%s: using defaults "
                    "(fit them with `python -m bot eval --fit`)",
                    embedder,
                )
            return cls.default(embedder)
        return cls(
            Model.from_dict(entry["rank"], RANK_NAMES),
            Model.from_dict(entry["decision"], DECISION_NAMES),
            Model.from_dict(entry["lead"], LEAD_NAMES),
            decline_below=float(entry.get("decline_below", 0.3)),
            unsure_below=float(entry.get("unsure_below", 0.6)),
            smalltalk_above=float(entry.get("smalltalk_above", 0.92)),
            embedder=embedder,
        )


# The confidence every channel sees is on one fixed scale, whatever the fitted thresholds:
# below CONFIDENCE_DECLINE the assistant declines, below CONFIDENCE_SURE it answers as unsure.
CONFIDENCE_DECLINE = 0.3
CONFIDENCE_SURE = 0.6


def to_confidence(probability: float, scorer: Scorer) -> float:
    """Map the decision model's probability onto the fixed scale (piecewise linear, monotone)."""
    low, high = scorer.decline_below, scorer.unsure_below
    p = min(max(probability, 0.0), 1.0)
    if p < low:
        value = CONFIDENCE_DECLINE * p / low if low > 0 else 0.0
    elif p < high:
        value = CONFIDENCE_DECLINE + (CONFIDENCE_SURE - CONFIDENCE_DECLINE) * (p - low) / (high - low)
    else:
        value = CONFIDENCE_SURE + (1 - CONFIDENCE_SURE) * ((p - high) / (1 - high) if high < 1 else 1)
    return round(value, 4)


def read_entries(path: Path | None = None) -> dict[str, object]:
    """All fitted entries of scoring.json (empty when the file does not exist)."""
    if path is not None:
        text = path.read_text("utf-8") if path.exists() else "{}"
    else:
        resource = resources.files("bot.rag").joinpath(SCORING_FILE)
        text = resource.read_text("utf-8") if resource.is_file() else "{}"
    data = json.loads(text)
    entries = data.get("models", {})
    return entries if isinstance(entries, dict) else {}


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0) -> Model:
    """L2-regularised logistic regression by Newton's method (small, dense problems)."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    w = np.zeros(d + 1)
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0  # the bias is not shrunk
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ w, -40, 40)))
        gradient = xb.T @ (p - y) + reg * w
        hessian = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(reg) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < 1e-7:
            break
    return Model([float(v) for v in w[:-1]], float(w[-1]))


def fit_listwise(
    groups: list[tuple[np.ndarray, np.ndarray]], *, l2: float = 1.0, steps: int = 300
) -> Model:
    """Weights that put the positives of each group first: maximise, per group, the log of
    the softmax probability mass on its positives (L2-regularised; L-BFGS-free gradient
    descent with a line search — the problems are tiny). Groups: (features, 0/1 labels)."""
    groups = [(x, y) for x, y in groups if len(x) > 1 and 0 < y.sum() < len(y)]
    if not groups:
        raise ValueError("no group has both a positive and a negative to learn from")
    d = groups[0][0].shape[1]
    scale = np.maximum(np.std(np.vstack([x for x, _ in groups]), axis=0), 1e-6)

    def loss_and_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.5 * l2 * float(w @ w), l2 * w
        for x, y in groups:
            z = (x / scale) @ w
            z -= z.max()
            e = np.exp(z)
            p_all = e / e.sum()
            p_pos = e * y / (e * y).sum()
            total -= float(np.log((e * y).sum() / e.sum()))
            grad = grad + (x / scale).T @ (p_all - p_pos)
        return total / len(groups), grad / len(groups)

    w = np.zeros(d)
    loss, grad = loss_and_grad(w)
    step = 1.0
    for _ in range(steps):
        while step > 1e-8:
            candidate = w - step * grad
            new_loss, new_grad = loss_and_grad(candidate)
            if new_loss <= loss - 1e-4 * step * float(grad @ grad):
                w, loss, grad = candidate, new_loss, new_grad
                step *= 1.5
                break
            step *= 0.5
        if float(np.abs(grad).max()) < 1e-6 or step <= 1e-8:
            break
    return Model([float(v) for v in w / scale], 0.0)
