"""Core benchmark, side by side in one process.

Prints a table:
- ingest throughput (chunks/s) on knowledge/ and on a generated corpus of ~5,000 chunks of
  ~150 words, ours (every sentence and heading embedded by the default multilingual-e5-small)
  next to the previous path (one vector per chunk from the English MiniLM), and the ratio;
- unchanged re-ingest wall time and embeddings done (must be 0);
- warm `answer` latency p50/p95 next to the bare floor (embed the question + one Chroma
  query) on the same 5,000-chunk corpus, and their ratio;
- peak resident memory.

Run: .venv/bin/python benchmarks/core.py [--chunks 5000] [--questions 60] [--skip-previous]
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

from bot.config import DEFAULT_EMBEDDING_MODEL, Settings
from bot.evaluation import load_question_sets
from bot.rag import indexer as indexer_module
from bot.rag.assistant import Assistant, LazyEmbeddings
from bot.rag.chunking import Chunk

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


def _never(name: str):
    raise AssertionError(f"an unchanged re-ingest loaded the model {name}")


def _chunk_only(embeddings, chunks: list[Chunk], heading_cache, checkpoint=lambda: None) -> list:
    """The previous path's embedding work: one vector per chunk (title + section + text)."""
    checkpoint()  # the indexer's cancellation point, as in indexer._embed_chunks
    vectors = embeddings.embed_documents([c.index_text for c in chunks])
    return [indexer_module._EmbeddedChunk(c, [], v) for c, v in zip(chunks, vectors, strict=True)]


def timed_previous_ingest(settings: Settings, embeddings: LazyEmbeddings):
    """Ingest the way the pipeline did before sentence vectors: MiniLM, 32 chunks per batch,
    one vector per chunk, nothing else embedded."""
    saved = indexer_module._embed_chunks, indexer_module.EMBED_BATCH
    indexer_module._embed_chunks, indexer_module.EMBED_BATCH = _chunk_only, 32
    try:
        return timed_ingest(settings, embeddings)
    finally:
        indexer_module._embed_chunks, indexer_module.EMBED_BATCH = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=5000)
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument(
        "--skip-previous", action="store_true", help="measure only ours (no MiniLM ingest)"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-core-"))
    embeddings = LazyEmbeddings(DEFAULT_EMBEDDING_MODEL)
    embeddings()  # model load is not part of any measured figure
    previous = LazyEmbeddings("packaged")
    if not args.skip_previous:
        previous()
    rows: list[tuple[str, str, str]] = []
    try:
        # 1. knowledge/ (the real corpus), ours next to the previous path
        kb_settings = Settings(_env_file=None, data_dir=work / "kb", knowledge_dir=ROOT / "knowledge")
        _, report, seconds = timed_ingest(kb_settings, embeddings)
        ours_kb = report.chunks_embedded / seconds
        rows.append(("ingest knowledge/ (ours: e5, sentences)", f"{report.chunks_embedded} chunks in {seconds:.1f} s",
                     f"{ours_kb:.1f} chunks/s"))  # fmt: skip
        if not args.skip_previous:
            prev_settings = kb_settings.model_copy(update={"data_dir": work / "kb-prev"})
            _, report, seconds = timed_previous_ingest(prev_settings, previous)
            prev_kb = report.chunks_embedded / seconds
            rows.append(("ingest knowledge/ (previous: MiniLM, chunks)",
                         f"{report.chunks_embedded} chunks in {seconds:.1f} s", f"{prev_kb:.1f} chunks/s"))  # fmt: skip
            rows.append(("ingest ratio ours/previous (knowledge/)", f"×{ours_kb / prev_kb:.2f}", "throughput"))
        _, again, seconds = timed_ingest(kb_settings, LazyEmbeddings(DEFAULT_EMBEDDING_MODEL, loader=_never))
        rows.append(("re-ingest knowledge/ unchanged", f"{seconds:.2f} s",
                     f"{again.chunks_embedded} embedded"))  # fmt: skip

        # 2. generated corpus (+ knowledge/, so the questions have answers)
        generated = work / "generated"
        generate_corpus(generated, args.chunks)
        shutil.copytree(ROOT / "knowledge", generated / "knowledge")
        gen_settings = Settings(_env_file=None, data_dir=work / "gen", knowledge_dir=generated)
        assistant, report, seconds = timed_ingest(gen_settings, embeddings)
        ours_gen = report.chunks_embedded / seconds
        rows.append((f"ingest generated ({report.chunks_embedded} chunks, ours)", f"{seconds:.1f} s",
                     f"{ours_gen:.1f} chunks/s"))  # fmt: skip
        if not args.skip_previous:
            prev_settings = gen_settings.model_copy(update={"data_dir": work / "gen-prev"})
            _, report, seconds = timed_previous_ingest(prev_settings, previous)
            prev_gen = report.chunks_embedded / seconds
            rows.append((f"ingest generated ({report.chunks_embedded} chunks, previous)", f"{seconds:.1f} s",
                         f"{prev_gen:.1f} chunks/s"))  # fmt: skip
            rows.append(("ingest ratio ours/previous (generated)", f"×{ours_gen / prev_gen:.2f}", "throughput"))
        _, again, seconds = timed_ingest(gen_settings, LazyEmbeddings(DEFAULT_EMBEDDING_MODEL, loader=_never))
        rows.append((f"re-ingest generated unchanged ({assistant.store.count()} chunks)",
                     f"{seconds:.2f} s", f"{again.chunks_embedded} embedded"))  # fmt: skip

        # 3. warm answer vs floor on the same store, interleaved so noise hits both alike
        questions = [
            q.question for q in load_question_sets([ROOT / "eval"]) if q.corpus == "knowledge"
        ]
        random.Random(3).shuffle(questions)
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
