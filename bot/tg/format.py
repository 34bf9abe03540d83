"""Answers as Telegram HTML: every piece of text escaped, every message under 4,096 chars.

An answer is one message that shows its lead first; "More" and "Sources" expand it in place
(``render_answer`` with the parts to show), trimming the details at a sentence to fit. Other
long texts are split on escaped, self-contained blocks (a paragraph, a sentence, a source
line), so a cut never lands inside a tag or an entity. Lengths are measured on the HTML,
which is never shorter than the text Telegram counts, so every message fits.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape, unescape

from telegram.constants import MessageLimit

from bot.rag.answer import Answer, Source
from bot.rag.indexer import IngestReport
from bot.tg.i18n import t

MAX_MESSAGE = MessageLimit.MAX_TEXT_LENGTH  # 4096
PARAGRAPH_BREAK = "\n\n"
# A sentence ends with . ! ? … and spaces, or with a CJK full stop (no space follows those).
_SENTENCE_END = re.compile(r"[.!?…]+\s+|[。！？]+")


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """Length of the longest prefix of ``text`` whose escaped form fits ``limit`` (at least 1)."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if tg_len(escape(text[:middle])) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def _hard_split(text: str, limit: int) -> list[str]:
    """Cut ``text`` so each escaped piece fits ``limit``, preferring spaces as cut points."""
    pieces: list[str] = []
    rest = text
    while rest:
        cut = _fitting_prefix(rest, limit)
        if cut < len(rest):
            space = rest.rfind(" ", 0, cut)
            if space > cut // 2:
                cut = space + 1
        pieces.append(escape(rest[:cut]))
        rest = rest[cut:]
    return pieces


def sentences(text: str) -> list[str]:
    """``text`` cut after each sentence end; the pieces join back to ``text`` exactly."""
    cuts = [match.end() for match in _SENTENCE_END.finditer(text)]
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


@dataclass(frozen=True)
class Block:
    """A self-contained piece of HTML and what goes before it when it follows another block."""

    html: str
    joiner: str = PARAGRAPH_BREAK


def text_blocks(text: str, limit: int = MAX_MESSAGE) -> list[Block]:
    """Escaped paragraphs of ``text``; a paragraph over ``limit`` becomes sentence pieces
    that pack back together without a paragraph break."""
    blocks: list[Block] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if tg_len(escape(paragraph)) <= limit:
            blocks.append(Block(escape(paragraph)))
            continue
        pieces = [
            piece for sentence in sentences(paragraph) for piece in _hard_split(sentence, limit)
        ]
        blocks.append(Block(pieces[0]))
        blocks += [Block(piece, joiner="") for piece in pieces[1:]]
    return blocks


def pack(
    blocks: Sequence[str | Block], limit: int = MAX_MESSAGE, separator: str = PARAGRAPH_BREAK
) -> list[str]:
    """Join blocks (``separator`` between plain strings) into as few messages as fit ``limit``."""
    messages: list[str] = []
    current = ""
    for item in blocks:
        block = item if isinstance(item, Block) else Block(item, separator)
        if tg_len(block.html) > limit:
            raise ValueError(f"block of {tg_len(block.html)} chars is over the {limit} limit")
        joined = f"{current}{block.joiner}{block.html}" if current else block.html
        if tg_len(joined.rstrip()) <= limit:
            current = joined
        else:
            messages.append(current.rstrip())
            current = block.html.lstrip()
    if current.strip():
        messages.append(current.rstrip())
    return messages


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Plain text as escaped HTML messages under ``limit``, cut at paragraphs or sentences."""
    return pack(text_blocks(text, limit), limit)


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def source_line(source: Source, lang: str) -> str:
    """One cited source: title, section and where it came from — staff-published documents
    say so with the server's date, the curated ones the date they were last verified."""
    line = f"• <b>{escape(_short(source.title or source.source))}</b>"
    if source.section and source.section != source.title:
        line += f" — {escape(_short(source.section))}"
    if source.origin in ("upload", "faq"):
        line += f" <i>{_origin_note(source, lang).strip()}</i>"
    elif source.last_verified:
        line += f" <i>({escape(t('verified', lang))} {escape(source.last_verified)})</i>"
    return line


def sources_list(sources: Sequence[Source], lang: str) -> str:
    """The expanded "Sources" list: a heading, then title, section and verified date each."""
    lines = [f"<b>{escape(t('sources', lang))}</b>"]
    lines += [source_line(source, lang) for source in sources]
    return "\n".join(lines)


def sources_summary(sources: Sequence[Source], lang: str) -> str:
    """One compact line naming the documents an answer comes from ("Sources: A · B"); a
    staff-published one says so ("B (uploaded by staff on 2026-11-27)")."""
    first = {s.title or s.source: s for s in reversed(sources)}
    titles = list(dict.fromkeys(s.title or s.source for s in sources))
    shown = " · ".join(
        escape(_short(title, COMPACT_TITLE)) + _origin_note(first[title], lang)
        for title in titles
    )
    return f"<i>{escape(t('sources', lang))}: {shown}</i>"


