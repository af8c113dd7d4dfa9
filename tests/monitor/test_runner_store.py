"""Monitors run on the store: backfills over simulated traffic flag each incident from the window
holding it, runs are recorded once per window and revised when late labels arrive, and the
per-window lease keeps other owners out (``driftpilot.monitor.runner`` on ``driftpilot.store``).

Each test runs on SQLite and on PostgreSQL (the ``store`` fixture). Traffic comes from
``driftpilot.datasets.make_traffic`` with incidents at known hours; times in the tests are
hours after its start (2026-01-01T00:00:00Z).
"""

from __future__ import annotations

from typing import Any

import pytest

from driftpilot.datasets import Traffic, make_traffic
from driftpilot.monitor import MonitorSpec, Runner, RunOutcome, Window, evaluate, parse_monitors
from driftpilot.store import Store
from traffic_fixtures import _baseline, _labels, _load, _to_iso

HOUR = 3_600_000_000
MINUTE = 60_000_000


def _monitor(store: Store, traffic: Traffic, checks: list[dict[str, Any]],
             **fields: Any) -> MonitorSpec:  # fmt: skip
    """Store monitor ``loans-6h``: 6-hour windows against the reference hours."""
    definition = {
        "name": "loans-6h", "model": "loans", "window": {"size": "6h"},
        "reference": {"start": _to_iso(traffic.hour(0)),
                      "end": _to_iso(traffic.hour(traffic.reference_hours))},
        "checks": checks, **fields,
    }  # fmt: skip
    (spec,) = parse_monitors(definition)
    store.monitors.put(spec.name, model=spec.model, definition=spec.to_dict(), origin="api")
    return spec


def _hours(traffic: Traffic, outcomes: list[RunOutcome], check: str,
           feature: str | None = None) -> list[int]:  # fmt: skip
    """The first hour of each window where ``check`` flagged something (about ``feature``)."""
    return [
        (o.window.start - traffic.start) // HOUR
        for o in outcomes
        if o.report is not None
        and any(r.check == check and r.flagged and feature in (None, r.feature)
                for r in o.report.results)
    ]  # fmt: skip


# -- backfill over traffic with three incidents ------------------------------------------------

INCIDENTS = {"concept_at": 56, "drift_at": 69, "missing_at": 80}  # in windows 54, 66 and 78


@pytest.fixture(scope="module")
def incidents() -> Traffic:
    """Four days, 150 events an hour: two clean reference days, then a concept shift (labels
    flip, inputs the same), an input drift, and three hours without ``income``."""
    return make_traffic(hours=96, per_hour=150, reference_hours=48, seed=7, **INCIDENTS)


def test_backfill_flags_each_incident_from_the_window_holding_it(
    store: Store, incidents: Traffic
) -> None:
    _load(store, incidents)
    spec = _monitor(store, incidents, [
        {"type": "feature_drift"},
        {"type": "missing_values"},
        {"type": "performance", "metrics": ["accuracy"], "severity": "critical"},
    ])  # fmt: skip
    runner = Runner(store.source, store.runs, owner="test")
    outcomes = runner.backfill(spec, incidents.hour(48), incidents.hour(96))

    assert [o.window for o in outcomes] == [
        Window(incidents.hour(h), incidents.hour(h + 6)) for h in range(48, 96, 6)
    ]
    assert {o.status for o in outcomes} == {"ran"}
    assert all(o.report is not None and o.report.revision == 1 for o in outcomes)
    assert all(o.report is not None and o.report.n_events == 6 * 150 for o in outcomes)

    drift = _hours(incidents, outcomes, "feature_drift")
    assert drift[0] == 66  # holds hour 69; nothing flagged before
    assert set(_hours(incidents, outcomes, "feature_drift", "credit_score")) == {66, 72, 78, 84, 90}
    assert _hours(incidents, outcomes, "missing_values", "income") == [78]  # hours 80-82
    assert _hours(incidents, outcomes, "missing_values") == [78]
    performance = _hours(incidents, outcomes, "performance")
    assert performance[0] == 54  # holds hour 56; the calibrated band held before
    assert performance == list(range(54, 96, 6))

    first = outcomes[0].report
    assert first is not None
    (accuracy,) = [r for r in first.results if r.check == "performance"]
    assert accuracy.lower is not None
    assert accuracy.lower < accuracy.value  # type: ignore[operator]
    assert accuracy.details["band_chunks"] == 8  # the reference's 48 hours in 6-hour chunks
    flagged = outcomes[1]
    assert flagged.report is not None
    assert flagged.report.severity == "critical"
    assert flagged.summary is not None
    assert store.runs.report(flagged.summary.run_id).to_dict() == flagged.report.to_dict()


