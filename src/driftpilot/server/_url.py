"""Refusing URLs with a NUL character, as a pure ASGI middleware.

A NUL (``%00``) in a path or query parameter would reach the database as part of a name
(a model, a version, a monitor), and PostgreSQL cannot hold a NUL in text: the lookup itself
would fail. No name may contain one, so such a request is answered 400 before any route runs.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["RefuseNul"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RefuseNul:
    """Answer 400 to a request whose path or query string holds a NUL character."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = str(scope.get("path", ""))
            query = bytes(scope.get("query_string", b"")).lower()
            if "\x00" in path or b"%00" in query or b"\x00" in query:
                await _refuse(send, "path" if "\x00" in path else "query string")
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, where: str) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "malformed_request",
                "message": f"The URL's {where} holds a NUL character (%00); no name may.",
                "details": {"field": where},
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
