"""Telegram-only state in the shared state DB (same engine as bot/state.py, own tables).

Everything a conversation needs after a restart lives here or in ``StateStore``, never in
memory: the chat's language, the 👎 waiting for its "what was wrong?" reply, the sources of
each answer (for the hand-off), the founder's forum topic, which staff-chat message
belongs to which hand-off, and the FAQ drafts waiting for staff to confirm their question.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.state import create_tables, utcnow

metadata = MetaData()

tg_chats = Table(
    "tg_chats",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("language", String(8), nullable=True),  # set by /lang; None = follow Telegram
    Column("staff_topic_id", BigInteger, nullable=True),  # the founder's forum topic
    Column("pending_feedback_id", Integer, nullable=True),  # 👎 awaiting "what was wrong?"
    Column("pending_user_id", BigInteger, nullable=True),
    Column("pending_prompt_id", BigInteger, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

tg_answer_sources = Table(
    "tg_answer_sources",
    metadata,
    Column("question_id", Integer, primary_key=True, autoincrement=False),
    Column("sources", Text, nullable=False, default="[]"),
)

tg_staff_posts = Table(
    "tg_staff_posts",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("message_id", BigInteger, primary_key=True, autoincrement=False),
    Column("handoff_id", Integer, nullable=False, index=True),
)


# "Save as FAQ" pressed: the staff answer waits for the question it answers, which staff
# confirm (the founder's wording, shown for review) or write as a reply to the bot's prompt.
tg_faq_drafts = Table(
    "tg_faq_drafts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("handoff_id", Integer, nullable=False),
    Column("staff_message_id", Integer, nullable=False),
    Column("chat_id", BigInteger, nullable=True),
    Column("prompt_message_id", BigInteger, nullable=True),
    Column("state", String(12), nullable=False),  # open | saved | cancelled
    Column("created_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class FaqDraft:
    """A staff answer on its way to becoming an FAQ."""

    id: int
    handoff_id: int
    staff_message_id: int
    chat_id: int | None
    prompt_message_id: int | None
    state: str


@dataclass(frozen=True)
class PendingComment:
    """A 👎 whose "what was wrong?" reply has not arrived yet."""

    feedback_id: int
    user_id: int | None
    prompt_message_id: int | None


class ChatStore:
    """Per-chat Telegram state in SQL tables next to the question log."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_tables(engine, metadata)  # race-safe when replicas start together

    # --- chat rows ---------------------------------------------------------------------------

    def _upsert_chat(self, chat_id: int, **values: object) -> None:
        values["updated_at"] = utcnow()
        change = update(tg_chats).where(tg_chats.c.chat_id == chat_id).values(values)
        with self.engine.begin() as conn:
            if conn.execute(change).rowcount:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(tg_chats).values(chat_id=chat_id, **values))
        except IntegrityError:  # another handler created the row in between: update it
            with self.engine.begin() as conn:
                conn.execute(change)

    def _chat(self, chat_id: int):
        with self.engine.connect() as conn:
            return conn.execute(select(tg_chats).where(tg_chats.c.chat_id == chat_id)).first()

    def language(self, chat_id: int) -> str | None:
        """The language chosen with /lang, if any."""
        row = self._chat(chat_id)
        return row.language if row else None

    def set_language(self, chat_id: int, language: str) -> None:
        """Remember the chat's /lang choice."""
        self._upsert_chat(chat_id, language=language)

    def staff_topic(self, chat_id: int) -> int | None:
        """The forum topic of this founder in the staff chat, if one was created."""
        row = self._chat(chat_id)
        return row.staff_topic_id if row else None

    def set_staff_topic(self, chat_id: int, topic_id: int) -> None:
        """Remember the founder's forum topic (one topic per founder)."""
        self._upsert_chat(chat_id, staff_topic_id=topic_id)

    def expect_comment(
        self, chat_id: int, feedback_id: int, user_id: int | None, prompt_message_id: int | None
    ) -> None:
        """Wait for the "what was wrong?" reply to a 👎."""
        self._upsert_chat(
            chat_id, pending_feedback_id=feedback_id, pending_user_id=user_id,
            pending_prompt_id=prompt_message_id,
        )  # fmt: skip

    def pending_comment(self, chat_id: int) -> PendingComment | None:
        """The 👎 of this chat still waiting for its reply, if any."""
        row = self._chat(chat_id)
        if row is None or row.pending_feedback_id is None:
            return None
        return PendingComment(row.pending_feedback_id, row.pending_user_id, row.pending_prompt_id)

    def clear_pending_comment(self, chat_id: int, feedback_id: int) -> bool:
        """Stop waiting; False if another message already took it (so it is stored once)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(tg_chats)
                .where(tg_chats.c.chat_id == chat_id, tg_chats.c.pending_feedback_id == feedback_id)
                .values(pending_feedback_id=None, pending_user_id=None, pending_prompt_id=None)
            )
            return result.rowcount > 0

    # --- answers and staff posts -------------------------------------------------------------

    def save_sources(self, question_id: int, sources: list[dict[str, object]]) -> None:
        """Keep an answer's sources so a later hand-off can show them to staff."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(tg_answer_sources).values(
                    question_id=question_id, sources=json.dumps(sources, ensure_ascii=False)
                )
            )

    def sources(self, question_id: int) -> list[dict[str, object]]:
        """The sources saved for an answer (empty when unknown)."""
        with self.engine.connect() as conn:
            raw = conn.execute(
                select(tg_answer_sources.c.sources).where(
                    tg_answer_sources.c.question_id == question_id
                )
            ).scalar()
        return json.loads(raw) if raw else []

    def remember_staff_post(self, chat_id: int, message_id: int, handoff_id: int) -> None:
        """Note that a staff-chat message belongs to a hand-off (replies to it are relayed)."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(tg_staff_posts).values(
                    chat_id=chat_id, message_id=message_id, handoff_id=handoff_id
                )
            )

    def handoff_of_post(self, chat_id: int, message_id: int) -> int | None:
        """The hand-off a staff-chat message belongs to, if the bot posted it."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(tg_staff_posts.c.handoff_id).where(
                    tg_staff_posts.c.chat_id == chat_id, tg_staff_posts.c.message_id == message_id
                )
            ).scalar()

    # --- FAQ drafts --------------------------------------------------------------------------

    def open_faq_draft(self, handoff_id: int, staff_message_id: int) -> int:
        """Start a draft for one staff answer; returns its id."""
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(tg_faq_drafts).values(
                    handoff_id=handoff_id, staff_message_id=staff_message_id, state="open",
                    created_at=utcnow(),
                )
            )  # fmt: skip
            return int(result.inserted_primary_key[0])

    def set_faq_prompt(self, draft_id: int, chat_id: int, message_id: int) -> None:
        """Remember the bot's question prompt of a draft (replies to it are the question)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(tg_faq_drafts)
                .where(tg_faq_drafts.c.id == draft_id)
                .values(chat_id=chat_id, prompt_message_id=message_id)
            )

    def faq_draft(self, draft_id: int) -> FaqDraft | None:
        """A draft by id."""
        return self._draft(tg_faq_drafts.c.id == draft_id)

    def faq_draft_of_prompt(self, chat_id: int, message_id: int) -> FaqDraft | None:
        """The draft whose prompt is this staff-chat message, if any."""
        return self._draft(
            (tg_faq_drafts.c.chat_id == chat_id) & (tg_faq_drafts.c.prompt_message_id == message_id)
        )

    def _draft(self, where) -> FaqDraft | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(tg_faq_drafts).where(where)).first()
        if row is None:
            return None
        return FaqDraft(row.id, row.handoff_id, row.staff_message_id, row.chat_id,
                        row.prompt_message_id, row.state)  # fmt: skip

    def close_faq_draft(self, draft_id: int, state: str) -> bool:
        """Mark an open draft saved or cancelled; False if it was not open (one save only)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(tg_faq_drafts)
                .where(tg_faq_drafts.c.id == draft_id, tg_faq_drafts.c.state == "open")
                .values(state=state)
            )
            return result.rowcount > 0
