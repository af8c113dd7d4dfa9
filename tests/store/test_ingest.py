"""Events and labels through the store: batch semantics, joins, window profiles, compaction.

Each test runs on SQLite and on PostgreSQL (``db_url``).
"""

from __future__ import annotations

import functools
import math
import threading
import uuid
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa

import driftpilot as dp
from driftpilot.errors import InvalidParameterError, NotFoundError
from driftpilot.profile import NumericSummary, Profile, ProfileConfig
from driftpilot.store import FeatureSchema, Store
from driftpilot.store import _tables as t
from driftpilot.store._time import parse_timestamp
from service_fixtures import make_events

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
FAR = 2**62  # a ``before`` after every test's days


def assert_same_profile(actual: Profile, expected: Profile) -> None:
    """Counts, category counts and histograms exactly; moments to 1e-9 (merge rounding)."""
    assert actual.n_rows == expected.n_rows
    assert list(actual.columns) == list(expected.columns)
    for name, want in expected.columns.items():
        got = actual.columns[name]
        assert got.kind == want.kind, name
        if isinstance(want, NumericSummary):
            assert isinstance(got, NumericSummary)
            for field in ("n", "n_missing", "n_nan", "n_inf", "min", "max"):
                assert getattr(got, field) == getattr(want, field), (name, field)
            assert got.mean == pytest.approx(want.mean, rel=1e-9, abs=1e-12)
            assert got.m2 == pytest.approx(want.m2, rel=1e-9, abs=1e-9)
            assert got.histogram == want.histogram, name
        else:
            assert got.to_dict() == want.to_dict(), name


def _training(n: int = 2_000, seed: int = 7) -> dict[str, Any]:
    rows = make_events(n, seed=seed)
    return {
        "age": [r["features"]["age"] for r in rows],  # type: ignore[index]
        "income": [r["features"]["income"] for r in rows],  # type: ignore[index]
        "plan": [r["features"]["plan"] for r in rows],  # type: ignore[index]
        "prediction": [r["prediction"] for r in rows],
    }


def _features(events: list[dict[str, Any]]) -> pa.Table:
    return pa.table(
        {
            "age": pa.array([e["features"]["age"] for e in events], pa.float64()),
            "income": pa.array([e["features"]["income"] for e in events], pa.float64()),
            "plan": pa.array([e["features"]["plan"] for e in events], pa.large_string()),
        }
    )


def test_batch_semantics_store_flag_reject_and_deduplicate(store: Store) -> None:
    store.models.create_model("loans", "binary")
    events = make_events(6)
    events[1]["event_id"] = "not-a-uuid"
    del events[2]["timestamp"]
    events[3]["model_version"] = ""
    events[4] = dict(events[0])  # the same event twice in one batch
    events[5]["extra"] = 1
    result = store.events.ingest("loans", [*events, "not an object"])
    statuses = [r.status for r in result.results]
    assert statuses == [
        "stored",
        "rejected",
        "rejected",
        "rejected",
        "duplicate",
        "stored",
        "rejected",
    ]
    assert (result.stored, result.duplicates, result.rejected) == (2, 1, 4)
    errors = [r.error for r in result.results if r.error is not None]
    assert [e.details["field"] for e in errors] == [
        "events[1].event_id", "events[2].timestamp", "events[3].model_version", "events[6]",
    ]  # fmt: skip
    assert [e.code for e in errors] == [
        "invalid_field", "missing_field", "invalid_field", "invalid_event",
    ]  # fmt: skip
    assert result.results[1].event_id == "not-a-uuid"
    assert result.results[5].quality_flags == ("ignored:extra",)


def test_retry_is_a_no_op_and_ids_are_canonical(store: Store) -> None:
    store.models.create_model("loans", "binary")
    events = make_events(50)
    first = store.events.ingest("loans", events)
    shouted = [dict(e, event_id=str(e["event_id"]).upper()) for e in events]
    again = store.events.ingest("loans", shouted)
    assert (first.stored, again.stored, again.duplicates) == (50, 0, 50)
    assert store.profiles.window("loans").n_events == 50
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(t.events)).scalar() == 50


