"""The widget's questions: /api/ask (JSON), /api/ask/stream (server-sent events) and
/api/examples (the greeting's example questions)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from bot.core import Core
from bot.errors import StoreUnavailable
from bot.metrics import Metrics, timed_answer
from bot.rag.answer import UNAVAILABLE, Answer, message
from bot.rag.text import detect_language
from bot.ratelimit import SlidingWindowLimiter
from bot.state import StateStore
from bot.web.common import CODE_PATTERN, ERRORS, limited, request_language
from bot.web.conversations import ConversationIds
from bot.web.examples import ExampleQuestions
from bot.web.schemas import AskRequest, AskResponse, ErrorResponse, ExamplesResponse

logger = logging.getLogger(__name__)


def ask_router(
    assistant: Core,
    state: StateStore,
    metrics: Metrics,
    conversations: ConversationIds,
    ask_limiter: SlidingWindowLimiter,
) -> APIRouter:
    """The visitor's question routes (answered in worker threads: the core is CPU-bound)."""
    router = APIRouter(tags=["widget"])

    def answer_question(
        question: str,
        language: str | None,
        conversation: str | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> tuple[Answer, float]:
        """Runs in a worker thread (the core is CPU-bound); counted, timed and logged."""
        answer = timed_answer(
            metrics,
            "web",
            lambda: assistant.answer(
                question, language, conversation=conversation, on_token=on_token
            ),
        )
        return answer, answer.confidence

    @router.post("/api/ask", response_model=AskResponse, responses=ERRORS)
    async def ask(body: AskRequest, request: Request) -> dict[str, object]:
        """Answer a question from the programme documents, with sources."""
        limited(ask_limiter, request, "/api/ask", metrics)
        conversation_id = conversations.resolve(body.conversation_id)
        language = request_language(body.language)
        try:
            answer, conf = await run_in_threadpool(
                answer_question, body.question, language, f"web:{conversation_id}"
            )
        except StoreUnavailable as exc:
            lang = language or detect_language(body.question)
            raise HTTPException(503, message(UNAVAILABLE, lang)) from exc
        if answer.unavailable:
            raise HTTPException(503, answer.answer)
        return await finish(body.question, conversation_id, answer, conf)

    async def finish(
        question: str, conversation_id: str, answer: Answer, conf: float
    ) -> dict[str, object]:
        """Log the answered question and shape the JSON body (shared by both ask routes)."""
        question_id: int | None
        try:
            question_id = await run_in_threadpool(
                state.log_question, "web", f"web:{conversation_id}", question, answer, conf
            )
        except SQLAlchemyError:
            # The visitor still gets the answer; only feedback on it will not be possible.
            logger.exception("question log unavailable")
            question_id = None
        return {**answer.to_dict(), "question_id": question_id, "conversation_id": conversation_id}

    @router.post("/api/ask/stream", responses=ERRORS, response_class=Response)
    async def ask_stream(body: AskRequest, request: Request) -> StreamingResponse:
        """The same answer as server-sent events: token…, sources, done (the final JSON body).

        Tokens are a preview; ``done`` carries the checked answer, which replaces them.
        """
        limited(ask_limiter, request, "/api/ask/stream", metrics)
        conversation_id = conversations.resolve(body.conversation_id)
        language = request_language(body.language)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, object]] = asyncio.Queue()

        streamed: list[bool] = []

        def on_token(text: str) -> None:
            streamed.append(True)
            loop.call_soon_threadsafe(queue.put_nowait, ("token", {"text": text}))

        async def produce() -> None:
            try:
                answer, conf = await run_in_threadpool(
                    answer_question, body.question, language, f"web:{conversation_id}", on_token
                )
                if answer.unavailable:
                    await queue.put(("error", {"detail": answer.answer}))
                    return
                final = await finish(body.question, conversation_id, answer, conf)
                if not streamed:
                    await queue.put(("token", {"text": answer.answer}))
                await queue.put(("sources", {"sources": final["sources"]}))
                await queue.put(("done", final))
            except StoreUnavailable:
                lang = language or detect_language(body.question)
                await queue.put(("error", {"detail": message(UNAVAILABLE, lang)}))
            except Exception:
                logger.exception("streamed answer failed")
                await queue.put(("error", {"detail": "internal error"}))
            finally:
                await queue.put(("end", None))

        async def events() -> AsyncIterator[bytes]:
            task = asyncio.create_task(produce())
            try:
                while True:
                    event, data = await queue.get()
                    if event == "end":
                        break
                    payload = json.dumps(data, ensure_ascii=False)
                    yield f"event: {event}\ndata: {payload}\n\n".encode()
            finally:
                await task

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    examples = ExampleQuestions(assistant)

    @router.get(
        "/api/examples",
        response_model=ExamplesResponse,
        responses={422: ERRORS[422], 503: {"model": ErrorResponse}},
    )
    async def example_questions(
        language: Annotated[
            str, Query(description="the greeting's language", pattern=CODE_PATTERN)
        ],
    ) -> JSONResponse:
        """Two or three questions the documents answer, for the widget's greeting."""
        try:
            questions = await run_in_threadpool(examples.for_language, language)
        except StoreUnavailable as exc:
            raise HTTPException(503, message(UNAVAILABLE, language)) from exc
        return JSONResponse(
            {"language": language, "questions": questions},
            headers={"Cache-Control": "public, max-age=300"},
        )

    return router
