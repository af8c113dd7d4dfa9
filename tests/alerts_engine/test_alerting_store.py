"""Alerts end to end on the store: a backfill raises one alert for a drift, its notification
goes through the outbox to a real webhook on loopback (signed CloudEvent), silences suppress,
failed deliveries become dead letters, acknowledgement stops re-notification, late labels
revise an alert. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from driftpilot.alerts.channels.webhook import verify_signature
from driftpilot.alerts.config import AlertingConfig, RetryConfig, Route
from driftpilot.alerts.dispatch import Dispatcher
from driftpilot.alerts.manager import AlertManager
from driftpilot.datasets import make_traffic
from driftpilot.errors import NotFoundError
from driftpilot.monitor import CheckResult, MonitorReport, MonitorSpec, Runner, parse_monitors
from driftpilot.store import Store
from traffic_fixtures import _labels, _load, _to_iso

HOUR = 3_600_000_000


class _Hook:
    """A real HTTP server on loopback that records requests and answers ``status``."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                hook.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(hook.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                del args

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[_Hook]:
    server = _Hook()
    yield server
    server.close()


def _setup(
    store: Store, hook: _Hook, *, retry: dict[str, float] | None = None,
    dispatch_clock: Callable[[], float] = time.time, **rule: Any,
) -> tuple[MonitorSpec, Runner, Dispatcher]:  # fmt: skip
    traffic = make_traffic(hours=30, per_hour=320, reference_hours=12, drift_at=20, seed=21)
    _load(store, traffic)
    (spec,) = parse_monitors({
        "name": "loans-1h", "model": "loans", "window": {"size": "1h"},
        "reference": {"start": _to_iso(traffic.hour(0)), "end": _to_iso(traffic.hour(12))},
        "checks": [{"type": "feature_drift"}, {"type": "performance", "metrics": ["accuracy"]}],
        "alerts": [{"name": "drift", "when": {"check": "feature_drift"}, "tier": "warning",
                    "labels": {"team": "risk"}, **rule}],
    })  # fmt: skip
    store.monitors.put(spec.name, model=spec.model, definition=spec.to_dict(), origin="api")
    config = AlertingConfig(channels={"hook": {"type": "webhook", "url": hook.url,
                                               "secret": "s3cret"}},
                            routes=[Route(match={"team": "risk"}, channels=["hook"])],
                            retry=RetryConfig(**(retry or {})))  # fmt: skip
    clock = iter(range(10**12, 10**13, HOUR))
    manager = AlertManager(store.alerts, config, clock=lambda: next(clock))

    def on_report(s: MonitorSpec, r: Any, summary: Any, notify: bool | None) -> None:
        manager.process(s, r, summary.run_id, notify=notify)

    runner = Runner(store.source, store.runs, on_report=on_report)
    dispatcher = Dispatcher(store.alerts, config, clock=dispatch_clock, seed=0)
    return spec, runner, dispatcher


def test_a_drift_raises_one_alert_delivered_once_as_a_signed_cloudevent(
    store: Store, hook: _Hook
) -> None:
    spec, runner, dispatcher = _setup(store, hook, renotify=None)
    start = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
    runner.backfill(spec, start + 12 * HOUR, start + 30 * HOUR, notify=True)
    alerts = store.alerts.list_alerts(state="open")
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.state == "firing"
    assert alert.first_window_start == start + 20 * HOUR
    assert {f.feature for f in alert.findings} >= {"credit_score", "channel"}
    assert dispatcher.dispatch()["sent"] == 1
    assert dispatcher.dispatch() == {}  # nothing twice
    [(headers, body)] = hook.requests
    event = json.loads(body)
    assert event["specversion"] == "1.0"
    assert event["type"] == "io.driftpilot.alert.fired"
    assert event["data"]["dedup_key"] == "loans-1h/drift"
    assert verify_signature("s3cret", headers["x-driftpilot-timestamp"], body,
                            headers["x-driftpilot-signature"])  # fmt: skip
    assert store.alerts.notifications(status="sent")[0].notification_id == event["id"]


def test_silenced_notifications_are_kept_as_suppressed(store: Store, hook: _Hook) -> None:
    spec, runner, dispatcher = _setup(store, hook, renotify=None)
    store.alerts.add_silence({"model": "loans", "team": "~ri.*"}, ends_at=10**16, starts_at=0)
    start = 1_767_225_600_000_000
    runner.backfill(spec, start + 12 * HOUR, start + 30 * HOUR, notify=True)
    assert dispatcher.dispatch() == {}
    assert hook.requests == []
    assert len(store.alerts.notifications(status="suppressed")) == 1
    assert store.alerts.list_alerts(state="firing")  # the alert itself still fires


