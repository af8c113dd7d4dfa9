"""The store as a monitor's data source (``driftpilot.monitor.MonitorSource``).

Window profiles come from the partial profiles (``ProfileRepository.window``); everything
else is one query each. ``window_events`` reads a window's raw events, with their labels, in
one pass: only the columns it needs, ``LEFT JOIN`` on the labels, keyset-paged in chunks
(each chunk its own short read transaction, as ``EventRepository.export`` does, so a long
window never holds a snapshot open), and each payload parsed once, straight into columns.
Rows are fetched from the driver's cursor as plain tuples: none of these columns needs
SQLAlchemy's result processing on SQLite or psycopg, and its ``Row`` objects, besides their
own cost, are tracked by the garbage collector and outlive young collections, which set off
full collections; together that was a fifth of the time (200,000 events on SQLite, about
100,000 events a second in all).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from driftpilot.monitor import Reference, Unread, WindowEvents, WindowProfile
from driftpilot.store import _tables as t
from driftpilot.store._engine import read
from driftpilot.store._sql import model_row
from driftpilot.store.partials import overlapping

if TYPE_CHECKING:
    from driftpilot.store import Store

__all__ = ["StoreSource"]

_CHUNK = 20_000


class StoreSource:
    """A model's traffic, as the monitor layer reads it (``driftpilot.monitor.MonitorSource``).

    Every method raises ``NotFoundError`` for an unknown model. Times are microseconds since
    the epoch, windows half-open: ``[start, end)``.

    Parameters
    ----------
    store
        The store to read.
    chunk
        Events read per query by :meth:`window_events`.
    """

    def __init__(self, store: Store, *, chunk: int = _CHUNK) -> None:
        self._store = store
        self._engine = store.engine
        self._chunk = chunk

    def task(self, model: str) -> str:
        """Return the model's task: ``binary``, ``multiclass`` or ``regression``."""
        return self._store.models.get_model(model).task.value

    def reference(self, model: str, version: str | None = None) -> Reference | None:
        """Return ``version``'s current baseline, or the newest version's that has one.

        Without ``version``, the newest version (by creation time, then registration order)
        with a baseline is chosen. ``None`` when there is no such baseline.
        """
        v, b = t.model_versions, t.baselines
        has_baseline = sa.exists().where(b.c.version_id == v.c.id)
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            query = sa.select(v.c.version).where(v.c.model_id == model_id, has_baseline)
            if version is not None:
                query = query.where(v.c.version == version)
            chosen = connection.execute(
                query.order_by(v.c.created_at.desc(), v.c.id.desc()).limit(1)
            ).scalar_one_or_none()
        if chosen is None:
            return None
        return Reference(version=chosen, document=self._store.models.get_baseline(model, chosen))

    def window_profile(
        self, model: str, *, start: int, end: int, version: str | None = None
    ) -> WindowProfile:
        """Return the merge of the bucket profiles overlapping ``[start, end)``."""
        return self._store.profiles.window(model, start=start, end=end, version=version)

    def window_events(
        self, model: str, *, start: int, end: int, features: bool = True
    ) -> WindowEvents:
        """Return the events with ``start <= timestamp < end`` and their labels, oldest first.

        Features that are not an object are given as ``{}``, and segments that are not an
        object as ``None`` (such events carry a quality flag saying so). ``features=False``
        leaves features and segments unread (``Unread`` columns) and has the database pick
        the prediction and scores out of each payload, which spares parsing the features in
        Python: about four times faster on SQLite for 50 features.
        """
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
        e, lb = t.events, t.labels
        joined = e.outerjoin(
            lb, sa.and_(lb.c.model_id == e.c.model_id, lb.c.event_id == e.c.event_id)
        )
        keys = (e.c.ts, e.c.id, e.c.event_id, e.c.version, e.c.latency_ms)
        tail = (e.c.quality_flags, lb.c.value, lb.c.ts)
        whole = (*keys, e.c.payload, *tail)
        picked = (*keys, *_picked(self._engine.dialect.name, e.c.payload), *tail)

        def query(columns: tuple[Any, ...], after: tuple[Any, Any] | None) -> Any:
            q = (
                sa.select(*columns).select_from(joined)
                .where(e.c.model_id == model_id, e.c.ts >= start, e.c.ts < end)
                .order_by(e.c.ts, e.c.id).limit(self._chunk)
            )  # fmt: skip
            if after is not None:
                q = q.where(sa.tuple_(e.c.ts, e.c.id) > sa.tuple_(*after))
            return q

        columns = _Columns()
        after = None
        while True:
            rows = None
            if not features:
                try:
                    rows = _fetch_tuples(self._engine, query(picked, after))
                except (sa.exc.DBAPIError, self._engine.dialect.loaded_dbapi.Error):
                    # a payload the database's JSON refuses (NaN; SQLite raises it while
                    # fetching, past SQLAlchemy): this chunk is parsed in Python
                    rows = None
                if rows is not None:
                    columns.add(rows, picked=True)
            if rows is None:
                rows = _fetch_tuples(self._engine, query(whole, after))
                columns.add(rows, with_features=features)
            if len(rows) < self._chunk:
                break
            after = (rows[-1][0], rows[-1][1])
        return columns.events(features=features)

    def bucket_counts(self, model: str, *, start: int, end: int) -> list[tuple[int, int]]:
        """Return ``(bucket_start, n_events)`` of each bucket starting in ``[start, end)``.

        Counted from the events' partial profiles, oldest bucket first; buckets without
        events are left out.
        """
        p = t.profile_partials
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            rows = connection.execute(
                sa.select(p.c.bucket_start, sa.func.sum(p.c.n_rows))
                .where(
                    p.c.model_id == model_id,
                    p.c.kind == "events",
                    p.c.bucket_start >= start,
                    p.c.bucket_start < end,
                )
                .group_by(p.c.bucket_start)
                .order_by(p.c.bucket_start)
            ).all()
        # PostgreSQL sums BIGINT as NUMERIC (a Decimal here).
        return [(int(bucket), int(n)) for bucket, n in rows if n]

    def last_event_time(self, model: str, *, before: int) -> int | None:
        """Return the timestamp of the newest event before ``before`` (``None`` if none)."""
        e = t.events
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            newest = connection.execute(
                sa.select(sa.func.max(e.c.ts)).where(e.c.model_id == model_id, e.c.ts < before)
            ).scalar()
        return None if newest is None else int(newest)

    def label_count(self, model: str, *, start: int, end: int, version: str | None = None) -> int:
        """Return how many labels are joined to events of the buckets overlapping the window.

        Summed from the labels' partial profiles, like ``WindowProfile.n_labels`` (the same
        buckets, the same ``version`` filter), so a runner comparing the two sees exactly the
        labels that arrived since a report.
        """
        p = t.profile_partials
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            query = sa.select(sa.func.sum(p.c.n_rows)).where(
                p.c.model_id == model_id, p.c.kind == "labels", *overlapping(start, end)
            )
            if version is not None:
                query = query.where(p.c.version == version)
            count = connection.execute(query).scalar()
        return int(count or 0)  # PostgreSQL sums BIGINT as NUMERIC


