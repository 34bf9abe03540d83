"""The widget script as served: widget.js with every language's UI texts from the registry.

The texts live with each language in bot/languages (the widget's catalogue next to Telegram's),
so widget.js holds a placeholder that is replaced by them once, when the script is first served.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from bot.languages import LANGUAGES

PLACEHOLDER = "{/*STRINGS*/}"


def widget_texts() -> dict[str, dict[str, str]]:
    """Every language's widget labels and messages, by language code."""
    return {lang.code: dict(lang.widget) for lang in LANGUAGES}


@lru_cache(maxsize=1)
def widget_script() -> bytes:
    """widget.js with ``STRINGS`` filled in (the texts as a JSON object literal)."""
    source = resources.files("bot.web").joinpath("static/widget.js").read_text("utf-8")
    if source.count(PLACEHOLDER) != 1:
        raise RuntimeError("widget.js must hold the STRINGS placeholder exactly once")
    texts = json.dumps(widget_texts(), ensure_ascii=False, indent=2)
    return source.replace(PLACEHOLDER, texts).encode("utf-8")
