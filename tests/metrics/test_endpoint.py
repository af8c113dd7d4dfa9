"""``GET /metrics`` through FastAPI's test client, on SQLite and on PostgreSQL (``db_url``).

Reports are recorded with the store's ``runs.record`` (as a monitor run would) and the scrape
is read back with prometheus_client's own parser of the text format.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from driftpilot.monitor import CheckResult, MonitorReport
from driftpilot.server import Settings, create_app
from driftpilot.server.metrics import LATENCY_BUCKETS, ServiceMetrics, StoreCollector
from driftpilot.store import Store, create_engine

HOUR = 3_600_000_000
T0 = 1_714_521_600_000_000  # 2024-05-01T00:00:00Z in microseconds

Families = dict[str, list[Sample]]


def _scrape(client: TestClient, **headers: str) -> Families:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return _parse(answer.text)


def _parse(text: str) -> Families:
    families: Families = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            families.setdefault(sample.name, []).append(sample)
    return families


def _values(families: Families, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples of ``name`` by their sorted labels; a repeated label set fails."""
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for sample in families.get(name, []):
        key = tuple(sorted(sample.labels.items()))
        assert key not in found, f"duplicate series {name}{dict(key)}"
        found[key] = sample.value
    return found


def _labels(**labels: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def _report(results: list[CheckResult], *, start: int, revision: int = 1) -> MonitorReport:
    return MonitorReport(
        monitor="hourly", model="loans", window_start=start, window_end=start + HOUR,
        reference={"version": "v1"}, revision=revision, evaluated_at=start + HOUR + revision,
        n_events=100, n_labels=0, results=results,
    )  # fmt: skip


def _newest_results(psi_age: float) -> list[CheckResult]:
    drift = {"check": "feature_drift", "kind": "drift", "n": 100}
    return [
        CheckResult(**drift, metric="ks", feature="age", value=0.31, p_value=0.001,
                    severity="warning"),
        CheckResult(**drift, metric="psi", feature="age", value=psi_age),
        CheckResult(**drift, metric="psi", feature="income", value=0.02),
        CheckResult(**drift, metric="psi", feature="age", segment="plan=pro", value=0.4,
                    severity="critical"),
        CheckResult(**drift, metric="drift", value=None, reason="no reference"),
        CheckResult(check="missing_values", kind="quality", metric="missing_rate",
                    feature="income", value=0.125),
        CheckResult(check="out_of_range", kind="quality", metric="out_of_range", feature="age",
                    value=0.01, severity="warning"),
        CheckResult(check="performance", kind="performance", metric="accuracy", value=0.875,
                    lower=0.8, severity="critical", n_labels=80),
        CheckResult(check="estimated_performance", kind="estimated_performance",
                    metric="accuracy", value=0.85, lower=0.8, upper=0.95),
        CheckResult(check="volume", kind="quality", metric="volume", value=100.0,
                    segment="plan=pro"),
    ]  # fmt: skip


@pytest.fixture
def recorded(app: FastAPI, client: TestClient) -> Store:
    """Model ``loans`` (versions v1, then v2), monitor ``hourly`` with two windows recorded,
    the newest one twice (revision 2 is current)."""
    store: Store = app.state.store
    store.models.create_model("loans", "binary")
    store.models.create_version("loans", "v1")
    store.models.create_version("loans", "v2")
    store.monitors.put("hourly", model="loans", definition={"checks": []}, origin="api")
    store.monitors.put("idle", model="loans", definition={"checks": []}, origin="api")
    old = [CheckResult(check="feature_drift", kind="drift", metric="psi", feature="age",
                       value=0.9, severity="critical")]  # fmt: skip
    store.runs.record(_report(old, start=T0))
    store.runs.record(_report(_newest_results(psi_age=0.5), start=T0 + HOUR))
    store.runs.record(_report(_newest_results(psi_age=0.0625), start=T0 + HOUR, revision=2))
    return store


def test_the_newest_window_is_exported_with_its_labels(recorded: Store, client: TestClient) -> None:
    families = _scrape(client)
    base = {"model": "loans", "monitor": "hourly"}
    assert _values(families, "driftpilot_feature_psi") == {
        _labels(**base, version="v2", feature="age", segment=""): 0.0625,  # revision 2
        _labels(**base, version="v2", feature="income", segment=""): 0.02,
        _labels(**base, version="v2", feature="age", segment="plan=pro"): 0.4,
    }
    assert _values(families, "driftpilot_feature_drift_score") == {
        _labels(**base, version="v2", feature="age", segment="", test="ks"): 0.31,
    }
    assert _values(families, "driftpilot_drift_detected") == {
        _labels(**base, feature="age", segment=""): 1.0,  # the KS test flagged it
        _labels(**base, feature="income", segment=""): 0.0,
        _labels(**base, feature="age", segment="plan=pro"): 1.0,
    }
    assert _values(families, "driftpilot_missing_ratio") == {
        _labels(**base, feature="income"): 0.125
    }
    assert _values(families, "driftpilot_data_quality_value") == {
        _labels(**base, check="out_of_range", metric="out_of_range", feature="age"): 0.01,
    }  # the segment's volume has no series: the family has no segment label
    assert _values(families, "driftpilot_model_performance") == {
        _labels(**base, metric="accuracy"): 0.875
    }
    band = _labels(**base, metric="accuracy")
    assert _values(families, "driftpilot_estimated_performance") == {band: 0.85}
    assert _values(families, "driftpilot_estimated_performance_lower") == {band: 0.8}
    assert _values(families, "driftpilot_estimated_performance_upper") == {band: 0.95}
    assert _values(families, "driftpilot_check_severity") == {
        _labels(**base, check="feature_drift"): 2.0,
        _labels(**base, check="missing_values"): 0.0,
        _labels(**base, check="out_of_range"): 1.0,
        _labels(**base, check="performance"): 2.0,
        _labels(**base, check="estimated_performance"): 0.0,
        _labels(**base, check="volume"): 0.0,
    }
    assert _values(families, "driftpilot_monitor_last_window_end_timestamp_seconds") == {
        _labels(**base): (T0 + 2 * HOUR) / 1e6  # "idle" never ran: no series
    }
    assert _values(families, "driftpilot_metrics_store_up") == {(): 1.0}


def test_an_empty_store_exports_empty_families(client: TestClient) -> None:
    answer = client.get("/metrics")
    assert "# TYPE driftpilot_feature_psi gauge" in answer.text
    families = _parse(answer.text)
    assert _values(families, "driftpilot_metrics_store_up") == {(): 1.0}
    assert "driftpilot_feature_psi" not in families


def test_the_fast_text_equals_prometheus_clients_own(recorded: Store) -> None:
    """``/metrics`` writes the store's gauges itself; prometheus_client writes the same."""
    recorded.monitors.put("odd", model="loans", definition={"checks": []}, origin="api")
    odd = 'we"ird\\feature\nname'
    results = [CheckResult(check="feature_drift", kind="drift", metric="psi", feature=odd,
                           value=1e-300), CheckResult(check="feature_drift", kind="drift",
                           metric="psi", feature="big", value=1.5e300)]  # fmt: skip
    recorded.runs.record(MonitorReport(
        monitor="odd", model="loans", window_start=T0, window_end=T0 + HOUR, reference={},
        revision=1, evaluated_at=T0, n_events=1, n_labels=0, results=results,
    ))  # fmt: skip
    collector = StoreCollector(recorded.metrics, alerts_firing=lambda: {("loans", "a", "b"): 3})
    registry = CollectorRegistry()
    registry.register(collector)
    fast = _parse(collector.exposition().decode())
    slow = _parse(generate_latest(registry).decode())
    assert fast == slow
    psi = _values(fast, "driftpilot_feature_psi")
    assert psi[_labels(model="loans", version="v2", monitor="odd", feature=odd, segment="")] == (
        1e-300
    )
    assert _values(fast, "driftpilot_alerts_firing") == {
        _labels(model="loans", tier="a", rule="b"): 3.0
    }


def _events(n: int, latencies: list[Any], version: str = "v1") -> list[dict[str, Any]]:
    return [
        {
            "event_id": str(uuid.uuid4()), "timestamp": "2024-05-01T00:30:00+00:00",
            "model_version": version, "features": {"age": 40 + i}, "prediction": 1,
            "latency_ms": latencies[i % len(latencies)],
        }
        for i in range(n)
    ]  # fmt: skip


def test_ingest_counts_stored_events_and_observes_their_latency(
    app: FastAPI, client: TestClient
) -> None:
    key = app.state.store.keys.create(["admin"], name="metrics-tests").key
    admin = {"Authorization": f"Bearer {key}"}
    client.post("/v1/models", json={"name": "loans", "task": "binary"}, headers=admin)
    first = _events(6, [0.5, 3, 20, None, -1, 20_000])  # ms: 4 observable, 1 over 10 s
    second = _events(2, [100], version="v2")
    bad = {"event_id": "not-a-uuid", "timestamp": "2024-05-01T00:00:00+00:00"}
    for batch in ([*first, first[0], bad], [*first, *second]):  # then 6 duplicates, 2 new
        answer = client.post("/v1/models/loans/events", json={"events": batch}, headers=admin)
        assert answer.status_code == 200, answer.text
    families = _scrape(client)
    assert _values(families, "driftpilot_predictions_ingested_total") == {
        _labels(model="loans", version="v1"): 6.0,
        _labels(model="loans", version="v2"): 2.0,
    }
    buckets = {
        s.labels["le"]: s.value
        for s in families["driftpilot_prediction_latency_seconds_bucket"]
        if s.labels["model"] == "loans"
    }
    assert len(buckets) == len(LATENCY_BUCKETS) + 1
    # Seconds observed: 0.0005, 0.003, 0.02, 20 and 0.1 twice; cumulative counts per bucket.
    assert buckets["0.001"] == 1
    assert buckets["0.005"] == 2
    assert buckets["0.025"] == 3
    assert buckets["0.1"] == 5
    assert buckets["10.0"] == 5
    assert buckets["+Inf"] == 6
    assert _values(families, "driftpilot_prediction_latency_seconds_count") == {
        _labels(model="loans"): 6.0
    }
    (total,) = _values(families, "driftpilot_prediction_latency_seconds_sum").values()
    assert total == pytest.approx(0.0005 + 0.003 + 0.02 + 20 + 0.2, rel=1e-12)


def test_metrics_need_no_key_unless_asked(client: TestClient, db_url: str) -> None:
    assert client.get("/metrics").status_code == 200  # auth is on, metrics_auth is off
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]
    guarded = create_app(
        Settings(db=db_url, maintenance_seconds=0, monitor_tick_seconds=0, metrics_auth=True)
    )
    try:
        with TestClient(guarded) as guarded_client:
            denied = guarded_client.get("/metrics")
            assert denied.status_code == 401
            assert denied.json()["error"]["code"] == "unauthorized"
            store: Store = guarded.state.store
            ingest_only = store.keys.create(["ingest"]).key
            headers = {"Authorization": f"Bearer {ingest_only}"}
            assert guarded_client.get("/metrics", headers=headers).status_code == 403
            reader = store.keys.create(["read"]).key
            headers = {"Authorization": f"Bearer {reader}"}
            assert guarded_client.get("/metrics", headers=headers).status_code == 200
    finally:
        guarded.state.store.close()


