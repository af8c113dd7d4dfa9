"""Result statuses on the store: a check that cannot judge says so (issue 11 §1, §2).

``error``: the check could not evaluate (a KPI function that raises, a test that does not fit
a column the definition could not know about); ``no_data``: nothing to judge (an empty
window). Before, each was "value None, severity none", indistinguishable from fine. A window
that has not ended cannot be evaluated at all.
"""

from __future__ import annotations

from typing import Any

import pytest

from driftpilot.datasets import Traffic, make_traffic
from driftpilot.errors import InvalidParameterError
from driftpilot.monitor import MonitorSpec, Runner, Window, parse_monitors
from driftpilot.store import Store
from traffic_fixtures import _load, _to_iso

HOUR = 3_600_000_000


@pytest.fixture(scope="module")
def traffic() -> Traffic:
    return make_traffic(hours=60, per_hour=100, reference_hours=48, seed=3)


def _stored(store: Store, traffic: Traffic, checks: list[dict[str, Any]]) -> MonitorSpec:
    """Store a monitor as an older release would have accepted it (no load-time facts)."""
    (spec,) = parse_monitors({
        "name": "loans-6h", "model": "loans", "window": {"size": "6h"},
        "reference": {"start": _to_iso(traffic.hour(0)), "end": _to_iso(traffic.hour(48))},
        "checks": checks,
    })  # fmt: skip
    store.monitors.put(spec.name, model=spec.model, definition=spec.to_dict(), origin="api")
    return spec


def test_a_check_that_cannot_evaluate_is_an_error_with_its_reason(
    store: Store, traffic: Traffic
) -> None:
    _load(store, traffic)
    spec = _stored(store, traffic, [
        {"type": "kpi", "function": "traffic_fixtures:failing_kpi"},
        {"type": "feature_drift", "test": "ks"},  # 'channel' and 'region' are categorical
        {"type": "performance_decay", "metric": "accuracy"},  # no expected value anywhere
        {"type": "missing_values"},
    ])  # fmt: skip
    runner = Runner(store.source, store.runs, owner="test")
    [outcome] = runner.backfill(spec, traffic.hour(48), traffic.hour(54))
    assert outcome.report is not None
    by_check = {r.check: r for r in outcome.report.results}
    assert by_check["kpi"].status == "error"
    assert "ZeroDivisionError: no revenue booked yet" in (by_check["kpi"].reason or "")
    drift = by_check["feature_drift"]
    assert drift.status == "error"  # never a silent Jensen-Shannon instead
    assert "'ks' cannot be used on column 'channel'" in (drift.reason or "")
    assert by_check["performance_decay"].status == "error"
    assert {r.status for r in outcome.report.results if r.check == "missing_values"} == {"ok"}
    stored = store.runs.report(outcome.summary.run_id)  # type: ignore[union-attr]
    assert {r.check: r.status for r in stored.results}["kpi"] == "error"  # kept as recorded


def test_an_empty_window_is_no_data_except_for_volume_and_freshness(
    store: Store, traffic: Traffic
) -> None:
    _load(store, traffic)
    spec = _stored(store, traffic, [
        {"type": "feature_drift"}, {"type": "missing_values"}, {"type": "type_violations"},
        {"type": "performance", "metrics": ["accuracy"]}, {"type": "confidence"},
        {"type": "detector"}, {"type": "estimated_performance", "metrics": ["accuracy"]},
        {"type": "volume", "history": 4}, {"type": "freshness", "max_age": "1h"},
    ])  # fmt: skip
    runner = Runner(store.source, store.runs, owner="test")
    [outcome] = runner.backfill(spec, traffic.hour(60), traffic.hour(66))  # after the traffic
    assert outcome.report is not None
    statuses = {r.check: r.status for r in outcome.report.results}
    judged = {"volume", "freshness"}
    assert {c: s for c, s in statuses.items() if c not in judged} == {
        c: "no_data" for c in statuses if c not in judged
    }
    assert len(statuses) == 9
    assert statuses["volume"] == statuses["freshness"] == "ok"
    flagged = {r.check for r in outcome.report.flagged}
    assert flagged == {"volume", "freshness"}  # traffic stopped: those two say so


def test_a_window_that_has_not_ended_is_refused(store: Store, traffic: Traffic) -> None:
    _load(store, traffic)
    spec = _stored(store, traffic, [{"type": "volume"}])
    now = traffic.hour(50) + HOUR // 2
    runner = Runner(store.source, store.runs, owner="test", clock=lambda: now)
    with pytest.raises(InvalidParameterError, match="is not complete until"):
        runner.run_window(spec, Window(traffic.hour(48), traffic.hour(54)))
    assert store.runs.runs(spec.name) == []
    done = runner.run_window(spec, Window(traffic.hour(42), traffic.hour(48)))
    assert done.status == "ran"


def test_a_backfill_without_a_baseline_reads_the_features_its_drift_check_falls_back_to(
    store: Store, traffic: Traffic
) -> None:
    """Regression: a label check made the backfill preload events without features, and the
    drift check's fallback to exact mode (no baseline histograms) then crashed the backfill."""
    store.models.create_model("loans", "binary")
    store.events.ingest("loans", traffic.events)
    spec = _stored(store, traffic, [
        {"type": "feature_drift", "min_events": 30}, {"type": "performance_decay"},
    ])  # fmt: skip
    runner = Runner(store.source, store.runs, owner="test")
    [outcome] = runner.backfill(spec, traffic.hour(48), traffic.hour(54))
    assert outcome.report is not None
    drift = [r for r in outcome.report.results if r.check == "feature_drift"]
    assert {r.status for r in drift} == {"ok"}
    assert any("exact mode" in note for note in outcome.report.notes)
