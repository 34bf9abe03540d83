"""Greetings, thanks, goodbyes and "what can you do?" — answered from the knowledge base's own
topics.

The likeliest first message in a chat is "hello" or "what can you do?"; declining it would be
the worst possible start. A message is small talk when, once its greeting / thanks /
capability phrases are removed, no word the documents use is left: "hi, where is the hub?"
is a question (answered without the "hi"), "hi!" and "저한테 뭘 해줄 수 있어요?" are small talk.
The reply lists what the documents cover (their titles, in the founder's language when there
are documents in it) and two or three of their headings as example questions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from bot.languages import BY_CODE, DEFAULT, LANGUAGES
from bot.rag.text import (
    REQUEST_WORDS,
    has_question_word,
    plain_pattern,
    tokenize,
    two_readings,
)

# Phrases per intent and language, as regular expressions over the lower-cased message, from
# each language's module in bot/languages (its replies and exemplars too).
_INTENTS = ("greeting", "thanks", "capability", "goodbye")
_PHRASES: dict[str, dict[str, list[str]]] = {
    intent: {lang.code: list(lang.smalltalk_phrases[intent]) for lang in LANGUAGES}
    for intent in _INTENTS
}
# Vietnamese is often typed without its marks in chat ("cam on ban", "xin chao"): each
# Vietnamese phrase also in its plain form.
for _by_language in _PHRASES.values():
    _vi = _by_language.get("vi", [])
    _by_language["vi"] = list(dict.fromkeys([*_vi, *map(plain_pattern, _vi)]))

# Words that carry nothing once the phrases are gone ("저한테", "for me", "bot").
_FILLER = frozenset(
    """
    bot assistant there me us please ok okay so again you chatbot great good nice perfect awesome
    chat here 챗봇 봇 채팅 여기 볼 チャット ボット ここ では ở đây
    cool very much lot help helpful info information all that this really actually that's got it
    저한테 저에게 저희에게 나한테 저는 제가 저희 혹시 그럼 그리고 요 ㅎㅎ ㅋㅋ 있어요 있나요 있습니까 있어
    bạn ơi nhé nha ạ với nhiều lắm
    あなた 君 ボット よろしく お願い します
    answer answers 답변 대답 答え 回答 trả lời
    """.split()
)

# The same words as keyword tokens, for scripts without spaces ("このチャットでは").
_FILLER_TOKENS = frozenset(t for word in _FILLER for t in tokenize(word, drop_stopwords=False))
# Punctuation and spaces a greeting may follow or be followed by.
_PUNCT = r"[\s,.!?~。、！？]*"
# Every phrase compiled once, capability first (it may contain a greeting word). A greeting
# counts only where a message opens with it: "hi" inside "Tell me about Saigon Hi-Tech Park"
# greets nobody.
# A closing word ("ok", "bye", "알겠습니다") likewise only opens a message: "ok, where is it?"
# is a question.
_OPENING = ("greeting", "goodbye")
_COMPILED = [
    (intent, re.compile(rf"^{_PUNCT}(?:{pattern})" if intent in _OPENING else pattern))
    for intent in ("capability", "thanks", "goodbye", "greeting")
    for patterns in _PHRASES[intent].values()
    for pattern in patterns
]
# A greeting or thanks opening a question ("안녕하세요, 주소가 …"), with its punctuation; matched
# on the message as written, so the question keeps its capitals (they tell where its sentences
# start).
_LEADING = [
    re.compile(rf"^\s*(?:{pattern})[\s,.!~。、！]*", re.IGNORECASE)
    for intent in ("greeting", "thanks")
    for patterns in _PHRASES[intent].values()
    for pattern in patterns
]

_REPLIES: dict[str, dict[str, str]] = {
    key: {lang.code: lang.smalltalk_replies[key] for lang in LANGUAGES}
    for key in BY_CODE[DEFAULT].smalltalk_replies
}

# How small talk is phrased, to recognise wordings the phrase table misses by meaning (the
# message's embedding against these). Written generically, one line per way of asking.
EXEMPLARS: dict[str, dict[str, list[str]]] = {
    intent: {lang.code: list(lang.smalltalk_exemplars[intent]) for lang in LANGUAGES}
    for intent in ("capability", "greeting", "thanks", "goodbye")
}

# Every word of the ways small talk is phrased: a message's words beyond these and the
# documents' are a subject of its own.
TALK_TOKENS = _FILLER_TOKENS | frozenset(
    t
    for by_language in EXEMPLARS.values()
    for examples in by_language.values()
    for example in examples
    for t in tokenize(example)
)

# The assistant named as itself: a message about it and nothing else ("what does this bot
# do?") asks what it can do, even though a document mentions the bot as a way to reach staff.
_SELF_TOKENS = frozenset(
    t for word in "bot chatbot assistant 봇 챗봇 ボット チャットボット".split() for t in tokenize(word)
)


def about_the_assistant(text: str) -> bool:
    """Whether a message names the assistant and no word beyond those small talk is made of."""
    tokens = tokenize(text)
    rest = [
        t
        for before, t in zip(["", *tokens], tokens, strict=False)
        # "봇은" beside "봇": the word with its particle, the second reading of one word
        if t not in TALK_TOKENS and not (before in TALK_TOKENS and two_readings(before, t))
    ]
    return bool(_SELF_TOKENS & set(tokens)) and not rest


MAX_TOPICS = 6
MAX_EXAMPLES = 3
MAX_EXAMPLE_CHARS = 80

Documents = dict[str, list[tuple[str, str, list[str]]]]


@dataclass(frozen=True)
class SmallTalk:
    """A recognised small-talk message: its intent and what is left once it is removed."""

    intent: str  # "greeting" | "thanks" | "capability" | "goodbye" | "" (a question with a greeting)
    remainder: str


def _text(key: str, lang: str) -> str:
    table = _REPLIES[key]
    return table.get(lang, table["en"])


def classify(message: str) -> SmallTalk | None:
    """Recognise small talk.

    Returns None for an ordinary question; SmallTalk("", remainder) for a question that
    opens with a greeting (answer ``remainder``); otherwise the intent to reply to.
    """
    original = unicodedata.normalize("NFC", message)
    text = original.lower()
    found: list[str] = []
    rest = text
    changed = True
    while changed:  # "hello, good morning!": greetings one after another all open it
        changed = False
        for intent, pattern in _COMPILED:
            rest, count = pattern.subn(" ", rest)
            if count and intent not in found:
                found.append(intent)
            changed = changed or (count > 0 and intent in _OPENING)
    if not found:
        return None
    left = [t for t in tokenize(rest) if t not in _FILLER_TOKENS]
    if left and not asks(rest) and "greeting" in found:
        # "はじめまして！韓国でSaaSをやっている者です。": a greeting with an introduction, no question.
        return SmallTalk("greeting", "")
    if left:
        # Words are left: a question. Only a leading greeting or thanks is dropped.
        if "capability" in found:
            return None
        question = _strip_greeting(original)
        return SmallTalk("", question) if question != original.strip() else None
    return SmallTalk(found[0], "")


class IntentMatcher:
    """Nearest small-talk exemplar to a message, by embedding (loaded on first use)."""

    def __init__(self, embed_questions: Callable[[list[str]], list[list[float]]]) -> None:
        self._embed = embed_questions
        self._vectors: np.ndarray | None = None
        self._intents: list[str] = []

    def _load(self) -> np.ndarray:
        if self._vectors is None:
            texts, intents = [], []
            for intent, by_language in EXEMPLARS.items():
                for examples in by_language.values():
                    texts.extend(examples)
                    intents.extend([intent] * len(examples))
            self._vectors = np.asarray(self._embed(texts), dtype=np.float32)
            self._intents = intents
        return self._vectors

    def nearest(self, vector: np.ndarray) -> tuple[str, float]:
        """The closest exemplar's intent and its cosine similarity."""
        sims = self._load() @ vector
        best = int(np.argmax(sims))
        return self._intents[best], float(sims[best])


