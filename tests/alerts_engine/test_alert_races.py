"""Alert steps that race: two replicas stepping different windows of one monitor at once, and
an acknowledgement landing between a step's read and its write. The store refuses a write
computed from alerts that changed (``StaleAlertsError``) and the manager steps again, so one
problem stays one alert and an acknowledgement is never overwritten. Runs on SQLite and
PostgreSQL, with the race forced by a barrier between the read and the write.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from driftpilot.alerts.engine import AlertState, StaleAlertsError
from driftpilot.alerts.manager import AlertManager
from driftpilot.monitor import CheckResult, MonitorReport, MonitorSpec, parse_monitors
from driftpilot.store import Store

HOUR = 3_600_000_000


class _Pausing:
    """The store's alert repository, calling ``after_read`` after each of the first reads."""

    def __init__(self, store: Store, after_read: Callable[[list[AlertState]], None],
                 pauses: int = 1) -> None:  # fmt: skip
        self.real = store.alerts
        self.after_read = after_read
        self.pauses = pauses
        self.reads = 0
        self.stale = 0

    def open_alerts_of(self, monitor: str) -> list[AlertState]:
        alerts = self.real.open_alerts_of(monitor)
        self.reads += 1
        if self.reads <= self.pauses:
            self.after_read(alerts)
        return alerts

    def apply(self, changes: Sequence[Any], **kwargs: Any) -> list[AlertState]:
        try:
            return self.real.apply(changes, **kwargs)
        except StaleAlertsError:
            self.stale += 1
            raise

    def silences(self, *, active_at: int | None = None) -> Sequence[Any]:
        return self.real.silences(active_at=active_at)


def _spec(store: Store, **rule: Any) -> MonitorSpec:
    store.models.create_model("loans", "binary")
    (spec,) = parse_monitors({
        "name": "m", "model": "loans", "window": {"size": "1h"},
        "checks": [{"type": "feature_drift"}],
        "alerts": [{"name": "drift", "when": {"check": "feature_drift"}, "renotify": None,
                    **rule}],
    })  # fmt: skip
    return spec


def _report(hour: int, *, drifted: bool = True) -> MonitorReport:
    result = CheckResult(check="feature_drift", kind="drift", metric="psi", feature="age",
                         value=0.4 if drifted else 0.01,
                         severity="warning" if drifted else "none")  # fmt: skip
    return MonitorReport(monitor="m", model="loans", window_start=hour * HOUR,
                         window_end=(hour + 1) * HOUR, reference={}, revision=1,
                         evaluated_at=0, n_events=500, n_labels=0, results=[result])  # fmt: skip


def test_two_replicas_stepping_one_monitor_at_once_keep_one_alert(store: Store) -> None:
    spec = _spec(store)
    barrier = threading.Barrier(2, timeout=30)
    ports = [_Pausing(store, lambda _: barrier.wait()) for _ in range(2)]
    clock = iter(range(10**12, 10**13, 1_000))
    lock = threading.Lock()

    def now() -> int:
        with lock:
            return next(clock)

    managers = [AlertManager(port, clock=now) for port in ports]
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            managers[i].process(spec, _report(10 + i))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    [alert] = store.alerts.list_alerts(state="open")
    assert alert.dedup_key == "m/drift"
    assert alert.state == "firing"
    assert alert.last_window_end == 12 * HOUR  # the later window of the two was counted too
    # both read "no alert" before either wrote: one write was refused and stepped again
    assert sum(p.stale for p in ports) == 1


def test_an_acknowledgement_between_read_and_write_is_kept(store: Store) -> None:
    spec = _spec(store)
    clock = iter(range(10**12, 10**13, HOUR))
    AlertManager(store.alerts, clock=lambda: next(clock)).process(spec, _report(10))
    [alert] = store.alerts.list_alerts(state="open")
    assert alert.state == "firing"

    def acknowledge(alerts: list[AlertState]) -> None:
        [seen] = alerts
        assert seen.id is not None
        store.alerts.acknowledge(seen.id, by="oncall")

    port = _Pausing(store, acknowledge)
    AlertManager(port, clock=lambda: next(clock)).process(spec, _report(11))
    [after] = store.alerts.list_alerts(state="open")
    assert after.id == alert.id
    assert (after.state, after.acknowledged_by) == ("acknowledged", "oncall")
    assert after.last_window_end == 12 * HOUR
    assert port.stale == 1


def test_a_step_that_changes_nothing_still_notices_an_alert_it_missed(store: Store) -> None:
    spec = _spec(store, clear=2)
    clock = iter(range(10**12, 10**13, HOUR))
    other = AlertManager(store.alerts, clock=lambda: next(clock))

    def another_replica_fires(alerts: list[AlertState]) -> None:
        assert alerts == []
        other.process(spec, _report(10))

    port = _Pausing(store, another_replica_fires)
    AlertManager(port, clock=lambda: next(clock)).process(spec, _report(11, drifted=False))
    [alert] = store.alerts.list_alerts(state="open")
    assert alert.clear == 1  # the clean window was counted against the alert it first missed
    assert port.stale == 1


def test_alerts_that_never_settle_give_up_with_a_clear_error(store: Store) -> None:
    spec = _spec(store)
    clock = iter(range(10**12, 10**13, HOUR))
    other = AlertManager(store.alerts, clock=lambda: next(clock))
    hours = iter(range(100, 200))

    def another_replica_steps(_: list[AlertState]) -> None:
        other.process(spec, _report(next(hours)))

    port = _Pausing(store, another_replica_steps, pauses=10)
    with pytest.raises(StaleAlertsError, match="kept changing during 5 tries"):
        AlertManager(port, clock=lambda: next(clock)).process(spec, _report(11))
    assert port.stale == 5
