"""`python -m bot eval --fit`: fit the scoring models and thresholds on the *train* split only.

Three logistic models (``bot/rag/scoring.py``) are fitted in order, because each one's
evidence depends on the one before:

1. rank: every candidate chunk of every in-scope train question, labelled by whether its
   topic is one that answers the question (each question weighs the same);
2. decide: the best chunk after ranking, labelled by whether its topic is right (out-of-scope
   questions: never); then the two thresholds (decline, unsure) that minimise the cost below;
3. lead: every sentence of the chosen passage, labelled by whether it states an expected fact.

Held-out questions are never read here. The result is written to
``bot/rag/data/scoring.json`` under the embedding model's id, with the fit's provenance.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.config import Settings
from bot.evaluation import Question, contains_fact, corpus_settings, open_assistant
from bot.rag.answer import lead_features
from bot.rag.assistant import Assistant, decision_features
from bot.rag.retrieval import Retrieval
from bot.rag.scoring import SCORING_FILE, Model, Scorer, fit_listwise, fit_logistic, read_entries

# Cost of each outcome when choosing the thresholds (lower is better). A confident wrong
# answer is the worst outcome; an unsure answer costs a little even when right (the founder
# is offered a person), and declining a question the documents answer costs a lot.
COST = {
    ("right", "answered"): 0.0,
    ("right", "unsure"): 0.25,
    ("right", "declined"): 1.0,
    ("wrong", "answered"): 3.0,
    ("wrong", "unsure"): 0.5,
    ("wrong", "declined"): 0.3,
    ("oos", "answered"): 3.0,
    ("oos", "unsure"): 0.7,
    ("oos", "declined"): 0.0,
}
L2 = 1.0
# Folds of the cross-fitting that gives the decision probabilities the thresholds are chosen on.
FOLDS = 5
# Fold assignments averaged over (see out_of_fold).
REPEATS = 10


@dataclass
class _Observed:
    kind: str  # right | wrong | oos
    probability: float


def _ask(assistant: Assistant, question: Question) -> None:
    conversation = f"fit:{uuid.uuid4().hex}"
    for earlier in question.context:
        assistant.answer(earlier, conversation=conversation)
    assistant.answer(question.question, conversation=conversation)


def _retrievals(
    assistants: dict[str, Assistant], questions: Sequence[Question], *, in_scope_only: bool
) -> Iterator[tuple[Question, Assistant, Retrieval]]:
    """Each (non-small-talk) question asked as in evaluation, with the retrieval behind it."""
    for q in questions:
        if q.small_talk or (in_scope_only and not q.in_scope):
            continue
        assistant = assistants[q.corpus]
        _ask(assistant, q)
        retrieval = assistant.last_retrieval
        if retrieval is not None and retrieval.candidates:
            yield q, assistant, retrieval


def fit_rank(assistants: dict[str, Assistant], questions: Sequence[Question]) -> Model:
    """Fit the rank model on the candidates of the in-scope train questions (listwise: the
    right topic's chunks first)."""
    groups: list[tuple[np.ndarray, np.ndarray]] = []
    for q, _, retrieval in _retrievals(assistants, questions, in_scope_only=True):
        cands = [c for c in retrieval.candidates if c.features is not None]
        y = np.asarray([c.topic in q.topics for c in cands], dtype=float)
        x = np.asarray([c.features.vector() for c in cands])  # type: ignore[union-attr]  # cands all have features (filtered above)
        groups.append((x, y))
    print(f"rank model: {len(groups)} questions")
    return fit_listwise(groups, l2=L2 * 0.01)


def fit_decision_and_lead(
    assistants: dict[str, Assistant], questions: Sequence[Question]
) -> tuple[Model, Model, list[_Observed]]:
    """The decision and lead models, and each question's outcome class and probability."""
    d_rows, d_labels = [], []
    lead_groups: list[tuple[np.ndarray, np.ndarray]] = []
    kinds: list[str] = []
    for q, assistant, retrieval in _retrievals(assistants, questions, in_scope_only=False):
        right = q.in_scope and retrieval.candidates[0].topic in q.topics
        d_rows.append(decision_features(retrieval).vector())
        d_labels.append(float(right))
        kinds.append("oos" if not q.in_scope else ("right" if right else "wrong"))
        if not right:
            continue
        chosen = assistant._choose(retrieval, q.language)
        sentences = assistant.retriever.sentences(retrieval, chosen)
        facts = q.facts + q.facts2
        y = np.asarray([contains_fact(s.text, facts) for s in sentences], dtype=float)
        x_lead = np.asarray([f.vector() for f in lead_features(sentences, retrieval)])
        lead_groups.append((x_lead, y))
    x = np.asarray(d_rows)
    y = np.asarray(d_labels)
    decision = fit_logistic(x, y, l2=L2)
    lead = fit_listwise(lead_groups, l2=L2 * 0.01)
    probabilities = out_of_fold(x, y)
    print(f"decision model: {len(d_rows)} questions; lead model: {len(lead_groups)} passages")
    return decision, lead, [_Observed(k, p) for k, p in zip(kinds, probabilities, strict=True)]


def out_of_fold(
    x: np.ndarray, y: np.ndarray, folds: int = FOLDS, repeats: int = REPEATS
) -> list[float]:
    """Each question's decision probability from a model fitted without it. Thresholds chosen
    on in-sample probabilities would trust the model as much on new wording as on the wording
    it was fitted to; out-of-fold probabilities are what a question nobody tuned for gets.

    Averaged over ``repeats`` random (seeded) fold assignments: with one assignment, which
    questions happen to share a fold moved the chosen decline threshold between 0.25 and
    0.39 from one refit to the next."""
    rng = np.random.default_rng(0)
    probabilities = np.zeros(len(y))
    for _ in range(repeats):
        fold = rng.permutation(len(y)) % folds
        for k in range(folds):
            test = fold == k
            model = fit_logistic(x[~test], y[~test], l2=L2)
            probabilities[test] += [model.probability(list(row)) for row in x[test]]
    return [float(p) / repeats for p in probabilities]


def choose_smalltalk(assistants: dict[str, Assistant], questions: Sequence[Question]) -> float:
    """The exemplar similarity above which a message about to be declined counts as small
    talk: the one that gets the fewest train messages wrong (small talk declined, or a
    declined question answered as small talk — each costs one; ties go to the higher
    threshold). Not "just above every declined question": one odd question would set it.
    Call with small talk by similarity still switched off."""
    talk, other = [], []
    for q in questions:
        assistant = assistants[q.corpus]
        vector = assistant.retriever.embed(q.question)
        _, similarity = assistant.intents.nearest(vector)
        if q.small_talk:
            talk.append(similarity)
        elif assistant.answer(q.question).outcome == "declined":
            other.append(similarity)
    candidates = sorted({round(s + 0.002, 4) for s in other} | {round(s, 4) for s in talk})
    threshold = min(
        candidates or [0.9],
        key=lambda t: (sum(s < t for s in talk) + sum(s >= t for s in other), -t),
    )
    caught = sum(s >= threshold for s in talk)
    turned = sum(s >= threshold for s in other)
    print(
        f"small talk: exemplar similarity >= {threshold} ({caught}/{len(talk)} train small "
        f"talk, {turned}/{len(other)} declined questions)"
    )
    return threshold


def choose_thresholds(observed: Sequence[_Observed]) -> tuple[float, float, float]:
    """The (decline, unsure) probability thresholds with the lowest total cost, and that cost."""
    grid = sorted({0.0, 1.0, *(round(o.probability, 4) for o in observed)})
    best = (float("inf"), 0.0, 0.0)
    probs = np.asarray([o.probability for o in observed])
    kinds = [o.kind for o in observed]
    for i, low in enumerate(grid):
        for high in grid[i:]:
            cost = 0.0
            for kind, p in zip(kinds, probs, strict=True):
                outcome = "declined" if p < low else ("unsure" if p < high else "answered")
                cost += COST[(kind, outcome)]
            if cost < best[0] - 1e-9:
                best = (cost, low, high)
    return best[1], best[2], best[0]


def fit_main(settings: Settings, questions: Sequence[Question], eval_dir: Path) -> int:
    """Fit on the train split and write the entry for the configured embedding model."""
    train = [q for q in questions if q.split == "train"]
    work = Path(tempfile.mkdtemp(prefix="fit-"))
    try:
        assistants = {
            corpus: open_assistant(corpus_settings(settings, corpus, work, eval_dir))
            for corpus in sorted({q.corpus for q in train})
        }
        # One scorer for every corpus's assistant: each fitted model applies to all at once.
        scorer: Scorer = next(iter(assistants.values())).scorer
        for assistant in assistants.values():
            assistant.retriever.scorer = scorer
        scorer.smalltalk_above = 2.0  # off while fitting: every question reaches retrieval
        scorer.rank_model = fit_rank(assistants, train)
        scorer.decision_model, scorer.lead_model, observed = fit_decision_and_lead(
            assistants, train
        )
        low, high, cost = choose_thresholds(observed)
        scorer.decline_below, scorer.unsure_below = low, high
        scorer.smalltalk_above = choose_smalltalk(assistants, train)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"thresholds: decline below {low:.3f}, unsure below {high:.3f} (train cost {cost:.1f})")
    path = Path(__file__).resolve().parent / "rag" / SCORING_FILE
    entries = read_entries(path)
    entry = scorer.to_dict()
    entry["fitted"] = {
        "on": f"{len(train)} train questions of eval/ ({sum(q.in_scope for q in train)} in scope)",
        "command": "python -m bot eval --fit",
        "date": dt.date.today().isoformat(),
    }
    entries[scorer.embedder] = entry
    path.write_text(
        json.dumps({"models": entries}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(f"wrote {path} [{scorer.embedder}]")
    return 0
