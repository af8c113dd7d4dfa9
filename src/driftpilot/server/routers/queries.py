"""Reading events and labels back: pages, streamed exports, window profiles (``read``).

An export is streamed (chunked), so its status (200) is sent before the events are read. If
reading fails part way, the stream is not ended cleanly: a JSON-lines export first writes one
last line ``{"error": {"code": "export_failed", ...}}``, then the connection is closed
without the final chunk, which every HTTP client reports as an incomplete body (httpx:
``RemoteProtocolError``). A Parquet export is cut the same way, before its footer, so no
reader takes it for a whole file.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from driftpilot.errors import InvalidParameterError
from driftpilot.server._json import JSONBytes, dumps
from driftpilot.server.deps import KeyFirstRoute, StoreDep, require
from driftpilot.server.routers._common import to_micros
from driftpilot.server.schemas import EventPage, LabelPage, RejectedPage, WindowProfileOut
from driftpilot.server.schemas.times import Time, iso
from driftpilot.store import EventRecord, LabelRecord, RejectedRecord, Scope, WindowProfile

__all__ = ["router"]

router = APIRouter(route_class=KeyFirstRoute, tags=["queries"], dependencies=[require(Scope.READ)])

Start = Annotated[Time | None, Query(description="Inclusive, ISO-8601 with timezone.")]
End = Annotated[Time | None, Query(description="Exclusive, ISO-8601 with timezone.")]
Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page.")]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of a page.")]


class ExportFormat(StrEnum):
    """File format of an export."""

    jsonl = "jsonl"
    parquet = "parquet"


def _window(start: Time | None, end: Time | None) -> tuple[int | None, int | None]:
    low, high = to_micros(start), to_micros(end)
    if low is not None and high is not None and low >= high:
        raise InvalidParameterError(
            f"The 'start' parameter must be before 'end'. Got start={start} and end={end}."
        )
    return low, high


def event_json(record: EventRecord) -> dict[str, Any]:
    """Return an event as its JSON object."""
    return {
        "event_id": record.event_id,
        "timestamp": iso(record.timestamp),
        "model_version": record.model_version,
        "features": record.features,
        "prediction": record.prediction,
        "scores": record.scores,
        "latency_ms": record.latency_ms,
        "segment": record.segment,
        "quality_flags": list(record.quality_flags),
        "received_at": iso(record.received_at),
        "label": record.label,
        "label_timestamp": None if record.label_timestamp is None else iso(record.label_timestamp),
    }


def label_json(record: LabelRecord) -> dict[str, Any]:
    """Return a label as its JSON object."""
    return {
        "event_id": record.event_id,
        "value": record.value,
        "timestamp": iso(record.timestamp),
        "received_at": iso(record.received_at),
        "joined_at": None if record.joined_at is None else iso(record.joined_at),
    }


@router.get("/models/{model}/events", response_model=EventPage)
async def list_events(
    model: str, store: StoreDep, start: Start = None, end: End = None, limit: Limit = 100,
    cursor: Cursor = None,
) -> Response:  # fmt: skip
    """Page through events with ``start <= timestamp < end``, oldest first."""
    low, high = _window(start, end)
    page = await run_in_threadpool(
        lambda: store.events.page(model, start=low, end=high, limit=limit, cursor=cursor)
    )
    items = [event_json(r) for r in page.items]
    return JSONBytes(dumps({"items": items, "next_cursor": page.next_cursor}))


@router.get("/models/{model}/labels", response_model=LabelPage)
async def list_labels(
    model: str, store: StoreDep, start: Start = None, end: End = None, limit: Limit = 100,
    cursor: Cursor = None,
) -> Response:  # fmt: skip
    """Page through labels with ``start <= timestamp < end`` (the label's time), oldest first."""
    low, high = _window(start, end)
    page = await run_in_threadpool(
        lambda: store.labels.page(model, start=low, end=high, limit=limit, cursor=cursor)
    )
    items = [label_json(r) for r in page.items]
    return JSONBytes(dumps({"items": items, "next_cursor": page.next_cursor}))


def rejected_json(record: RejectedRecord) -> dict[str, Any]:
    """Return a quarantined item as its JSON object."""
    return {
        "kind": record.kind,
        "rejected_at": iso(record.rejected_at),
        "key_id": record.key_id,
        "event_id": record.event_id,
        "code": record.code,
        "error": record.error,
        "body": record.body,
        "body_chars": record.body_chars,
        "truncated": len(record.body) < record.body_chars,
    }


@router.get("/models/{model}/rejected", response_model=RejectedPage)
async def list_rejected(
    model: str, store: StoreDep, start: Start = None, end: End = None, limit: Limit = 100,
    cursor: Cursor = None,
) -> Response:  # fmt: skip
    """Page through rejected (quarantined) events and labels by time of rejection, oldest first.

    ``start`` and ``end`` bound the time each was rejected at.
    """
    low, high = _window(start, end)
    page = await run_in_threadpool(
        lambda: store.rejected.page(model, start=low, end=high, limit=limit, cursor=cursor)
    )
    items = [rejected_json(r) for r in page.items]
    return JSONBytes(dumps({"items": items, "next_cursor": page.next_cursor}))


@router.get(
    "/models/{model}/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "JSON lines (one event object per line) or a Parquet file.",
            "content": {"application/x-ndjson": {}, "application/vnd.apache.parquet": {}},
        }
    },
)
def export(
    model: str, store: StoreDep, start: Start = None, end: End = None,
    format: Annotated[ExportFormat, Query(description="jsonl or parquet.")] = ExportFormat.jsonl,
) -> StreamingResponse:  # fmt: skip
    """Stream every event of a time range, with its label, as JSON lines or Parquet."""
    low, high = _window(start, end)
    chunks = store.events.export(model, start=low, end=high)
    if format is ExportFormat.parquet:
        body, media = _parquet(chunks), "application/vnd.apache.parquet"
    else:
        body = (_jsonl(chunk) for chunk in chunks)
        media = "application/x-ndjson"
    headers = {"Content-Disposition": f'attachment; filename="{model}.{format.value}"'}
    jsonl = format is ExportFormat.jsonl
    return StreamingResponse(_guarded(body, jsonl=jsonl), media_type=media, headers=headers)