def test_unknown_model_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no model named 'nope'"):
        store.events.ingest("nope", make_events(1))


def test_label_before_event_is_pending_then_joined(store: Store) -> None:
    store.models.create_model("loans", "binary")
    events = make_events(20)
    labels = [
        {"event_id": e["event_id"], "value": i % 2, "timestamp": "2024-05-03T00:00:00+00:00"}
        for i, e in enumerate(events)
    ]
    early = store.labels.ingest("loans", labels[:10])
    assert (early.pending, early.joined) == (10, 0)
    store.events.ingest("loans", events)
    late = store.labels.ingest("loans", labels)
    assert (late.joined, late.duplicates, late.pending) == (10, 10, 0)
    window = store.profiles.window("loans")
    assert window.n_labels == 20
    assert window.labels is not None
    assert dict(window.labels.columns["label"].counts) == {0: 10, 1: 10}
    page = store.labels.page("loans", limit=100)
    assert all(label.joined_at is not None for label in page.items)
    events_page = store.events.page("loans", limit=5)
    assert events_page.items[1].label == 1


def test_pending_labels_left_by_a_race_are_joined_by_the_sweeper(store: Store) -> None:
    store.models.create_model("loans", "regression")
    events = make_events(3)
    store.events.ingest("loans", events)
    with store.engine.begin() as connection:  # what two racing replicas can leave behind
        model_id = connection.execute(sa.select(t.models.c.id)).scalar_one()
        connection.execute(
            t.labels.insert(),
            [
                {
                    "model_id": model_id,
                    "event_id": e["event_id"],
                    "value": "2.5",
                    "ts": 0,
                    "received_at": 0,
                    "joined_at": None,
                }
                for e in events
            ],
        )
    assert store.labels.join_pending() == 3
    assert store.labels.join_pending() == 0
    labels = store.profiles.window("loans").labels
    assert labels is not None
    assert labels.columns["label"].n == 3


def test_quality_flags_against_a_declared_schema(store: Store) -> None:
    schema = FeatureSchema.from_dict(
        {
            "features": {
                "age": {"type": "numeric", "min": 18, "max": 100, "nullable": False},
                "plan": {"type": "categorical"},
            }
        }
    )
    store.models.create_model("loans", "binary", schema)
    base = make_events(7)
    features: list[Any] = [
        {"age": 30, "plan": "pro"},
        {"age": 12.5, "plan": "pro", "zip": "75001"},
        {"age": "old", "plan": None},
        {"plan": "basic"},
        {"age": None, "plan": 3},
        {"age": math.nan, "plan": ["a"]},
        {"age": math.inf, "plan": "pro"},
    ]
    events = [dict(e, features=f) for e, f in zip(base, features, strict=True)]
    result = store.events.ingest("loans", events)
    assert result.stored == 7
    assert [list(r.quality_flags) for r in result.results] == [
        [],
        ["unknown:features.zip", "out_of_bounds:features.age"],
        ["wrong_type:features.age"],
        ["missing:features.age"],
        ["null:features.age"],
        ["nan:features.age", "wrong_type:features.plan"],
        ["inf:features.age"],
    ]
    window = store.profiles.window("loans")
    assert window.quality["nan:features.age"] == 1
    assert window.features is not None
    age = window.features.columns["age"]
    assert (age.n, age.n_missing, age.n_nan, age.n_inf) == (7, 3, 1, 1)  # type: ignore[union-attr]
    stored = store.events.page("loans").items
    assert stored[5].quality_flags == ("nan:features.age", "wrong_type:features.plan")
    assert stored[5].features["plan"] == ["a"]  # kept as sent


