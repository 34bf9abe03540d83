"""Answers as Telegram HTML: every piece of text escaped, long texts split under 4,096 chars.

Splitting works on escaped, self-contained blocks (a paragraph, a sentence, a source line), so
a cut never lands inside a tag or an entity. Lengths are measured on the HTML, which is never
shorter than the text Telegram counts, so every message fits.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from html import escape

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
    blocks: list[str | Block], limit: int = MAX_MESSAGE, separator: str = PARAGRAPH_BREAK
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
    """One cited source: title, section and the date it was last verified."""
    line = f"• <b>{escape(_short(source.title or source.source))}</b>"
    if source.section and source.section != source.title:
        line += f" — {escape(_short(source.section))}"
    if source.last_verified:
        line += f" <i>({escape(t('verified', lang))} {escape(source.last_verified)})</i>"
    return line


def sources_blocks(sources: list[Source], lang: str) -> list[str]:
    """The "Sources" list under an answer: one block, or one per line if that is too long."""
    if not sources:
        return []
    lines = [f"<b>{escape(t('sources', lang))}</b>"]
    lines += [source_line(source, lang) for source in sources]
    block = "\n".join(lines)
    return [block] if tg_len(block) <= MAX_MESSAGE else lines


def format_answer(answer: Answer, lang: str) -> list[str]:
    """The answer as HTML messages: text paragraphs, then its sources."""
    blocks: list[str | Block] = [*text_blocks(answer.answer)]
    if not answer.answered:
        blocks.append(escape(t("decline_offer", lang)))
    return pack(blocks + sources_blocks(answer.sources, lang))


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