@pytest.mark.parametrize(
    "checks",
    [
        [  # label checks only: the backfill reads predictions, scores and labels alone
            {"type": "performance", "metrics": ["accuracy", "roc_auc"]},
            {"type": "detector", "method": "adwin"},
            {"type": "confidence", "min_confidence": 0.7, "min_share": 0.5},
        ],
        [  # features read raw: a KPI over them and an exact-mode drift check
            {"type": "kpi", "function": "traffic_fixtures:mean_income", "metric": "income"},
            {"type": "feature_drift", "mode": "exact", "features": ["income"]},
            {"type": "performance", "metrics": ["accuracy"]},
        ],
    ],
    ids=["labels-only", "features"],
)
def test_backfill_windows_equal_fresh_evaluations(
    store: Store, incidents: Traffic, checks: list[dict[str, Any]]
) -> None:
    _load(store, incidents)
    spec = _monitor(store, incidents, checks)
    runner = Runner(store.source, store.runs, owner="test")
    outcomes = runner.backfill(spec, incidents.hour(48), incidents.hour(72))
    assert len(outcomes) == 4
    for outcome in outcomes:
        assert outcome.report is not None
        fresh = evaluate(spec, store.source, outcome.window)
        got = [(r.check, r.metric, r.feature, r.value, r.reason) for r in outcome.report.results]
        want = [(r.check, r.metric, r.feature, r.value, r.reason) for r in fresh.results]
        assert got == want
        assert all(r.value is not None for r in fresh.results if r.check != "detector"), want


# -- reruns, revisions, leases -----------------------------------------------------------------


@pytest.fixture(scope="module")
def day() -> Traffic:
    """One day, 100 events an hour, the first 12 hours the reference; inputs drift from 18."""
    return make_traffic(hours=24, per_hour=100, reference_hours=12, drift_at=18, seed=3)


def test_rerun_skips_and_force_makes_the_next_revision(store: Store, day: Traffic) -> None:
    _load(store, day)
    spec = _monitor(store, day, [{"type": "feature_drift"}, {"type": "missing_values"}])
    runner = Runner(store.source, store.runs, owner="test")
    first = runner.backfill(spec, day.hour(12), day.hour(24))
    assert [o.status for o in first] == ["ran", "ran"]

    again = runner.backfill(spec, day.hour(12), day.hour(24))
    assert [o.status for o in again] == ["skipped", "skipped"]
    assert all(o.report is None for o in again)
    assert [o.summary.revision for o in again if o.summary] == [1, 1]
    assert [o.summary.run_id for o in again if o.summary] == [
        o.summary.run_id for o in first if o.summary
    ]

    forced = runner.backfill(spec, day.hour(12), day.hour(24), force=True)
    assert [o.status for o in forced] == ["revised", "revised"]
    assert [o.report.revision for o in forced if o.report] == [2, 2]
    latest = store.runs.latest(spec.name, day.hour(18), day.hour(24))
    assert latest is not None
    assert latest.revision == 2
    assert [r.revision for r in store.runs.revisions(spec.name, day.hour(18), day.hour(24))] in (
        [1, 2], [2, 1],
    )  # fmt: skip


