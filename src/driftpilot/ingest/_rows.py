"""Frames and collections of rows into queue items: ``log_predictions`` and ``log_labels``.

Frames (pandas, polars, pyarrow, or a dict of columns) go through
``driftpilot._frames.to_table`` like every other input of driftpilot; each column is read
into Python values once (``to_pylist``) and the items are zipped from the columns.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from driftpilot._frames import to_table
from driftpilot.errors import InvalidParameterError
from driftpilot.ingest._ids import new_event_id
from driftpilot.ingest._records import EVENT, LABEL

__all__ = ["label_items", "prediction_items"]


def _names(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def prediction_items(
    frame: Any,
    *,
    prediction: str,
    features: Sequence[str] | None,
    scores: str | Sequence[str] | None,
    event_id: str | None,
    timestamp: str | None,
    latency_ms: str | None,
    segment: Sequence[str] | None,
    model_version: str | None,
) -> list[tuple[Any, ...]]:
    """Return one queue item per row of ``frame``; column arguments name its columns.

    Raises
    ------
    InvalidParameterError
        A named column is not in the frame.
    UnsupportedDataError, SchemaMismatchError
        The frame cannot be read.
    """
    table = to_table(frame, name="frame")
    roles = [prediction, *_names(scores), *_names(segment)]
    roles += [name for name in (event_id, timestamp, latency_ms) if name is not None]
    feature_names = (
        list(features)
        if features is not None
        else [name for name in table.column_names if name not in roles]
    )
    missing = [name for name in (*roles, *feature_names) if name not in table.column_names]
    if missing:
        raise InvalidParameterError(
            f"log_predictions: column(s) {missing} are not in the frame; it has "
            f"{table.column_names}."
        )
    n = table.num_rows

    def column(name: str | None, default: Any = None) -> list[Any]:
        return [default] * n if name is None else table.column(name).to_pylist()

    if feature_names:
        rows = zip(*(column(name) for name in feature_names), strict=True)
        features_of = [dict(zip(feature_names, row, strict=True)) for row in rows]
    else:
        features_of = [{} for _ in range(n)]
    if isinstance(scores, str) or scores is None:
        scores_of = column(scores)
    else:
        score_names = list(scores)
        rows = zip(*(column(name) for name in score_names), strict=True)
        scores_of = [dict(zip(score_names, row, strict=True)) for row in rows]
    segment_names = _names(segment)
    segments_of: list[dict[str, Any] | None]
    if segment_names:
        rows = zip(*(column(name) for name in segment_names), strict=True)
        segments_of = [dict(zip(segment_names, row, strict=True)) for row in rows]
    else:
        segments_of = [None] * n
    ids = column(event_id) if event_id is not None else [new_event_id() for _ in range(n)]
    now = time.time()
    return [
        (EVENT, *row, model_version)
        for row in zip(
            ids,
            column(timestamp, now),
            features_of,
            column(prediction),
            scores_of,
            column(latency_ms),
            segments_of,
            strict=True,
        )
    ]


def label_items(
    labels: Any, *, event_id: str, value: str, timestamp: str | None
) -> tuple[list[tuple[Any, ...]], int]:
    """Return the label items of ``labels`` and how many entries could not be read.

    ``labels``: a mapping of event id to value; an iterable of ``(event_id, value)`` or
    ``(event_id, value, timestamp)`` tuples or of ``{"event_id", "value", "timestamp"}``
    mappings; or a frame (or dict of columns) with the named columns.

    Raises
    ------
    InvalidParameterError
        A named column is not in the frame.
    UnsupportedDataError, SchemaMismatchError
        The frame cannot be read.
    """
    now = time.time()
    if isinstance(labels, Mapping) and not _is_columns(labels, event_id):
        return [(LABEL, key, label, now) for key, label in labels.items()], 0
    if isinstance(labels, list | tuple | Iterator):
        items = [_label_row(row, now) for row in labels]
        good = [item for item in items if item is not None]
        return good, len(items) - len(good)
    table = to_table(labels, name="labels")
    names = [event_id, value] + ([timestamp] if timestamp is not None else [])
    missing = [name for name in names if name not in table.column_names]
    if missing:
        raise InvalidParameterError(
            f"log_labels: column(s) {missing} are not in the frame; it has {table.column_names}."
        )
    times = table.column(timestamp).to_pylist() if timestamp else [now] * table.num_rows
    rows = zip(
        table.column(event_id).to_pylist(), table.column(value).to_pylist(), times, strict=True
    )
    return [(LABEL, *row) for row in rows], 0


def _is_columns(labels: Mapping[Any, Any], event_id: str) -> bool:
    ids = labels.get(event_id)
    return ids is not None and not isinstance(ids, str | bytes) and hasattr(ids, "__len__")


def _label_row(row: Any, now: float) -> tuple[Any, ...] | None:
    if isinstance(row, Mapping):
        if "event_id" not in row or "value" not in row:
            return None
        stamp = row.get("timestamp")
        return (LABEL, row["event_id"], row["value"], now if stamp is None else stamp)
    if isinstance(row, tuple | list) and len(row) in (2, 3):
        stamp = row[2] if len(row) == 3 and row[2] is not None else now
        return (LABEL, row[0], row[1], stamp)
    return None
