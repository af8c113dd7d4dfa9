"""The frame a KPI function receives: the window's events with their labels, one row each.

Columns, in this order:

========================  =====================================================================
``timestamp``             event time, ``timestamp[us, UTC]``
``event_id``              string
``model_version``         string
one column per feature    named as the feature (``feature_<name>`` if that clashes with a
                          column below); types inferred from the values
``prediction``            as logged (type inferred)
``score_<key>``           ``float64`` per score key (a mapping's keys; a list's positions
                          ``0``, ``1``, ...; a single number is ``score_0``); null where the
                          event logged none or a non-number
``latency_ms``            ``float64``, null where not logged
``label``                 the joined ground truth, null where no label has arrived
``label_timestamp``       when the label arrived, ``timestamp[us, UTC]``, null without a label
``segment_<key>``         string per segment tag, null where the event has none
========================  =====================================================================

A column whose values have no common type (a feature logged as a number and as text) is
given as JSON text, so a KPI never fails on a frame it cannot build. ``pandas`` and ``polars``
frames are converted from the Arrow table (``to_pandas()``, ``polars.from_arrow``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pyarrow as pa

from driftpilot._optional import require
from driftpilot.monitor._data import WindowEvents

__all__ = ["FrameKind", "arrow_frame", "kpi_frame"]

FrameKind = Literal["pyarrow", "pandas", "polars"]
_TIME = pa.timestamp("us", tz="UTC")
_FIXED = ("timestamp", "event_id", "model_version", "prediction", "latency_ms", "label",
          "label_timestamp")  # fmt: skip


def _column(values: Sequence[Any]) -> pa.Array:
    try:
        return pa.array(list(values))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(
            [None if v is None else json.dumps(v, default=str) for v in values], pa.string()
        )


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _scores(item: Any) -> dict[str, float | None]:
    if isinstance(item, Mapping):
        return {str(k): _number(v) for k, v in item.items()}
    if isinstance(item, list | tuple):
        return {str(i): _number(v) for i, v in enumerate(item)}
    if item is None:
        return {}
    return {"0": _number(item)}


def _keys(rows: Sequence[Mapping[str, Any] | None]) -> list[str]:
    return list(dict.fromkeys(k for row in rows if row for k in row))


def arrow_frame(events: WindowEvents) -> pa.Table:
    """Return the events as an Arrow table with the columns of the module docstring."""
    columns: dict[str, pa.Array] = {
        "timestamp": pa.array(events.timestamps, _TIME),
        "event_id": pa.array(list(events.event_ids), pa.string()),
        "model_version": pa.array(list(events.versions), pa.string()),
    }
    scores = [_scores(s) for s in events.scores]
    score_names = [f"score_{k}" for k in _keys(scores)]
    segments = [s or {} for s in events.segments]
    segment_names = [f"segment_{k}" for k in _keys(segments)]
    taken = {*_FIXED, *score_names, *segment_names}
    for name in _keys(events.features):
        values = [f.get(name) if f else None for f in events.features]
        columns[f"feature_{name}" if name in taken else name] = _column(values)
    columns["prediction"] = _column(events.predictions)
    for key, column in zip(_keys(scores), score_names, strict=True):
        columns[column] = pa.array([s.get(key) for s in scores], pa.float64())
    columns["latency_ms"] = pa.array(list(events.latencies), pa.float64())
    columns["label"] = _column(events.labels)
    columns["label_timestamp"] = pa.array(list(events.label_timestamps), _TIME)
    for key, column in zip(_keys(segments), segment_names, strict=True):
        columns[column] = pa.array(
            [None if s.get(key) is None else str(s.get(key)) for s in segments], pa.string()
        )
    return pa.table(columns)


def kpi_frame(events: WindowEvents, kind: FrameKind) -> Any:
    """Return the events as a ``pyarrow.Table``, a pandas or a polars ``DataFrame``.

    Raises
    ------
    MissingDependencyError
        If ``kind`` needs pandas or polars and it is not installed (the message names the
        extra); definitions are checked for it when loaded, so this is a late uninstall.
    """
    if kind == "pyarrow":
        return arrow_frame(events)
    module = require(kind, extra=kind, purpose=f"A KPI check with 'frame: {kind}'")
    table = arrow_frame(events)
    if kind == "pandas":
        return table.to_pandas()
    return module.from_arrow(table)