@pytest.fixture
def unmigrated(tmp_path: Any) -> Iterator[Store]:
    opened = Store(create_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    yield opened
    opened.close()


def _locked() -> dict[tuple[str, str, str], int]:
    raise sa.exc.OperationalError("SELECT ...", {}, Exception("database is locked"))


def test_an_unreadable_store_is_reported_not_raised(unmigrated: Store) -> None:
    metrics = ServiceMetrics(unmigrated, alerts_firing=_locked)  # the tables do not exist
    families = _parse(metrics.exposition().decode())
    assert _values(families, "driftpilot_metrics_store_up") == {(): 0.0}
    assert "driftpilot_feature_psi" not in families
    assert "driftpilot_alerts_firing" not in families
    assert "process_cpu_seconds_total" in families or "python_info" in families


@pytest.mark.slow
def test_a_scrape_covers_more_monitors_than_one_query_chunk(store: Store) -> None:
    """Regression: 600 monitors once built an OR chain too deep for SQLite."""
    from driftpilot.store import metrics as store_metrics

    monitors = store_metrics._CHUNK + 100
    for i in range(monitors):
        store.models.create_model(f"m{i}", "binary")
        store.monitors.put(f"mon{i}", model=f"m{i}", definition={}, origin="api")
        store.runs.record(MonitorReport(
            monitor=f"mon{i}", model=f"m{i}", window_start=0, window_end=3_600_000_000,
            reference={}, revision=1, evaluated_at=0, n_events=1, n_labels=0,
            results=[CheckResult(check="feature_drift", kind="drift", metric="psi",
                                 feature="x", value=float(i), severity="none")],
        ))  # fmt: skip
    text = ServiceMetrics(store, process=False).exposition().decode()
    assert "driftpilot_metrics_store_up 1.0" in text
    assert text.count("driftpilot_feature_psi{") == monitors


def test_after_traffic_stops_each_series_keeps_its_last_judged_value(
    app: FastAPI, client: TestClient
) -> None:
    """Issue 11 §2: a window of status ``no_data`` emptied 11 of 17 Grafana panels."""
    store: Store = app.state.store
    store.models.create_model("loans", "binary")
    store.monitors.put("hourly", model="loans", definition={"checks": []}, origin="api")
    store.runs.record(_report(_newest_results(psi_age=0.5), start=T0))
    quiet = [
        CheckResult(check="feature_drift", kind="drift", metric="drift", value=None,
                    status="no_data", reason="no events in the window"),
        CheckResult(check="missing_values", kind="quality", metric="missing_values",
                    value=None, status="no_data", reason="no events"),
        CheckResult(check="performance", kind="performance", metric="accuracy", value=None,
                    status="no_data", n_labels=0),
        CheckResult(check="estimated_performance", kind="estimated_performance",
                    metric="accuracy", value=None, status="error", reason="no reference"),
        CheckResult(check="volume", kind="quality", metric="volume", value=0.0,
                    severity="warning"),
    ]  # fmt: skip
    for hour in (1, 2):
        store.runs.record(_report(quiet, start=T0 + hour * HOUR))
    families = _scrape(client)
    base = {"model": "loans", "monitor": "hourly"}
    assert _values(families, "driftpilot_feature_psi")[
        _labels(**base, version="", feature="age", segment="")
    ] == 0.5  # fmt: skip
    assert _values(families, "driftpilot_missing_ratio") == {
        _labels(**base, feature="income"): 0.125
    }
    assert _values(families, "driftpilot_model_performance") == {
        _labels(**base, metric="accuracy"): 0.875
    }
    assert _values(families, "driftpilot_estimated_performance") == {
        _labels(**base, metric="accuracy"): 0.85
    }
    assert _values(families, "driftpilot_check_severity")[_labels(**base, check="volume")] == 1.0
    ends = _values(families, "driftpilot_check_judged_window_end_timestamp_seconds")
    assert ends[_labels(**base, check="feature_drift")] == (T0 + HOUR) / 1e6
    assert ends[_labels(**base, check="volume")] == (T0 + 3 * HOUR) / 1e6
    status = _values(families, "driftpilot_check_status")
    assert status[_labels(**base, check="feature_drift", status="no_data")] == 1.0
    assert status[_labels(**base, check="feature_drift", status="ok")] == 0.0
    assert status[_labels(**base, check="estimated_performance", status="error")] == 1.0
    assert status[_labels(**base, check="volume", status="ok")] == 1.0
    assert len(status) == 3 * 6  # every status of every check: no series comes and goes
    # a late revision of an old window does not take the newest values back in time
    old = [CheckResult(check="missing_values", kind="quality", metric="missing_rate",
                       feature="income", value=0.9)]  # fmt: skip
    store.runs.record(_report(old, start=T0 - HOUR))
    assert _values(_scrape(client), "driftpilot_missing_ratio") == {
        _labels(**base, feature="income"): 0.125
    }
