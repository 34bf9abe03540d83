"""Incremental ingestion through the front door (`ingest.main`) and the Assistant API."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.cli import ingest_main
from bot.config import DEFAULT_EMBEDDING_MODEL
from bot.rag.assistant import Assistant, LazyEmbeddings
from tests.conftest import make_settings


@pytest.fixture(autouse=True)
def _restore_root_logging():
    """ingest_main installs a root handler on this test's captured stderr; put the old back.

    Otherwise later tests log into a closed stream, and logging's error report prints the
    unredacted record (a token, in the Telegram tests) to stderr.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
from tests.rag.files import pdf_bytes, slow_html, write_english_corpus, write_md, zip_bomb_docx


def _corpus(root: Path) -> Path:
    write_english_corpus(root)
    write_md(root / "ko" / "hub.md", "허브", "hub", {
        "허브 면적은?": "서울창업허브 호치민의 면적은 1,758 m²입니다.",
    }, lang="ko")  # fmt: skip
    return root


class NoModel:
    """An embeddings loader that must not be called (the unchanged re-ingest path)."""

    def __call__(self, name: str):
        raise AssertionError("the embedding model was loaded although nothing changed")


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    return _corpus(tmp_path / "knowledge")


def _assistant(tmp_path: Path, corpus: Path, embeddings, **overrides) -> Assistant:
    return Assistant(make_settings(tmp_path / "data", corpus, **overrides), embeddings=embeddings)


def _sentence_chunks(assistant: Assistant) -> dict[str, int]:
    """Sentence records per chunk id, as stored."""
    counts: dict[str, int] = {}
    for sentence in assistant.store.iter_sentences(include_embeddings=False):
        counts[sentence.chunk_id] = counts.get(sentence.chunk_id, 0) + 1
    return counts


def _ids(assistant: Assistant) -> dict[str, list[str]]:
    return {d.source: sorted(d.chunk_ids) for d in assistant.sources()}


def test_second_run_embeds_nothing_and_never_loads_the_model(tmp_path, corpus, shared_embeddings):
    first = _assistant(tmp_path, corpus, shared_embeddings).ingest()
    assert (len(first.added), first.chunks_embedded) == (3, 4)
    second = _assistant(tmp_path, corpus, LazyEmbeddings(DEFAULT_EMBEDDING_MODEL, loader=NoModel())).ingest()
    assert len(second.unchanged) == 3
    assert second.chunks_embedded == 0 and not second.added and not second.updated


def test_edit_replaces_chunks_delete_removes_rename_moves(tmp_path, corpus, shared_embeddings):
    assistant = _assistant(tmp_path, corpus, shared_embeddings)
    assistant.ingest()
    before = _ids(assistant)

    write_md(corpus / "en" / "fees.md", "Fees", "membership", {
        "What does it cost?": "Fees are still not published; ask the hub staff.",
        "Is there a deposit?": "Nothing is published about deposits.",
    })  # fmt: skip
    report = assistant.ingest()
    assert report.updated == ["en/fees.md"] and report.chunks_embedded == 2
    after = _ids(assistant)
    assert len(after["en/fees.md"]) == 2
    assert not set(before["en/fees.md"]) & set(after["en/fees.md"]), "old chunks must be gone"

    (corpus / "ko" / "hub.md").unlink()
    report = assistant.ingest()
    assert report.deleted == ["ko/hub.md"] and "ko/hub.md" not in _ids(assistant)

    sentences_before = _sentence_chunks(assistant)
    (corpus / "en" / "hub.md").rename(corpus / "en" / "overview.md")
    report = assistant.ingest()
    assert report.renamed == ["en/hub.md → en/overview.md"]
    assert report.chunks_embedded == 0, "a rename must reuse the stored embeddings"
    # Every chunk still has its heading and sentence vectors, and none is left behind.
    live = {chunk.id for chunk in assistant.store.iter_chunks(include_text=False)}
    assert set(_sentence_chunks(assistant)) == live
    assert sum(_sentence_chunks(assistant).values()) == sum(sentences_before.values())
    assert set(_ids(assistant)) == {"en/fees.md", "en/overview.md"}
    assert sum(len(v) for v in _ids(assistant).values()) == assistant.store.count()
    answer = assistant.answer("How big is the hub?")
    assert answer.answered and answer.sources[0].source == "en/overview.md"


