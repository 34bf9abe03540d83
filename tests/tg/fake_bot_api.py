"""A small, real Bot API server on 127.0.0.1 for the Telegram tests.

It speaks HTTP like api.telegram.org: POST /bot<token>/<method> with form or JSON
parameters, answers {"ok": true, "result": ...} or {"ok": false, "error_code", ...}, and
serves files at GET /file/bot<token>/<path>. getUpdates long-polls with the timeout it is
given and confirms updates by offset, as Telegram does, so a restarted bot does not lose
updates that were fetched but not confirmed. Text sent with parse_mode=HTML is checked the
way Telegram checks it (supported tags only, balanced, no bare < > &), and its length is
counted after parsing. Every request is recorded; tests wait for recorded requests with an
event and a timeout, never by sleeping. ``fail_next`` injects 429 "retry after" (or other)
error answers; ``hold`` makes calls of one method wait until the test releases them (a slow
Telegram, controlled by the test instead of by the clock).
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import socket
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

JSON_PARAMS = {
    "reply_markup", "reply_parameters", "link_preview_options", "allowed_updates", "entities",
    "commands", "scope",
}  # fmt: skip
INT_PARAMS = {
    "chat_id", "message_id", "message_thread_id", "offset", "limit", "timeout",
    "max_connections",
}  # fmt: skip
ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "code", "pre", "blockquote", "tg-emoji",
}  # fmt: skip
NAMED_ENTITIES = {"lt", "gt", "amp", "quot"}
_HTML_TOKEN = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+=(?:\"[^\"]*\"|'[^']*'))*)\s*>"
    r"|&(#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);"
    r"|[<>&]"
)
MAX_TEXT = 4096


class BadHTML(ValueError):
    """Text Telegram would refuse with "can't parse entities"."""


def render_html(text: str) -> str:
    """The text Telegram shows for ``text`` in HTML parse mode; BadHTML if it would refuse."""
    out: list[str] = []
    stack: list[str] = []
    position = 0
    for match in _HTML_TOKEN.finditer(text):
        out.append(text[position : match.start()])
        position = match.end()
        closing, tag, _attrs, entity = (
            match.group(1),
            match.group(2),
            match.group(3),
            match.group(4),
        )
        if tag is not None:
            name = tag.lower()
            if name not in ALLOWED_TAGS:
                raise BadHTML(f'Unsupported start tag "{name}" at byte offset {match.start()}')
            if closing:
                if not stack or stack[-1] != name:
                    raise BadHTML(f"Unmatched end tag at byte offset {match.start()}")
                stack.pop()
            else:
                stack.append(name)
        elif entity is not None:
            if not entity.startswith("#") and entity not in NAMED_ENTITIES:
                raise BadHTML(f"Unsupported entity &{entity};")
            out.append(html.unescape(f"&{entity};"))
        else:
            raise BadHTML(f"Can't find end of the entity starting at byte offset {match.start()}")
    if stack:
        raise BadHTML(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    out.append(text[position:])
    return "".join(out)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    """One request the bot sent, with what the server answered."""

    method: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any]

    @property
    def ok(self) -> bool:
        """Whether the server answered ok (not an injected or validation error)."""
        return bool(self.response.get("ok"))

    @property
    def chat_id(self) -> int | None:
        """The chat_id parameter, if any."""
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        """The text parameter ("" if none)."""
        return str(self.params.get("text", ""))

    @property
    def rendered(self) -> str:
        """The text as the user sees it (HTML parsed)."""
        if self.params.get("parse_mode") == "HTML":
            return render_html(self.text)
        return self.text

    @property
    def result(self) -> Any:
        """The ``result`` of an ok answer."""
        return self.response.get("result")

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline keyboard buttons of the reply_markup, flattened."""
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    def button_data(self) -> list[str]:
        """The callback_data of every inline button."""
        return [b.get("callback_data", "") for b in self.buttons]


@dataclass
class _Chat:
    id: int
    type: str
    title: str = ""
    is_forum: bool = False


@dataclass
class _File:
    file_id: str
    file_unique_id: str
    path: str
    content: bytes


@dataclass
class _Waiter:
    loop: asyncio.AbstractEventLoop
    event: asyncio.Event = field(default_factory=asyncio.Event)


