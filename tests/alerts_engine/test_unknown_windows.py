"""Alerts on windows that judged nothing, checks that failed, and backfills (issue 11 §1-§3).

* A window of status ``no_data`` (traffic stopped) neither opens nor resolves an alert: before,
  it counted as clear and resolved the drift alert when traffic stopped.
* A check of status ``error`` raises the built-in ``check-error`` alert (unless the monitor
  says ``alert_on_error: false``), resolved when the check evaluates again.
* A backfill records alerts but keeps their notifications as ``suppressed`` with the reason,
  unless asked to notify; so do live runs of windows older than ``max_window_age``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from driftpilot.alerts.config import AlertingConfig, Route
from driftpilot.alerts.engine import step
from driftpilot.alerts.manager import AlertManager
from driftpilot.datasets import make_traffic
from driftpilot.monitor import (
    CheckResult,
    MonitorReport,
    MonitorSpec,
    Runner,
    Window,
    parse_monitors,
)
from driftpilot.store import Store
from traffic_fixtures import _load, _to_iso

HOUR = 3_600_000_000
_CONFIG = AlertingConfig(channels={"hook": {"type": "webhook", "url": "http://127.0.0.1:9/"}},
                         routes=[Route(channels=["hook"])])  # fmt: skip


def _report(hour: int, results: list[CheckResult]) -> MonitorReport:
    return MonitorReport(monitor="m", model="loans", window_start=hour * HOUR,
                         window_end=(hour + 1) * HOUR, reference={}, revision=1, evaluated_at=0,
                         n_events=100, n_labels=0, results=results)  # fmt: skip


def _spec(**fields: Any) -> MonitorSpec:
    return parse_monitors({"name": "m", "model": "loans", "checks": [{"type": "feature_drift"}],
                           "alerts": [{"name": "drift", "when": {"check": "feature_drift"}}],
                           **fields})[0]  # fmt: skip


def _drift(severity: str = "warning") -> CheckResult:
    return CheckResult(check="feature_drift", kind="drift", metric="psi", feature="age",
                       value=0.3, severity=severity)  # type: ignore[arg-type]  # fmt: skip


def _no_data() -> CheckResult:
    return CheckResult(check="feature_drift", kind="drift", metric="drift", value=None,
                       status="no_data", reason="no events in the window")  # fmt: skip


def test_a_no_data_window_neither_resolves_nor_counts_towards_clear() -> None:
    rule = _spec(alerts=[{"name": "drift", "when": {"check": "feature_drift"},
                          "clear": 2}]).alerts[0]  # fmt: skip
    [fired] = step(rule, _report(0, [_drift()]), [], now=0)
    alert = replace(fired.alert, id=1, state="firing")
    assert step(rule, _report(1, [_no_data()]), [alert], now=1) == []  # unknown: unchanged
    [once] = step(rule, _report(2, [_drift("none")]), [alert], now=2)
    assert once.notify is None
    assert once.alert.clear == 1
    [gone] = step(rule, _report(3, [_drift("none")]), [once.alert], now=3)
    assert gone.notify == "resolved"


def test_a_no_data_window_opens_nothing() -> None:
    rule = _spec().alerts[0]
    assert step(rule, _report(0, [_no_data()]), [], now=0) == []


def test_an_error_result_fires_the_builtin_rule_until_the_check_evaluates() -> None:
    spec = _spec()
    rule = spec.rules[-1]
    error = CheckResult(check="feature_drift", kind="drift", metric="drift", value=None,
                        status="error", reason="no reference")  # fmt: skip
    [fired] = step(rule, _report(0, [error]), [], now=0)
    assert fired.notify == "fired"
    assert fired.alert.group == {"check": "feature_drift"}
    assert fired.alert.tier == "warning"
    alert = replace(fired.alert, id=1)
    assert step(rule, _report(1, [_no_data()]), [alert], now=1) == []
    [gone] = step(rule, _report(2, [_drift("none")]), [alert], now=2)
    assert gone.notify == "resolved"
    assert _spec(alert_on_error=False).rules == spec.alerts


def _traffic_monitor(store: Store) -> tuple[MonitorSpec, Any]:
    traffic = make_traffic(hours=30, per_hour=320, reference_hours=12, drift_at=20, seed=21)
    _load(store, traffic)
    (spec,) = parse_monitors({
        "name": "loans-1h", "model": "loans", "window": {"size": "1h"},
        "reference": {"start": _to_iso(traffic.hour(0)), "end": _to_iso(traffic.hour(12))},
        "checks": [{"type": "feature_drift"}, {"type": "kpi",
                                               "function": "traffic_fixtures:failing_kpi"}],
        "alerts": [{"name": "drift", "when": {"check": "feature_drift"}, "renotify": None}],
    })  # fmt: skip
    store.monitors.put(spec.name, model=spec.model, definition=spec.to_dict(), origin="api")
    return spec, traffic


def _runner(store: Store, manager: AlertManager) -> Runner:
    def on_report(s: MonitorSpec, r: MonitorReport, summary: Any, notify: bool | None) -> None:
        manager.process(s, r, summary.run_id, notify=notify)

    return Runner(store.source, store.runs, on_report=on_report)


def test_a_backfill_records_alerts_but_suppresses_their_notifications(store: Store) -> None:
    spec, traffic = _traffic_monitor(store)
    manager = AlertManager(store.alerts, _CONFIG, clock=lambda: traffic.hour(31))
    _runner(store, manager).backfill(spec, traffic.hour(12), traffic.hour(30))
    rules = {a.rule for a in store.alerts.list_alerts(state="firing")}
    assert rules == {"drift", "check-error"}  # recorded: the drift, and the failing KPI
    assert store.alerts.notifications(status="pending") == []
    suppressed = store.alerts.notifications(status="suppressed")
    assert len(suppressed) == 2
    assert all(n.payload["suppressed_reason"].startswith("backfill") for n in suppressed)
    assert all(n.to_dict()["payload"]["suppressed_reason"] for n in suppressed)


def test_a_backfill_asked_to_notify_queues_them(store: Store) -> None:
    spec, traffic = _traffic_monitor(store)
    manager = AlertManager(store.alerts, _CONFIG, clock=lambda: traffic.hour(300),
                           max_window_age=6 * 3600)  # fmt: skip
    _runner(store, manager).backfill(spec, traffic.hour(12), traffic.hour(30), notify=True)
    assert len(store.alerts.notifications(status="pending")) == 2
    assert store.alerts.notifications(status="suppressed") == []


@pytest.mark.parametrize(("age_hours", "status"), [(7, "suppressed"), (1, "pending")])
def test_live_runs_of_old_windows_do_not_notify(store: Store, age_hours: int, status: str) -> None:
    spec, traffic = _traffic_monitor(store)
    now = traffic.hour(22) + age_hours * HOUR
    manager = AlertManager(store.alerts, _CONFIG, clock=lambda: now, max_window_age=6 * 3600)
    _runner(store, manager).run_window(spec, Window(traffic.hour(21), traffic.hour(22)))
    [note] = [n for n in store.alerts.notifications() if n.payload["rule"] == "drift"]
    assert note.status == status
    if status == "suppressed":
        assert "7.0 h ago, more than the 6 h notify_max_age" in note.payload["suppressed_reason"]
    assert store.alerts.list_alerts(state="firing")  # recorded either way
