"""Shared state that cannot be rebuilt from knowledge/: question log, feedback, hand-offs.

SQLite file under DATA_DIR by default, PostgreSQL when DATABASE_URL is set (SQLAlchemy Core,
one schema for both; tests/pg runs the same behaviour on both). Every read that serves a user
is scoped to one conversation, so chats never see each other's data; staff reports (gaps,
stats) aggregate across conversations. Several service replicas may share one PostgreSQL
database: schema creation and "one open hand-off per conversation" are race-safe.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, CursorResult, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError

from bot.errors import StoreUnavailable
from bot.rag.answer import Answer
from bot.rag.scoring import CONFIDENCE_SURE
from bot.rag.text import tokenize

logger = logging.getLogger(__name__)

metadata = MetaData()

questions = Table(
    "questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("conversation", String(128), nullable=False, index=True),
    Column("language", String(8), nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False, default=""),
    Column("answered", Boolean, nullable=False),
    Column("confidence", Float, nullable=False, default=0.0),
    Column("top_source", String(512), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question_id", Integer, ForeignKey("questions.id", ondelete="CASCADE"), index=True),
    Column("channel", String(16), nullable=False),
    Column("conversation", String(128), nullable=False, index=True),
    Column("rating", Integer, nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

handoffs = Table(
    "handoffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("conversation", String(128), nullable=False, index=True),
    Column("chat_id", BigInteger, nullable=True),
    Column("language", String(8), nullable=False, default="en"),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False, default=""),
    Column("sources", Text, nullable=False, default="[]"),
    Column("contact", Text, nullable=False, default=""),
    Column("status", String(8), nullable=False, default="open", index=True),
    Column("staff_thread_id", BigInteger, nullable=True, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
)
# At most one open hand-off per conversation, even when two replicas (or two requests) open
# one at the same moment: the loser of the race gets an IntegrityError and joins the winner's.
one_open_handoff = Index(
    "uq_handoffs_open_conversation",
    handoffs.c.conversation,
    unique=True,
    sqlite_where=handoffs.c.status == "open",
    postgresql_where=handoffs.c.status == "open",
)

# One vote per answer per conversation: a later vote replaces the earlier one, so five 👎
# from one visitor are one 👎 (and two racing requests cannot both insert).
one_vote_per_answer = Index(
    "uq_feedback_question_conversation",
    feedback.c.question_id,
    feedback.c.conversation,
    unique=True,
)

handoff_messages = Table(
    "handoff_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("handoff_id", Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), index=True),
    Column("direction", String(8), nullable=False),  # "founder" | "staff"
    Column("author", String(128), nullable=False, default=""),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Answers below this confidence were shown as unsure (bot/rag/scoring.py: one fixed scale).
LOW_CONFIDENCE = CONFIDENCE_SURE
# Ids are INTEGER (32-bit on PostgreSQL): a larger id from a client can match no row, and
# PostgreSQL would reject it ("integer out of range") instead of finding nothing.
MAX_ID = 2**31 - 1
MAX_BIGINT = 2**63 - 1
# Key of the advisory lock that serialises CREATE TABLE when replicas start together.
SCHEMA_LOCK_KEY = 0x55_48_43_4D  # "SHCM"


def utcnow() -> dt.datetime:
    """Timezone-aware now (UTC)."""
    return dt.datetime.now(dt.UTC)


def _inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the one row an INSERT added."""
    key = result.inserted_primary_key
    assert key is not None  # set for every single-row INSERT
    return int(key[0])


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes, PostgreSQL aware ones in the session time zone:
    # callers always get aware UTC.
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


# More combining marks in a row than any script needs (Vietnamese, Thai and Korean stay
# well under it): "e" + 999 accents draws a bar across whatever staff read near it.
MAX_COMBINING_RUN = 4


def limit_combining(text: str, run: int = MAX_COMBINING_RUN) -> str:
    """``text`` with every run of combining marks cut to ``run`` marks."""
    kept: list[str] = []
    count = 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me"):
            count += 1
            if count > run:
                continue
        else:
            count = 0
        kept.append(ch)
    return "".join(kept) if len(kept) != len(text) else text


