"""``PredictionLogger``: ASGI middleware that logs every prediction a model service serves.

Pure ASGI, not Starlette's ``BaseHTTPMiddleware``: it wraps ``receive`` and ``send`` and
copies the body chunks as they pass, so the app reads its request body as usual, the
response goes out the moment the app sends it, and nothing runs in a separate task. The
JSON is parsed and the event queued after the last byte of the response has been handed to
the server, so the client is not kept waiting for the logging.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from time import perf_counter, time
from typing import Any

from driftpilot.ingest._ids import new_event_id
from driftpilot.ingest._stats import LogLimiter
from driftpilot.ingest.async_client import AsyncClient
from driftpilot.ingest.client import Client

__all__ = ["PredictionLogger"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_log = LogLimiter(logging.getLogger("driftpilot.ingest"))


def default_features(request: Any) -> Mapping[str, Any]:
    """Return the request body's ``"features"`` object, or the body if it is an object."""
    if isinstance(request, Mapping):
        inner = request.get("features")
        return inner if isinstance(inner, Mapping) else request
    raise ValueError(
        "the request body is not a JSON object; pass features=<callable(request_json)> "
        "to PredictionLogger to say where the features are"
    )


def default_prediction(response: Any) -> Any:
    """Return the response body's ``"prediction"``, or the whole body."""
    if isinstance(response, Mapping) and "prediction" in response:
        return response["prediction"]
    return response


def default_scores(response: Any) -> Any:
    """Return the response body's ``"scores"`` or ``"probabilities"``, else ``None``."""
    if isinstance(response, Mapping):
        for key in ("scores", "probabilities"):
            if key in response:
                return response[key]
    return None


