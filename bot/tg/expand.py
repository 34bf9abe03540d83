"""The expandable parts of recent answers, for their "More" and "Sources" buttons.

Callback data holds at most 64 bytes, so a button carries only the question id and what to
show ("x:<question id>:<shown>", ``shown`` the MORE/SOURCES bit flags of format.py); the text
itself waits here. Memory is bounded: the least recently used answers are dropped, and a
restart forgets them all. A press on such an answer is told politely that it has expired.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from bot.tg.format import AnswerView

EXPAND_PREFIX = "x"
EXPAND_PATTERN = rf"^{EXPAND_PREFIX}:(\d+):([0-3])$"
# About 1,200 characters of details plus three sources each: a few MB at most.
MAX_ANSWERS = 2000


class AnswerViews:
    """An LRU of answer views keyed by (chat id, question id).

    The chat is part of the key: a press forged in another chat finds nothing, so it can
    never show that chat someone else's answer.
    """

    def __init__(self, capacity: int = MAX_ANSWERS) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._views: OrderedDict[tuple[int, int], AnswerView] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, chat_id: int, question_id: int, view: AnswerView) -> None:
        """Keep ``view`` for the answer's buttons, dropping the oldest beyond capacity."""
        with self._lock:
            self._views[(chat_id, question_id)] = view
            self._views.move_to_end((chat_id, question_id))
            while len(self._views) > self.capacity:
                self._views.popitem(last=False)

    def get(self, chat_id: int, question_id: int) -> AnswerView | None:
        """The view of that answer in that chat, or None once it has been dropped."""
        with self._lock:
            view = self._views.get((chat_id, question_id))
            if view is not None:
                self._views.move_to_end((chat_id, question_id))
            return view

    def __len__(self) -> int:
        with self._lock:
            return len(self._views)


def expand_data(question_id: int, shown: int) -> str:
    """Callback data of a button that shows ``shown`` of the answer (well under 64 bytes)."""
    return f"{EXPAND_PREFIX}:{question_id}:{shown}"
