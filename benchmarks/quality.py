"""Answer quality side by side: ours, the pipeline before this work, and the usual peers.

Every pipeline answers the same questions (eval/, every corpus) over the same documents and
is scored by the same scorer (bot/evaluation.py): fact in the lead, confidently wrong,
declines, follow-ups, per language and split. Pipelines:

- ours (default model, multilingual-e5-small) and ours with EMBEDDING_MODEL=packaged (MiniLM);
- previous: the commit before the answer-quality work (git worktree of PREVIOUS_COMMIT, run in
  a subprocess with this venv); its answer is a passage and it never says "unsure": its lead is
  the passage's first sentences within the same length budget;
- peers (never decline; lead = first sentences of their top chunk): the LangChain tutorial
  recipe (RecursiveCharacterTextSplitter 1000/200 + Chroma + MiniLM, top-4), BM25 with bm25s'
  stock tokeniser over our chunks, and dense-only retrieval over our chunks.

Run: .venv/bin/python benchmarks/quality.py [--split heldout|train|all] [--skip-previous]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings
from bot.evaluation import (
    Prediction,
    Question,
    Report,
    format_table,
    load_question_sets,
    open_assistant,
    open_pipeline,
    run_suites,
)
from bot.rag.answer import lead_budget
from bot.rag.text import split_sentences

PREVIOUS_COMMIT = "6e74aa883c98339295d9dd8f606e9b27769b7651"

# Runs inside the previous commit's worktree: answers questions read from stdin (JSON lines).
PREVIOUS_RUNNER = r"""
import json, sys, uuid
from pathlib import Path
from bot.config import Settings
from bot.rag.assistant import Assistant
settings = Settings(_env_file=None, data_dir=Path(sys.argv[1]), knowledge_dir=Path(sys.argv[2]))
assistant = Assistant(settings)
assistant.ingest()
assistant.warm_up()
for line in sys.stdin:
    q = json.loads(line)
    conversation = "prev:" + uuid.uuid4().hex
    for earlier in q["context"]:
        assistant.answer(earlier, conversation=conversation)
    answer = assistant.answer(q["question"], conversation=conversation)
    r = assistant.last_retrieval
    print(json.dumps({"id": q["id"], "answer": answer.answer, "answered": answer.answered,
                      "topics": [c.topic for c in r.candidates] if r else []}), flush=True)
"""


def first_sentences(text: str, language: str) -> str:
    """What a founder reads first of a passage: its first sentences within the lead budget."""
    budget = int(lead_budget(language) * 1.2)
    out: list[str] = []
    for sentence in split_sentences(text):
        if out and len(" ".join(out)) + len(sentence) + 1 > budget:
            break
        out.append(sentence)
        if len(out) == 2:
            break
    return " ".join(out)


def previous_pipeline(work: Path, settings: Settings, questions: Sequence[Question]):
    """Answers of the commit before this work, over the same documents."""
    tree = work / "previous"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), PREVIOUS_COMMIT],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        env = {**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1"}
        payload = "".join(
            json.dumps({"id": q.id, "question": q.question, "context": list(q.context)}) + "\n"
            for q in questions
        )
        done = subprocess.run(
            [sys.executable, "-c", PREVIOUS_RUNNER, str(settings.data_dir) + "-previous",
             str(settings.knowledge_dir)],
            input=payload, capture_output=True, text=True, cwd=tree, env=env, check=True,
        )  # fmt: skip
        answers = {a["id"]: a for a in map(json.loads, done.stdout.splitlines())}
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
            check=False, capture_output=True,
        )  # fmt: skip

    def run(question: Question) -> Prediction:
        a = answers[question.id]
        return Prediction(
            a["topics"], a["answer"], first_sentences(a["answer"], question.language),
            "answered" if a["answered"] else "declined",
        )  # fmt: skip

    return run


def recipe_pipeline(work: Path, settings: Settings):
    """The LangChain tutorial recipe over the corpus's raw files (never declines)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from bot.rag.embeddings import load_embeddings
    from bot.rag.loaders import ParserPool

    documents = []
    with ParserPool(50 * 2**20, 60) as pool:
        for path in sorted(settings.knowledge_dir.rglob("*")):
            if path.is_dir() or path.name.lower() == "readme.md":
                continue
            parsed = pool.parse(path)
            text = "\n\n".join(s.text for s in parsed.sections)
            topic = parsed.topic or path.relative_to(settings.knowledge_dir).as_posix()
            documents.append(Document(text, metadata={"topic": topic}))
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(
        documents
    )
    client = chromadb.PersistentClient(
        path=str(work / f"recipe-{time.time_ns()}"),
        settings=ChromaSettings(anonymized_telemetry=False),
    )
    store = Chroma.from_documents(
        chunks, embedding=load_embeddings("packaged"), client=client, collection_name="recipe"
    )

    def run(question: Question) -> Prediction:
        hits = store.similarity_search(question.question, k=4)
        text = hits[0].page_content if hits else ""
        return Prediction(
            [h.metadata["topic"] for h in hits], text,
            first_sentences(text, question.language), "answered",
        )  # fmt: skip

    return run


def retriever_pipeline(settings: Settings, fusion: str):
    """Our chunks and store, one kind of retrieval alone, top chunk as the answer."""
    assistant = open_assistant(settings.model_copy(update={"fusion": fusion}))

    def run(question: Question) -> Prediction:
        retrieval = assistant.retriever.retrieve(question.question)
        top = retrieval.candidates
        text = top[0].text if top else ""
        return Prediction(
            [c.topic for c in top], text, first_sentences(text, question.language), "answered"
        )

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("heldout", "train", "all"), default="heldout")
    parser.add_argument("--skip-previous", action="store_true")
    parser.add_argument("--skip-peers", action="store_true")
    args = parser.parse_args()
    questions = load_question_sets([ROOT / "eval"])
    if args.split != "all":
        questions = [q for q in questions if q.split == args.split]
    work = Path(tempfile.mkdtemp(prefix="bench-quality-"))
    reports: list[Report] = []
    try:
        minilm = {"embedding_model": "packaged", "embedding_languages": ["en", "vi"]}
        variants: list[tuple[str, Callable[[Settings, Sequence[Question]], object]]] = [
            ("ours (e5, default)", open_pipeline),
            ("ours (MiniLM)", lambda s, _: open_pipeline(s.model_copy(update=minilm))),
        ]
        if not args.skip_previous:
            variants.append(("previous (6e74aa8)", lambda s, qs: previous_pipeline(work, s, qs)))
        if not args.skip_peers:
            variants += [
                ("peer: LangChain recipe", lambda s, _: recipe_pipeline(work, s)),
                ("peer: dense only", lambda s, _: retriever_pipeline(s, "dense")),
                ("peer: keyword only", lambda s, _: retriever_pipeline(s, "keyword")),
            ]
        for number, (name, make) in enumerate(variants):
            base = Settings(
                _env_file=None, data_dir=work / f"variant-{number}", knowledge_dir=ROOT / "knowledge"
            )
            reports.append(
                run_suites(base, questions, ROOT / "eval", make, name, keep_misses=False)  # type: ignore[arg-type]
            )
            print(f"done: {name}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    splits = ("heldout", "train") if args.split == "all" else (args.split,)
    print(format_table(reports, splits))


if __name__ == "__main__":
    main()