class RecordingEmbeddings:
    """A deterministic stand-in for a second model (plumbing: which model wrote the index)."""

    def __init__(self) -> None:
        self.texts = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts += len(texts)
        return [[1.0] + [0.0] * 383 for _ in texts]

    def embed_query(self, text: str) -> list[float]:
        return [1.0] + [0.0] * 383


def test_an_index_of_another_model_is_re_embedded_not_mixed(tmp_path, corpus, shared_embeddings):
    first = _assistant(tmp_path, corpus, shared_embeddings)
    first.ingest()
    assert not first.index_stale()
    other = RecordingEmbeddings()
    second = _assistant(tmp_path, corpus, LazyEmbeddings("some/other-model", loader=lambda _: other))
    assert second.index_stale()
    report = second.ensure_index()
    assert report is not None and len(report.updated) == 3 and report.chunks_embedded == 4
    assert other.texts > 0 and not second.index_stale()
    embedders = {c.metadata["embedder"] for c in second.store.iter_chunks(include_text=False)}
    assert embedders == {second.indexer.embedder}
    # The same chunk ids were rewritten: their sentences are the new model's, none doubled.
    live = {chunk.id for chunk in second.store.iter_chunks(include_text=False)}
    assert set(_sentence_chunks(second)) == live
    assert second.ensure_index() is None  # current now: nothing to do


def test_leftover_sentences_of_an_interrupted_delete_are_cleaned(
    tmp_path, corpus, shared_embeddings
):
    assistant = _assistant(tmp_path, corpus, shared_embeddings)
    assistant.ingest()
    fees = next(d for d in assistant.sources() if d.source == "en/fees.md")
    # What a run killed between deleting a chunk and deleting its sentences leaves behind.
    assistant.store._connect().delete(ids=fees.chunk_ids)
    assert set(fees.chunk_ids) <= set(_sentence_chunks(assistant))
    (corpus / "en" / "fees.md").unlink()
    (corpus / "en" / "new.md").write_text("# New\n\n## Q?\n\nA new fact.\n", encoding="utf-8")
    assistant.ingest()
    assert not set(fees.chunk_ids) & set(_sentence_chunks(assistant))


def test_the_folder_mounted_elsewhere_shares_one_index(tmp_path, corpus, shared_embeddings):
    """A replica or a staff machine with the folder at another path re-uses the index."""
    first = _assistant(tmp_path, corpus, shared_embeddings).ingest()
    (tmp_path / "mounted").mkdir()
    moved = corpus.rename(tmp_path / "mounted" / "elsewhere")
    again = _assistant(tmp_path, moved, LazyEmbeddings(DEFAULT_EMBEDDING_MODEL, loader=NoModel())).ingest()
    assert len(again.unchanged) == len(first.added) == 3
    assert not (again.added or again.deleted or again.renamed) and again.chunks_embedded == 0


def test_an_index_keyed_by_absolute_paths_is_rekeyed_without_embedding(
    tmp_path, corpus, shared_embeddings
):
    """Indexes written before keys became folder-relative are moved, not re-embedded."""
    assistant = _assistant(tmp_path, corpus, shared_embeddings)
    assistant.ingest()
    store = assistant.store
    ids = [chunk.id for chunk in store.iter_chunks(include_text=False)]
    old = store.get_embeddings(ids)
    store.add(  # what an index written by the earlier version holds
        list(old),
        [text for text, _, _ in old.values()],
        [{**meta, "path": str(corpus.resolve() / str(meta["source"]))} for _, meta, _ in old.values()],
        [vector for _, _, vector in old.values()],
    )
    report = _assistant(tmp_path, corpus, LazyEmbeddings(DEFAULT_EMBEDDING_MODEL, loader=NoModel())).ingest()
    assert len(report.renamed) == 3 and report.chunks_embedded == 0
    keys = {str(chunk.metadata["path"]) for chunk in store.iter_chunks(include_text=False)}
    assert keys == {"en/hub.md", "en/fees.md", "ko/hub.md"}
    assert store.count() == len(ids)
    assert assistant.answer("How big is the hub?").answered


