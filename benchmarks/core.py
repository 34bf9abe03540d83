"""Core benchmark, side by side in one process (issue: the core).

Prints a table:
- ingest throughput (chunks/s) on knowledge/ and on a generated corpus of ~5,000 chunks of
  ~150 words;
- unchanged re-ingest wall time and embeddings done (must be 0);
- warm `answer` latency p50/p95 next to the bare floor (embed the question + one Chroma
  query) on the same 5,000-chunk corpus, and their ratio;
- peak resident memory.

Run: .venv/bin/python benchmarks/core.py [--chunks 5000] [--questions 60]
Timings are for this noisy 2-core machine: read medians and ratios, not single numbers.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings
from bot.evaluation import load_questions
from bot.rag.assistant import Assistant, LazyEmbeddings

WORDS = ["startup", "founder", "market", "investment", "office", "residency", "programme", "partner", "university", "technology", "transfer", "commercialisation", "legal", "entity", "visa", "hiring", "talent", "accelerator", "mobility", "battery", "vehicle", "tax", "registration", "policy", "ministry", "science", "agency", "seoul", "vietnam", "city", "district", "building", "floor", "contact", "staff", "application", "deadline", "fee", "support", "network", "roadshow", "prototype", "pilot", "customer", "export", "import", "factory", "park", "campus", "research", "lab"]
KOREAN = ["창업", "투자", "사무실", "입주", "지원", "베트남", "서울", "기술", "대학", "법인", "채용", "시장", "정책", "전기차", "세금"]


def generate_corpus(folder: Path, chunks: int, words: int = 150, per_file: int = 10) -> None:
    """Markdown files of `per_file` sections of ~`words` words each."""
    rng = random.Random(7)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(chunks // per_file):
        sections = []
        for section in range(per_file):
            body = " ".join(
                rng.choice(KOREAN) if rng.random() < 0.1 else rng.choice(WORDS)
                for _ in range(words)
            )
            sections.append(f"## Topic {number}-{section} question?\n\n{body}.")
        folder.joinpath(f"doc-{number:04d}.md").write_text(
            f"---\ntitle: Generated {number}\nlanguage: en\ntopic: gen-{number}\n---\n"
            f"# Generated {number}\n\n" + "\n\n".join(sections) + "\n",
            encoding="utf-8",
        )


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed_ingest(settings: Settings, embeddings: LazyEmbeddings, paths=None):
    assistant = Assistant(settings, embeddings=embeddings)
    started = time.perf_counter()
    report = assistant.ingest(paths)
    return assistant, report, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=5000)
    parser.add_argument("--questions", type=int, default=60)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-core-"))
    embeddings = LazyEmbeddings("packaged")
    embeddings()  # model load is not part of any measured figure
    rows: list[tuple[str, str, str]] = []
    try:
        # 1. knowledge/ (the real corpus)
        kb_settings = Settings(_env_file=None, data_dir=work / "kb", knowledge_dir=ROOT / "knowledge")
        _, report, seconds = timed_ingest(kb_settings, embeddings)
        rows.append(("ingest knowledge/", f"{report.chunks_embedded} chunks in {seconds:.1f} s",
                     f"{report.chunks_embedded / seconds:.1f} chunks/s"))  # fmt: skip
        _, again, seconds = timed_ingest(kb_settings, LazyEmbeddings("never-loaded"))
        rows.append(("re-ingest knowledge/ unchanged", f"{seconds:.2f} s",
                     f"{again.chunks_embedded} embedded"))  # fmt: skip

        # 2. generated corpus (+ knowledge/, so the questions have answers)
        generated = work / "generated"
        generate_corpus(generated, args.chunks)
        shutil.copytree(ROOT / "knowledge", generated / "knowledge")
        gen_settings = Settings(_env_file=None, data_dir=work / "gen", knowledge_dir=generated)
        assistant, report, seconds = timed_ingest(gen_settings, embeddings)
        rows.append((f"ingest generated ({report.chunks_embedded} chunks)", f"{seconds:.1f} s",
                     f"{report.chunks_embedded / seconds:.1f} chunks/s"))  # fmt: skip
        _, again, seconds = timed_ingest(gen_settings, LazyEmbeddings("never-loaded"))
        rows.append((f"re-ingest generated unchanged ({assistant.store.count()} chunks)",
                     f"{seconds:.2f} s", f"{again.chunks_embedded} embedded"))  # fmt: skip

        # 3. warm answer vs floor on the same store, interleaved so noise hits both alike
        questions = [q.question for q in load_questions(ROOT / "eval" / "questions.jsonl")]
        questions = (questions * 3)[: args.questions]
        assistant.warm_up()
        model = embeddings()
        ours: list[float] = []
        floor: list[float] = []
        for question in questions:
            started = time.perf_counter()
            assistant.answer(question)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            assistant.store.query(model.embed_query(question), 4)
            floor.append(time.perf_counter() - started)
        for name, values in (("floor: embed + 1 Chroma query", floor), ("ours: answer()", ours)):
            rows.append((f"{name} ({len(values)} q, {assistant.store.count()} chunks)",
                         f"p50 {1000 * statistics.median(values):.1f} ms",
                         f"p95 {1000 * percentile(values, 0.95):.1f} ms"))  # fmt: skip
        rows.append(("ratio ours/floor", f"p50 ×{statistics.median(ours) / statistics.median(floor):.2f}",
                     f"p95 ×{percentile(ours, 0.95) / percentile(floor, 0.95):.2f}"))  # fmt: skip
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows.append(("peak RSS (this process)", f"{peak_mb:.0f} MB", "target ≤ 1,536 MB"))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':<22}  detail")
    for name, value, detail in rows:
        print(f"{name:<{width}}  {value:<22}  {detail}")


if __name__ == "__main__":
    main()
