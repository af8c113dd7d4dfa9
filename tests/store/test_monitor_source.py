"""The store as a monitor's data source (``StoreSource``), against what was ingested.

Each test runs on SQLite and on PostgreSQL (``db_url``).
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from typing import Any

import numpy as np
import pytest

import driftpilot as dp
from driftpilot.errors import NotFoundError
from driftpilot.monitor import MonitorSource
from driftpilot.store import Store, StoreSource
from driftpilot.store._time import parse_timestamp
from service_fixtures import make_events

HOUR = 3_600_000_000
T0 = 1_714_521_600_000_000  # 2024-05-01T00:00:00Z, the first event of make_events


def _ts(event: dict[str, Any]) -> int:
    ts = parse_timestamp(event["timestamp"])
    assert ts is not None
    return ts


@pytest.fixture
def loaded(store: Store) -> tuple[Store, list[dict[str, Any]], dict[str, int]]:
    """Model ``loans`` with 400 events (one a minute, two ingest calls per hour for some hours)
    and labels for every third of them, plus one label whose event never came."""
    store.models.create_model("loans", "binary")
    events = make_events(400, seed=3)
    events[7]["features"] = "not an object"
    events[8]["segment"] = ["eu"]
    for batch in (events[:90], events[90:150], events[150:]):
        store.events.ingest("loans", batch)
    labels = {str(e["event_id"]): i % 2 for i, e in enumerate(events) if i % 3 == 0}
    items = [
        {"event_id": event_id, "value": value, "timestamp": "2024-05-02T00:00:00+00:00"}
        for event_id, value in labels.items()
    ]
    items.append({"event_id": str(uuid.uuid4()), "value": 1, "timestamp": "2024-05-02T00:00:00Z"})
    store.labels.ingest("loans", items[:50])
    store.labels.ingest("loans", items[50:])
    return store, events, labels


def test_store_source_is_a_monitor_source(store: Store) -> None:
    source: MonitorSource = store.source
    assert isinstance(source, StoreSource)


@pytest.mark.parametrize("chunk", [37, 20_000])
def test_window_events_match_the_event_pages(
    loaded: tuple[Store, list[dict[str, Any]], dict[str, int]], chunk: int
) -> None:
    store, events, labels = loaded
    start, end = T0 + 30 * 60_000_000, T0 + 5 * HOUR + 1
    window = StoreSource(store, chunk=chunk).window_events("loans", start=start, end=end)
    page = store.events.page("loans", start=start, end=end, limit=1_000)
    records = list(page.items)
    assert page.next_cursor is None
    assert len(window) == len(records) == 271
    assert window.timestamps.dtype == np.int64
    assert window.timestamps.tolist() == [r.timestamp for r in records]
    assert list(window.event_ids) == [r.event_id for r in records]
    assert list(window.versions) == [r.model_version for r in records]
    assert list(window.predictions) == [r.prediction for r in records]
    assert list(window.scores) == [r.scores for r in records]
    assert list(window.latencies) == [r.latency_ms for r in records]
    assert list(window.flags) == [tuple(r.quality_flags) for r in records]
    assert list(window.labels) == [r.label for r in records]
    assert list(window.label_timestamps) == [r.label_timestamp for r in records]
    assert list(window.features) == [
        r.features if isinstance(r.features, dict) else {} for r in records
    ]
    assert list(window.segments) == [
        r.segment if isinstance(r.segment, dict) else None for r in records
    ]
    assert sum(v is not None for v in window.labels) == sum(
        str(e["event_id"]) in labels for e in events if start <= _ts(e) < end
    )


@pytest.mark.parametrize("chunk", [37, 20_000])
def test_window_events_without_features_equal_the_full_read(store: Store, chunk: int) -> None:
    """The database picks prediction and scores out of the payloads; a chunk holding a NaN
    (which the database's JSON refuses) is parsed in Python; features raise when read."""
    store.models.create_model("loans", "multiclass")
    events = make_events(200, seed=4)
    events[3]["prediction"] = "yes"  # a string, not a number
    events[4]["scores"] = [0.25, 0.75]  # a list
    events[5]["scores"] = {"a": 0.5, "b": 0.5, "c": None}
    del events[6]["prediction"]
    events[7]["prediction"] = {"label": "b", "rank": [1, 2]}
    events[150]["features"]["age"] = float("nan")  # type: ignore[index]
    events[151]["scores"] = {"1": float("inf")}
    store.events.ingest("loans", events)
    store.labels.ingest("loans", [
        {"event_id": e["event_id"], "value": i % 3, "timestamp": "2024-05-02T00:00:00Z"}
        for i, e in enumerate(events) if i % 2
    ])  # fmt: skip
    source = StoreSource(store, chunk=chunk)
    full = source.window_events("loans", start=T0, end=T0 + 10 * HOUR)
    light = source.window_events("loans", start=T0, end=T0 + 10 * HOUR, features=False)
    assert len(light) == len(full) == 200
    assert light.timestamps.tolist() == full.timestamps.tolist()
    for column in ("event_ids", "versions", "latencies", "flags", "labels", "label_timestamps"):
        assert list(getattr(light, column)) == list(getattr(full, column)), column
    assert list(light.predictions[:150]) == list(full.predictions[:150])
    assert (light.predictions[3], light.predictions[6]) == ("yes", None)
    assert light.predictions[7] == {"label": "b", "rank": [1, 2]}
    assert light.scores[4] == [0.25, 0.75]
    assert light.scores[:150] == full.scores[:150]
    assert light.scores[151] == {"1": math.inf}
    assert light.predictions[150:] == full.predictions[150:]
    assert len(light.features) == len(light.segments) == 200
    with pytest.raises(RuntimeError, match="features were not read"):
        light.feature_columns(["age"])
    picked = light.between(T0, T0 + HOUR).select(np.arange(60) % 2 == 0)
    assert len(picked.features) == 30
    with pytest.raises(RuntimeError, match="segments were not read"):
        list(picked.segments)


def test_window_events_of_an_odd_event_and_an_empty_window(
    loaded: tuple[Store, list[dict[str, Any]], dict[str, int]],
) -> None:
    store, events, _ = loaded
    window = store.source.window_events("loans", start=_ts(events[7]), end=_ts(events[9]))
    assert list(window.features) == [{}, events[8]["features"]]
    assert list(window.segments) == [events[7]["segment"], None]
    assert "wrong_type:features" in window.flags[0]
    assert "wrong_type:segment" in window.flags[1]
    assert len(store.source.window_events("loans", start=0, end=T0)) == 0


def test_bucket_counts_and_label_count_match_the_ingested_data(
    loaded: tuple[Store, list[dict[str, Any]], dict[str, int]],
) -> None:
    store, events, labels = loaded
    per_bucket = Counter(_ts(e) - _ts(e) % HOUR for e in events)
    start, end = T0 + HOUR, T0 + 5 * HOUR + 30 * 60_000_000
    expected = sorted((b, n) for b, n in per_bucket.items() if start <= b < end)
    assert [b for b, _ in expected] == [T0 + h * HOUR for h in range(1, 6)]
    assert list(store.source.bucket_counts("loans", start=start, end=end)) == expected
    store.profiles.compact(model="loans")
    assert list(store.source.bucket_counts("loans", start=start, end=end)) == expected
    assert list(store.source.bucket_counts("loans", start=0, end=T0)) == []

    # labels are counted by whole bucket, like the window profile's n_labels: the window
    # ends half-way through hour 5, whose labels all count
    in_buckets = [e for e in events if start <= _ts(e) - _ts(e) % HOUR < end]
    expected_labels = sum(str(e["event_id"]) in labels for e in in_buckets)
    assert expected_labels > sum(str(e["event_id"]) in labels for e in events
                                 if start <= _ts(e) < end)  # fmt: skip
    assert store.source.label_count("loans", start=start, end=end) == expected_labels
    profile = store.source.window_profile("loans", start=start, end=end)
    assert profile.n_labels == expected_labels
    assert store.source.label_count("loans", start=start, end=end, version="nope") == 0
    assert store.source.label_count("loans", start=0, end=T0) == 0


def test_last_event_time(loaded: tuple[Store, list[dict[str, Any]], dict[str, int]]) -> None:
    store, events, _ = loaded
    times = sorted(_ts(e) for e in events)
    assert store.source.last_event_time("loans", before=times[10]) == times[9]
    assert store.source.last_event_time("loans", before=times[10] + 1) == times[10]
    assert store.source.last_event_time("loans", before=times[-1] + HOUR) == times[-1]
    assert store.source.last_event_time("loans", before=times[0]) is None


def test_window_profile_and_task(
    loaded: tuple[Store, list[dict[str, Any]], dict[str, int]],
) -> None:
    store = loaded[0]
    profile = store.source.window_profile("loans", start=T0, end=T0 + 2 * HOUR)
    assert profile.n_events == 120
    assert profile.features is not None
    assert store.source.task("loans") == "binary"


def test_reference_is_the_newest_version_with_a_baseline(store: Store) -> None:
    store.models.create_model("loans", "binary")
    assert store.source.reference("loans") is None
    first = dp.profile({"age": [1.0, 2.0, 3.0]})
    second = dp.baseline({"age": [4.0, 5.0], "prediction": [0, 1]}, prediction="prediction")
    store.models.put_baseline("loans", "1", first)
    store.models.create_version("loans", "2")
    store.models.create_version("loans", "3")
    store.models.put_baseline("loans", "2", second)
    chosen = store.source.reference("loans")
    assert chosen is not None
    assert chosen.version == "2"
    assert chosen.document.to_json() == second.to_json()
    one = store.source.reference("loans", "1")
    assert one is not None
    assert (one.version, one.document.to_json()) == ("1", first.to_json())
    assert store.source.reference("loans", "3") is None
    assert store.source.reference("loans", "9") is None
    store.models.put_baseline("loans", "3", first)
    newest = store.source.reference("loans")
    assert newest is not None
    assert newest.version == "3"


def test_unknown_model_is_not_found(store: Store) -> None:
    source = store.source
    calls = [
        lambda: source.task("nope"),
        lambda: source.reference("nope"),
        lambda: source.window_profile("nope", start=0, end=1),
        lambda: source.window_events("nope", start=0, end=1),
        lambda: source.bucket_counts("nope", start=0, end=1),
        lambda: source.last_event_time("nope", before=1),
        lambda: source.label_count("nope", start=0, end=1),
    ]
    for call in calls:
        with pytest.raises(NotFoundError, match="no model named 'nope'"):
            call()