def _clean(value: str, limit: int) -> str:
    # PostgreSQL text cannot hold NUL characters (SQLite can): drop them, then cap the length.
    return value.replace("\x00", "")[:limit]


def _valid_id(value: int) -> bool:
    return 1 <= value <= MAX_ID


def _row_dict(row) -> dict[str, object]:
    data = dict(row._mapping)
    for key in ("created_at", "closed_at"):
        if key in data:
            data[key] = _utc(data[key])
    return data


def redacted_url(url: str) -> str:
    """The database URL with its password masked (for logs and error messages)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # an unparsable URL: show its scheme only
        return url.split(":", 1)[0] + "://***"


def normalise_url(url: str) -> str:
    """Map plain ``postgres://``/``postgresql://`` URLs to the installed psycopg 3 driver."""
    # SQLAlchemy < 2.1 defaults to psycopg2, which is not a dependency, and does not know
    # postgres:// at all, the scheme hosting platforms hand out.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@dataclass
class Handoff:
    """A founder's question passed to the hub staff."""

    id: int
    channel: str
    conversation: str
    chat_id: int | None
    language: str
    question: str
    answer: str
    sources: list[dict[str, object]]
    contact: str
    status: str
    staff_thread_id: int | None
    created_at: dt.datetime

    @property
    def open(self) -> bool:
        """Whether staff have not resolved it yet."""
        return self.status == "open"


@dataclass
class GapGroup:
    """Similar questions the bot could not answer well, most frequent first."""

    count: int
    example: str
    questions: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass
class LanguageStats:
    """Counts for one language."""

    questions: int = 0
    answered: int = 0
    thumbs_up: int = 0
    thumbs_down: int = 0
    handoffs: int = 0

    @property
    def answered_rate(self) -> float:
        """Share of questions answered (not declined)."""
        return self.answered / self.questions if self.questions else 0.0


def _row_to_handoff(row) -> Handoff:
    return Handoff(
        id=row.id,
        channel=row.channel,
        conversation=row.conversation,
        chat_id=row.chat_id,
        language=row.language,
        question=row.question,
        answer=row.answer,
        sources=json.loads(row.sources or "[]"),
        contact=row.contact,
        status=row.status,
        staff_thread_id=row.staff_thread_id,
        created_at=_utc(row.created_at),  # type: ignore[arg-type]  # NOT NULL: never None
    )


def _schema_lock(conn: Connection) -> None:
    # Replicas starting together would race on CREATE TABLE (the loser fails with "already
    # exists"): on PostgreSQL they take turns on an advisory lock held until the commit.
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})


def create_tables(engine: Engine, tables: MetaData) -> None:
    """Create the missing tables of ``tables``, safely when several replicas start at once."""
    with engine.begin() as conn:
        _schema_lock(conn)
        tables.create_all(conn)