class PredictionLogger:
    """ASGI middleware that logs each request to a model endpoint as a prediction event.

    For every matching request whose response is a complete JSON body with a 2xx status, it
    queues one event on ``client``: features from the request body, the prediction (and
    scores) from the response body, the latency from the request's start to the last byte
    of the response, the model version and the request id as the event id. The request id is
    the ``x-request-id`` request header, or a new UUID, and is sent back in the
    ``x-request-id`` response header; log the label later with
    ``client.log_label(request_id, value)``.

    Responses are never held back or changed, except for that header. Non-JSON, streamed
    (more than one body message), compressed and non-2xx responses pass through and are
    counted in ``client.stats()["middleware_skipped"]``; a failure in an extractor or the
    client is counted in ``["middleware_errors"]`` and logged, and never reaches the app's
    caller. (The 500 that Starlette sends for an exception the app did not handle is made
    outside the middleware stack, so it carries no ``x-request-id``.)

    Parameters
    ----------
    app
        The ASGI app (Starlette's ``add_middleware`` passes it).
    client
        Where events go: a :class:`Client` or an :class:`AsyncClient`.
    paths
        Exact request paths to log, e.g. ``["/predict"]``; ``None`` logs every path.
    methods
        HTTP methods to log.
    model_version
        Stamped on every event; default: the client's.
    features
        ``callable(request_json) -> mapping``; default: the body's ``"features"`` object,
        or the body.
    prediction
        ``callable(response_json) -> value``; default: the body's ``"prediction"``, or the
        body.
    scores
        ``callable(response_json) -> mapping | list | None``; default: the body's
        ``"scores"`` or ``"probabilities"``.
    segment
        ``callable(request_json) -> mapping | None``: tags of the event.
    request_id_header
        The header that carries the request id.
    max_body_bytes
        Larger request or response bodies are not captured (the request is skipped).

    Examples
    --------
    >>> from fastapi import FastAPI
    >>> from driftpilot.ingest import Client, PredictionLogger
    >>> app = FastAPI()
    >>> client = Client("http://localhost:8000", model="churn", model_version="3")  # doctest: +SKIP
    >>> app.add_middleware(PredictionLogger, client=client, paths=["/predict"])  # doctest: +SKIP
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        client: Client | AsyncClient,
        paths: Iterable[str] | None = None,
        methods: Iterable[str] = ("POST",),
        model_version: str | None = None,
        features: Callable[[Any], Mapping[str, Any]] = default_features,
        prediction: Callable[[Any], Any] = default_prediction,
        scores: Callable[[Any], Any] = default_scores,
        segment: Callable[[Any], Mapping[str, Any] | None] | None = None,
        request_id_header: str = "x-request-id",
        max_body_bytes: int = 1 << 20,
    ) -> None:
        self.app = app
        self.client = client
        self._paths = None if paths is None else frozenset(paths)
        self._methods = frozenset(method.upper() for method in methods)
        self._model_version = model_version
        self._features = features
        self._prediction = prediction
        self._scores = scores
        self._segment = segment
        self._header = request_id_header.lower().encode("latin-1")
        self._max_body = max_body_bytes

    def _request_id(self, scope: Scope) -> str:
        for name, value in scope["headers"]:
            if name == self._header:
                text: str = value.decode("latin-1")
                if 0 < len(text) <= 200 and text.isascii() and text.isprintable():
                    return text
                break
        return new_event_id()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection, logging it if it is a matching HTTP request."""
        if (
            scope["type"] != "http"
            or scope["method"] not in self._methods
            or (self._paths is not None and scope["path"] not in self._paths)
        ):
            await self.app(scope, receive, send)
            return
        started, wall = perf_counter(), time()
        request_id = self._request_id(scope)
        header = (self._header, request_id.encode("latin-1"))
        limit = self._max_body
        request_chunks: list[bytes] = []
        request_size = 0
        request_done = False
        response_body: bytes | None = None
        capture = False  # the response so far is one we log
        ended = 0.0

        async def tee_receive() -> Message:
            nonlocal request_size, request_done
            message = await receive()
            if message["type"] == "http.request" and request_size <= limit:
                chunk = message.get("body", b"")
                request_size += len(chunk)
                request_chunks.append(chunk)
                request_done = not message.get("more_body", False)
            return message

        async def tee_send(message: Message) -> None:
            nonlocal response_body, capture, ended
            kind = message["type"]
            if kind == "http.response.start":
                headers = list(message.get("headers", ()))
                capture = 200 <= message["status"] < 300
                echoed = False
                for name, value in headers:
                    lower = name.lower()
                    if lower == b"content-type":
                        capture = capture and b"json" in value and b"ndjson" not in value
                    elif lower == b"content-encoding":
                        capture = capture and value in (b"", b"identity")
                    elif lower == self._header:
                        echoed = True
                if not echoed:
                    headers.append(header)
                    message = {**message, "headers": headers}
            elif kind == "http.response.body":
                more = message.get("more_body", False)
                if capture:
                    body = message.get("body", b"")
                    capture = not more and response_body is None and len(body) <= limit
                    response_body = body if capture else None
                await send(message)
                if not more:
                    ended = perf_counter()
                return
            await send(message)

        await self.app(scope, tee_receive, tee_send)
        if ended:  # else the app sent no complete response (its caller went away)
            complete = response_body is not None and request_done and request_size <= limit
            self._log(
                b"".join(request_chunks) if complete else None,
                response_body,
                request_id,
                wall,
                ended - started,
            )

    def _log(
        self,
        request: bytes | None,
        response: bytes | None,
        request_id: str,
        wall: float,
        seconds: float,
    ) -> None:
        try:
            if request is None or response is None:
                self.client._counters.add("middleware_skipped")
                return
            request_json = json.loads(request) if request else None
            response_json = json.loads(response)
            self.client.log_prediction(
                self._features(request_json),
                self._prediction(response_json),
                scores=self._scores(response_json),
                event_id=request_id,
                timestamp=wall,
                latency_ms=seconds * 1000.0,
                segment=None if self._segment is None else self._segment(request_json),
                model_version=self._model_version,
            )
        except Exception as err:  # a logging failure must never become the model's failure
            counters = getattr(self.client, "_counters", None)
            if counters is not None:
                counters.add("middleware_errors")
            _log.warning(
                "middleware", "driftpilot: PredictionLogger could not log a request: %r", err
            )
