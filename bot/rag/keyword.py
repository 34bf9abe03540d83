"""BM25 keyword index over the same chunks as the vector store, tokenised for ko / ja / vi / en."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from bot.rag.text import _stem_en, tokenize

_LATIN_WORD = re.compile(r"\b[a-z]{5,}\b")


UNSEEN_WEIGHT = 2.0


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class KeywordIndex:
    """An immutable BM25 index (bm25s) plus document frequencies for query coverage."""

    def __init__(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        import bm25s

        # bm25s sets its own logger to DEBUG on import; its index messages are noise here.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.ids = list(ids)
        token_lists = [tokenize(text) for text in texts]
        self._token_sets = [frozenset(tokens) for tokens in token_lists]
        self._df: Counter[str] = Counter()
        for tokens in self._token_sets:
            self._df.update(tokens)
        self._n = len(self.ids)
        self._bm25 = None
        if self._n:
            self._bm25 = bm25s.BM25()
            # bm25s needs at least one token per document.
            self._bm25.index([tokens or ["\u2205"] for tokens in token_lists], show_progress=False)
        self._position = {chunk_id: i for i, chunk_id in enumerate(self.ids)}
        # Spelling variants one edit away (SymSpell-style delete index) of corpus words.
        self._by_delete: dict[str, set[str]] = defaultdict(set)
        for token in self._df:
            if token.isascii() and token.isalpha() and len(token) >= 4:
                self._by_delete[token].add(token)
                for variant in _deletes(token):
                    self._by_delete[variant].add(token)

    def __len__(self) -> int:
        return self._n

    def idf(self, token: str) -> float:
        """Inverse document frequency; a word the corpus never uses weighs UNSEEN_WEIGHT times
        the rarest seen word — it is the strongest sign that the documents do not cover it."""
        df = self._df.get(token, 0)
        if df == 0:
            return UNSEEN_WEIGHT * math.log(1.0 + (self._n + 1) / 1.5)
        return math.log(1.0 + (self._n + 1) / (df + 0.5))

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk for the query tokens."""
        if self._bm25 is None or not query_tokens:
            return np.zeros(self._n, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(list(query_tokens)), dtype=np.float32)

    def search(self, query_tokens: Sequence[str], k: int) -> list[tuple[str, float]]:
        """Top-k chunk ids by BM25 (only positive scores)."""
        return self._top(self.scores(query_tokens), k)

    def search_weighted(
        self, tokens: Sequence[str], extra: Sequence[tuple[Sequence[str], float]], k: int
    ) -> list[tuple[str, float]]:
        """Top-k by BM25 of ``tokens`` plus, for each (tokens, weight) in extra, weight × BM25."""
        return self._top(self.weighted_scores(tokens, extra), k)

    def weighted_scores(
        self, tokens: Sequence[str], extra: Sequence[tuple[Sequence[str], float]]
    ) -> np.ndarray:
        """BM25 of the typed tokens plus weighted BM25 of each group of expansion tokens."""
        scores = self.scores(tokens)
        for group, weight in extra:
            if group and weight:
                scores = scores + weight * self.scores(group)
        return scores

    def _top(self, scores: np.ndarray, k: int) -> list[tuple[str, float]]:
        if not len(scores):
            return []
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def coverage(
        self,
        query_tokens: Sequence[str],
        chunk_id: str,
        synonyms: Sequence[tuple[frozenset[str], frozenset[str]]] = (),
    ) -> float:
        """IDF-weighted share of the query's word tokens that occur in the chunk (0..1).

        Word pairs ("charge_natec") are left out: a rephrased question rarely repeats the
        document's word order, and unseen pairs would drown the words that do match.
        ``synonyms`` are (tokens of a glossary form in the query, tokens of all its forms):
        the former count as present when the chunk uses any form ("mét vuông" ~ "m²").
        """
        unique = {t for t in query_tokens if "_" not in t}
        if not unique or chunk_id not in self._position:
            return 0.0
        present = self._token_sets[self._position[chunk_id]]
        covered = {t for t in unique if t in present}
        for typed, forms in synonyms:
            if forms & present:
                covered |= typed & unique
        total = sum(self.idf(t) for t in unique)
        hit = sum(self.idf(t) for t in covered)
        return hit / total if total else 0.0

    def correct_spelling(self, text: str) -> str:
        """Replace Latin words unknown to the corpus by the most frequent corpus word one
        edit away ("adress" → "address", "resluts" → "results"); other text is unchanged."""

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            if _stem_en(word) in self._df or word in self._df:
                return word
            options: set[str] = set(self._by_delete.get(word, ()))
            for variant in _deletes(word):
                options |= self._by_delete.get(variant, set())
            options = {o for o in options if abs(len(o) - len(word)) <= 1}
            if not options:
                return word
            return max(options, key=lambda o: (self._df[o], o))

        return _LATIN_WORD.sub(fix, text.lower())

    def position(self, chunk_id: str) -> int | None:
        """Row of a chunk id in the index."""
        return self._position.get(chunk_id)
