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