class FakeBotAPI:
    """The fake server; ``start()`` it, point the bot at ``base_url``/``base_file_url``."""

    def __init__(self, token: str, bot_id: int = 7_000_001, username: str = "hub_test_bot"):
        self.token = token
        self.bot_user = {
            "id": bot_id, "is_bot": True, "first_name": "Hub Assistant", "username": username,
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }  # fmt: skip
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._waiters: list[_Waiter] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = {}
        self._topic_ids = itertools.count(1001)
        self._chats: dict[int, _Chat] = {}
        self._files: dict[str, _File] = {}
        self._file_counter = itertools.count(1)
        self._failures: dict[str, deque[tuple[int, dict[str, Any]]]] = {}
        self._gates: dict[str, threading.Event] = {}
        self._held: dict[str, int] = {}
        self._server_loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._closing = False
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle --------------------------------------------------------------------------

    def start(self) -> FakeBotAPI:
        """Listen on an ephemeral 127.0.0.1 port and serve in a background thread."""
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
            ]
        )
        # Bound before the thread starts: clients can connect at once (the backlog holds them).
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(128)
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release long polls and held calls, and stop the server."""
        with self._lock:
            self._closing = True
            loop = self._server_loop
            gates = list(self._gates.values())
        for gate in gates:
            gate.set()
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake_pollers)
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        if self._socket is not None:
            self._socket.close()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        assert self._socket is not None, "start() first"
        return self._socket.getsockname()[1]

    @property
    def base_url(self) -> str:
        """Bot API URL without the token (python-telegram-bot appends it)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """File URL without the token."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- what tests set up -------------------------------------------------------------------

    def add_chat(
        self, chat_id: int, kind: str = "supergroup", title: str = "", is_forum: bool = False
    ) -> dict[str, Any]:
        """Declare a group chat (private chats are implied by positive ids)."""
        chat = _Chat(chat_id, kind, title or f"chat {chat_id}", is_forum)
        with self._lock:
            self._chats[chat_id] = chat
        return self.chat_json(chat_id)

    def chat_json(self, chat_id: int) -> dict[str, Any]:
        """The Chat object of ``chat_id`` as it appears in updates."""
        with self._lock:
            chat = self._chats.get(chat_id)
        if chat is None:
            return {"id": chat_id, "type": "private", "first_name": f"user{chat_id}"}
        data: dict[str, Any] = {"id": chat.id, "type": chat.type, "title": chat.title}
        if chat.is_forum:
            data["is_forum"] = True
        return data

    def next_message_id(self, chat_id: int) -> int:
        """A fresh message id in ``chat_id`` (shared by users' and the bot's messages)."""
        with self._lock:
            counter = self._message_ids.setdefault(chat_id, itertools.count(1))
            return next(counter)

    def enqueue(self, update: dict[str, Any]) -> int:
        """Make getUpdates return ``update`` (an update_id is assigned); returns its id."""
        with self._lock:
            update_id = next(self._update_ids)
            self._updates.append({"update_id": update_id, **update})
            loop = self._server_loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake_pollers)
        return update_id

    def add_file(self, content: bytes, file_name: str) -> dict[str, Any]:
        """Store a file the bot may download; returns the Document object for a message."""
        with self._lock:
            number = next(self._file_counter)
            stored = _File(f"FILE{number}", f"U{number}", f"documents/file_{number}", content)
            self._files[stored.file_id] = stored
        return {
            "file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
            "file_name": file_name, "file_size": len(content),
        }  # fmt: skip

    def fail_next(self, method: str, count: int, retry_after: int = 1, status: int = 429) -> None:
        """Answer the next ``count`` calls of ``method`` with 429 Too Many Requests (or, with
        ``status``, another error such as 502 Bad Gateway)."""
        if status == 429:
            error: dict[str, Any] = {
                "ok": False, "error_code": 429,
                "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after},
            }  # fmt: skip
        else:
            error = {"ok": False, "error_code": status, "description": f"Error {status}"}
        with self._lock:
            self._failures.setdefault(method, deque()).extend([(status, error)] * count)

    def hold(self, method: str) -> threading.Event:
        """Make calls of ``method`` wait (unanswered) until the returned event is set."""
        gate = threading.Event()
        with self._lock:
            self._gates[method] = gate
        return gate

    def held(self, method: str) -> int:
        """How many calls of ``method`` are waiting at its gate right now."""
        with self._lock:
            return self._held.get(method, 0)

    def pending_updates(self) -> int:
        """Updates not yet confirmed by the bot."""
        with self._lock:
            return len(self._updates)

    # --- what tests inspect ------------------------------------------------------------------

    def calls(
        self, method: str | None = None, chat_id: int | None = None, ok: bool | None = None
    ) -> list[Call]:
        """Recorded requests, optionally only of one method / chat / outcome."""
        with self._lock:
            calls = list(self._calls)
        return [
            c for c in calls
            if (method is None or c.method == method)
            and (chat_id is None or c.chat_id == chat_id)
            and (ok is None or c.ok == ok)
        ]  # fmt: skip

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Messages the bot sent successfully (to ``chat_id``)."""
        return self.calls("sendMessage", chat_id=chat_id, ok=True)

    async def wait_for(
        self, predicate: Callable[[], object], timeout: float = 30.0, what: str = "condition"
    ) -> None:
        """Wait until ``predicate()`` is true, woken by each recorded request."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            waiter = _Waiter(loop)
            with self._lock:
                self._waiters.append(waiter)
            if predicate():
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                summary = [(c.method, c.chat_id, c.status) for c in self.calls()][-30:]
                raise AssertionError(f"timed out waiting for {what}; last calls: {summary}")
            try:
                await asyncio.wait_for(waiter.event.wait(), remaining)
            except TimeoutError:
                continue

    # --- the HTTP side -------------------------------------------------------------------------

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
        self._notify_waiters()

    def _notify_waiters(self) -> None:
        with self._lock:
            waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.loop.is_closed():
                waiter.loop.call_soon_threadsafe(waiter.event.set)

    def _wake_pollers(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()
        self._wakeup = asyncio.Event()

    async def _params(self, request: Request) -> dict[str, Any]:
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        if "json" in content_type:
            return json.loads(body or b"{}")
        if "multipart" in content_type:
            raise ValueError("multipart uploads are not supported by this fake")
        raw = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        raw.update(request.query_params)
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if key in JSON_PARAMS:
                params[key] = json.loads(value)
            elif key in INT_PARAMS and re.fullmatch(r"-?\d+", value):
                params[key] = int(value)
            else:
                params[key] = value
        return params

    async def _api(self, request: Request) -> Response:
        with self._lock:
            if self._server_loop is None:
                self._server_loop = asyncio.get_running_loop()
                self._wakeup = asyncio.Event()
        method = request.path_params["method"]
        if request.path_params["token"] != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        try:
            params = await self._params(request)
        except ValueError as exc:
            return self._answer(method, {}, 400, f"Bad Request: {exc}")
        with self._lock:
            gate = self._gates.get(method)
        if gate is not None and not gate.is_set():
            with self._lock:
                self._held[method] = self._held.get(method, 0) + 1
            self._notify_waiters()
            try:
                await asyncio.get_running_loop().run_in_executor(None, gate.wait)
            finally:
                with self._lock:
                    self._held[method] -= 1
        with self._lock:
            failures = self._failures.get(method)
            injected = failures.popleft() if failures else None
        if injected is not None:
            status, error = injected
            self._record(Call(method, params, status, error))
            return JSONResponse(error, status_code=status)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._answer(method, params, 404, "Not Found")
        try:
            result = await handler(params)
        except BadHTML as exc:
            return self._answer(method, params, 400, f"Bad Request: can't parse entities: {exc}")
        except _ApiError as exc:
            return self._answer(method, params, exc.status, exc.description)
        return self._answer(method, params, 200, result=result)

    def _answer(self, method: str, params: dict[str, Any], status: int, description: str = "",
                result: Any = None) -> Response:  # fmt: skip
        if status == 200:
            body: dict[str, Any] = {"ok": True, "result": result}
        else:
            body = {"ok": False, "error_code": status, "description": description}
        self._record(Call(method, params, status, body))
        return JSONResponse(body, status_code=status)

    async def _file(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        path = request.path_params["path"]
        with self._lock:
            stored = next((f for f in self._files.values() if f.path == path), None)
        self._record(
            Call("<download>", {"path": path}, 200 if stored else 404, {"ok": bool(stored)})
        )
        if stored is None:
            return Response(status_code=404)
        return Response(stored.content, media_type="application/octet-stream")

    # --- Bot API methods -----------------------------------------------------------------------

    def _message(self, chat_id: int, text: str, params: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.next_message_id(chat_id), "date": int(time.time()),
            "chat": self.chat_json(chat_id), "from": self.bot_user, "text": text,
        }  # fmt: skip
        thread = params.get("message_thread_id")
        with self._lock:
            chat = self._chats.get(chat_id)
        if thread is not None and chat is not None and chat.is_forum:
            message["message_thread_id"] = thread
            message["is_topic_message"] = True
        if params.get("reply_markup") and "inline_keyboard" in params["reply_markup"]:
            message["reply_markup"] = params["reply_markup"]
        return message

    def _checked_text(self, params: dict[str, Any]) -> str:
        text = str(params.get("text", ""))
        shown = render_html(text) if params.get("parse_mode") == "HTML" else text
        if not shown.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if utf16_len(shown) > MAX_TEXT:
            raise _ApiError(400, "Bad Request: message is too long")
        return shown

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return self.bot_user

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            wakeup = self._wakeup  # taken before looking, so no enqueue can be missed
            with self._lock:
                if offset:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = self._updates[:limit]
                closing = self._closing
            remaining = deadline - asyncio.get_running_loop().time()
            if ready or closing or remaining <= 0 or wakeup is None:
                return ready
            try:
                await asyncio.wait_for(wakeup.wait(), remaining)
            except TimeoutError:
                return []

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_sendChatAction(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        shown = self._checked_text(params)
        return self._message(int(params["chat_id"]), shown, params)

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        shown = self._checked_text(params)
        message = self._message(int(params["chat_id"]), shown, params)
        message["message_id"] = int(params["message_id"])
        return message

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self._message(int(params["chat_id"]), "(edited)", params)
        message["message_id"] = int(params["message_id"])
        return message

    async def _m_getChat(self, params: dict[str, Any]) -> Any:
        chat = self.chat_json(int(params["chat_id"]))
        return {
            **chat, "accent_color_id": 0, "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                "premium_subscription": False, "gifts_from_channels": False,
            },
        }  # fmt: skip

    async def _m_createForumTopic(self, params: dict[str, Any]) -> Any:
        with self._lock:
            chat = self._chats.get(int(params["chat_id"]))
        if chat is None or not chat.is_forum:
            raise _ApiError(400, "Bad Request: the chat is not a forum")
        name = str(params.get("name", ""))
        if not 1 <= len(name) <= 128:
            raise _ApiError(400, "Bad Request: invalid forum topic name specified")
        return {"message_thread_id": next(self._topic_ids), "name": name, "icon_color": 7322096}

    async def _m_getFile(self, params: dict[str, Any]) -> Any:
        with self._lock:
            stored = self._files.get(str(params.get("file_id")))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content), "file_path": stored.path,
        }  # fmt: skip


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# --- updates as Telegram sends them -------------------------------------------------------------


def user_json(user_id: int, language_code: str | None = "en", first_name: str | None = None,
              username: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A Telegram User object."""
    data: dict[str, Any] = {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name or f"User{user_id}",
    }
    if language_code:
        data["language_code"] = language_code
    if username:
        data["username"] = username
    return data