#: Characters JSON leaves as they are but ``str.splitlines`` (and so httpx's ``iter_lines``)
#: breaks lines at: a JSON-lines export escapes them, so that each line is one event.
_LINE_BREAKS = (
    (b"\xc2\x85", b"\\u0085"),
    (b"\xe2\x80\xa8", b"\\u2028"),
    (b"\xe2\x80\xa9", b"\\u2029"),
)


def _jsonl(records: list[EventRecord]) -> bytes:
    data = b"".join(dumps(event_json(r)) + b"\n" for r in records)
    for raw, escaped in _LINE_BREAKS:
        if raw in data:
            data = data.replace(raw, escaped)
    return data


class ExportInterruptedError(RuntimeError):
    """An export failed after its first bytes were sent (the response is aborted)."""


def _guarded(parts: Iterator[bytes], *, jsonl: bool) -> Iterator[bytes]:
    """Yield ``parts``; on a failure, end a JSON-lines body with an error line, then abort."""
    sent = 0
    try:
        for part in parts:
            sent += len(part)
            yield part
    except Exception as err:  # re-raised: whatever failed, the client must see a cut stream
        if jsonl:
            message = (
                f"The export failed after {sent:,} bytes ({type(err).__name__}); "
                "this file is incomplete."
            )
            error = {"code": "export_failed", "message": message, "details": {"bytes_sent": sent}}
            yield dumps({"error": error}) + b"\n"
        raise ExportInterruptedError(f"export failed after {sent} bytes") from err


#: Columns of a Parquet export. Nested values (features, prediction, scores, segment, label)
#: are JSON text: their shapes vary from event to event, a Parquet schema cannot.
EXPORT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("model_version", pa.string()),
        ("features", pa.string()),
        ("prediction", pa.string()),
        ("scores", pa.string()),
        ("latency_ms", pa.float64()),
        ("segment", pa.string()),
        ("quality_flags", pa.list_(pa.string())),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("label", pa.string()),
        ("label_timestamp", pa.timestamp("us", tz="UTC")),
    ]
)


class _Drain(io.RawIOBase):
    """A write-only file that keeps what was written until taken (and knows its position)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def _parquet(chunks: Iterator[list[EventRecord]]) -> Iterator[bytes]:
    """Yield a Parquet file, one row group per chunk, as it is written."""
    drain = _Drain()
    writer = pq.ParquetWriter(pa.PythonFile(drain, mode="w"), EXPORT_SCHEMA)
    for chunk in chunks:
        writer.write_table(_export_table(chunk))
        yield drain.take()
    writer.close()
    yield drain.take()


def _text(value: Any) -> str | None:
    return None if value is None else dumps(value).decode("utf-8")


def _export_table(records: list[EventRecord]) -> pa.Table:
    columns = {
        "event_id": [r.event_id for r in records],
        "timestamp": [r.timestamp for r in records],
        "model_version": [r.model_version for r in records],
        "features": [_text(r.features) for r in records],
        "prediction": [_text(r.prediction) for r in records],
        "scores": [_text(r.scores) for r in records],
        "latency_ms": [r.latency_ms for r in records],
        "segment": [_text(r.segment) for r in records],
        "quality_flags": [list(r.quality_flags) for r in records],
        "received_at": [r.received_at for r in records],
        "label": [_text(r.label) for r in records],
        "label_timestamp": [r.label_timestamp for r in records],
    }
    arrays = [
        pa.array(columns[f.name], type=pa.int64()).cast(f.type)
        if pa.types.is_timestamp(f.type)
        else pa.array(columns[f.name], type=f.type)
        for f in EXPORT_SCHEMA
    ]
    return pa.Table.from_arrays(arrays, schema=EXPORT_SCHEMA)


@router.get("/models/{model}/profile", response_model=WindowProfileOut)
async def window_profile(
    model: str, store: StoreDep, start: Start = None, end: End = None,
    version: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:  # fmt: skip
    """Return the merged profile of a window: features, prediction, scores, latency, labels."""
    low, high = _window(start, end)
    window = await run_in_threadpool(
        lambda: store.profiles.window(model, start=low, end=high, version=version)
    )
    return JSONBytes(dumps(_window_json(window)))


def _window_json(w: WindowProfile) -> dict[str, Any]:
    def text(value: int | None) -> str | None:
        return None if value is None else iso(value)

    def doc(p: Any) -> dict[str, Any] | None:
        return None if p is None else dict(p.to_dict())

    return {
        "model": w.model, "version": w.version, "start": text(w.start), "end": text(w.end),
        "covered_start": text(w.covered_start), "covered_end": text(w.covered_end),
        "n_events": w.n_events, "n_labels": w.n_labels, "n_partials": w.n_partials,
        "n_rollups": w.n_rollups, "n_buckets": w.n_buckets, "features": doc(w.features),
        "prediction": doc(w.prediction), "scores": doc(w.scores), "latency": doc(w.latency),
        "labels": doc(w.labels),
        "quality": w.quality, "notes": list(w.notes),
    }  # fmt: skip
