"""Prediction events: ingest in batches, page through, export.

One ingest call is one write transaction. Before it, with no lock held, the batch is read
(``_batch``) and checked, and turned into Arrow columns (``_partials.check_events``). Inside
it, the events are inserted with ``INSERT ... ON CONFLICT DO NOTHING RETURNING event_id``
(``_sql.insert_new``), so an event that a concurrent call stored in the meantime is a duplicate
here and is not profiled twice; then one partial profile per (version, bucket) is built
from exactly the inserted rows and appended, and labels that were waiting for these events
are joined. The caller's response is built only after the commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from driftpilot.errors import NotFoundError
from driftpilot.profile import ProfileConfig
from driftpilot.store import _tables as t
from driftpilot.store._batch import IncomingEvent, Outcome, dump_json, parse_events
from driftpilot.store._cursor import decode_cursor, encode_cursor, time_filter
from driftpilot.store._engine import read, write
from driftpilot.store._partials import check_events, event_document
from driftpilot.store._sql import insert_new, model_row
from driftpilot.store._time import now_us
from driftpilot.store.labels import join_labels
from driftpilot.store.models import ModelRepository, ensure_versions, model_record
from driftpilot.store.quarantine import insert_rejected, rejected_rows
from driftpilot.store.records import EventRecord, EventResult, IngestResult, Page

__all__ = ["EventRepository", "decode_payload"]


class EventRepository:
    """Store and read prediction events."""

    def __init__(
        self,
        engine: sa.Engine,
        models: ModelRepository,
        *,
        config: ProfileConfig,
        bucket_seconds: int,
    ) -> None:
        self._engine = engine
        self._models = models
        self._config = config
        self._bucket_us = bucket_seconds * 1_000_000
        self._bucket_seconds = bucket_seconds

    def ingest(
        self,
        model: str,
        items: Sequence[Any],
        *,
        texts: Sequence[str] | None = None,
        key_id: str | None = None,
    ) -> IngestResult:
        """Store a batch of events (semantics in ``_batch``); ``NotFoundError`` for no model.

        ``texts``, if given, is the JSON text of each item, stored as sent. Rejected items are
        quarantined (``quarantine``) in the same transaction, with ``key_id`` as the sender.
        """
        accepted, outcome = parse_events(items, texts)
        with read(self._engine) as connection:
            record = model_record(model_row(connection, model))
            references = self._models.references(
                connection, record.id, [e.version for e in accepted]
            )
        groups: dict[str, list[IncomingEvent]] = {}
        for event in accepted:
            groups.setdefault(event.version, []).append(event)
        checked = {
            version: check_events(
                events,
                task=record.task,
                schema=record.feature_schema,
                reference=references[version],
            )
            for version, events in groups.items()
        }
        received = now_us()
        rows = [_row(record.id, event, received) for event in accepted]
        rejected = rejected_rows(
            record.id, "event", items, texts, outcome, key_id=key_id, now=received
        )
        with write(self._engine) as connection:
            still = connection.execute(
                sa.select(t.models.c.id)
                .where(t.models.c.id == record.id)
                .with_for_update(read=True)  # no deletion until this call commits
            ).first()
            if still is None:
                raise NotFoundError(f"Model {model!r} was deleted while the events were checked.")
            ensure_versions(connection, record.id, groups)
            inserted = insert_new(connection, t.events, rows, "event_id")
            insert_rejected(connection, rejected)
            partials = []
            for version, events in groups.items():
                buckets: dict[int, list[int]] = {}
                for position, event in enumerate(events):
                    if event.event_id in inserted:
                        start = event.ts - event.ts % self._bucket_us
                        buckets.setdefault(start, []).append(position)
                reference = references[version]
                for start, positions in buckets.items():
                    document = event_document(
                        checked[version],
                        positions,
                        [events[p].flags for p in positions],
                        reference=reference,
                        config=self._config,
                    )
                    partials.append(
                        {
                            "model_id": record.id, "version": version, "kind": "events",
                            "bucket_start": start, "bucket_seconds": self._bucket_seconds,
                            "n_rows": len(positions), "reference_id": reference.id,
                            "document": document, "created_at": received,
                        }
                    )  # fmt: skip
            if partials:
                connection.execute(t.profile_partials.insert(), partials)
            stored = [e for e in accepted if e.event_id in inserted]
            if stored:
                join_labels(
                    connection,
                    record,
                    {e.event_id: (e.version, e.ts) for e in stored},
                    models=self._models,
                    config=self._config,
                    bucket_seconds=self._bucket_seconds,
                )
        return _result(outcome, accepted, inserted)

    def page(
        self,
        model: str,
        *,
        start: int | None = None,
        end: int | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page:
        """Return events with ``start <= timestamp < end``, oldest first, ``limit`` at a time."""
        after = decode_cursor(cursor)
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            rows = connection.execute(_select(model_id, start, end, after, limit + 1)).all()
        items = [_record(row) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items=items, next_cursor=encode_cursor(rows[limit - 1]) if more else None)

    def export(
        self, model: str, *, start: int | None = None, end: int | None = None, chunk: int = 5_000
    ) -> Iterator[list[EventRecord]]:
        """Yield the events of a time range with their labels, ``chunk`` rows at a time.

        Each chunk is read in its own short transaction (keyset paging), so a long export never
        holds a database snapshot open. The model is looked up before the first chunk.
        """
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
        return _export_chunks(self._engine, model_id, start, end, chunk)


def _select(
    model_id: int, start: int | None, end: int | None, after: tuple[int, int] | None, limit: int
) -> sa.Select[Any]:
    e, lb = t.events, t.labels
    joined = e.outerjoin(lb, sa.and_(lb.c.model_id == e.c.model_id, lb.c.event_id == e.c.event_id))
    return (
        sa.select(e, lb.c.value.label("label"), lb.c.ts.label("label_ts"))
        .select_from(joined)
        .where(e.c.model_id == model_id, *time_filter(e, start, end, after))
        .order_by(e.c.ts, e.c.id)
        .limit(limit)
    )


def _export_chunks(
    engine: sa.Engine, model_id: int, start: int | None, end: int | None, chunk: int
) -> Iterator[list[EventRecord]]:
    after: tuple[int, int] | None = None
    while True:
        with read(engine) as connection:
            rows = connection.execute(_select(model_id, start, end, after, chunk)).all()
        if not rows:
            return
        yield [_record(row) for row in rows]
        if len(rows) < chunk:
            return
        after = (rows[-1].ts, rows[-1].id)


def _row(model_id: int, event: IncomingEvent, received: int) -> dict[str, Any]:
    latency = event.latency
    finite = type(latency) in (int, float) and abs(latency) < float("inf")
    return {
        "model_id": model_id,
        "event_id": event.event_id,
        "version": event.version,
        "ts": event.ts,
        "received_at": received,
        "latency_ms": float(latency) if finite else None,
        "payload": event.text,
        "quality_flags": dump_json(event.flags) if event.flags else None,
    }


def _result(
    outcome: Sequence[Outcome], accepted: Sequence[IncomingEvent], inserted: set[str]
) -> IngestResult:
    flags = {event.event_id: event.flags for event in accepted}
    results: list[EventResult] = []
    stored = rejected = 0
    for item in outcome:
        if item.error is not None:
            rejected += 1
            results.append(EventResult(event_id=item.event_id, status="rejected", error=item.error))
        elif item.duplicate or item.event_id not in inserted:
            results.append(EventResult(event_id=item.event_id, status="duplicate"))
        else:
            stored += 1
            assert item.event_id is not None
            event_flags = tuple(flags[item.event_id])
            results.append(
                EventResult(event_id=item.event_id, status="stored", quality_flags=event_flags)
            )
    return IngestResult(
        stored=stored, duplicates=len(results) - stored - rejected, rejected=rejected,
        results=results,
    )  # fmt: skip


def decode_payload(text: str) -> dict[str, Any]:
    """Parse a stored event payload."""
    payload: dict[str, Any] = json.loads(text)
    return payload


def _record(row: sa.Row[Any]) -> EventRecord:
    payload = decode_payload(row.payload)
    return EventRecord(
        event_id=row.event_id,
        timestamp=row.ts,
        model_version=row.version,
        features=payload.get("features"),
        prediction=payload.get("prediction"),
        scores=payload.get("scores"),
        latency_ms=row.latency_ms,
        segment=payload.get("segment"),
        quality_flags=tuple(json.loads(row.quality_flags)) if row.quality_flags else (),
        received_at=row.received_at,
        label=None if row.label is None else json.loads(row.label),
        label_timestamp=row.label_ts,
    )
