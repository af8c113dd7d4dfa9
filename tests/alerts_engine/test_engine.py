"""The alert lifecycle: grouping, flap protection, re-notification, revisions, dedup keys."""

from __future__ import annotations

from dataclasses import replace

import pytest

from driftpilot.alerts.engine import AlertState, Transition, breaches, dedup_key, matches, step
from driftpilot.monitor import CheckResult, MonitorReport, parse_monitors
from driftpilot.monitor.spec import AlertRuleSpec, Condition

HOUR = 3_600_000_000


def _drift(feature: str, value: float = 0.3, severity: str = "warning") -> CheckResult:
    return CheckResult(check="feature_drift", kind="drift", metric="psi", feature=feature,
                       value=value, severity=severity)  # type: ignore[arg-type]  # fmt: skip


def _accuracy(value: float, severity: str = "none") -> CheckResult:
    return CheckResult(check="performance", kind="performance", metric="accuracy",
                       value=value, severity=severity)  # type: ignore[arg-type]  # fmt: skip


def _report(hour: int, results: list[CheckResult], revision: int = 1) -> MonitorReport:
    return MonitorReport(monitor="m", model="loans", window_start=hour * HOUR,
                         window_end=(hour + 1) * HOUR, reference={}, revision=revision,
                         evaluated_at=0, n_events=100, n_labels=0, results=results)  # fmt: skip


def _rule(**fields: object) -> AlertRuleSpec:
    data = {"name": "drift", "when": {"check": "feature_drift"}, **fields}
    spec = parse_monitors({"name": "m", "model": "loans", "alerts": [data]})[0]
    return spec.alerts[0]


def _run(rule: AlertRuleSpec, reports: list[MonitorReport], *, now: int = 0,
         step_us: int = HOUR) -> list[list[Transition]]:  # fmt: skip
    """Step through reports, keeping the open alerts as a store would."""
    open_alerts: dict[str, AlertState] = {}
    out = []
    for i, report in enumerate(reports):
        changes = step(rule, report, list(open_alerts.values()), now=now + i * step_us)
        for change in changes:
            alert = replace(change.alert, id=change.alert.id or len(open_alerts) + 1)
            if alert.open:
                open_alerts[alert.dedup_key] = alert
            else:
                open_alerts.pop(alert.dedup_key, None)
        out.append(changes)
    return out


def test_twelve_drifted_features_give_one_alert_listing_them() -> None:
    report = _report(0, [_drift(f"f{i}") for i in range(12)] + [_accuracy(0.9)])
    [changes] = _run(_rule(), [report])
    assert len(changes) == 1
    assert changes[0].notify == "fired"
    assert len(changes[0].alert.findings) == 12
    assert changes[0].alert.dedup_key == "m/drift"


def test_group_by_feature_gives_one_alert_per_feature() -> None:
    report = _report(0, [_drift("a"), _drift("b"), _drift("c", severity="none")])
    [changes] = _run(_rule(group_by=["feature"]), [report])
    assert sorted(c.alert.dedup_key for c in changes) == ["m/drift/feature=a", "m/drift/feature=b"]


def test_a_continuing_problem_updates_one_alert_and_renotifies_after_the_interval() -> None:
    reports = [_report(h, [_drift("a")]) for h in range(6)]
    steps = _run(_rule(renotify="2h"), reports)
    kinds = [c[0].notify for c in steps]
    assert kinds == ["fired", None, "renotify", None, "renotify", None]
    assert {c[0].alert.dedup_key for c in steps} == {"m/drift"}


def test_changed_findings_are_an_update() -> None:
    steps = _run(_rule(renotify=None), [_report(0, [_drift("a")]),
                                        _report(1, [_drift("a"), _drift("b")])])  # fmt: skip
    assert [c[0].notify for c in steps] == ["fired", "updated"]


