"""The languages the bot reads and writes: one registry for the core and every channel.

Each language lives in its own module (``ko.py``, ``en.py``, ``vi.py``, ``ja.py``) holding its
code, names, tuning, fixed messages, question-word and small-talk patterns and the UI texts
of Telegram and the web widget. This package imports nothing from the core or the channels,
so both can import it.

Adding a language (say Chinese, ``zh``):

1. ``bot/languages/zh.py``: a ``Language`` with every text English has (tests/unit checks);
   ``han_sentences=True`` so Han text without kana is detected as it.
2. Register it in ``LANGUAGES`` below.
3. Its documents in ``knowledge/zh/`` (front matter ``language: zh``), its names in
   ``bot/rag/data/glossary.yaml`` (a ``zh:`` list), its questions in ``eval/`` (the gate
   requires every registered language).
4. Optional: its name in the other modules' ``names`` (else the note shows the code), the
   ``/lang`` list in each Telegram greeting, and ``fitted_offset=True`` after a refit
   (``python -m bot eval --fit``).
"""

from __future__ import annotations

from bot.languages import en, ja, ko, vi
from bot.languages.language import Language

# Registration order is the order patterns are tried in (small-talk phrases are removed one
# table after the other), so English stays first.
LANGUAGES: tuple[Language, ...] = (en.LANGUAGE, ko.LANGUAGE, vi.LANGUAGE, ja.LANGUAGE)
BY_CODE: dict[str, Language] = {language.code: language for language in LANGUAGES}
CODES: tuple[str, ...] = tuple(BY_CODE)

# Texts missing in a language, and founders writing a script the bot does not read, get English.
DEFAULT = "en"
# A Telegram founder whose client sends no supported language is most likely Korean: the
# programme is for Korean founders (and lists for founders name Korean first).
PRIMARY = "ko"
# What detection returns for text in a script none of LANGUAGES is written in (Chinese, Thai,
# Cyrillic, …): the core answers it in English with `unsupported_note()`.
UNSUPPORTED = "unsupported"
# Who writes Han sentences without kana (see Language.han_sentences): UNSUPPORTED until a
# registered language says it does.
HAN_SENTENCES = next((lang.code for lang in LANGUAGES if lang.han_sentences), UNSUPPORTED)

__all__ = [
    "BY_CODE",
    "CODES",
    "DEFAULT",
    "HAN_SENTENCES",
    "LANGUAGES",
    "PRIMARY",
    "UNSUPPORTED",
    "Language",
    "get",
    "normalise",
    "spoken",
    "unsupported_note",
]


def get(code: str | None) -> Language:
    """The language ``code`` names, else English."""
    return BY_CODE.get(code or DEFAULT) or BY_CODE[DEFAULT]


def normalise(code: str | None) -> str | None:
    """``"ko-KR"`` / ``"KO_kr"`` / ``" ja "`` → the supported code; None for anything else."""
    if not code:
        return None
    primary = code.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in BY_CODE else None


def spoken(in_language: str = DEFAULT, conjunction: str = "or") -> str:
    """The supported languages named in ``in_language``, Korean first: "Korean, English,
    Vietnamese or Japanese"."""
    names = get(in_language).names
    ordered = [PRIMARY, *(code for code in CODES if code != PRIMARY)]
    words = [names.get(code, BY_CODE[code].name) for code in ordered]
    return ", ".join(words[:-1]) + f" {conjunction} " + words[-1] if len(words) > 1 else words[0]


def unsupported_note() -> str:
    """The English reply to a question in a script the bot does not read."""
    return BY_CODE[DEFAULT].unsupported.format(languages=spoken(DEFAULT))
