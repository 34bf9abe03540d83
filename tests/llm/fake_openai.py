"""A scripted OpenAI-compatible chat server on 127.0.0.1 (plumbing fake for the LLM provider).

It serves POST /v1/chat/completions (plain and streamed), records every request body, and
replays scripted replies: text, delays, HTTP 500, malformed JSON.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass
class Reply:
    """One scripted completion."""

    text: str = ""
    delay: float = 0.0  # seconds before the first byte
    gap: float = 0.0  # seconds between streamed chunks (a model that writes at reading speed)
    status: int = 200
    malformed: bool = False


@dataclass
class FakeOpenAI:
    """The server's script and what it saw."""

    replies: list[Reply] = field(default_factory=list)
    responder: Callable[[dict[str, Any]], Reply] | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    cut: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    @property
    def base_url(self) -> str:
        """The OpenAI base URL of this server."""
        return f"http://127.0.0.1:{self.port}/v1"

    def next_reply(self, body: dict[str, Any]) -> Reply:
        """The scripted reply for this request (responder first, then the queue)."""
        if self.responder is not None:
            return self.responder(body)
        if self.replies:
            return self.replies.pop(0)
        return Reply("NO_ANSWER")

    def prompts(self) -> list[str]:
        """All message texts of each recorded request, joined."""
        return ["\n".join(str(m.get("content", "")) for m in r["messages"]) for r in self.requests]


def _chunk(text: str, model: str, finish: str | None = None) -> str:
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": finish}
        ],
    }
    return f"data: {json.dumps(body)}\n\n"


def build_app(fake: FakeOpenAI) -> Starlette:
    """The Starlette app serving ``fake``'s script."""

    async def completions(request: Request) -> Response:
        body = await request.json()
        fake.requests.append(body)
        reply = fake.next_reply(body)
        model = str(body.get("model", "fake"))
        if reply.delay:
            # Wait, noticing when the client hangs up (a cut request).
            deadline = time.monotonic() + reply.delay
            while time.monotonic() < deadline:
                if await request.is_disconnected():
                    fake.cut.set()
                    return Response(status_code=499)
                await asyncio.sleep(0.02)
        if reply.status != 200:
            return JSONResponse({"error": {"message": "scripted failure"}}, reply.status)
        if reply.malformed:
            return Response("{not json", media_type="application/json")
        if body.get("stream"):

            async def events() -> AsyncIterator[str]:
                # Word-sized chunks, like a real server.
                words = reply.text.split(" ")
                for index, word in enumerate(words):
                    if index and reply.gap:
                        await asyncio.sleep(reply.gap)
                    yield _chunk(word + (" " if index < len(words) - 1 else ""), model)
                yield _chunk("", model, "stop")
                yield "data: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")
        return JSONResponse(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply.text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()


class RunningServer:
    """The fake in a uvicorn thread on an ephemeral port."""

    def __init__(self, fake: FakeOpenAI) -> None:
        self.fake = fake
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        fake.port = self.sock.getsockname()[1]
        config = uvicorn.Config(build_app(fake), log_level="warning", lifespan="off")
        self.server = _Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> None:
        """Serve; returns once connections are accepted."""
        self.thread.start()
        if not self.server.ready.wait(10):
            raise RuntimeError("fake OpenAI server did not start")

    def stop(self) -> None:
        """Shut down and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