# A quote opens after a space or punctuation ("what's" has no quote in it); Korean and
# Japanese glue particles to its end ("'…'를").
_QUOTED = re.compile(r"(?<!\w)'[^']+'(?![A-Za-z])|\"[^\"]+\"|“[^”]+”|‘[^’]+’|「[^」]+」|『[^』]+』")


def unquoted(text: str) -> str:
    """The message without the words it quotes (unless it is nothing but a quote)."""
    rest = " ".join(_QUOTED.sub(" ", text).split())
    return rest if any(ch.isalnum() for ch in rest) else text


def asks(text: str) -> bool:
    """Whether text asks something: a question mark, a question word or a request ("tell me
    about …") in any language."""
    return "?" in text or "？" in text or has_question_word(text) or bool(REQUEST_WORDS.search(text))


def _strip_greeting(text: str) -> str:
    stripped = text
    for pattern in _LEADING:
        stripped = pattern.sub("", stripped)
    return stripped.strip()


def reply(intent: str, lang: str, documents: Documents) -> str:
    """The reply to a small-talk intent, built from the indexed documents' titles and headings."""
    if intent in ("thanks", "goodbye"):
        return _text(intent, lang)
    ranked = _main_topics_first(lang, documents)
    titles = [title for _, title, _ in ranked if title]
    lines = [_text("hello", lang) + " " + _text("intro", lang)] if intent == "greeting" else [
        _text("intro", lang)
    ]
    lines += [f"• {title}" for title in titles[:MAX_TOPICS]]
    if len(titles) > MAX_TOPICS:
        lines.append(_text("more", lang).format(n=len(titles) - MAX_TOPICS))
    examples = list(_examples(ranked, MAX_EXAMPLES))
    if examples:
        lines.append("")
        lines.append(_text("examples", lang))
        lines += [f"• {q}" for q in examples]
    lines.append("")
    lines.append(_text("staff", lang))
    return "\n".join(lines)


def example_questions(lang: str, documents: Documents, limit: int = MAX_EXAMPLES) -> list[str]:
    """Up to ``limit`` questions a founder could ask: question-like headings of the documents
    in ``lang`` (English, else any language, when there are none), main topics first."""
    return list(_examples(_main_topics_first(lang, documents), limit))


def _main_topics_first(lang: str, documents: Documents) -> list[tuple[str, str, list[str]]]:
    """The documents in ``lang`` (else English, else any), those with most sections first:
    they are the programme's main topics."""
    docs = documents.get(lang) or documents.get("en") or next(iter(documents.values()), [])
    return sorted(docs, key=lambda d: (-len(d[2]), d[1]))


def _examples(docs: Iterable[tuple[str, str, list[str]]], limit: int) -> Iterable[str]:
    """One short question-like heading from each of the first documents."""
    if limit <= 0:
        return
    count = 0
    for _, _, headings in docs:
        for heading in headings:
            if len(heading) <= MAX_EXAMPLE_CHARS and heading.rstrip().endswith(("?", "？")):
                yield heading
                count += 1
                break
        if count >= limit:
            return
