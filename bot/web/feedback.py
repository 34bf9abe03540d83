"""After an answer: 👍/👎 (/api/feedback) and the hand-off to staff (/api/handoff).

The hand-off rules (one open hand-off per conversation, notify staff in the background) are
the core's (bot/handoffs.py); this module only speaks HTTP.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from bot.handoffs import Handoffs
from bot.metrics import Metrics
from bot.rag.text import detect_language
from bot.ratelimit import SlidingWindowLimiter
from bot.state import StateStore
from bot.web.common import ERRORS, limited, request_language
from bot.web.conversations import ConversationIds
from bot.web.schemas import (
    ErrorResponse,
    FeedbackRequest,
    FeedbackResponse,
    HandoffRequest,
    HandoffResponse,
)

logger = logging.getLogger(__name__)

# Hand-offs reach people, so they are limited far below questions.
HANDOFFS_PER_HOUR = 5
FEEDBACK_PER_MINUTE = 60


def feedback_router(
    state: StateStore, metrics: Metrics, conversations: ConversationIds, handoffs: Handoffs
) -> APIRouter:
    """The visitor's follow-up routes."""
    router = APIRouter(tags=["widget"])
    feedback_limiter = SlidingWindowLimiter(FEEDBACK_PER_MINUTE, 60.0)
    handoff_limiter = SlidingWindowLimiter(HANDOFFS_PER_HOUR, 3600.0)

    @router.post(
        "/api/feedback",
        response_model=FeedbackResponse,
        responses={404: {"model": ErrorResponse}, **ERRORS},
    )
    async def feedback(body: FeedbackRequest, request: Request) -> dict[str, object]:
        """Record 👍/👎 on an answer of this conversation."""
        limited(feedback_limiter, request, "/api/feedback", metrics)
        if not conversations.valid(body.conversation_id):
            raise HTTPException(404, "no such question in this conversation")
        feedback_id = await run_in_threadpool(
            state.record_feedback,
            body.question_id,
            "web",
            f"web:{body.conversation_id}",
            body.value,
            body.comment,
        )
        if feedback_id is None:
            raise HTTPException(404, "no such question in this conversation")
        metrics.record_feedback("web", body.value)
        return {"recorded": True, "feedback_id": feedback_id}

    @router.post("/api/handoff", response_model=HandoffResponse, responses=ERRORS)
    async def handoff(body: HandoffRequest, request: Request) -> dict[str, object]:
        """Pass the visitor's question and contact to the hub staff."""
        limited(handoff_limiter, request, "/api/handoff", metrics)
        conversation_id = conversations.resolve(body.conversation_id)
        conversation = f"web:{conversation_id}"
        language = request_language(body.language) or detect_language(body.question)
        bot_answer = ""
        if body.question_id is not None:
            logged = await run_in_threadpool(state.question, body.question_id, conversation)
            bot_answer = str(logged["answer"]) if logged else ""
        # The widget has no other way to reach staff: a second request while a hand-off is
        # open is added to its thread (nobody is notified again).
        opened, created = await run_in_threadpool(
            lambda: handoffs.open(
                "web",
                conversation,
                body.question,
                answer=bot_answer,
                language=language,
                contact=body.contact,
                add_to_open=body.contact,
            )
        )
        if not created:
            return {
                "handoff_id": opened.id,
                "status": opened.status,
                "conversation_id": conversation_id,
                "notified": False,
            }
        # Stored is what the visitor is promised; the staff chat gets it in the background
        # (retried), so a slow or failing Telegram never makes this request wait or fail.
        notified = handoffs.notify(opened)
        logger.info(
            "hand-off opened",
            extra={"channel": "web", "handoff_id": opened.id, "language": language,
                   "notified": notified},
        )  # fmt: skip
        return {
            "handoff_id": opened.id,
            "status": opened.status,
            "conversation_id": conversation_id,
            "notified": notified,
        }

    return router
