"""Fixtures of the generative-answer tests: a scripted OpenAI server, assistants using it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.config import Settings
from bot.rag.assistant import Assistant

from .fake_openai import FakeOpenAI, RunningServer


@pytest.fixture()
def fake_llm() -> Iterator[FakeOpenAI]:
    """A scripted OpenAI-compatible server on an ephemeral 127.0.0.1 port."""
    fake = FakeOpenAI()
    server = RunningServer(fake)
    server.start()
    yield fake
    server.stop()


@pytest.fixture()
def llm_settings(indexed_settings: Settings, fake_llm: FakeOpenAI) -> Settings:
    """Settings of a real index answered through the fake server."""
    return indexed_settings.model_copy(
        update={
            "answer_generator": "openai",
            "llm_base_url": fake_llm.base_url,
            "llm_model": "fake-model",
            "llm_timeout": 3.0,
        }
    )


@pytest.fixture()
def make_llm_assistant(shared_embeddings) -> Callable[[Settings], Assistant]:
    """Build a real assistant for the given settings (sharing the loaded embedding model)."""

    def make(settings: Settings) -> Assistant:
        return Assistant(settings, embeddings=shared_embeddings)

    return make


@pytest.fixture()
def llm_assistant(llm_settings: Settings, make_llm_assistant) -> Assistant:
    """A real assistant over the real knowledge base whose answers come from the fake LLM."""
    return make_llm_assistant(llm_settings)


def extractive_answer(assistant: Assistant, question: str):
    """What the same assistant answers without its generator (the fallback to expect)."""
    generator, assistant.generator = assistant.generator, None
    try:
        return assistant.answer(question)
    finally:
        assistant.generator = generator