def test_a_delivery_that_fails_for_longer_than_max_age_becomes_a_dead_letter(
    store: Store, hook: _Hook
) -> None:
    now = [2_000_000_000.0]
    spec, runner, dispatcher = _setup(
        store, hook, retry={"backoff": 10, "max_backoff": 20, "max_age": 60},
        dispatch_clock=lambda: now[0], renotify=None,
    )  # fmt: skip
    hook.status = 503
    start = 1_767_225_600_000_000
    runner.backfill(spec, start + 12 * HOUR, start + 30 * HOUR, notify=True)
    outcomes = []
    for _ in range(10):
        counts = dispatcher.dispatch()
        outcomes.extend(counts.elements())
        assert dispatcher.dispatch() == {}  # not due again at once: the wait is in time
        now[0] += 21  # past the longest wait (max_backoff)
    assert outcomes[-1] == "failed"
    assert outcomes[:-1] == ["retrying"] * (len(outcomes) - 1)
    [dead] = store.alerts.notifications(status="failed")
    assert dead.attempts == len(outcomes) == len(hook.requests)
    assert 3 <= dead.attempts <= 4  # attempts 21 s apart, given up past 60 s after the first
    assert dead.last_status == 503
    assert "503" in (dead.last_error or "")
    assert "max_age=60" in (dead.last_error or "")


def test_a_404_dead_letters_at_once_and_retry_sends_it_again(store: Store, hook: _Hook) -> None:
    spec, runner, dispatcher = _setup(store, hook, renotify=None)
    hook.status = 404
    start = 1_767_225_600_000_000
    runner.backfill(spec, start + 12 * HOUR, start + 30 * HOUR, notify=True)
    assert dispatcher.dispatch() == {"failed": 1}
    [dead] = store.alerts.notifications(status="failed")
    assert (dead.attempts, dead.last_status) == (1, 404)
    hook.status = 200  # the receiver's route is fixed
    assert dispatcher.dispatch() == {}  # a dead letter stays dead until retried
    assert store.alerts.retry_dead_letters(dead.id) == 1
    with pytest.raises(NotFoundError, match="no dead letter"):
        store.alerts.retry_dead_letters(dead.id)
    assert dispatcher.dispatch() == {"sent": 1}
    [sent] = store.alerts.notifications(status="sent")
    assert (sent.id, sent.attempts) == (dead.id, 2)
    assert len(hook.requests) == 2
    assert (
        hook.requests[0][1] == hook.requests[1][1]
        or json.loads(hook.requests[0][1])["id"] == json.loads(hook.requests[1][1])["id"]
    )  # the same notification, same CloudEvent id


@pytest.mark.slow
def test_a_receiver_down_longer_than_the_old_budget_gets_the_notification_after(
    store: Store,
) -> None:
    """The old delivery gave up after 5 attempts in 4.4 s; the receiver is down for 9 s here."""
    hook = _Hook()
    port = hook.server.server_address[1]
    spec, runner, dispatcher = _setup(
        store, hook, retry={"backoff": 0.25, "max_backoff": 1.0, "max_age": 120},
        renotify=None,
    )  # fmt: skip
    hook.close()  # down: connections refused
    start = 1_767_225_600_000_000
    runner.backfill(spec, start + 12 * HOUR, start + 30 * HOUR, notify=True)
    down_until = time.monotonic() + 9.0
    while time.monotonic() < down_until:
        assert "failed" not in dispatcher.dispatch()
        time.sleep(0.1)
    [waiting] = store.alerts.notifications(status="pending")
    assert waiting.attempts >= 6  # more than the old budget of 5
    assert "ConnectError" in (waiting.last_error or "")
    hook = _Hook(port)  # back up, on the same address
    try:
        deadline = time.monotonic() + 30
        while not store.alerts.notifications(status="sent") and time.monotonic() < deadline:
            dispatcher.dispatch()
            time.sleep(0.1)
        [sent] = store.alerts.notifications(status="sent")
        assert sent.attempts > waiting.attempts
        assert len(hook.requests) == 1
        assert json.loads(hook.requests[0][1])["id"] == sent.notification_id
    finally:
        hook.close()