class _Columns:
    """The columns of ``WindowEvents``, filled chunk by chunk."""

    def __init__(self) -> None:
        self.timestamps: list[int] = []
        self.event_ids: list[str] = []
        self.versions: list[str] = []
        self.features: list[dict[str, Any]] = []
        self.predictions: list[Any] = []
        self.scores: list[Any] = []
        self.latencies: list[float | None] = []
        self.segments: list[dict[str, Any] | None] = []
        self.flags: list[tuple[str, ...]] = []
        self.labels: list[Any] = []
        self.label_timestamps: list[int | None] = []

    def add(self, rows: Any, *, picked: bool = False, with_features: bool = True) -> None:
        """Add rows holding each payload, or (``picked``) its prediction and scores as JSON."""
        if not rows:
            return
        ts, _ids, event_ids, versions, latencies, *middle, flags, labels, label_ts = zip(
            *rows, strict=True
        )
        self.timestamps.extend(ts)
        self.event_ids.extend(event_ids)
        self.versions.extend(versions)
        self.latencies.extend(latencies)
        self.label_timestamps.extend(label_ts)
        self.flags.extend([() if f is None else tuple(_loads(f)) for f in flags])
        self.labels.extend([_json_value(v) for v in labels])
        if picked:
            picked_predictions, picked_scores = middle
            self.predictions.extend([_json_value(v) for v in picked_predictions])
            self.scores.extend([_json_value(v) for v in picked_scores])
            return
        features, predictions, scores, segments = (
            self.features, self.predictions, self.scores, self.segments,
        )  # fmt: skip
        for text in middle[0]:  # one payload alive at a time: less for the collector to walk
            payload = _loads(text)
            predictions.append(payload.get("prediction"))
            scores.append(payload.get("scores"))
            if with_features:
                feature = payload.get("features")
                features.append(feature if type(feature) is dict else {})
                segment = payload.get("segment")
                segments.append(segment if type(segment) is dict else None)

    def events(self, *, features: bool = True) -> WindowEvents:
        n = len(self.timestamps)
        return WindowEvents(
            timestamps=np.array(self.timestamps, dtype=np.int64), event_ids=self.event_ids,
            versions=self.versions,
            features=self.features if features else Unread(n, "features"),
            predictions=self.predictions, scores=self.scores, latencies=self.latencies,
            segments=self.segments if features else Unread(n, "segments"),
            flags=self.flags, labels=self.labels, label_timestamps=self.label_timestamps,
        )  # fmt: skip


_DECODER = json.JSONDecoder()


def _picked(dialect: str, payload: Any) -> tuple[Any, Any]:
    """Return the payload's prediction and scores as JSON text, picked out by the database.

    SQLite: ``json_quote(json_extract(...))`` gives JSON text (``null`` for a missing key);
    PostgreSQL: ``payload::json -> key`` (NULL for a missing key). Both refuse a payload
    holding NaN or infinities, which Python's JSON accepts: the caller then parses that chunk
    in Python.
    """
    if dialect == "postgresql":
        as_json = sa.cast(payload, postgresql.JSON)
        return (
            sa.cast(as_json.op("->")("prediction"), sa.Text),
            sa.cast(as_json.op("->")("scores"), sa.Text),
        )
    return tuple(  # type: ignore[return-value]
        sa.func.json_quote(sa.func.json_extract(payload, f"$.{key}"))
        for key in ("prediction", "scores")
    )


def _fetch_tuples(engine: sa.Engine, query: Any) -> Any:
    with read(engine) as connection:
        result = connection.execute(query)
        rows = result.cursor.fetchall()  # plain tuples (module docstring)
        result.close()
    return rows


def _json_value(text: str | None) -> Any:
    return None if text is None else _loads(text)


def _loads(text: str) -> Any:
    """Parse stored JSON text: ``raw_decode`` skips the whitespace checks of ``json.loads``."""
    try:
        return _DECODER.raw_decode(text)[0]
    except json.JSONDecodeError:  # leading whitespace (a payload stored as sent)
        return json.loads(text)
