"""Follow-up questions without an LLM: remember each conversation's subject, briefly.

"What is Saigon Hi-Tech Park?" then "How big is it?": the second question names nothing, and
alone it would be about the hub. A question that names no programme entity and is short or
points back ("it", "there", "거기", "それ", "còn …?", "面積は?") inherits the previous turn's
named subject. "And HUTECH?" (a new name, no predicate) inherits the previous question's
predicate instead.

Memory is per conversation id ("tg:<chat>", "web:<id>", "console:<n>"), bounded in size and
age, and never shared between ids. Without an id nothing is remembered.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from bot.languages import LANGUAGES
from bot.rag.text import WH_WORDS, points_back, question_kind

MAX_CONVERSATIONS = 10_000
MAX_AGE_SECONDS = 3600.0
# A question with at most this many content tokens and no name of its own is short enough to
# lack its subject ("面積は?", "rộng bao nhiêu?", "2022년엔 어땠어요?").
SHORT_QUESTION_TOKENS = 3
# A subject taken from a question's own words is kept to this length.
MAX_SUBJECT_CHARS = 80

# "there" as a place already named: "What time did the mayor go there?" names the mayor, and
# still asks about the previous turn's place.
_THERE = re.compile(
    r"(?<!\bis )(?<!\bare )\bthere\b(?! (?:is|are|was|were)\b)|거기|그곳|그 곳|"
    r"\b(?:ở|tại|đến|tới) (?:đó|đấy)\b|そこ|あそこ",
    re.IGNORECASE,
)
# "And HUTECH?" / "HUTECH은요?" / "còn HUTECH?" / "HUTECHは?": a new subject, same question.
_WHAT_ABOUT = re.compile(
    r"^\s*(?:and|what about|how about|and what about)\b|^\s*[^\s?]+(?:은요|는요|이요|요)\s*\??\s*$|"
    r"^\s*(?:còn|thế còn|vậy còn)\b|(?:は|の方は|については)\s*[?？]?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Turn:
    """What a conversation's last question was about."""

    subject: str  # the programme names it mentioned, as typed ("" when none)
    predicate: str  # the question without those names
    at: float
    topic_words: str = ""  # without names: its own words ("the 2019 pilot pairing startups")
    # Answered about the hub itself (no other programme name): "When did the hub open?" lends
    # the hub to "Where is it?", a follow-up with no words of its own.
    about_hub: bool = False


class ConversationMemory:
    """A bounded, thread-safe map of conversation id → last turn."""

    def __init__(
        self, max_conversations: int = MAX_CONVERSATIONS, max_age: float = MAX_AGE_SECONDS
    ) -> None:
        self._turns: OrderedDict[str, Turn] = OrderedDict()
        self._lock = threading.Lock()
        self.max_conversations = max_conversations
        self.max_age = max_age

    def __len__(self) -> int:
        return len(self._turns)

    def last(self, conversation: str | None) -> Turn | None:
        """The conversation's last turn, unless it is too old."""
        if not conversation:
            return None
        with self._lock:
            turn = self._turns.get(conversation)
            if turn is None:
                return None
            if time.monotonic() - turn.at > self.max_age:
                del self._turns[conversation]
                return None
            self._turns.move_to_end(conversation)
            return turn

    def remember(
        self,
        conversation: str | None,
        question: str,
        names: list[str],
        topic_words: str = "",
        *,
        about_hub: bool = False,
    ) -> None:
        """Record a turn. ``names``: the programme names the question mentioned, as typed;
        ``topic_words``: without names, the question's own words that say what it was about
        ("the 2019 pilot pairing startups"), so "how many pairs?" can follow it;
        ``about_hub``: it was answered about the hub itself."""
        if not conversation:
            return
        predicate = question
        for name in names:
            predicate = re.sub(re.escape(name), " ", predicate, flags=re.IGNORECASE)
        turn = Turn(
            " ".join(names),
            " ".join(predicate.split()),
            time.monotonic(),
            "" if names else topic_words[:MAX_SUBJECT_CHARS],
            about_hub and not names,
        )
        with self._lock:
            self._turns[conversation] = turn
            self._turns.move_to_end(conversation)
            while len(self._turns) > self.max_conversations:
                self._turns.popitem(last=False)


# Languages that drop the subject of a question ("rộng bao nhiêu?", "면적은요?", "広さは?");
# in English a follow-up points back with a pronoun instead ("How big is it?").
PRO_DROP = frozenset(lang.code for lang in LANGUAGES if lang.pro_drop)


# What a follow-up with no word of its own may ask about the hub ("Where is it?", "언제요?",
# "누가요?"): a fact about it — not "really?" or "what else?".
BARE_FOLLOW_UP_KINDS = frozenset({"number", "price", "date", "where", "who"})


# "còn …?" / "and …?" / "what about …?" opening a message: it asks about something else,
# and the opening itself is no topic ("còn" alone also means "still": "hub còn mở cửa không?").
_OPENS_WITH_WHAT_ABOUT = re.compile(
    r"^\s*(?:(?:và|thế|vậy)\s+)?còn\s+|^\s*(?:and|what about|how about|and what about)\s+",
    re.IGNORECASE,
)


def without_what_about(question: str) -> str:
    """The question without an opening "còn"/"and"/"what about" (when something is left)."""
    rest = _OPENS_WITH_WHAT_ABOUT.sub("", question, count=1)
    return rest if rest.strip(" ?？") else question


def resolve(
    question: str,
    names: list[str],
    content_tokens: int,
    previous: Turn | None,
    language: str = "en",
    hub: str = "",
) -> str:
    """The question to search: itself, or completed from the previous turn.

    ``names``: programme names in the question; ``content_tokens``: its keyword tokens
    besides those names; ``hub``: the hub's full name in the question's language.
    """
    if previous is None:
        return question
    if not names:
        # Korean, Japanese and Vietnamese drop the subject ("rộng bao nhiêu?"); English points
        # back ("How big is it?") or asks one word ("since when?"). A previous turn without a
        # programme name lends its own words ("몇 쌍이요?" after "the 2019 pilot pairing").
        if language in PRO_DROP:
            short = content_tokens <= SHORT_QUESTION_TOKENS
        else:  # "when?", "since when?" — but "visa?" is a new question, not a follow-up
            short = content_tokens == 0 or (content_tokens == 1 and bool(WH_WORDS.search(question)))
        refers_back = content_tokens <= SHORT_QUESTION_TOKENS * 3 and bool(
            points_back(question) or _WHAT_ABOUT.search(question)
        )
        subject = previous.subject or previous.topic_words
        if subject and (short or refers_back):
            return f"{question} ({subject})"
        if (
            not subject
            and previous.about_hub
            and hub
            and content_tokens == 0
            and question_kind(question) in BARE_FOLLOW_UP_KINDS
        ):
            # "Where is it?" after a question answered about the hub: nothing of its own to
            # search, so it asks about the hub. Only such a bare follow-up: one with words of
            # its own ("면적은요?") is searched as typed — the hub is every document's subject,
            # and lending its name there pulls the search to the hub's overview.
            return f"{question} ({hub})"
        return question
    if content_tokens == 0 and _WHAT_ABOUT.search(question) and previous.predicate:
        return f"{previous.predicate} ({' '.join(names)})"
    if (
        previous.subject
        and content_tokens <= SHORT_QUESTION_TOKENS * 2
        and _THERE.search(question)
        and not any(name.lower() in previous.subject.lower() for name in names)
    ):
        return f"{question} ({previous.subject})"
    return question