def test_backfill_reports_progress(store: Store, day: Traffic) -> None:
    _load(store, day, labels=False)
    spec = _monitor(store, day, [{"type": "volume", "history": 2}])
    seen: list[tuple[int, int]] = []
    runner = Runner(store.source, store.runs, owner="test")
    runner.backfill(spec, day.hour(0), day.hour(24), progress=lambda i, n: seen.append((i, n)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_feature_drift_gives_one_psi_value_per_feature_and_window(
    store: Store, day: Traffic
) -> None:
    _load(store, day, labels=False)
    spec = _monitor(store, day, [{"type": "feature_drift"}])
    runner = Runner(store.source, store.runs, owner="test")
    outcomes = runner.backfill(spec, day.hour(12), day.hour(24))
    report = outcomes[-1].report
    assert report is not None
    psi = [r for r in report.results if r.feature == "credit_score" and r.metric == "psi"]
    assert len(psi) == 1, psi
    series = store.runs.series("loans", metric="psi", monitor=spec.name, check="feature_drift",
                               feature="credit_score")  # fmt: skip
    assert [p.window_start for p in series] == [day.hour(12), day.hour(18)]


def test_late_labels_revise_the_window(store: Store, day: Traffic) -> None:
    _load(store, day, labels=False)
    spec = _monitor(store, day, [{
        "type": "performance", "metrics": ["accuracy", "label_coverage"],
        "thresholds": {"accuracy": {"min": 0.5}},
    }])  # fmt: skip
    runner = Runner(store.source, store.runs, owner="test")
    window = Window(day.hour(12), day.hour(18))

    before = runner.run_window(spec, window)
    assert before.status == "ran"
    assert before.report is not None
    assert (before.report.revision, before.report.n_labels) == (1, 0)
    accuracy = next(r for r in before.report.results if r.metric == "accuracy")
    assert (accuracy.value, accuracy.n_labels) == (None, 0)

    _labels(store, day.labels)
    in_window = {str(e["event_id"]) for e in day.events[12 * 100 : 18 * 100]}
    expected = sum(str(label["event_id"]) in in_window for label in day.labels)
    assert 0 < expected < 600

    after = runner.run_window(spec, window)
    assert after.status == "revised"
    assert after.report is not None
    assert (after.report.revision, after.report.n_labels) == (2, expected)
    accuracy = next(r for r in after.report.results if r.metric == "accuracy")
    assert accuracy.n_labels == expected
    assert accuracy.value is not None

    points = store.runs.series("loans", metric="accuracy", monitor=spec.name, check="performance")
    assert [(p.window_start, p.revision, p.n_labels) for p in points] == [
        (window.start, 2, expected)
    ]
    assert points[0].value == pytest.approx(accuracy.value)
    coverage = store.runs.series("loans", metric="label_coverage", monitor=spec.name)
    assert [(p.revision, p.value) for p in coverage] == [(2, pytest.approx(expected / 600))]

    assert runner.run_window(spec, window).status == "skipped"


def test_run_due_on_a_fresh_monitor_runs_only_the_newest_complete_window(
    store: Store, day: Traffic
) -> None:
    _load(store, day, labels=False)
    spec = _monitor(store, day, [{"type": "feature_drift"}, {"type": "performance"}])
    runner = Runner(store.source, store.runs, owner="test")
    now = day.hour(24) + 20 * MINUTE

    (fresh,) = runner.run_due(spec, now)
    assert (fresh.window, fresh.status) == (Window(day.hour(18), day.hour(24)), "ran")
    assert [(r.window_start, r.revision) for r in store.runs.evaluated(spec.name, since=0)] == [
        (day.hour(18), 1)
    ]
    assert runner.run_due(spec, now) == []  # nothing new, no labels

    _labels(store, day.labels)
    (revised,) = runner.run_due(spec, now)
    assert (revised.window, revised.status) == (fresh.window, "revised")

    (following,) = runner.run_due(spec, day.hour(30) + 1)
    assert (following.window, following.status) == (Window(day.hour(24), day.hour(30)), "ran")


def test_run_due_on_a_fresh_monitor_whose_delay_spans_several_windows(store: Store) -> None:
    store.models.create_model("loans", "binary")
    (spec,) = parse_monitors({"name": "late", "model": "loans", "checks": [{"type": "volume"}],
                              "window": {"size": "1h", "delay": "3h"}})  # fmt: skip
    store.monitors.put(spec.name, model="loans", definition=spec.to_dict(), origin="api")
    t0 = 20_454 * 24 * HOUR  # 2026-01-01T00:00:00Z
    outcomes = Runner(store.source, store.runs, owner="test").run_due(spec, t0 + 10 * MINUTE)
    # Complete at 00:10 with a 3-hour delay: windows ending by 21:10 the day before.
    assert [o.window for o in outcomes] == [Window(t0 - 4 * HOUR, t0 - 3 * HOUR)]


def test_a_window_leased_by_another_owner_is_not_run(store: Store, day: Traffic) -> None:
    _load(store, day, labels=False)
    spec = _monitor(store, day, [{"type": "missing_values"}])
    window = Window(day.hour(18), day.hour(24))
    assert store.runs.acquire(spec.name, window.start, window.end, owner="replica-b",
                              ttl_seconds=600)  # fmt: skip
    runner = Runner(store.source, store.runs, owner="replica-a")

    leased = runner.run_window(spec, window)
    assert (leased.status, leased.report, leased.summary) == ("leased", None, None)
    assert store.runs.latest(spec.name, window.start, window.end) is None
    outcomes = runner.backfill(spec, day.hour(12), day.hour(24))
    assert [o.status for o in outcomes] == ["ran", "leased"]

    store.runs.release(spec.name, window.start, window.end, owner="replica-b")
    assert runner.run_window(spec, window).status == "ran"
    # replica-a gave its lease back after running, so replica-b may take it again.
    assert store.runs.acquire(spec.name, window.start, window.end, owner="replica-b",
                              ttl_seconds=600)  # fmt: skip


def test_evaluate_gives_the_same_report_for_the_same_window(store: Store, day: Traffic) -> None:
    _load(store, day)
    spec = _monitor(store, day, [
        {"type": "feature_drift"}, {"type": "missing_values"}, {"type": "volume", "history": 2},
        {"type": "performance", "metrics": ["accuracy", "roc_auc"]},
    ])  # fmt: skip
    window = Window(day.hour(18), day.hour(24))
    first = evaluate(spec, store.source, window, evaluated_at=1)
    second = evaluate(spec, store.source, window, evaluated_at=1)
    assert first.to_dict() == second.to_dict()
    assert first.reference == {"kind": "range", "start": day.hour(0), "end": day.hour(12)}
    assert first.n_events == 600
    assert any(r.check == "feature_drift" and r.flagged for r in first.results)


def test_a_runner_sees_a_new_latest_baseline(store: Store, day: Traffic) -> None:
    _load(store, day, labels=False)
    spec = _monitor(store, day, [{"type": "feature_drift"}], reference={"baseline": "latest"})
    runner = Runner(store.source, store.runs, owner="test")
    first = runner.run_window(spec, Window(day.hour(6), day.hour(12)))
    assert first.report is not None
    assert first.report.reference == {"kind": "baseline", "version": "v1"}

    store.models.put_baseline("loans", "v2", _baseline(day, range(18, 24)))
    fresh = Runner(store.source, store.runs, owner="other")
    second = fresh.run_window(spec, Window(day.hour(12), day.hour(18)))
    assert second.report is not None
    assert second.report.reference == {"kind": "baseline", "version": "v2"}
    third = runner.run_window(spec, Window(day.hour(18), day.hour(24)))
    assert third.report is not None
    assert third.report.reference == {"kind": "baseline", "version": "v2"}
