"""Programme names and key concepts across ko / en / vi / ja, used to expand queries."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from bot.languages import CODES
from bot.rag.text import strip_diacritics

# "the hub": in a question to the hub's assistant it means the hub itself, so it is the
# subject, not a keyword. As a keyword, "hub" pulled "What does the hub do?" to Vietnamese
# passages (they write "hub" where English ones write the full name), and "허브" made "허브는
# 뭐하는 곳이에요?" rank sections by how often they say 허브. ハブ stays a keyword: as a subject
# word it declined more Japanese questions than it helped (train split).
# A name's possessive goes with it: "the hub's fee" stripped of the hub must not leave "'s"
# behind, which would read as a word no document uses.
POSSESSIVE = r"(?:['’]s\b)?"
HUB_WORD = re.compile(rf"(?:\bhub\b|허브){POSSESSIVE}", re.IGNORECASE)
# Any of them: a follow-up naming the hub has its subject, whatever came before.
NAMES_THE_HUB = re.compile(rf"{HUB_WORD.pattern}|ハブ", re.IGNORECASE)


def _norm(text: str) -> str:
    # Diacritics are dropped for Latin script so "o dau" matches "ở đâu"; CJK is untouched.
    text = strip_diacritics(unicodedata.normalize("NFC", text).lower())
    return unicodedata.normalize("NFC", re.sub(r"[\s・·\-–]+", "", text))


@dataclass(frozen=True)
class GlossaryEntry:
    """One name or concept: its English form and aliases in every language."""

    english: str
    aliases: tuple[str, ...]
    concept: bool = False
    subject: bool = False
    topic: str = ""

    @property
    def forms(self) -> tuple[str, ...]:
        """Every written form, English first."""
        return (self.english, *self.aliases)


class Glossary:
    """Finds glossary entries mentioned in a query (space- and case-insensitive)."""

    def __init__(
        self, entries: list[GlossaryEntry], home_names: dict[str, str] | None = None
    ) -> None:
        self.entries = entries
        # The hub's full name per language (the first form of the subject with a home topic).
        self.home_names = home_names or {}
        # Longest aliases first so "서울창업허브 호치민" wins over "창업허브".
        self._patterns = sorted(
            (
                (_norm(form), strip_diacritics(form.lower()), form, entry)
                for entry in entries
                for form in entry.forms
                if _norm(form)
            ),
            key=lambda item: -len(item[0]),
        )

    @classmethod
    def load(cls, path: Path | None = None) -> Glossary:
        """Read the glossary YAML (the packaged one by default)."""
        if path is None:
            text = resources.files("bot.rag").joinpath("data/glossary.yaml").read_text("utf-8")
        else:
            text = path.read_text("utf-8")
        data = yaml.safe_load(text) or {}
        entries = []
        home_names: dict[str, str] = {}
        for item in data.get("entries", []):
            if item.get("subject") and item.get("topic") and not home_names:
                home_names = {"en": str(item["en"])} | {
                    code: str(item[code][0]) for code in CODES if code != "en" and item.get(code)
                }
            aliases: list[str] = []
            for key in (*(code for code in CODES if code != "en"), "other"):
                aliases.extend(str(a) for a in item.get(key, []) or [])
            entries.append(
                GlossaryEntry(
                    str(item["en"]),
                    tuple(aliases),
                    concept=item.get("kind") == "concept",
                    subject=bool(item.get("subject")),
                    topic=str(item.get("topic") or ""),
                )
            )
        return cls(entries, home_names)

    def forms_about(self, entries: list[GlossaryEntry]) -> frozenset[str]:
        """Normalised forms of what a question is about: the programme names it mentions, or
        the hub itself when it names none (a founder asking the hub's bot means the hub)."""
        named = [e for e in entries if not (e.concept or e.subject)]
        chosen = named or [e for e in self.entries if e.subject and e.topic]
        return frozenset(_norm(f) for e in chosen for f in e.forms if _norm(f))

    @staticmethod
    def mentions(text: str, forms: frozenset[str]) -> bool:
        """Whether the text contains any of the normalised forms."""
        haystack = _norm(text)
        return any(form in haystack for form in forms)

    def mentions_subject(self, text: str) -> bool:
        """Whether the text names the hub itself (the subject with a home topic), in any
        language; the city and the country are subjects too, but they are only the setting."""
        haystack = _norm(text)
        return any(
            pattern in haystack
            for pattern, _, _, entry in self._patterns
            if entry.subject and entry.topic
        )

    def home_name(self, language: str) -> str:
        """The hub's full name in ``language`` (English when it has none; "" without a hub)."""
        return self.home_names.get(language) or self.home_names.get("en", "")

    def with_full_name(self, question: str, language: str) -> str:
        """The question with its short word for the hub ("hub", "허브", "ハブ") replaced by the
        hub's full name in its language, unless the full name is already there. Documents name
        the hub in full, and their headings are questions: "ハブはどこにありますか？" then
        matches "ソウル創業ハブ・ホーチミンはどこにありますか？" by meaning, instead of the passage
        on some other address that happens to use the question's words."""
        name = self.home_name(language)
        if not name or self.mentions_subject(question):
            return question
        return NAMES_THE_HUB.sub(lambda _: name, question, count=1)

    def strip_subject(self, query: str) -> str:
        """The query without the corpus-wide subject's names (the hub's own name)."""
        stripped = query
        for entry in self.entries:
            if not entry.subject:
                continue
            for form in sorted(entry.forms, key=len, reverse=True):
                words = [re.escape(part) for part in re.split(r"[\s・·\-–]+", form) if part]
                pattern = r"[\s・·\-–]*".join(words) + POSSESSIVE
                stripped = re.sub(pattern, " ", stripped, flags=re.IGNORECASE)
        return stripped

    def match(self, query: str) -> list[GlossaryEntry]:
        """Entries whose English form or an alias occurs in the query."""
        return list(dict.fromkeys(entry for entry, _ in self.match_forms(query)))

    def match_forms(self, query: str) -> list[tuple[GlossaryEntry, str]]:
        """(entry, form) for every form of an entry found in the query."""
        haystack = _norm(query)
        lower = unicodedata.normalize("NFC", query.lower())
        plain = strip_diacritics(lower)
        found: list[tuple[GlossaryEntry, str]] = []
        matched: list[tuple[str, GlossaryEntry]] = []
        for pattern, form, original, entry in self._patterns:
            if pattern.isascii() and len(pattern) <= 5:
                # Short Latin aliases match whole words only ("ttc" must not match "http"). One
                # written with diacritics ("ở đâu") also matches them typed plainly ("o dau");
                # one written without ("loi", the LOI) does not match a word with them ("lời").
                text = plain if form != original.lower() else lower
                words = re.escape(form).replace(r"\ ", r"\s+")
                if not re.search(rf"(?<![a-z0-9]){words}(?![a-z0-9])", text):
                    continue
            elif pattern not in haystack:
                continue
            # A form found only inside a longer form of another entry is part of that one:
            # "in charge" (who runs it) does not also name "charge" (a fee).
            inside = sum(
                haystack.count(longer)
                for longer, other in matched
                if other is not entry and pattern in longer and longer != pattern
            )
            if inside and haystack.count(pattern) <= inside:
                continue
            matched.append((pattern, entry))
            found.append((entry, original))
        return found