def test_flap_protection_needs_n_breaches_to_fire_and_m_clears_to_resolve() -> None:
    bad, good = [_drift("a")], [_drift("a", severity="none")]
    pattern = [bad, good, bad, bad, good, bad, good, good]
    steps = _run(_rule(**{"for": 2, "clear": 2}), [_report(h, r) for h, r in enumerate(pattern)])
    notified = [(h, c.notify) for h, changes in enumerate(steps) for c in changes if c.notify]
    assert notified == [(3, "fired"), (7, "resolved")]
    dropped = [h for h, changes in enumerate(steps) for c in changes if c.dropped]
    assert dropped == [1]  # the first lone breach never fired


def test_an_acknowledged_alert_is_not_renotified_but_resolves() -> None:
    rule = _rule(renotify="1h")
    [first] = _run(rule, [_report(0, [_drift("a")])])
    alert = replace(first[0].alert, id=1, state="acknowledged")
    still = step(rule, _report(1, [_drift("a")]), [alert], now=5 * HOUR)
    assert still[0].notify is None
    gone = step(rule, _report(2, [_drift("a", 0.01, "none")]), [still[0].alert], now=6 * HOUR)
    assert gone[0].notify == "resolved"


def test_late_labels_raise_and_resolve_a_past_window_as_a_revision() -> None:
    rule = AlertRuleSpec.model_validate({"name": "acc", "when": {
        "metric": "accuracy", "op": "<", "value": 0.8}})  # fmt: skip
    guarded = AlertRuleSpec.model_validate({**rule.model_dump(by_alias=True), "for": 3})
    [pending] = step(guarded, _report(5, [_accuracy(0.7)], revision=2), [], now=0)
    assert pending.notify is None  # flap protection holds for revisions too
    assert pending.alert.state == "pending"
    raised = step(rule, _report(5, [_accuracy(0.7)], revision=2), [], now=0)
    assert raised[0].notify == "fired"
    assert raised[0].revision
    alert = replace(raised[0].alert, id=1)
    cleared = step(rule, _report(5, [_accuracy(0.9)], revision=3), [alert], now=1)
    assert cleared[0].notify == "resolved"
    assert cleared[0].revision
    other = step(rule, _report(4, [_accuracy(0.9)], revision=2), [alert], now=1)
    assert other == []  # the alert's evidence is another window: unchanged


def test_older_windows_do_not_move_an_alert() -> None:
    rule = _rule()
    [first] = _run(rule, [_report(10, [_drift("a")])])
    alert = replace(first[0].alert, id=1)
    assert step(rule, _report(3, []), [alert], now=0) == []
    assert step(rule, _report(3, [_drift("a")]), [alert], now=0) == []


def test_combined_conditions() -> None:
    both = Condition.model_validate({"all": [{"kind": "drift"}, {
        "metric": "accuracy", "op": "<", "value": 0.8}]})  # fmt: skip
    results = [_drift("a"), _accuracy(0.75)]
    found = matches(both, results)
    assert found is not None
    assert {r.metric for r in found} == {"psi", "accuracy"}
    assert matches(both, [_drift("a"), _accuracy(0.85)]) is None
    either = Condition.model_validate({"any": [{"kind": "drift"}, {"kind": "quality"}]})
    assert matches(either, [_accuracy(0.5)]) is None
    assert matches(Condition.model_validate({"check": "feature_drift", "severity": "critical"}),
                   [_drift("a")]) is None  # fmt: skip
    rule = AlertRuleSpec.model_validate(
        {"name": "x", "when": both.model_dump(), "tier": "critical"}
    )
    assert list(breaches(rule, _report(0, results))) == [()]


def test_dedup_key_is_stable_and_sorted() -> None:
    assert dedup_key("m", "r", {"b": "2", "a": "1"}) == "m/r/a=1/b=2"


@pytest.mark.parametrize("bad", [
    {"all": [{"kind": "drift"}], "kind": "drift"},
    {"all": [], "any": []},
    {"metric": "accuracy", "op": "<"},
    {},
])  # fmt: skip
def test_bad_conditions_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"condition|together|either|one of"):
        Condition.model_validate(bad)
