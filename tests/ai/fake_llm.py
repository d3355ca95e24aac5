"""A protocol-faithful fake OpenAI-compatible chat-completions server on 127.0.0.1.

Real HTTP (aiohttp), real ``openai`` client pointed at it. Tests script what each request gets:
a reply text, an HTTP error with headers (429 with retry-after), a delay (for timeouts), a raw
body that is not the protocol, or usage figures. Every request is recorded, and a request that
breaks the protocol (no model, bad messages, unknown response_format) is answered 400 as the
real API does and recorded in ``protocol_errors`` so the fixture fails the test.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JSON = dict[str, Any]
DEFAULT_USAGE = object()


@dataclass
class Reply:
    """What one request gets. ``content`` is the assistant text of a normal 200 reply."""

    content: str | None = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: str | None = None  # raw body instead of the protocol's JSON
    usage: Any = DEFAULT_USAGE  # None: no usage field; a dict: sent as is
    finish_reason: str = "stop"
    choices: list[JSON] | None = None  # raw choices list instead of one built from content

    @classmethod
    def json(cls, value: Any, **kw: Any) -> Reply:
        return cls(content=json.dumps(value), **kw)

    @classmethod
    def error(cls, status: int, message: str = "", **kw: Any) -> Reply:
        return cls(content=None, status=status, body=_error_body(status, message), **kw)


def _error_body(status: int, message: str) -> str:
    kind = {
        400: "invalid_request_error",
        401: "authentication_error",
        429: "rate_limit_error",
    }.get(status, "server_error")
    return json.dumps(
        {
            "error": {
                "message": message or f"HTTP {status}",
                "type": kind,
                "param": None,
                "code": None,
            }
        }
    )


@dataclass
class Request:
    body: JSON
    headers: dict[str, str]
    at: float

    @property
    def messages(self) -> list[JSON]:
        return list(self.body.get("messages", []))

    @property
    def text(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages)


class FakeLLM:
    """Start with ``await start()``; ``base_url`` is then the ``/v1`` root to give the client."""

    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self.replies: deque[Reply] = deque()
        self.responder: Callable[[Request], Reply] | None = None
        self.requests: list[Request] = []
        self.protocol_errors: list[str] = []
        self.unscripted = 0
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "fake"}]}
        )

    def _check(self, body: Any, headers: dict[str, str]) -> str:
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return "missing bearer Authorization header"
        if not isinstance(body, dict):
            return "body is not a JSON object"
        if not isinstance(body.get("model"), str) or not body["model"]:
            return "model must be a non-empty string"
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return "messages must be a non-empty list"
        for m in messages:
            if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant"):
                return f"bad message {m!r}"
            if not isinstance(m.get("content"), str):
                return "message content must be a string"
        fmt = body.get("response_format")
        if fmt is not None and fmt not in ({"type": "json_object"}, {"type": "text"}):
            return f"unknown response_format {fmt!r}"
        for key in ("max_tokens", "temperature"):
            if key in body and not isinstance(body[key], int | float):
                return f"{key} must be a number"
        if body.get("stream"):
            return "streaming was not expected"
        return ""

    async def _chat(self, request: web.Request) -> web.Response:
        headers = dict(request.headers)
        try:
            body = await request.json()
        except ValueError:
            body = None
        problem = self._check(body, headers)
        if problem:
            self.protocol_errors.append(problem)
            return web.Response(
                status=400, text=_error_body(400, problem), content_type="application/json"
            )
        record = Request(body, headers, time.monotonic())
        self.requests.append(record)
        if self.responder is not None:
            reply = self.responder(record)
        elif self.replies:
            reply = self.replies.popleft()
        else:
            self.unscripted += 1
            reply = Reply.error(500, "no scripted reply left")
        if reply.delay:
            try:
                await asyncio.wait_for(self._stopping.wait(), reply.delay)
            except TimeoutError:
                pass
        if reply.body is not None:
            content_type = "application/json" if reply.status != 200 else "text/plain"
            if reply.body.lstrip().startswith(("{", "[")):
                content_type = "application/json"
            return web.Response(
                status=reply.status,
                text=reply.body,
                headers=reply.headers,
                content_type=content_type,
            )
        return web.json_response(
            self._completion(body, reply), status=reply.status, headers=reply.headers
        )

    def _completion(self, body: JSON, reply: Reply) -> JSON:
        prompt_chars = sum(len(m["content"]) for m in body["messages"])
        content = reply.content or ""
        usage: Any = reply.usage
        if usage is DEFAULT_USAGE:
            prompt, completion = prompt_chars // 4 + 1, len(content) // 4 + 1
            usage = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }
        choices = reply.choices
        if choices is None:
            choices = [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.content},
                    "finish_reason": reply.finish_reason,
                    "logprobs": None,
                }
            ]
        out: JSON = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": choices,
            "system_fingerprint": "fake",
        }
        if usage is not None:
            out["usage"] = usage
        return out


def unused_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then closed)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
