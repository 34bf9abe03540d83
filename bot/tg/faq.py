"""Staff answers turned into reviewed FAQ files under knowledge/faq/, and safe upload names."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path

import yaml

FAQ_FOLDER = "faq"
FAQ_SOURCE = "Hub staff answer via Telegram"
MAX_SLUG = 60


def slugify(text: str, fallback: str) -> str:
    """Lower-case words joined by "-" (letters of any script kept), or ``fallback``."""
    text = unicodedata.normalize("NFKC", text).lower()
    slug = re.sub(r"[^\w]+", "-", text).strip("-_")[:MAX_SLUG].strip("-_")
    return slug or fallback


def safe_file_name(name: str | None, fallback: str) -> str:
    """A file name with no folders, no leading dot and only word characters, "." and "-"."""
    raw = unicodedata.normalize("NFC", Path((name or "").replace("\\", "/")).name)
    stem, dot, suffix = raw.rpartition(".")
    if not dot:
        stem, suffix = raw, ""
    stem = re.sub(r"[^\w.-]+", "-", stem).strip(".-_")[:100] or fallback
    suffix = re.sub(r"[^\w]+", "", suffix).lower()[:10]
    return f"{stem}.{suffix}" if suffix else stem


def faq_markdown(
    question: str, answer: str, language: str, approved_by: str, now: dt.datetime
) -> str:
    """A reviewed FAQ document: front matter, then "# question", "## question", the answer."""
    front = {
        "title": question,
        "language": language,
        "topic": "faq",
        "sources": [FAQ_SOURCE],
        "last_verified": now.date().isoformat(),
        "approved_by": approved_by,
        "approved_at": now.isoformat(timespec="seconds"),
    }
    # One line per heading: a question with line breaks would end the heading early.
    heading = " ".join(question.split())
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{header}---\n\n# {heading}\n\n## {heading}\n\n{answer.strip()}\n"


def write_faq(
    knowledge_dir: Path,
    question: str,
    answer: str,
    language: str,
    approved_by: str,
    now: dt.datetime | None = None,
) -> Path:
    """Write knowledge/faq/<date>-<slug>.md (never overwriting another FAQ) and return it."""
    now = now or dt.datetime.now(dt.UTC)
    folder = knowledge_dir / FAQ_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    base = f"{now.date().isoformat()}-{slugify(question, 'staff-answer')}"
    text = faq_markdown(question, answer, language, approved_by, now)
    for attempt in range(1, 1000):
        path = folder / (f"{base}.md" if attempt == 1 else f"{base}-{attempt}.md")
        try:
            with path.open("x", encoding="utf-8") as handle:  # "x": fail instead of overwrite
                handle.write(text)
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"too many FAQ files named {base}*.md in {folder}")
