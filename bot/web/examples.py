"""Example questions for the widget's greeting, taken from the knowledge base.

The candidates are the documents' own question-like headings in the founder's language (the
core's small-talk module picks them, main topics first); each is asked once, exactly as a
tap on its chip will ask it, and only those the assistant answers are offered — a chip that
leads to "I can't answer that" would be the worst first impression. The result is kept per
language until the candidates change (a re-index that changes the headings).
"""

from __future__ import annotations

import threading

from bot.core import Core

# The greeting offers this many questions, chosen from up to EXAMPLE_CANDIDATES headings.
EXAMPLES_SHOWN = 3
EXAMPLE_CANDIDATES = 6


class ExampleQuestions:
    """Checked example questions per language, computed on first request (thread-safe)."""

    def __init__(self, assistant: Core) -> None:
        self.assistant = assistant
        self._lock = threading.Lock()
        self._checked: dict[str, tuple[tuple[str, ...], list[str]]] = {}

    def for_language(self, lang: str) -> list[str]:
        """Up to EXAMPLES_SHOWN questions in ``lang`` that the assistant answers (confident
        answers preferred), in the candidates' order; call it in a worker thread."""
        candidates = tuple(self.assistant.example_questions(lang, EXAMPLE_CANDIDATES))
        with self._lock:
            cached = self._checked.get(lang)
            if cached is not None and cached[0] == candidates:
                return list(cached[1])
            outcomes = {q: self.assistant.answer(q).outcome for q in candidates}
            sure = [q for q in candidates if outcomes[q] == "answered"]
            unsure = [q for q in candidates if outcomes[q] == "unsure"]
            chosen = set((sure + unsure)[:EXAMPLES_SHOWN])
            checked = [q for q in candidates if q in chosen]
            self._checked[lang] = (candidates, checked)
            return list(checked)