def test_window_profile_equals_the_profile_of_the_same_rows(store: Store) -> None:
    store.models.create_model("loans", "binary")
    baseline = dp.baseline(_training(), prediction="prediction", model_version="1")
    store.models.put_baseline("loans", "1", baseline)
    events = make_events(600, seed=3, step_seconds=20)  # 600 events over 3h20m: 4 buckets
    for i in range(0, 600, 150):
        store.events.ingest("loans", events[i : i + 150])
    config = ProfileConfig()
    kinds = {"age": "numeric", "income": "numeric", "plan": "categorical"}
    reference = Profile.empty(kinds, config=config, reference=baseline.profile)
    window = store.profiles.window("loans")
    assert (window.n_events, window.n_buckets, window.n_partials) == (600, 4, 7)
    assert window.features is not None
    assert_same_profile(window.features, dp.profile(_features(events), reference=reference))
    assert window.notes == ()
    prediction = window.prediction
    assert prediction is not None
    counts = dict(prediction.columns["prediction"].counts)
    assert counts == {v: sum(e["prediction"] == v for e in events) for v in (0, 1)}
    # one whole bucket: hour 1, events 180..359
    t_start = parse_timestamp(events[0]["timestamp"])
    assert t_start is not None
    hour = store.profiles.window("loans", start=t_start + HOUR_US, end=t_start + 2 * HOUR_US)
    assert hour.features is not None
    assert_same_profile(hour.features, dp.profile(_features(events[180:360]), reference=reference))
    # compaction changes the rows, not the profile
    assert store.profiles.compact() == 3
    compacted = store.profiles.window("loans")
    assert compacted.n_partials == 4
    assert compacted.features is not None
    assert_same_profile(compacted.features, window.features)


def test_partials_binned_on_different_baselines_still_merge(store: Store) -> None:
    store.models.create_model("loans", "binary")
    events = make_events(200)
    store.events.ingest("loans", events[:100])  # no baseline yet: no histograms
    store.models.put_baseline("loans", "1", dp.baseline(_training(), prediction="prediction"))
    store.events.ingest("loans", events[100:])
    window = store.profiles.window("loans")
    assert window.features is not None
    age = window.features.columns["age"]
    assert isinstance(age, NumericSummary)
    assert age.n == 200
    assert age.histogram is None
    assert any("'age'" in note and "histogram" in note for note in window.notes)


def test_new_feature_mid_stream_counts_earlier_rows_as_missing(store: Store) -> None:
    store.models.create_model("loans", "regression")
    events = make_events(20)
    for e in events[10:]:
        e["features"]["tenure"] = 3  # type: ignore[index]
    store.events.ingest("loans", events[:10])
    store.events.ingest("loans", events[10:])
    window = store.profiles.window("loans")
    assert window.features is not None
    tenure = window.features.columns["tenure"]
    assert (tenure.n, tenure.n_missing) == (20, 10)