def test_acknowledged_alerts_are_not_renotified(store: Store, hook: _Hook) -> None:
    spec, runner, _ = _setup(store, hook, renotify="1h")
    start = 1_767_225_600_000_000
    runner.backfill(spec, start + 12 * HOUR, start + 22 * HOUR, notify=True)
    [alert] = store.alerts.list_alerts(state="open")
    assert alert.id is not None
    before = {n.id for n in store.alerts.notifications()}
    store.alerts.acknowledge(alert.id, by="me")
    runner.backfill(spec, start + 22 * HOUR, start + 30 * HOUR, notify=True)
    after = [n.kind for n in store.alerts.notifications() if n.id not in before]
    assert "renotify" not in after
    assert [n.kind for n in store.alerts.notifications()].count("fired") == 1
    acked = store.alerts.get(alert.id)
    assert acked.state == "acknowledged"
    assert acked.acknowledged_by == "me"


def test_late_labels_raise_the_alert_of_a_past_window_as_a_revision(
    store: Store, hook: _Hook
) -> None:
    traffic = make_traffic(hours=20, per_hour=320, reference_hours=12, concept_at=16, seed=22)
    _load(store, traffic, labels=False)
    start = traffic.start
    cut = _to_iso(start + 14 * HOUR)
    _labels(store, [lb for lb in traffic.labels if str(lb["timestamp"]) < cut])
    (spec,) = parse_monitors({
        "name": "loans-1h", "model": "loans", "window": {"size": "1h"},
        "reference": {"start": _to_iso(start), "end": _to_iso(start + 12 * HOUR)},
        "checks": [{"type": "performance", "metrics": ["accuracy"], "severity": "critical"}],
        "alerts": [{"name": "accuracy", "when": {"check": "performance", "severity": "critical"},
                    "tier": "critical", "for": 3, "renotify": None}],
    })  # fmt: skip
    store.monitors.put(spec.name, model=spec.model, definition=spec.to_dict(), origin="api")
    config = AlertingConfig(channels={"hook": {"type": "webhook", "url": hook.url}},
                            routes=[Route(channels=["hook"])])  # fmt: skip
    manager = AlertManager(store.alerts, config, clock=lambda: 0)

    def on_report(s: MonitorSpec, r: Any, summary: Any, notify: bool | None) -> None:
        manager.process(s, r, summary.run_id, notify=notify)

    runner = Runner(store.source, store.runs, on_report=on_report)
    runner.backfill(spec, start + 12 * HOUR, start + 20 * HOUR)
    assert store.alerts.list_alerts() == []  # the concept windows had no labels yet
    _labels(store, [lb for lb in traffic.labels if str(lb["timestamp"]) >= cut])
    outcomes = runner.backfill(spec, start + 12 * HOUR, start + 20 * HOUR)
    assert any(o.status == "revised" for o in outcomes)
    [alert] = store.alerts.list_alerts(state="firing")
    assert alert.first_window_start >= start + 16 * HOUR
    [notice] = store.alerts.notifications()
    assert notice.kind == "fired"
    assert notice.payload["revision"] is True
    assert "Late-label revision" in notice.payload["text"]


def test_a_notification_names_the_version_its_monitor_watches(store: Store) -> None:
    """With a time-range reference there is no baseline version: the monitor's own is named."""
    store.models.create_model("loans", "binary")
    (spec,) = parse_monitors({
        "name": "m", "model": "loans", "version": "2", "window": {"size": "1h"},
        "reference": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"},
        "checks": [{"type": "feature_drift"}],
        "alerts": [{"name": "drift", "when": {"check": "feature_drift"},
                    "labels": {"team": "risk"}, "message": "version {{ version }}"}],
    })  # fmt: skip
    config = AlertingConfig(channels={"hook": {"type": "webhook", "url": "http://127.0.0.1:9/x"}},
                            routes=[Route(match={"team": "risk"}, channels=["hook"])])  # fmt: skip
    result = CheckResult(check="feature_drift", kind="drift", metric="psi", feature="age",
                         value=0.4, severity="warning")  # fmt: skip
    report = MonitorReport(monitor="m", model="loans", window_start=HOUR, window_end=2 * HOUR,
                           reference={"kind": "range", "start": 0, "end": HOUR}, revision=1,
                           evaluated_at=0, n_events=500, n_labels=0, results=[result])  # fmt: skip
    AlertManager(store.alerts, config, clock=lambda: 10**12).process(spec, report)
    [item] = store.alerts.notifications(status="pending")
    assert item.payload["version"] == "2"
    assert item.payload["text"] == "version 2"
