"""Staff answers turned into reviewed FAQ files under knowledge/faq/, and safe upload names.

An FAQ is the staff member's answer under a question the staff member confirmed or wrote:
the founder's wording is only shown for review (a hand-off question is anonymous text and
may be stuffed with keywords to take over other answers), never used as a heading unseen.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import yaml

FAQ_FOLDER = "faq"
FAQ_SOURCE = "Hub staff answer via Telegram"
MAX_SLUG = 60
# An FAQ's question is one heading line: a founder's question is rarely longer.
MAX_QUESTION_CHARS = 200
MIN_QUESTION_CHARS = 5


def faq_question(text: str | None) -> str | None:
    """``text`` as an FAQ heading (one line, spaces collapsed), or None when it cannot be one
    (empty, a command, too short or over MAX_QUESTION_CHARS)."""
    line = " ".join(unicodedata.normalize("NFC", text or "").split())
    if not MIN_QUESTION_CHARS <= len(line) <= MAX_QUESTION_CHARS or line.startswith("/"):
        return None
    return line


def slugify(text: str, fallback: str) -> str:
    """Lower-case words joined by "-" (letters of any script kept), or ``fallback``."""
    text = unicodedata.normalize("NFKC", text).lower()
    slug = re.sub(r"[^\w]+", "-", text).strip("-_")[:MAX_SLUG].strip("-_")
    return slug or fallback


def faq_markdown(
    question: str, answer: str, language: str, approved_by: str, now: dt.datetime
) -> str:
    """A reviewed FAQ document: front matter, then "# question", "## question", the answer.

    The indexer takes the date and provenance of files in faq/ from the server's change log,
    not from this front matter (which records the same facts for people reading the file).
    """
    front = {
        "title": question,
        "language": language,
        "sources": [FAQ_SOURCE],
        "last_verified": now.date().isoformat(),
        "approved_by": approved_by,
        "approved_at": now.isoformat(timespec="seconds"),
    }
    # One line per heading: a question with line breaks would end the heading early.
    heading = " ".join(question.split())
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{header}---\n\n# {heading}\n\n## {heading}\n\n{answer.strip()}\n"


def faq_file_stem(question: str, now: dt.datetime) -> str:
    """``<date>-<slug>``: the FAQ's file name without ``.md`` (the publisher never overwrites
    another FAQ: a taken name gets ``-2``, ``-3`` …)."""
    return f"{now.date().isoformat()}-{slugify(question, 'staff-answer')}"
