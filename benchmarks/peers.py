"""Our pipeline next to the usual alternatives on the same question set, in one process.

Peers (all with the same packaged MiniLM model and the same knowledge/):
  (a) langchain-recipe: RecursiveCharacterTextSplitter(1000, 200) over whole files + Chroma
      through langchain-chroma, top-4 similarity search (the common tutorial recipe);
  (b) bm25-default: BM25 alone with bm25s' default English tokeniser over our chunks;
  (c) dense-only: our chunks, dense retrieval alone;
and ablations of ours: keyword-only (our tokeniser), hybrid with RRF instead of the weighted mix.
Peers answer with their top chunk and never decline (they have no refusal), so their
refusal recall is 0 by construction; the table shows it rather than hiding it.

Run: .venv/bin/python benchmarks/peers.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings
from bot.evaluation import (
    Prediction,
    Question,
    Report,
    assistant_pipeline,
    evaluate,
    format_table,
    load_questions,
)
from bot.rag.assistant import Assistant, LazyEmbeddings
from bot.rag.loaders import split_front_matter


def langchain_recipe(work: Path, embeddings: LazyEmbeddings):
    """The tutorial pipeline: split raw files 1000/200, embed into Chroma, similarity top-4."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    documents = []
    for path in sorted((ROOT / "knowledge").rglob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        text = path.read_text("utf-8")
        meta, _ = split_front_matter(text)
        documents.append(Document(text, metadata={"source": str(path), "topic": str(meta.get("topic", ""))}))
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(documents)
    client = chromadb.PersistentClient(
        path=str(work / "peer-chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    store = Chroma.from_documents(chunks, embedding=embeddings(), client=client,
                                  collection_name="recipe")  # fmt: skip

    def run(question: Question) -> Prediction:
        started = time.perf_counter()
        hits = store.similarity_search(question.question, k=4)
        seconds = time.perf_counter() - started
        return Prediction([h.metadata["topic"] for h in hits],
                          hits[0].page_content if hits else "", bool(hits), seconds)  # fmt: skip

    return run


def bm25_default(assistant: Assistant):
    """BM25 alone with bm25s' stock tokeniser (English stop words, split on word characters)."""
    import bm25s

    chunks = list(assistant.store.iter_chunks())
    texts = [f"{c.metadata.get('title', '')}\n{c.metadata.get('section', '')}\n{c.text}" for c in chunks]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)

    def run(question: Question) -> Prediction:
        started = time.perf_counter()
        tokens = bm25s.tokenize([question.question], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return Prediction([], "", True, time.perf_counter() - started)
        ids, _ = retriever.retrieve(tokens, k=5, show_progress=False)
        seconds = time.perf_counter() - started
        top = [chunks[i] for i in ids[0]]
        return Prediction([str(c.metadata.get("topic", "")) for c in top], top[0].text, True, seconds)

    return run


def variant(settings: Settings, embeddings: LazyEmbeddings, fusion: str, answered_always: bool):
    """Our chunks and store with a different fusion; optionally without refusal (peer-like)."""
    assistant = Assistant(settings.model_copy(update={"fusion": fusion}), embeddings=embeddings)
    assistant.warm_up()
    pipeline = assistant_pipeline(assistant)
    if not answered_always:
        return pipeline

    def run(question: Question) -> Prediction:
        started = time.perf_counter()
        retrieval = assistant.retriever.retrieve(question.question)
        seconds = time.perf_counter() - started
        top = retrieval.candidates
        return Prediction([c.topic for c in top], top[0].text if top else "", True, seconds)

    return run


def main() -> None:
    questions = load_questions(ROOT / "eval" / "questions.jsonl")
    work = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    embeddings = LazyEmbeddings("packaged")
    try:
        settings = Settings(_env_file=None, data_dir=work / "ours", knowledge_dir=ROOT / "knowledge")
        ours = Assistant(settings, embeddings=embeddings)
        ours.ingest()
        ours.warm_up()
        reports: list[Report] = [
            evaluate("ours (hybrid)", questions, assistant_pipeline(ours)),
            evaluate("ours, RRF fusion", questions, variant(settings, embeddings, "rrf", False)),
            evaluate("ours, keyword only", questions, variant(settings, embeddings, "keyword", True)),
            evaluate("(c) dense only", questions, variant(settings, embeddings, "dense", True)),
            evaluate("(b) BM25 default tok.", questions, bm25_default(ours)),
            evaluate("(a) LangChain recipe", questions, langchain_recipe(work, embeddings)),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(format_table(reports))
    print("\nhit@k/MRR: the expected topic among the retrieved chunks; fact: the answer contains "
          "the key fact; oos-P/R: refusal precision/recall on out-of-scope questions.")  # fmt: skip
    base = reports[0].to_dict()["languages"]
    print("\nours minus best peer (a–c), per language:")
    for language in ("en", "ko", "vi", "ja"):
        peers = [r.to_dict()["languages"].get(language, {}) for r in reports[3:]]
        for metric in ("hit@5", "mrr"):
            best = max(p.get(metric, 0.0) for p in peers)
            print(f"  {language} {metric:<6} ours {base[language][metric]:.3f}  best peer {best:.3f}"
                  f"  Δ {base[language][metric] - best:+.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
