"""Request and response bodies of the HTTP API (they also document it in /openapi.json)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.rag.assistant import MAX_QUESTION_CHARS

CONVERSATION_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$"
MAX_CONTACT_CHARS = 200
MAX_COMMENT_CHARS = 2000


def _unicode(value: str) -> str:
    # JSON "\ud800" escapes decode to lone surrogates, which no database can store.
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("must be valid Unicode text")
    return value


def _question(value: str) -> str:
    text = _unicode(value).strip()
    if not text:
        raise ValueError("must not be empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise ValueError(f"must be at most {MAX_QUESTION_CHARS} characters")
    return text


class AskRequest(BaseModel):
    """A visitor's question."""

    model_config = ConfigDict(extra="ignore")

    question: str = Field(description=f"1–{MAX_QUESTION_CHARS} characters after trimming")
    language: str | None = Field(
        default=None,
        pattern=LANGUAGE_PATTERN,
        description="ko, en, vi or ja; detected from the question when omitted",
    )
    conversation_id: str | None = Field(
        default=None,
        pattern=CONVERSATION_PATTERN,
        description="returned by the first answer; send it back to keep one conversation "
        "(an id the server did not issue starts a new conversation)",
    )

    _check_question = field_validator("question")(_question)


class SourceOut(BaseModel):
    """A cited document section."""

    title: str
    source: str
    section: str
    snippet: str
    score: float
    language: str
    last_verified: str
    origin: Literal["", "upload", "faq"] = Field(
        default="",
        description="upload: a document uploaded by staff; faq: a staff answer saved from a "
        "hand-off; empty: the curated knowledge base",
    )
    added_on: str = Field(default="", description="date staff published it (server clock)")


class AskResponse(BaseModel):
    """The core's answer plus the ids the widget needs for feedback and hand-off."""

    answer: str
    answered: bool
    language: str
    lead: str = Field(default="", description="the first sentences, which state what was asked")
    details: str = Field(default="", description="the rest of the passage (for a 'more' control)")
    outcome: Literal["answered", "unsure", "declined", "smalltalk"] = Field(
        default="answered",
        description="unsure: shown, but offer the hand-off to staff; declined: not covered",
    )
    sources: list[SourceOut]
    question_id: int | None = Field(description="for /api/feedback (null if not logged)")
    conversation_id: str


class ExamplesResponse(BaseModel):
    """Questions taken from the knowledge base's headings that the assistant answers."""

    language: str
    questions: list[str] = Field(description="at most three; empty when the index is empty")


class FeedbackRequest(BaseModel):
    """👍 or 👎 on one answer of this conversation."""

    model_config = ConfigDict(extra="ignore")

    question_id: int = Field(ge=1)
    conversation_id: str = Field(pattern=CONVERSATION_PATTERN)
    rating: Literal["up", "down", 1, -1]
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS)

    _check_comment = field_validator("comment")(_unicode)

    @property
    def value(self) -> int:
        """The rating as +1 or -1."""
        return 1 if self.rating in ("up", 1) else -1


class FeedbackResponse(BaseModel):
    """The stored feedback."""

    recorded: bool
    feedback_id: int


class HandoffRequest(BaseModel):
    """A visitor asks for a staff member: how to reach them and what they want to know."""

    model_config = ConfigDict(extra="ignore")

    contact: str = Field(min_length=1, max_length=MAX_CONTACT_CHARS)
    question: str
    conversation_id: str | None = Field(default=None, pattern=CONVERSATION_PATTERN)
    language: str | None = Field(default=None, pattern=LANGUAGE_PATTERN)
    question_id: int | None = Field(
        default=None, ge=1, description="the declined answer this follows, if any"
    )

    _check_question = field_validator("question")(_question)

    @field_validator("contact")
    @classmethod
    def _check_contact(cls, value: str) -> str:
        text = " ".join(_unicode(value).split())
        if not text:
            raise ValueError("must not be empty")
        return text


class HandoffResponse(BaseModel):
    """The hand-off as stored: it is on its way to the staff chat, or waits in the staff inbox."""

    handoff_id: int
    status: str
    conversation_id: str
    notified: bool = Field(
        description="queued for the staff chat (delivered in the background, retried); "
        "false: no staff chat is configured, staff see it in the admin inbox"
    )


class ErrorResponse(BaseModel):
    """Every error: a human-readable ``detail``."""

    detail: str
