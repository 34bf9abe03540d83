"""What the bot says to founders, in every language of the registry (bot/languages).

Staff-facing text stays in English (one short vocabulary for the hub team); everything a
founder reads comes from each language's ``telegram`` catalogue through ``t(key, lang)``.
"""

from __future__ import annotations

from bot import languages
from bot.languages import normalise as normalise_language

__all__ = ["DEFAULT_LANGUAGE", "FALLBACK_LANGUAGE", "LANGUAGES", "TEXTS", "normalise_language", "t"]

LANGUAGES: tuple[str, ...] = languages.CODES
# A text missing in a language falls back to English.
DEFAULT_LANGUAGE = languages.DEFAULT
# A founder whose Telegram sends no language (or one the bot has no texts for) is most likely
# Korean: the programme is for Korean founders.
FALLBACK_LANGUAGE = languages.PRIMARY

TEXTS: dict[str, dict[str, str]] = {
    key: {lang.code: lang.telegram[key] for lang in languages.LANGUAGES if key in lang.telegram}
    for key in languages.BY_CODE[DEFAULT_LANGUAGE].telegram
}


def t(key: str, lang: str | None, **values: str) -> str:
    """The text ``key`` in ``lang`` (English when missing), with ``values`` filled in."""
    table = TEXTS[key]
    text = table.get(lang or DEFAULT_LANGUAGE, table[DEFAULT_LANGUAGE])
    return text.format(**values) if values else text
