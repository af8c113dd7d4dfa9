"""What a notification made by the alert manager carries and how each channel renders it.

The context is keyed by check name (two KPI checks no longer overwrite each other), an unknown
check in ``context`` fails when the monitor is loaded, and every channel shows the tier once.
Runs on SQLite and PostgreSQL (the outbox is the store's).
"""

from __future__ import annotations

from typing import Any

import pytest

from driftpilot.alerts.channels import opsgenie, pagerduty, slack, teams
from driftpilot.alerts.channels.email import EmailChannel
from driftpilot.alerts.config import AlertingConfig, Route
from driftpilot.alerts.manager import AlertManager, notification_from
from driftpilot.alerts.notification import Notification
from driftpilot.errors import MonitorDefinitionError
from driftpilot.monitor import CheckResult, MonitorReport, MonitorSpec, parse_monitors
from driftpilot.store import Store

HOUR = 3_600_000_000


def _spec(**rule: Any) -> MonitorSpec:
    (spec,) = parse_monitors({
        "name": "m", "model": "loans", "window": {"size": "1h"},
        "reference": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"},
        "checks": [
            {"type": "kpi", "name": "missed", "function": "json:dumps", "max": 10},
            {"type": "kpi", "name": "fraud", "function": "json:dumps", "max": 10},
            {"type": "feature_drift"},
            {"type": "volume"},
        ],
        "alerts": [{"name": "kpis", "when": {"kind": "kpi"}, "tier": "critical", **rule}],
    })  # fmt: skip
    return spec


def _report(results: list[CheckResult]) -> MonitorReport:
    return MonitorReport(monitor="m", model="loans", window_start=HOUR, window_end=2 * HOUR,
                         reference={"kind": "range", "start": 0, "end": HOUR}, revision=1,
                         evaluated_at=0, n_events=500, n_labels=0, results=results)  # fmt: skip


def _results() -> list[CheckResult]:
    return [
        CheckResult(check="missed", kind="kpi", metric="kpi", value=32.0, upper=10,
                    severity="warning"),
        CheckResult(check="fraud", kind="kpi", metric="kpi", value=5.0, upper=10),
        CheckResult(check="feature_drift", kind="drift", metric="psi", feature="age", value=0.4),
        CheckResult(check="feature_drift", kind="drift", metric="psi", feature="income",
                    segment="region=north", value=0.1),
        CheckResult(check="volume", kind="quality", metric="volume", value=500.0),
    ]  # fmt: skip


def _notify(store: Store, spec: MonitorSpec, results: list[CheckResult]) -> Notification:
    store.models.create_model("loans", "binary")
    config = AlertingConfig(
        public_url="https://dp.example.com",
        channels={"hook": {"type": "webhook", "url": "http://127.0.0.1:9/x"}},
        routes=[Route(channels=["hook"])],
    )
    AlertManager(store.alerts, config, clock=lambda: 10**12).process(spec, _report(results))
    [item] = store.alerts.notifications(status="pending")
    return notification_from(item.payload)


def test_context_is_keyed_by_check_name(store: Store) -> None:
    spec = _spec(context=["feature_drift", "volume"],
                 message="missed {{ context.missed }}, fraud {{ context.fraud }}")  # fmt: skip
    n = _notify(store, spec, _results())
    assert dict(n.context) == {
        "missed": 32.0,
        "fraud": 5.0,
        "feature_drift": {"age/psi": 0.4, "region=north/income/psi": 0.1},
        "volume": 500.0,
    }
    assert n.text == "missed 32.0, fraud 5.0"


def test_context_names_only_what_the_rule_asks_besides_the_kpis(store: Store) -> None:
    n = _notify(store, _spec(), _results())
    assert dict(n.context) == {"missed": 32.0, "fraud": 5.0}


def test_an_unknown_check_in_context_fails_at_load_time() -> None:
    with pytest.raises(MonitorDefinitionError) as caught:
        _spec(context=["mised"])
    message = str(caught.value)
    assert "field 'alerts'" in message
    assert "'mised'" in message
    assert "missed, fraud, feature_drift, volume" in message


def _once(text: str, tag: str = "[CRITICAL]") -> None:
    assert text.count(tag) == 1, text
    assert text.count("CRITICAL") == 1, text


def test_every_channel_shows_the_tier_once(store: Store) -> None:
    n = _notify(store, _spec(), _results())
    assert n.tier == "critical"
    assert n.title == "kpis on loans: 1 finding(s)"
    _once(slack.message(n)["text"])
    header = slack.blocks(n)[0]["text"]["text"]
    assert "CRITICAL" not in header  # the emoji and the Tier field say it
    email = EmailChannel("127.0.0.1", 25, sender="dp@example.com", recipients=["a@example.com"])
    _once(str(email.message(n)["Subject"]))
    # PagerDuty, Opsgenie and Teams say the tier in their own field (severity, priority,
    # colour), so their summary is the bare title
    event = pagerduty.event(n, routing_key="k", source="dp")
    assert event["payload"]["summary"] == n.title
    assert event["payload"]["severity"] == "critical"
    assert opsgenie.create_request(n, source="dp")["message"] == n.title
    assert teams.card(n)["body"][0]["text"] == n.title
    resolved = notification_from(_fields_of(n, kind="resolved"))
    subject = str(email.message(resolved)["Subject"])
    assert subject.startswith("[RESOLVED] kpis on loans")
    assert "CRITICAL" not in subject


def _fields_of(n: Notification, **changes: Any) -> dict[str, Any]:
    fields = {name: getattr(n, name) for name in n.__dataclass_fields__}
    fields["findings"] = [f.to_dict() for f in n.findings]
    fields.update(changes)
    return fields