def test_single_file_argument_adds_it_and_removes_nothing(tmp_path, corpus, shared_embeddings):
    assistant = _assistant(tmp_path, corpus, shared_embeddings)
    assistant.ingest()
    extra = write_md(tmp_path / "elsewhere" / "new.md", "New", "x", {"Q?": "A brand new fact."})
    report = assistant.ingest([extra])
    assert report.added == ["new.md"] and not report.deleted
    assert len(assistant.sources()) == 4


def test_bad_files_are_reported_and_the_rest_is_indexed(tmp_path, corpus, shared_embeddings):
    (corpus / "empty.md").write_text("")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (corpus / "locked.pdf").write_bytes(pdf_bytes("secret", password="pw"))
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<>> broken")
    (corpus / "bomb.docx").write_bytes(zip_bomb_docx())
    (corpus / "huge.txt").write_bytes(b"x" * 600_000)
    (corpus / "dangling.md").symlink_to(corpus / "missing-target.md")
    report = _assistant(
        tmp_path, corpus, shared_embeddings, max_file_mb=0.5, parse_timeout=0.5
    ).ingest()
    reasons = {f.path: f.reason for f in report.failed}
    assert set(reasons) == {
        "empty.md", "binary.txt", "locked.pdf", "broken.pdf", "bomb.docx", "huge.txt",
        "dangling.md",
    }  # fmt: skip
    assert "empty" in reasons["empty.md"]
    assert "binary" in reasons["binary.txt"]
    assert "encrypted" in reasons["locked.pdf"]
    assert "zip bomb" in reasons["bomb.docx"]
    assert "limit" in reasons["huge.txt"]
    assert "could not be read" in reasons["dangling.md"]
    assert len(report.added) == 3, "every good file is still indexed"


def test_a_parser_that_takes_too_long_is_stopped(tmp_path, corpus, shared_embeddings):
    (corpus / "slow.html").write_bytes(slow_html())
    report = _assistant(tmp_path, corpus, shared_embeddings, parse_timeout=0.5).ingest()
    assert [(f.path, f.reason) for f in report.failed] == [
        ("slow.html", "parser timed out after 0.5 s")
    ]
    assert len(report.added) == 3, "the other files are still indexed"


def test_failed_edit_keeps_the_indexed_version(tmp_path, corpus, shared_embeddings):
    assistant = _assistant(tmp_path, corpus, shared_embeddings)
    assistant.ingest()
    (corpus / "en" / "fees.md").write_bytes(b"---\ntitle: [broken\n---\n")
    report = assistant.ingest()
    assert [f.path for f in report.failed] == ["en/fees.md"]
    assert "en/fees.md" in _ids(assistant), "a broken edit must not lose the indexed document"


def test_ingest_cli_json_and_exit_codes(tmp_path, corpus, capsys, monkeypatch):
    monkeypatch.setenv("KNOWLEDGE_DIR", str(corpus))
    data = str(tmp_path / "data")
    assert ingest_main([str(corpus), "--data-dir", data, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["added"] == 3 and first["failed"] == [] and first["chunks_embedded"] == 4
    assert set(first) >= {"added", "updated", "unchanged", "deleted", "chunks_embedded", "failed",
                          "seconds"}  # fmt: skip

    (corpus / "bad.pdf").write_bytes(b"%PDF-1.4 nonsense")
    assert ingest_main([str(corpus), "--data-dir", data, "--json"]) == 1
    second = json.loads(capsys.readouterr().out)
    assert second["unchanged"] == 3 and second["chunks_embedded"] == 0
    assert second["failed"][0]["path"] == "bad.pdf" and second["failed"][0]["reason"]

    assert ingest_main([str(tmp_path / "nope"), "--data-dir", data]) == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        ingest_main(["--no-such-flag"])
    assert exit_info.value.code == 2


def test_ingest_human_output_has_summary_table(tmp_path, corpus, capsys):
    (corpus / "bad.pdf").write_bytes(b"%PDF-1.4 nonsense")
    assert ingest_main([str(corpus), "--data-dir", str(tmp_path / "data")]) == 1
    out = capsys.readouterr().out
    for word in ("added", "updated", "unchanged", "deleted", "failed", "bad.pdf"):
        assert word in out


def test_directory_named_like_a_document_is_skipped(tmp_path, corpus, shared_embeddings):
    (corpus / "folder.md").mkdir()
    report = _assistant(tmp_path, corpus, shared_embeddings).ingest()
    assert len(report.added) == 3 and not report.failed
