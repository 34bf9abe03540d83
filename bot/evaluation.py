"""`python -m bot eval FILE`: retrieval and answer quality per language, with CI gates.

Each question names the topic that should answer it and the key facts an answer must contain
(any one of them); out-of-scope questions have no topic and must be declined.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings
from bot.errors import ConfigError

# Gates from the issue: per language, plus refusal behaviour over the whole set.
GATES = {
    "en": {"hit@5": 0.95, "fact": 0.90},
    "ko": {"hit@5": 0.95, "fact": 0.90},
    "vi": {"hit@5": 0.85, "fact": 0.85},
    "ja": {"hit@5": 0.85, "fact": 0.85},
}
OOS_DECLINED_MIN = 0.90
IN_SCOPE_DECLINED_MAX = 0.05


@dataclass(frozen=True)
class Question:
    """One evaluation item."""

    id: str
    language: str
    question: str
    topic: str | None
    facts: tuple[str, ...]
    kind: str = "direct"

    @property
    def in_scope(self) -> bool:
        """Whether the knowledge base should answer it."""
        return self.topic is not None


@dataclass(frozen=True)
class Prediction:
    """What a pipeline returned: ranked topics of retrieved chunks, answer text, answered flag."""

    topics: Sequence[str]
    answer: str
    answered: bool
    seconds: float = 0.0


Pipeline = Callable[[Question], Prediction]


def load_questions(path: Path) -> list[Question]:
    """Read a JSONL question set; ConfigError names the bad line."""
    questions = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            questions.append(
                Question(
                    id=str(item["id"]),
                    language=str(item["language"]),
                    question=str(item["question"]),
                    topic=item.get("topic"),
                    facts=tuple(str(f) for f in item.get("facts", [])),
                    kind=str(item.get("kind", "direct")),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}:{number}: not a valid question ({exc})") from exc
    return questions


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def contains_fact(answer: str, facts: Sequence[str]) -> bool:
    """Whether the answer contains any of the facts (case- and whitespace-insensitive)."""
    haystack = _norm(answer)
    return any(_norm(fact) in haystack for fact in facts)


@dataclass
class LanguageScore:
    """Metrics of one language (or 'all')."""

    n: int = 0
    hit1: float = 0.0
    hit5: float = 0.0
    mrr: float = 0.0
    fact: float = 0.0
    declined_in_scope: int = 0

    def as_dict(self) -> dict[str, float | int]:
        """Rounded metrics for printing."""
        return {
            "n": self.n,
            "hit@1": round(self.hit1 / self.n, 3) if self.n else 0.0,
            "hit@5": round(self.hit5 / self.n, 3) if self.n else 0.0,
            "mrr": round(self.mrr / self.n, 3) if self.n else 0.0,
            "fact": round(self.fact / self.n, 3) if self.n else 0.0,
            "declined": self.declined_in_scope,
        }


@dataclass
class Report:
    """Metrics of one pipeline over a question set."""

    name: str
    by_language: dict[str, LanguageScore] = field(default_factory=dict)
    oos_total: int = 0
    oos_declined: int = 0
    in_scope_total: int = 0
    in_scope_declined: int = 0
    latencies: list[float] = field(default_factory=list)
    misses: list[dict[str, object]] = field(default_factory=list)

    @property
    def refusal_recall(self) -> float:
        """Share of out-of-scope questions declined."""
        return self.oos_declined / self.oos_total if self.oos_total else 1.0

    @property
    def refusal_precision(self) -> float:
        """Share of declines that were out-of-scope questions."""
        declined = self.oos_declined + self.in_scope_declined
        return self.oos_declined / declined if declined else 1.0

    @property
    def wrongly_declined(self) -> float:
        """Share of in-scope questions declined."""
        return self.in_scope_declined / self.in_scope_total if self.in_scope_total else 0.0

    def to_dict(self) -> dict[str, object]:
        """JSON form."""
        lat = sorted(self.latencies)
        return {
            "pipeline": self.name,
            "languages": {k: v.as_dict() for k, v in sorted(self.by_language.items())},
            "refusal_precision": round(self.refusal_precision, 3),
            "refusal_recall": round(self.refusal_recall, 3),
            "in_scope_declined": round(self.wrongly_declined, 3),
            "latency_ms_p50": round(1000 * statistics.median(lat), 1) if lat else 0.0,
            "latency_ms_p95": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1) if lat else 0.0,
        }

    def gate_failures(self) -> list[str]:
        """Every gate this report misses, as readable lines."""
        failures = []
        for language, gates in GATES.items():
            score = self.by_language.get(language)
            if score is None or not score.n:
                failures.append(f"{language}: no questions")
                continue
            metrics = score.as_dict()
            for metric, minimum in gates.items():
                if float(metrics[metric]) < minimum:
                    failures.append(f"{language}: {metric} {metrics[metric]} < {minimum}")
        if self.refusal_recall < OOS_DECLINED_MIN:
            failures.append(f"out-of-scope declined {self.refusal_recall:.3f} < {OOS_DECLINED_MIN}")
        if self.wrongly_declined > IN_SCOPE_DECLINED_MAX:
            failures.append(
                f"in-scope declined {self.wrongly_declined:.3f} > {IN_SCOPE_DECLINED_MAX}"
            )
        return failures


def evaluate(name: str, questions: Sequence[Question], pipeline: Pipeline) -> Report:
    """Run every question through the pipeline and score it."""
    report = Report(name)
    for question in questions:
        started = time.perf_counter()
        prediction = pipeline(question)
        report.latencies.append(prediction.seconds or time.perf_counter() - started)
        if not question.in_scope:
            report.oos_total += 1
            if not prediction.answered:
                report.oos_declined += 1
            else:
                report.misses.append({"id": question.id, "why": "answered out-of-scope"})
            continue
        report.in_scope_total += 1
        for key in (question.language, "all"):
            score = report.by_language.setdefault(key, LanguageScore())
            score.n += 1
            topics = list(prediction.topics)
            if topics[:1] == [question.topic]:
                score.hit1 += 1
            if question.topic in topics[:5]:
                score.hit5 += 1
            if question.topic in topics:
                score.mrr += 1.0 / (topics.index(question.topic) + 1)
            if prediction.answered and contains_fact(prediction.answer, question.facts):
                score.fact += 1
            if not prediction.answered:
                score.declined_in_scope += 1 if key != "all" else 0
        if not prediction.answered:
            report.in_scope_declined += 1
            report.misses.append({"id": question.id, "why": "declined"})
        elif not contains_fact(prediction.answer, question.facts):
            report.misses.append({"id": question.id, "why": "fact missing", "top": topics[:3]})
    return report


def assistant_pipeline(assistant) -> Pipeline:
    """Our pipeline: hybrid retrieval for the topic ranking, the assistant for the answer."""

    def run(question: Question) -> Prediction:
        started = time.perf_counter()
        answer = assistant.answer(question.question)
        seconds = time.perf_counter() - started
        retrieval = assistant.last_retrieval
        topics = [c.topic for c in retrieval.candidates] if retrieval is not None else []
        return Prediction(topics, answer.answer, answer.answered, seconds)

    return run


def format_table(reports: Sequence[Report]) -> str:
    """A plain-text table: one row per pipeline and language."""
    lines = [
        (f"{'pipeline':<22}{'lang':<6}{'n':>4}{'hit@1':>8}{'hit@5':>8}{'MRR':>8}{'fact':>8}"
        f"{'oos-P':>8}{'oos-R':>8}{'p50 ms':>9}")
    ]
    for report in reports:
        summary = report.to_dict()
        for language, metrics in summary["languages"].items():  # type: ignore[union-attr]
            lines.append(
                f"{report.name:<22}{language:<6}{metrics['n']:>4}{metrics['hit@1']:>8.3f}"
                f"{metrics['hit@5']:>8.3f}{metrics['mrr']:>8.3f}{metrics['fact']:>8.3f}"
                f"{summary['refusal_precision']:>8.3f}{summary['refusal_recall']:>8.3f}"
                f"{summary['latency_ms_p50']:>9.1f}"
            )
    return "\n".join(lines)


def eval_main(args: argparse.Namespace, settings: Settings) -> int:
    """CLI: evaluate the assistant on a question file; --gate makes missed gates exit 1."""
    from bot.cli import _open_assistant

    questions = load_questions(args.file)
    assistant = _open_assistant(settings, show_progress=False)
    assistant.warm_up()
    report = evaluate("ours", questions, assistant_pipeline(assistant))
    failures = report.gate_failures()
    if args.json:
        print(json.dumps({**report.to_dict(), "misses": report.misses, "gate_failures": failures},
                         ensure_ascii=False))  # fmt: skip
    else:
        print(format_table([report]))
        summary = report.to_dict()
        print(
            f"\nout-of-scope: declined {report.oos_declined}/{report.oos_total} "
            f"(recall {summary['refusal_recall']}, precision {summary['refusal_precision']}); "
            f"in-scope wrongly declined {report.in_scope_declined}/{report.in_scope_total}"
        )
        for miss in report.misses:
            print(f"  miss {miss}")
        print("gates: " + ("all passed" if not failures else "FAILED: " + "; ".join(failures)))
    return 1 if (args.gate and failures) else 0
