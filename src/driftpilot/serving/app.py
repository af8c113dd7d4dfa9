"""The ASGI app on a router: ``POST /predict`` (one row or a batch), ``/healthz``, ``/status``.

Bodies: ``{"features": {...}, "event_id": "..."?}`` for one row, answered
``{"prediction", "scores", "model_version", "cohort", "event_id"}``; or
``{"rows": [{...}, ...], "event_ids": [...]?}`` for a batch, answered
``{"predictions": [<the same per row>]}``. The ``X-Request-Id`` header is the request's id
(the ``request_id`` routing key; a new one per request without it) and every header is
available to a ``header`` routing key.

Errors use the service's envelope ``{"error": {"code", "message", "details"}}``: 400 for a
body that is not JSON, 422 for one of the wrong shape or rows the model refuses
(``ValueError``, ``TypeError`` or ``KeyError`` from its ``predict``), 503 while nothing is
deployed. Starlette, not FastAPI: the body is one of two small shapes, and every
microsecond here is added to the model's latency.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from driftpilot.errors import InvalidParameterError
from driftpilot.serving.router import NotServingError, RoutedPrediction, Router

__all__ = ["MAX_ROWS", "create_serving_app"]

MAX_ROWS = 10_000
logger = logging.getLogger("driftpilot.serving")


def _error(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "details": details}}, status_code=status
    )


def _answer(p: RoutedPrediction) -> dict[str, Any]:
    return {
        "prediction": p.prediction, "scores": p.scores, "model_version": p.model_version,
        "cohort": p.cohort, "event_id": p.event_id,
    }  # fmt: skip


def _parse(data: Any, max_rows: int) -> tuple[list[dict[str, Any]], list[str | None] | None, bool]:
    """Return (rows, event ids, single) from a body, or raise naming the field."""
    if not isinstance(data, dict) or ("features" in data) == ("rows" in data):
        raise InvalidParameterError(
            "The body must be an object with 'features' (one row) or 'rows' (a batch)."
        )
    if "features" in data:
        features, event_id = data["features"], data.get("event_id")
        if not isinstance(features, dict):
            raise InvalidParameterError("'features' must be an object of feature values.")
        if event_id is not None and not isinstance(event_id, str):
            raise InvalidParameterError(f"'event_id' must be text. Got {event_id!r} instead.")
        return [features], None if event_id is None else [event_id], True
    rows, ids = data["rows"], data.get("event_ids")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InvalidParameterError("'rows' must be a list of objects of feature values.")
    if not 1 <= len(rows) <= max_rows:
        raise InvalidParameterError(
            f"'rows' must hold 1 to {max_rows:,} rows. Got {len(rows):,} instead."
        )
    if ids is not None and (
        not isinstance(ids, list) or not all(i is None or isinstance(i, str) for i in ids)
    ):
        raise InvalidParameterError("'event_ids' must be a list of text (or null) ids.")
    return rows, ids, False


def create_serving_app(
    router: Router, *, max_rows: int = MAX_ROWS, on_close: Sequence[Callable[[], object]] = ()
) -> Starlette:
    """Return the ASGI app serving ``router`` (started and closed with the app).

    ``on_close`` runs after the router closed (its shadow jobs done), at the app's shutdown:
    e.g. ``client.close`` to flush the logged predictions before the process ends.
    """

    async def predict(request: Request) -> Response:
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError) as err:
            return _error(400, "malformed_request", f"The body is not valid JSON: {err}.")
        try:
            rows, ids, single = _parse(data, max_rows)
        except InvalidParameterError as err:
            return _error(422, err.code, str(err))
        headers = dict(request.headers)
        try:
            answers = await run_in_threadpool(
                lambda: router.predict(
                    rows, headers=headers, request_id=headers.get("x-request-id"), event_ids=ids
                )
            )
        except NotServingError as err:
            return _error(503, err.code, str(err))
        except InvalidParameterError as err:
            return _error(422, err.code, str(err))
        except (ValueError, TypeError, KeyError) as err:  # the model refused the rows
            return _error(422, "model_input", f"The model could not predict on the rows: {err}")
        if single:
            return JSONResponse(_answer(answers[0]))
        return JSONResponse({"predictions": [_answer(a) for a in answers]})

    async def healthz(_: Request) -> Response:
        deployment = router.deployment
        if deployment is None or deployment.champion is None:
            return _error(503, "not_serving", f"Model {router.model!r} has no champion loaded.")
        return JSONResponse({"status": "ok", "revision": deployment.revision})

    async def status(_: Request) -> Response:
        return JSONResponse(router.stats().to_dict())

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(router.start)
        try:
            yield
        finally:
            await run_in_threadpool(router.close)
            for close in on_close:
                await run_in_threadpool(close)

    return Starlette(
        routes=[
            Route("/predict", predict, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/status", status, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