def test_concurrent_compactions_count_every_row_once(store: Store) -> None:
    store.models.create_model("loans", "binary")
    events = make_events(400, step_seconds=1)
    for i in range(0, 400, 20):
        store.events.ingest("loans", events[i : i + 20])
    more = make_events(100, seed=9, step_seconds=1)
    threads = [threading.Thread(target=store.profiles.compact) for _ in range(3)]
    threads.append(threading.Thread(target=store.events.ingest, args=("loans", more)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.profiles.compact()
    window = store.profiles.window("loans")
    assert window.n_events == 500
    assert window.n_partials == 1
    assert window.features is not None
    assert window.features.columns["age"].n == 500


def test_pages_follow_the_cursor_in_time_order(store: Store) -> None:
    store.models.create_model("loans", "binary")
    events = make_events(25)
    store.events.ingest("loans", list(reversed(events)))
    seen, cursor = [], None
    while True:
        page = store.events.page("loans", limit=10, cursor=cursor)
        seen.extend(e.event_id for e in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [e["event_id"] for e in events]
    with pytest.raises(InvalidParameterError, match="'cursor'"):
        store.events.page("loans", cursor="garbage!")


def test_delete_model_removes_all_its_data(store: Store) -> None:
    store.models.create_model("loans", "binary")
    store.models.create_model("other", "binary")
    store.models.put_baseline("loans", "1", dp.baseline(_training(200)))
    loans = make_events(10)
    store.events.ingest("loans", loans[:5])
    store.events.ingest("loans", loans[5:])  # two partials of one day: a daily rollup
    store.events.ingest("other", make_events(5))
    assert store.profiles.roll_up(before=FAR) == 1
    store.labels.ingest(
        "loans", [{"event_id": str(uuid.uuid4()), "value": 1, "timestamp": "2024-01-01T00:00:00Z"}]
    )
    with pytest.raises(InvalidParameterError, match="confirm=loans"):
        store.models.delete_model("loans", confirm="lons")
    store.models.delete_model("loans", confirm="loans")
    with store.engine.connect() as connection:
        counts = {
            table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            for table in (t.events, t.labels, t.baselines, t.model_versions, t.profile_partials,
                          t.profile_rollups)
        }  # fmt: skip
    assert counts == {
        "dp_events": 5, "dp_labels": 0, "dp_baselines": 0, "dp_model_versions": 1,
        "dp_profile_partials": 1, "dp_profile_rollups": 0,
    }  # fmt: skip
    assert [m.name for m in store.models.list_models()] == ["other"]


def _rollup_case(store: Store) -> tuple[list[dict[str, Any]], dict[str, int], int]:
    """Three days of events every 6 minutes in calls of 12 hours, labels for two in three."""
    store.models.create_model("loans", "binary")
    store.models.put_baseline("loans", "1", _loans_baseline())
    events = make_events(720, seed=5, step_seconds=360)
    for i in range(0, 720, 120):
        store.events.ingest("loans", events[i : i + 120])
    labelled = {str(e["event_id"]): i % 2 for i, e in enumerate(events) if i % 3}
    result = store.labels.ingest("loans", [
        {"event_id": k, "value": v, "timestamp": "2024-05-05T00:00:00+00:00"}
        for k, v in labelled.items()
    ])  # fmt: skip
    assert result.joined == len(labelled)
    t0 = parse_timestamp(str(events[0]["timestamp"]))
    assert t0 is not None
    assert t0 % DAY_US == 0
    return events, labelled, t0


@functools.cache
def _loans_baseline() -> Any:
    return dp.baseline(_training(), prediction="prediction")


def _expected_features(events: list[dict[str, Any]]) -> Profile:
    baseline = _loans_baseline()
    kinds = {"age": "numeric", "income": "numeric", "plan": "categorical"}
    reference = Profile.empty(kinds, config=ProfileConfig(), reference=baseline.profile)
    return dp.profile(_features(events), reference=reference)


def _ts_of(event: dict[str, Any]) -> int:
    ts = parse_timestamp(str(event["timestamp"]))
    assert ts is not None
    return ts


def _assert_same_window(actual: Any, expected: Any) -> None:
    for field in ("n_events", "n_labels", "n_partials", "n_buckets", "covered_start",
                  "covered_end", "quality", "notes"):  # fmt: skip
        assert getattr(actual, field) == getattr(expected, field), field
    for role in ("features", "prediction", "labels"):
        assert_same_profile(getattr(actual, role), getattr(expected, role))


def _rollup_rows(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(
            connection.execute(sa.select(sa.func.count()).select_from(t.profile_rollups)).scalar()
            or 0
        )


def test_daily_rollups_replace_a_day_of_partials_and_change_no_figure(store: Store) -> None:
    events, labelled, t0 = _rollup_case(store)
    direct = store.profiles.window("loans")
    assert (direct.n_events, direct.n_labels, direct.n_rollups) == (720, len(labelled), 0)
    # a day still running is left alone: only the first two days have ended
    assert store.profiles.roll_up(before=t0 + 2 * DAY_US + HOUR_US) == 4  # 2 days x 2 kinds
    assert store.profiles.roll_up(before=FAR) == 2
    assert store.profiles.roll_up(before=FAR) == 0  # nothing changed: nothing rebuilt
    rolled = store.profiles.window("loans")
    assert rolled.n_rollups == 6
    _assert_same_window(rolled, direct)
    assert rolled.features is not None
    assert_same_profile(rolled.features, _expected_features(events))
    # a window starting mid-day reads that day's partials and the next days' rollups
    start = t0 + 12 * HOUR_US
    part = store.profiles.window("loans", start=start)
    assert part.n_rollups == 4
    later = [e for e in events if _ts_of(e) >= start]
    assert (part.n_events, part.n_labels) == (
        len(later), sum(str(e["event_id"]) in labelled for e in later),
    )  # fmt: skip
    assert part.features is not None
    assert_same_profile(part.features, _expected_features(later))
    # one version's window reads that version's rollups
    assert store.profiles.window("loans", version="1").n_rollups == 6
    assert store.profiles.window("loans", version="2").n_partials == 0


def test_a_stale_rollup_is_passed_over_then_rebuilt(store: Store) -> None:
    events, _, t0 = _rollup_case(store)
    store.profiles.roll_up(before=FAR)
    # late events for day 0: a new partial beside the rollup, which still covers the rest
    late = make_events(30, seed=11, step_seconds=60, start="2024-05-01T05:10:00+00:00")
    store.events.ingest("loans", late)
    with_late = store.profiles.window("loans")
    assert (with_late.n_events, with_late.n_rollups) == (750, 6)
    assert with_late.features is not None
    assert_same_profile(with_late.features, _expected_features(events + late))
    # compaction replaces hour 5's rows: day 0's events rollup no longer matches its rows
    assert store.profiles.compact() == 1
    stale = store.profiles.window("loans")
    assert (stale.n_events, stale.n_rollups) == (750, 5)
    assert stale.features is not None
    assert_same_profile(stale.features, with_late.features)
    assert store.profiles.roll_up(before=FAR) == 1  # day 0's events, nothing else
    rebuilt = store.profiles.window("loans")
    assert rebuilt.n_rollups == 6
    _assert_same_window(rebuilt, stale)
    del t0


def test_a_day_compacted_to_one_partial_loses_its_rollup(store: Store) -> None:
    store.models.create_model("loans", "binary")
    events = make_events(40, step_seconds=30)  # one hour bucket, two calls: two partials
    store.events.ingest("loans", events[:20])
    store.events.ingest("loans", events[20:])
    assert store.profiles.roll_up(before=FAR) == 1
    assert store.profiles.window("loans").n_rollups == 1
    assert store.profiles.compact() == 1
    assert store.profiles.roll_up(before=FAR) == 0
    assert _rollup_rows(store) == 0
    window = store.profiles.window("loans")
    assert (window.n_events, window.n_partials, window.n_rollups) == (40, 1, 0)


def test_rollups_built_while_ingesting_and_compacting_count_every_row_once(store: Store) -> None:
    events, _, _ = _rollup_case(store)
    more = make_events(200, seed=9, step_seconds=300, start="2024-05-01T02:00:00+00:00")
    threads = [threading.Thread(target=store.profiles.roll_up, kwargs={"before": FAR})
               for _ in range(2)]  # fmt: skip
    threads.append(threading.Thread(target=store.profiles.compact))
    threads.append(threading.Thread(target=store.events.ingest, args=("loans", more)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _ in range(2):  # whatever the interleaving, every figure counts each row once
        window = store.profiles.window("loans")
        assert window.n_events == 920
        assert window.features is not None
        assert_same_profile(window.features, _expected_features(events + more))
        store.profiles.compact()
        store.profiles.roll_up(before=FAR)
    assert store.profiles.window("loans").n_rollups == 6