def _similar(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


class StateStore:
    """Question log, feedback and hand-offs in one SQL database."""

    def __init__(self, url: str) -> None:
        url = normalise_url(url)
        self.url = url
        postgres = url.startswith("postgresql")
        self.engine: Engine = create_engine(
            url,
            future=True,
            pool_pre_ping=True,  # a replica survives a database restart
            # Fail within seconds (and say so) instead of hanging on an unreachable server.
            connect_args={"connect_timeout": 10} if postgres else {},
        )
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            self._create_schema()
        except OperationalError as exc:
            self.engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            password = make_url(url).password
            if password:
                reason = reason.replace(str(password), "***")
            raise StoreUnavailable(
                f"cannot reach the state database {redacted_url(url)}: {reason}"
            ) from None
        logger.info("state store ready url=%s", redacted_url(url))

    def _create_schema(self) -> None:
        create_tables(self.engine, metadata)
        # New tables got these indexes from create_all; databases made before them get them
        # here, unless rows that break the rule already exist (then the rule is kept by the
        # code alone until staff remove the duplicates).
        for index, broken in (
            (one_open_handoff, ("conversations with two open hand-offs exist: close the extra "
             "ones so that the one-open-hand-off-per-conversation index can be created")),
            (one_vote_per_answer, ("answers with several votes from one conversation exist "
             "(new votes still replace old ones): the one-vote index was not created")),
        ):  # fmt: skip
            try:
                with self.engine.begin() as conn:
                    _schema_lock(conn)
                    index.create(conn, checkfirst=True)
            except IntegrityError:
                logger.warning(broken)

    @classmethod
    def from_settings(cls, database_url: str | None, data_dir: Path) -> StateStore:
        """SQLite under data_dir unless DATABASE_URL is given."""
        if database_url:
            return cls(database_url)
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite:///{(data_dir / 'state.sqlite3').resolve()}")

    def close(self) -> None:
        """Release connections."""
        self.engine.dispose()

    # --- question log and feedback -----------------------------------------------------------

    def log_question(
        self, channel: str, conversation: str, question: str, answer: Answer, confidence: float
    ) -> int:
        """Record a question and how it was answered; returns its id (for feedback)."""
        top = answer.sources[0] if answer.sources else None
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(questions).values(
                    channel=_clean(channel, 16),
                    conversation=conversation,
                    language=_clean(answer.language, 8),
                    question=_clean(limit_combining(question), 4000),
                    answer=_clean(answer.answer, 8000),
                    answered=answer.answered,
                    confidence=float(confidence),
                    top_source=_clean(f"{top.source} § {top.section}" if top else "", 512),
                    created_at=utcnow(),
                )
            )
            return _inserted_id(result)

    def question(self, question_id: int, conversation: str) -> dict[str, object] | None:
        """A logged question, only if it belongs to ``conversation``."""
        if not _valid_id(question_id):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(questions).where(
                    questions.c.id == question_id, questions.c.conversation == conversation
                )
            ).first()
        return _row_dict(row) if row else None

    def record_feedback(
        self, question_id: int, channel: str, conversation: str, rating: int, comment: str = ""
    ) -> int | None:
        """Store 👍 (+1) or 👎 (-1) for a question of this conversation; None if not theirs.

        One vote per answer and conversation: voting again replaces the earlier vote (and its
        comment) and returns the same feedback id.
        """
        if rating not in (1, -1):
            raise ValueError("rating must be +1 or -1")
        if self.question(question_id, conversation) is None:
            return None
        values = {"rating": rating, "comment": _clean(comment, 2000), "created_at": utcnow()}
        for _attempt in range(2):
            try:
                with self.engine.begin() as conn:
                    earlier = conn.execute(
                        select(feedback.c.id)
                        .where(
                            feedback.c.question_id == question_id,
                            feedback.c.conversation == conversation,
                        )
                        .order_by(feedback.c.id.desc())
                    ).first()
                    if earlier is not None:
                        conn.execute(
                            update(feedback).where(feedback.c.id == earlier.id).values(**values)
                        )
                        return int(earlier.id)
                    result = conn.execute(
                        insert(feedback).values(
                            question_id=question_id,
                            channel=_clean(channel, 16),
                            conversation=conversation,
                            **values,
                        )
                    )
                    return _inserted_id(result)
            except IntegrityError:
                continue  # a concurrent vote inserted first: replace it on the second pass
        raise RuntimeError("feedback could not be stored")  # unreachable in practice

    def add_feedback_comment(self, feedback_id: int, conversation: str, comment: str) -> bool:
        """Attach the founder's "what was wrong?" reply to their 👎."""
        if not _valid_id(feedback_id):
            return False
        with self.engine.begin() as conn:
            result = conn.execute(
                update(feedback)
                .where(feedback.c.id == feedback_id, feedback.c.conversation == conversation)
                .values(comment=_clean(comment, 2000))
            )
            return result.rowcount > 0

    def feedback_for(self, question_id: int) -> list[dict[str, object]]:
        """Feedback rows of one question (staff and tests)."""
        if not _valid_id(question_id):
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(feedback).where(feedback.c.question_id == question_id)
            ).all()
        return [_row_dict(r) for r in rows]

    # --- hand-offs ---------------------------------------------------------------------------

    def open_handoff(
        self,
        channel: str,
        conversation: str,
        question: str,
        *,
        answer: str = "",
        sources: list[dict[str, object]] | None = None,
        language: str = "en",
        chat_id: int | None = None,
        contact: str = "",
    ) -> Handoff:
        """Create an open hand-off (or return the conversation's open one)."""
        existing = self.open_handoff_for(conversation)
        if existing is not None:
            return existing
        try:
            with self.engine.begin() as conn:
                result = conn.execute(
                    insert(handoffs).values(
                        channel=_clean(channel, 16),
                        conversation=conversation,
                        chat_id=chat_id,
                        language=_clean(language, 8),
                        question=_clean(limit_combining(question), 4000),
                        answer=_clean(answer, 8000),
                        sources=json.dumps(sources or [], ensure_ascii=False),  # escapes NUL
                        contact=_clean(limit_combining(contact), 500),
                        status="open",
                        created_at=utcnow(),
                    )
                )
                handoff_id = _inserted_id(result)
        except IntegrityError:
            # Another request or replica opened one for this conversation a moment ago.
            existing = self.open_handoff_for(conversation)
            if existing is None:
                raise
            return existing
        handoff = self.handoff(handoff_id)
        assert handoff is not None
        return handoff

    def handoff(self, handoff_id: int) -> Handoff | None:
        """A hand-off by id."""
        if not _valid_id(handoff_id):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(handoffs).where(handoffs.c.id == handoff_id)).first()
        return _row_to_handoff(row) if row else None

    def open_handoff_for(self, conversation: str) -> Handoff | None:
        """The conversation's open hand-off, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(handoffs)
                .where(handoffs.c.conversation == conversation, handoffs.c.status == "open")
                .order_by(handoffs.c.id.desc())
            ).first()
        return _row_to_handoff(row) if row else None

    def handoff_by_thread(self, staff_thread_id: int) -> Handoff | None:
        """The newest hand-off posted under a staff-chat thread (message or forum topic)."""
        if not -MAX_BIGINT <= staff_thread_id <= MAX_BIGINT:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(handoffs)
                .where(handoffs.c.staff_thread_id == staff_thread_id)
                .order_by(handoffs.c.id.desc())
            ).first()
        return _row_to_handoff(row) if row else None

    def set_staff_thread(self, handoff_id: int, staff_thread_id: int) -> None:
        """Remember where in the staff chat the hand-off lives."""
        with self.engine.begin() as conn:
            conn.execute(
                update(handoffs)
                .where(handoffs.c.id == handoff_id)
                .values(staff_thread_id=staff_thread_id)
            )

    def add_handoff_message(self, handoff_id: int, direction: str, author: str, text: str) -> None:
        """Log one relayed message of a hand-off."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(handoff_messages).values(
                    handoff_id=handoff_id,
                    direction=_clean(direction, 8),
                    author=_clean(author, 128),
                    text=_clean(text, 8000),
                    created_at=utcnow(),
                )
            )

    def handoff_messages(self, handoff_id: int) -> list[dict[str, object]]:
        """Messages of a hand-off in order."""
        if not _valid_id(handoff_id):
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(handoff_messages)
                .where(handoff_messages.c.handoff_id == handoff_id)
                .order_by(handoff_messages.c.id)
            ).all()
        return [_row_dict(r) for r in rows]

    def close_handoff(self, handoff_id: int) -> bool:
        """Resolve a hand-off; False if it was not open."""
        if not _valid_id(handoff_id):
            return False
        with self.engine.begin() as conn:
            result = conn.execute(
                update(handoffs)
                .where(handoffs.c.id == handoff_id, handoffs.c.status == "open")
                .values(status="closed", closed_at=utcnow())
            )
            return result.rowcount > 0

    def open_handoffs(self) -> list[Handoff]:
        """Every open hand-off, oldest first (the staff inbox)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(handoffs).where(handoffs.c.status == "open").order_by(handoffs.c.id)
            ).all()
        return [_row_to_handoff(r) for r in rows]

    # --- staff reports -----------------------------------------------------------------------

    def gaps(self, days: int = 30, similarity: float = 0.35) -> list[GapGroup]:
        """Declined, low-confidence and 👎 questions, grouped by similarity, most frequent first."""
        since = utcnow() - dt.timedelta(days=days)
        with self.engine.connect() as conn:
            disliked = set(
                conn.execute(
                    select(feedback.c.question_id).where(
                        feedback.c.rating < 0, feedback.c.created_at >= since
                    )
                ).scalars()
            )
            rows = conn.execute(
                select(questions.c.id, questions.c.question, questions.c.language,
                       questions.c.answered, questions.c.confidence)
                .where(questions.c.created_at >= since)
                .order_by(questions.c.id)
            ).all()
        groups: list[tuple[set[str], GapGroup]] = []
        for row in rows:
            reason = (
                "declined" if not row.answered
                else "thumbs down" if row.id in disliked
                else "unsure" if row.confidence < LOW_CONFIDENCE
                else None
            )  # fmt: skip
            if reason is None:
                continue
            tokens = set(tokenize(row.question))
            for group_tokens, group in groups:
                if _similar(tokens, group_tokens) >= similarity:
                    group.count += 1
                    group.questions.append(row.question)
                    group.languages.append(row.language)
                    group.reasons.append(reason)
                    group_tokens |= tokens
                    break
            else:
                groups.append(
                    (tokens, GapGroup(1, row.question, [row.question], [row.language], [reason]))
                )
        return sorted((g for _, g in groups), key=lambda g: -g.count)

    def stats(self, days: int | None = None, by: str = "language") -> dict[str, LanguageStats]:
        """Questions, answered rate, feedback and hand-offs of every channel, per language (or
        per channel with ``by="channel"``)."""
        if by not in ("language", "channel"):
            raise ValueError(f"stats by language or channel, not {by!r}")
        since = utcnow() - dt.timedelta(days=days) if days else dt.datetime.min.replace(tzinfo=dt.UTC)
        asked_key = questions.c[by]
        result: dict[str, LanguageStats] = {}
        with self.engine.connect() as conn:
            for key, total, answered in conn.execute(
                select(asked_key, func.count(), func.sum(questions.c.answered.cast(Integer)))
                .where(questions.c.created_at >= since)
                .group_by(asked_key)
            ):
                stats = result.setdefault(key, LanguageStats())
                stats.questions, stats.answered = int(total), int(answered or 0)
            for key, rating, count in conn.execute(
                select(asked_key, feedback.c.rating, func.count())
                .select_from(feedback.join(questions, feedback.c.question_id == questions.c.id))
                .where(feedback.c.created_at >= since)
                .group_by(asked_key, feedback.c.rating)
            ):
                stats = result.setdefault(key, LanguageStats())
                if rating > 0:
                    stats.thumbs_up += int(count)
                else:
                    stats.thumbs_down += int(count)
            for key, count in conn.execute(
                select(handoffs.c[by], func.count())
                .where(handoffs.c.created_at >= since)
                .group_by(handoffs.c[by])
            ):
                result.setdefault(key, LanguageStats()).handoffs = int(count)
        return result

    def purge(self, retention_days: int) -> int:
        """Delete question-log rows (and their feedback) older than the retention period."""
        cutoff = utcnow() - dt.timedelta(days=retention_days)
        with self.engine.begin() as conn:
            old = select(questions.c.id).where(questions.c.created_at < cutoff)
            conn.execute(delete(feedback).where(feedback.c.question_id.in_(old)))
            result = conn.execute(delete(questions).where(questions.c.created_at < cutoff))
            closed = select(handoffs.c.id).where(
                handoffs.c.status == "closed", handoffs.c.closed_at < cutoff
            )
            conn.execute(delete(handoff_messages).where(handoff_messages.c.handoff_id.in_(closed)))
            conn.execute(
                delete(handoffs).where(handoffs.c.status == "closed", handoffs.c.closed_at < cutoff)
            )
        return int(result.rowcount or 0)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()