def _origin_note(source: Source, lang: str) -> str:
    """" (uploaded by staff on <date>)" for a staff-published source, else ""."""
    if source.origin not in ("upload", "faq"):
        return ""
    return f" ({escape(t(f'origin_{source.origin}', lang, date=source.added_on or '?'))})"


def clip_html(text: str, limit: int) -> str:
    """``text`` escaped and, if that is over ``limit``, cut cleanly to fit: at the last
    paragraph or sentence end (else a space) that fits, marked with " …"."""
    text = text.strip()
    if tg_len(escape(text)) <= limit:
        return escape(text)
    room = limit - tg_len(ELLIPSIS)
    if room <= 0:
        return ""
    cut = _fitting_prefix(text, room)
    prefix = text[:cut]
    ends = [m.end() for m in _SENTENCE_END.finditer(prefix)] + [prefix.rfind("\n")]
    end = max(ends)
    if end <= cut // 2:
        end = prefix.rfind(" ")
    if end > cut // 2:
        prefix = prefix[:end]
    prefix = prefix.rstrip()
    return escape(prefix) + ELLIPSIS if prefix else ""


# What the expandable answer shows besides its lead (bit flags, also in the callback data).
MORE = 1
SOURCES = 2
# The shown text of an answer stays under this, so "More" has room and nothing is lost:
# a longer text (a long generated answer) moves its end behind "More".
HEAD_LIMIT = 2800
ASKED_LIMIT = 200
COMPACT_TITLE = 60
ELLIPSIS = " …"


@dataclass(frozen=True)
class AnswerView:
    """What an answer message can show: kept (in memory) for the "More"/"Sources" buttons.

    All text is plain (escaped when rendered): ``head`` is shown first (the lead, with any
    note on the document's language), ``details`` behind "More", ``sources`` as one compact
    line or, behind "Sources", a full list; ``offer`` invites the hand-off to staff (unsure
    answers and declines); ``asked`` repeats a question asked by tapping an example.
    """

    head: str
    details: str
    sources: tuple[Source, ...]
    lang: str
    offer: str = ""
    asked: str = ""

    @property
    def expandable(self) -> bool:
        """Whether there is anything behind "More" or "Sources"."""
        return bool(self.details or self.sources)


def answer_view(answer: Answer, lang: str, asked: str = "") -> AnswerView:
    """The parts of ``answer`` to show: the lead first, the details and sources on request."""
    details = answer.details.strip()
    full = answer.answer.strip()
    if details and full.endswith(details):
        # Everything before the details: the lead with any note ("answered from a Korean
        # document") the core puts in front of it.
        head = full[: -len(details)].strip()
    elif details:
        head = answer.lead.strip()
    else:
        head = full
    head = head or full
    if tg_len(escape(head)) > HEAD_LIMIT:
        kept = clip_html(head, HEAD_LIMIT)
        kept_text = unescape(kept.removesuffix(ELLIPSIS))
        rest = head[len(kept_text) :].strip()
        head, details = kept_text, f"{rest}\n\n{details}".strip()
    if answer.outcome == "unsure":
        offer = t("unsure_offer", lang, button=t("ask_staff", lang))
    elif not answer.answered:
        offer = t("decline_offer", lang)
    else:
        offer = ""
    return AnswerView(head, details, tuple(answer.sources), lang, offer, asked)


def render_answer(view: AnswerView, shown: int = 0) -> str:
    """The answer message as HTML under 4,096 characters: the question (if asked by tapping
    an example), the lead, the details (``shown & MORE``), the sources (a compact line, or
    the full list with ``shown & SOURCES``), then the offer of the hand-off.

    Only the details are ever trimmed to fit, cleanly at a sentence.
    """
    before: list[str] = []
    if view.asked:
        before.append(f"❓ <i>{clip_html(view.asked, ASKED_LIMIT)}</i>")
    before.append(escape(view.head))
    after: list[str] = []
    if view.sources:
        expanded = shown & SOURCES
        after.append(sources_list(view.sources, view.lang) if expanded else
                     sources_summary(view.sources, view.lang))  # fmt: skip
    if view.offer:
        after.append(escape(view.offer))
    fixed = PARAGRAPH_BREAK.join(before + after)
    if shown & MORE and view.details:
        room = MAX_MESSAGE - tg_len(fixed) - 2 * tg_len(PARAGRAPH_BREAK)
        details = clip_html(view.details, room)
        if details:
            before.append(details)
    return PARAGRAPH_BREAK.join(before + after)


def ingest_summary(report: IngestReport) -> str:
    """What an ingestion run did, for staff: counts, then each failure with its reason."""
    counts = report.to_dict()
    line = (
        f"Added {counts['added']} · updated {counts['updated']} · unchanged "
        f"{counts['unchanged']} · deleted {counts['deleted']} · chunks embedded "
        f"{counts['chunks_embedded']} · {counts['seconds']} s"
    )
    lines = [escape(line)]
    if report.failed:
        lines.append(f"<b>Failed ({len(report.failed)})</b>")
        lines += [f"• {escape(f.path)} — {escape(f.reason)}" for f in report.failed[:20]]
    return "\n".join(lines)
