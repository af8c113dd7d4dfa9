"""``POST /v1/models/{model}/events`` and ``.../labels``: batches in, per-item results out.

The body is read and parsed here, not by FastAPI, because one bad event must not turn the
batch into a 422: per-event problems go into that event's result (``driftpilot.store``'s
batch semantics). Parsing, checking and storing run on a worker thread; the response is sent
after the transaction commits; stored events are then counted for ``/metrics``. The OpenAPI
document describes the body with ``EventsBatch`` and ``LabelsBatch``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from driftpilot.server._json import JSONBytes, dumps
from driftpilot.server.deps import KeyFirstRoute, SettingsDep, StoreDep, caller_key_id, require
from driftpilot.server.metrics import MetricsDep, ServiceMetrics
from driftpilot.server.routers._common import read_batch
from driftpilot.server.schemas import IngestResponse, LabelIngestResponse
from driftpilot.server.settings import Settings
from driftpilot.store import IngestResult, LabelIngestResult, Scope, Store

__all__ = ["router"]

router = APIRouter(route_class=KeyFirstRoute, tags=["ingest"], dependencies=[require(Scope.INGEST)])


def _body(schema: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        }
    }


@router.post(
    "/models/{model}/events",
    response_model=IngestResponse,
    openapi_extra=_body("EventsBatch"),
    summary="Log a batch of prediction events",
)
async def ingest_events(
    model: str, request: Request, store: StoreDep, settings: SettingsDep, metrics: MetricsDep
) -> Response:
    """Store events; each gets ``stored``, ``duplicate`` or ``rejected`` and its quality flags."""
    body = await request.body()
    key_id = caller_key_id(request)
    return await run_in_threadpool(_events, store, settings, metrics, model, body, key_id)


@router.post(
    "/models/{model}/labels",
    response_model=LabelIngestResponse,
    openapi_extra=_body("LabelsBatch"),
    summary="Log a batch of labels (ground truth)",
)
async def ingest_labels(
    model: str, request: Request, store: StoreDep, settings: SettingsDep, metrics: MetricsDep
) -> Response:
    """Store labels; each is ``joined`` to its event, ``pending``, ``duplicate`` or ``rejected``."""
    body = await request.body()
    key_id = caller_key_id(request)
    return await run_in_threadpool(_labels, store, settings, metrics, model, body, key_id)


def _events(
    store: Store,
    settings: Settings,
    metrics: ServiceMetrics,
    model: str,
    body: bytes,
    key_id: str | None,
) -> Response:
    items, texts = read_batch(body, "events", settings.max_batch)
    result = store.events.ingest(model, items, texts=texts, key_id=key_id)
    metrics.record_events(model, items, result.results)  # after the commit: durable events only
    metrics.record_rejected(model, "event", [r.error for r in result.results])
    return JSONBytes(dumps(_ingest_json(result)))


def _labels(
    store: Store,
    settings: Settings,
    metrics: ServiceMetrics,
    model: str,
    body: bytes,
    key_id: str | None,
) -> Response:
    items, _ = read_batch(body, "labels", settings.max_batch)
    result = store.labels.ingest(model, items, key_id=key_id)
    metrics.record_rejected(model, "label", [r.error for r in result.results])
    return JSONBytes(dumps(_label_json(result)))


def _ingest_json(result: IngestResult) -> dict[str, Any]:
    return {
        "stored": result.stored,
        "duplicates": result.duplicates,
        "rejected": result.rejected,
        "results": [
            {
                "event_id": r.event_id,
                "status": r.status,
                "quality_flags": list(r.quality_flags),
                "error": None if r.error is None else r.error.to_dict(),
            }
            for r in result.results
        ],
    }


def _label_json(result: LabelIngestResult) -> dict[str, Any]:
    return {
        "joined": result.joined,
        "pending": result.pending,
        "duplicates": result.duplicates,
        "rejected": result.rejected,
        "results": [
            {
                "event_id": r.event_id,
                "status": r.status,
                "error": None if r.error is None else r.error.to_dict(),
            }
            for r in result.results
        ],
    }
