"""What the bot knows about one language it reads and writes (one module per language)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Language:
    """One supported language: its code, names, tuning, fixed messages and UI texts.

    Texts with ``{placeholders}`` are filled in by their users (``{lang}``, ``{n}``, ``{date}``,
    ``{name}``, ``{button}``, ``{s}``). Every language has every key of English's ``telegram``
    and ``widget`` catalogues, ``smalltalk_replies`` and ``question_cues`` (tests/unit checks it).
    """

    code: str  # ISO 639-1, as documents, channels and the evaluation name it
    name: str  # in English: the LLM prompt ("Answer in Korean") and lists for founders
    names: Mapping[str, str]  # every language's name written in this language (by code)
    decline: str  # no document covers the question (channel-neutral: no button named)
    unavailable: str  # the assistant cannot answer right now
    other_language_note: str  # the answer comes from a document in language {lang}
    question_words: str  # regex: any question word ("where", "어디", "ở đâu", "どこ")
    # regex: a request phrased as an instruction ("tell me about …", "알려주세요", "教えて")
    request_words: str
    # regex per kind of fact asked: number, date, who, where; and price: the money words that
    # make a number question ask for an amount of money ("how much is the rent?")
    question_cues: Mapping[str, str]
    smalltalk_phrases: Mapping[str, tuple[str, ...]]  # regexes per intent (lower-cased text)
    smalltalk_replies: Mapping[str, str]
    smalltalk_exemplars: Mapping[str, tuple[str, ...]]  # wordings per intent, matched by meaning
    telegram: Mapping[str, str]  # what the Telegram bot says to founders
    widget: Mapping[str, str]  # the web widget's labels and messages
    lead_budget: int = 300  # characters of an answer's lead (denser scripts: fewer)
    pro_drop: bool = False  # questions drop their subject ("면적은요?"): short ones are follow-ups
    # The fitted decision model (bot/rag/data) has an offset for this language; a new language
    # starts without one (English's calibration) until `python -m bot fit` is re-run with it.
    fitted_offset: bool = False
    # Detection: Han text without kana that is not Japanese kanji (a Chinese-only character or
    # a whole sentence, bot/rag/text.py) is this language; no language claims it today, so it
    # is UNSUPPORTED. Chinese would set it.
    han_sentences: bool = False
    # English only: the reply to a question in a script the bot does not read ({languages}).
    unsupported: str = field(default="")
