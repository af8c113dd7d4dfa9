"""One place that turns errors into HTTP responses with the error object.

``{"error": {"code": str, "message": str, "details": ...}}`` for every error: ours (by
``code``, table below), FastAPI's validation errors (422, naming the field path; a body that
is not JSON is 400), Starlette's HTTP errors (unknown route 404, wrong method 405 with an
``Allow`` header naming every method the path answers), and anything else (500,
``internal_error``: always a bug, logged with its traceback).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

from driftpilot.errors import AuthError, DriftpilotError

__all__ = ["STATUS", "CatchAll", "error_response", "install_error_handlers"]

logger = logging.getLogger("driftpilot.server")

#: HTTP status of each error code; every other DriftpilotError is 422.
STATUS = {
    "not_found": 404,
    "conflict": 409,
    "stale_revision": 409,
    "precondition_required": 428,
    "unauthorized": 401,
    "forbidden": 403,
    "payload_too_large": 413,
    "malformed_request": 400,
}
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Return a response carrying the error object."""
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=headers)


async def _driftpilot_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DriftpilotError)
    status = STATUS.get(exc.code, 422)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    details = getattr(exc, "details", None)
    return error_response(status, exc.code, str(exc), details, headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())),
            "message": str(error.get("msg", "")).removeprefix("Value error, "),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]
    if any(p["type"] == "json_invalid" for p in problems):
        return error_response(400, "malformed_request", "The request body is not valid JSON.")
    first = problems[0] if problems else {"field": "request", "message": "invalid"}
    more = f" ({len(problems) - 1} more problems in details)" if len(problems) > 1 else ""
    message = f"{first['field']}: {first['message']}{more}"
    return error_response(422, "validation_error", message, problems)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    if exc.status_code == 405:
        allowed = allowed_methods(request)
        message = f"{request.method} is not allowed on {request.url.path}; allowed: "
        headers = {**(exc.headers or {}), "Allow": ", ".join(allowed)}
        return error_response(
            405, code, message + headers["Allow"] + ".", {"allow": allowed}, headers
        )
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


_Message = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[_Message]]
_Send = Callable[[_Message], Awaitable[None]]
_App = Callable[[MutableMapping[str, Any], _Receive, _Send], Awaitable[None]]


class CatchAll:
    """Answer 500 ``internal_error`` for any exception no handler took, and keep the connection."""

    def __init__(self, app: _App) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: _Receive,
                       send: _Send) -> None:  # fmt: skip
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: _Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        where = f"{scope.get('method', '')} {scope.get('path', '')}"
        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            logger.info("%s: the client disconnected before its request body arrived", where)
        except Exception as exc:
            logger.error("%s failed", where, exc_info=exc)
            if started:  # the response is half sent: only closing it is left
                return
            response = error_response(
                500, "internal_error", "The server failed to handle the request; this is a bug."
            )
            await response(scope, receive, send)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Return every method some route of the app answers on the request's path.

    Starlette's own 405 names the methods of the first route matching the path only, while
    several routes share a path (``GET``, ``PUT`` and ``DELETE /v1/monitors/{name}``); so
    each method is tried against every route.
    """
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method, "path_params": {}})[0] is Match.FULL
            for route in routes
        )
    ]


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(DriftpilotError, _driftpilot_error)
    app.add_exception_handler(AuthError, _driftpilot_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(CatchAll)
