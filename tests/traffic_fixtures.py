"""Simulated traffic loaded straight into a store, for the monitor and alert tests.

``_load`` registers model ``loans`` (version v1 with a baseline of the reference hours) and
logs a ``make_traffic`` history the way the HTTP API stores it.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

import driftpilot as dp
from driftpilot.datasets import Traffic
from driftpilot.store import Store

__all__ = ["CHUNK", "_baseline", "_labels", "_load", "_to_iso"]

CHUNK = 2_000  # items per ingest call, as a client would batch them


def _to_iso(us: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(us / 1e6, tz=UTC).isoformat()


def _baseline(traffic: Traffic, hours: range) -> dp.Baseline:
    """A baseline of the traffic's events in ``hours``, with their labels, as a user builds it."""
    events = traffic.events[hours.start * traffic.per_hour : hours.stop * traffic.per_hour]
    truth = {label["event_id"]: label["value"] for label in traffic.labels}
    features: list[dict[str, Any]] = [e["features"] for e in events]  # type: ignore[misc]
    table = pa.table({
        **{name: [f[name] for f in features] for name in features[0]},
        "prediction": [e["prediction"] for e in events],
        "label": [truth.get(str(e["event_id"])) for e in events],
    })  # fmt: skip
    return dp.baseline(table, target="label", prediction="prediction")


def _load(store: Store, traffic: Traffic, *, labels: bool = True) -> None:
    """Register model ``loans`` (version v1 with a baseline of the reference hours) and log the
    traffic's events (and labels) the way the HTTP API stores them."""
    store.models.create_model("loans", "binary")
    store.models.create_version("loans", "v1")
    store.models.put_baseline("loans", "v1", _baseline(traffic, range(traffic.reference_hours)))
    for i in range(0, len(traffic.events), CHUNK):
        result = store.events.ingest("loans", traffic.events[i : i + CHUNK])
        assert result.stored == len(traffic.events[i : i + CHUNK])
    if labels:
        _labels(store, traffic.labels)


def _labels(store: Store, labels: list[dict[str, Any]]) -> None:
    for i in range(0, len(labels), CHUNK):
        store.labels.ingest("loans", labels[i : i + CHUNK])


def mean_income(events: pa.Table) -> float:
    """A business KPI over raw features (``traffic_fixtures:mean_income`` in a monitor)."""
    return float(pc.mean(events["income"]).as_py())


def failing_kpi(events: Any) -> float:
    """A KPI function that fails (``traffic_fixtures:failing_kpi``): its check is an error."""
    raise ZeroDivisionError("no revenue booked yet")
