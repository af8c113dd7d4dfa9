"""Ground-truth labels: ingest, join to their events, page through.

A label is stored whether or not its event has arrived. It is *joined* when both are stored:
the label's ``joined_at`` is set and a labels partial profile is appended to the event's
version and time bucket. Joining is done by whichever call completes the pair: a label call
joins labels whose events exist, an events call joins labels waiting for its events. Marking
is ``UPDATE ... WHERE joined_at IS NULL RETURNING``, so a label is profiled once even when two
replicas race. (On PostgreSQL two calls committing at the same moment may each miss the
other's row; :meth:`LabelRepository.join_pending`, run periodically by the service, joins
what they left.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from driftpilot.profile import ProfileConfig
from driftpilot.store import _tables as t
from driftpilot.store._batch import IncomingLabel, Outcome, dump_json, parse_labels
from driftpilot.store._cursor import decode_cursor, encode_cursor, time_filter
from driftpilot.store._engine import read, write
from driftpilot.store._partials import label_document
from driftpilot.store._sql import insert_new, model_row
from driftpilot.store._time import now_us
from driftpilot.store.models import ModelRepository, model_record
from driftpilot.store.quarantine import insert_rejected, rejected_rows
from driftpilot.store.records import (
    LabelIngestResult,
    LabelRecord,
    LabelResult,
    ModelRecord,
    Page,
)

__all__ = ["LabelRepository", "join_labels"]

_CHUNK = 500


class LabelRepository:
    """Store, join and read labels."""

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
        self._bucket_seconds = bucket_seconds

    def ingest(
        self, model: str, items: Sequence[Any], *, key_id: str | None = None
    ) -> LabelIngestResult:
        """Store a batch of labels, joining those whose events are stored.

        Rejected items are quarantined in the same transaction, with ``key_id`` as the sender.
        """
        accepted, outcome = parse_labels(items)
        received = now_us()
        with write(self._engine) as connection:
            record = model_record(model_row(connection, model, share=True))
            inserted = _insert(connection, record.id, accepted, received)
            insert_rejected(
                connection,
                rejected_rows(
                    record.id, "label", items, None, outcome, key_id=key_id, now=received
                ),
            )
            events = _events_of(connection, record.id, sorted(inserted))
            joined = join_labels(
                connection, record, events, models=self._models, config=self._config,
                bucket_seconds=self._bucket_seconds,
            )  # fmt: skip
        return _result(outcome, inserted, joined)

    def join_pending(self, *, limit: int = 10_000) -> int:
        """Join stored labels whose events are stored too; return how many were joined."""
        lb, e = t.labels, t.events
        with read(self._engine) as connection:
            models = connection.execute(
                sa.select(lb.c.model_id).where(lb.c.joined_at.is_(None)).distinct()
            ).scalars().all()  # fmt: skip
        total = 0
        for model_id in models:
            with write(self._engine) as connection:
                model = connection.execute(
                    sa.select(t.models).where(t.models.c.id == model_id).with_for_update(read=True)
                ).first()
                if model is None:
                    continue
                pairs = connection.execute(
                    sa.select(e.c.event_id, e.c.version, e.c.ts)
                    .join(lb, sa.and_(lb.c.model_id == e.c.model_id, lb.c.event_id == e.c.event_id))
                    .where(lb.c.model_id == model_id, lb.c.joined_at.is_(None))
                    .limit(limit)
                ).all()  # fmt: skip
                total += len(
                    join_labels(
                        connection, model_record(model),
                        {p.event_id: (p.version, p.ts) for p in pairs}, models=self._models,
                        config=self._config, bucket_seconds=self._bucket_seconds,
                    )
                )  # fmt: skip
        return total

    def page(
        self,
        model: str,
        *,
        start: int | None = None,
        end: int | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page:
        """Return labels with ``start <= timestamp < end`` (the label's own time), oldest first."""
        after = decode_cursor(cursor)
        lb = t.labels
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            rows = connection.execute(
                sa.select(lb)
                .where(lb.c.model_id == model_id, *time_filter(lb, start, end, after))
                .order_by(lb.c.ts, lb.c.id)
                .limit(limit + 1)
            ).all()
        items = [
            LabelRecord(
                event_id=r.event_id,
                value=json.loads(r.value),
                timestamp=r.ts,
                received_at=r.received_at,
                joined_at=r.joined_at,
            )
            for r in rows[:limit]
        ]
        more = len(rows) > limit
        return Page(items=items, next_cursor=encode_cursor(rows[limit - 1]) if more else None)


def join_labels(
    connection: sa.Connection,
    model: ModelRecord,
    events: Mapping[str, tuple[str, int]],
    *,
    models: ModelRepository,
    config: ProfileConfig,
    bucket_seconds: int,
) -> set[str]:
    """Join the waiting labels of stored ``events`` (event id to version and time).

    Returns the ids of the events whose labels were joined by this call.
    """
    ids = list(events)
    joined: list[tuple[str, str]] = []
    now = now_us()
    lb = t.labels
    waiting = connection.execute(
        sa.select(lb.c.id).where(lb.c.model_id == model.id, lb.c.joined_at.is_(None)).limit(1)
    ).first()
    if waiting is None:  # the common case: no label waits, skip the lookups
        return set()
    for i in range(0, len(ids), _CHUNK):
        statement = (
            lb.update()
            .where(
                lb.c.model_id == model.id,
                lb.c.event_id.in_(ids[i : i + _CHUNK]),
                lb.c.joined_at.is_(None),
            )
            .values(joined_at=now)
            .returning(lb.c.event_id, lb.c.value)
        )
        joined.extend((row.event_id, row.value) for row in connection.execute(statement))
    if not joined:
        return set()
    bucket_us = bucket_seconds * 1_000_000
    groups: dict[tuple[str, int], list[Any]] = {}
    for event_id, value in joined:
        version, ts = events[event_id]
        groups.setdefault((version, ts - ts % bucket_us), []).append(json.loads(value))
    references = models.references(connection, model.id, [version for version, _ in groups])
    partials = []
    for (version, start), values in groups.items():
        reference = references[version]
        partials.append(
            {
                "model_id": model.id, "version": version, "kind": "labels", "bucket_start": start,
                "bucket_seconds": bucket_seconds, "n_rows": len(values),
                "reference_id": reference.id,
                "document": label_document(
                    values, task=model.task, reference=reference, config=config
                ),
                "created_at": now,
            }
        )  # fmt: skip
    connection.execute(t.profile_partials.insert(), partials)
    return {event_id for event_id, _ in joined}


def _insert(
    connection: sa.Connection, model_id: int, labels: Sequence[IncomingLabel], received: int
) -> set[str]:
    if not labels:
        return set()
    rows = [
        {
            "model_id": model_id,
            "event_id": label.event_id,
            "value": dump_json(label.value),
            "ts": label.ts,
            "received_at": received,
            "joined_at": None,
        }
        for label in labels
    ]
    return insert_new(connection, t.labels, rows, "event_id")


def _events_of(
    connection: sa.Connection, model_id: int, event_ids: Sequence[str]
) -> dict[str, tuple[str, int]]:
    e = t.events
    found: dict[str, tuple[str, int]] = {}
    for i in range(0, len(event_ids), _CHUNK):
        rows = connection.execute(
            sa.select(e.c.event_id, e.c.version, e.c.ts).where(
                e.c.model_id == model_id, e.c.event_id.in_(event_ids[i : i + _CHUNK])
            )
        )
        found.update((row.event_id, (row.version, row.ts)) for row in rows)
    return found


def _result(outcome: Sequence[Outcome], inserted: set[str], joined: set[str]) -> LabelIngestResult:
    results: list[LabelResult] = []
    for item in outcome:
        if item.error is not None:
            results.append(LabelResult(event_id=item.event_id, status="rejected", error=item.error))
        elif item.duplicate or item.event_id not in inserted:
            results.append(LabelResult(event_id=item.event_id, status="duplicate"))
        else:
            joined_now = item.event_id in joined
            results.append(
                LabelResult(event_id=item.event_id, status="joined" if joined_now else "pending")
            )
    count = {s: sum(r.status == s for r in results) for s in ("joined", "pending", "rejected")}
    return LabelIngestResult(
        joined=count["joined"], pending=count["pending"], rejected=count["rejected"],
        duplicates=len(results) - sum(count.values()), results=results,
    )  # fmt: skip