def _utf16_offset(text: str, index: int) -> int:
    return utf16_len(text[:index])


def entities_for(text: str) -> list[dict[str, Any]]:
    """The entities Telegram attaches: a leading /command and every @mention."""
    entities: list[dict[str, Any]] = []
    command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
    if command:
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command.group())})
    for mention in re.finditer(r"(?<![\w/])@[A-Za-z0-9_]{5,32}", text):
        entities.append({
            "type": "mention", "offset": _utf16_offset(text, mention.start()),
            "length": utf16_len(mention.group()),
        })  # fmt: skip
    return entities


def message_update(
    api: FakeBotAPI,
    chat_id: int,
    user: dict[str, Any],
    text: str | None = None,
    *,
    reply_to: dict[str, Any] | None = None,
    thread_id: int | None = None,
    document: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An update carrying a new message from ``user`` in ``chat_id``."""
    message: dict[str, Any] = {
        "message_id": api.next_message_id(chat_id), "date": int(time.time()),
        "chat": api.chat_json(chat_id) if chat_id < 0 else {
            "id": chat_id, "type": "private", "first_name": user["first_name"]},
        "from": user,
    }  # fmt: skip
    if text is not None:
        message["text"] = text
        entities = entities_for(text)
        if entities:
            message["entities"] = entities
    if document is not None:
        message["document"] = document
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    if thread_id is not None:
        message["message_thread_id"] = thread_id
        message["is_topic_message"] = True
    return {"message": message}


def callback_update(
    chat_id: int, user: dict[str, Any], data: str, message: dict[str, Any]
) -> dict[str, Any]:
    """An update for a press on an inline button under ``message``."""
    return {
        "callback_query": {
            "id": f"cq{time.monotonic_ns()}", "from": user, "chat_instance": f"ci{chat_id}",
            "data": data, "message": message,
        }
    }  # fmt: skip
