"""The alert lifecycle, as pure functions: a report and the open alerts in, transitions out.

One problem gives one alert: the dedup key is (monitor, rule, group), where the group is the
values of the rule's ``group_by`` (none by default, so one alert lists every finding). Each
window a rule either breaches (its condition holds for the group) or not:

* a breaching window counts towards ``for`` consecutive windows; the alert is ``pending``
  until then, then ``firing`` (notified ``fired``);
* a firing alert whose findings changed is notified ``updated``; one still firing after
  ``renotify`` is notified again (not while ``acknowledged``);
* ``clear`` consecutive windows without the breach resolve it (notified ``resolved``); a
  pending alert that clears is dropped silently;
* a late-label revision of a past window (report revision > 1) counts like any window: one
  that now breaches raises the alert (after ``for`` such windows in a row), one that no longer
  breaches resolves the alert whose newest evidence was that window. Both notifications say
  it is a revision.

Windows older than an alert's newest window (a backfill of the past after live runs) do not
move its counters. A window where none of the results a rule reads was judged (status
``no_data``: no traffic, too few events or labels; or ``error``) is unknown, not fine: it
neither opens nor resolves that rule's alerts, nor counts towards ``for`` or ``clear``. A leaf
with ``status: error`` reads results that are ``ok`` or ``error`` (so the built-in
``check-error`` rule resolves when the check evaluates again). No clock inside: ``now`` comes
in.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from driftpilot.monitor.results import SEVERITIES, CheckResult, MonitorReport
from driftpilot.monitor.spec import AlertRuleSpec, Condition

__all__ = [
    "AlertState",
    "StaleAlertsError",
    "Transition",
    "breaches",
    "dedup_key",
    "matches",
    "seen_alerts",
    "step",
]

State = Literal["pending", "firing", "acknowledged", "resolved"]
Notify = Literal["fired", "updated", "renotify", "resolved"]
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}  # fmt: skip
_US = 1_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertState:
    """One alert as the engine sees it (the store keeps it between windows)."""

    id: int | None
    dedup_key: str
    monitor: str
    model: str
    rule: str
    group: Mapping[str, str]
    tier: str
    state: State
    bad: int = 0
    clear: int = 0
    findings: Sequence[CheckResult] = ()
    first_window_start: int = 0
    last_bad_window_end: int = 0
    last_window_end: int = 0
    fired_at: int | None = None
    last_notified_at: int | None = None
    resolved_at: int | None = None
    acknowledged_at: int | None = None
    acknowledged_by: str | None = None
    created_at: int | None = None
    updated_at: int | None = None

    def to_dict(self) -> dict[str, object]:
        """Return the alert as JSON-ready data (times in µs)."""
        return {
            "id": self.id, "dedup_key": self.dedup_key, "monitor": self.monitor,
            "model": self.model, "rule": self.rule, "group": dict(self.group),
            "tier": self.tier, "state": self.state, "bad_windows": self.bad,
            "clear_windows": self.clear, "findings": [f.to_dict() for f in self.findings],
            "first_window_start": self.first_window_start,
            "last_bad_window_end": self.last_bad_window_end,
            "last_window_end": self.last_window_end, "fired_at": self.fired_at,
            "last_notified_at": self.last_notified_at, "resolved_at": self.resolved_at,
            "acknowledged_at": self.acknowledged_at, "acknowledged_by": self.acknowledged_by,
            "created_at": self.created_at, "updated_at": self.updated_at,
        }  # fmt: skip

    @property
    def open(self) -> bool:
        """Whether the alert is not resolved."""
        return self.state != "resolved"


class StaleAlertsError(Exception):
    """A monitor's open alerts changed since they were read (another replica, an ack)."""


def seen_alerts(alerts: Sequence[AlertState]) -> dict[int, tuple[str, int | None]]:
    """Return what a store checks of the alerts a step read: state and update time by id."""
    return {a.id: (a.state, a.updated_at) for a in alerts if a.id is not None}


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """The alert after a window, and the notification it calls for (if any)."""

    alert: AlertState
    notify: Notify | None
    revision: bool = False
    changed: bool = True
    dropped: bool = False
    window_start: int = 0
    window_end: int = 0


_FIELDS = tuple(AlertState.__dataclass_fields__)


def _evolve(alert: AlertState, **changes: object) -> AlertState:
    """``dataclasses.replace`` without its per-call field checks (the hot path of a cycle)."""
    new = object.__new__(AlertState)
    for name in _FIELDS:
        object.__setattr__(new, name, changes[name] if name in changes else getattr(alert, name))
    return new


_MATCHED = ("check", "kind", "metric", "feature", "segment")
_WANTED: dict[int, tuple[Condition, tuple[tuple[str, str], ...]]] = {}


def _wanted(condition: Condition) -> tuple[tuple[str, str], ...]:
    """Return the (field, value) pairs a leaf requires, worked out once per condition."""
    cached = _WANTED.get(id(condition))
    if cached is None or cached[0] is not condition:
        pairs = tuple((n, getattr(condition, n)) for n in _MATCHED if getattr(condition, n))
        cached = _WANTED[id(condition)] = (condition, pairs)
    return cached[1]


def _selects(condition: Condition, result: CheckResult) -> bool:
    """Whether a leaf reads ``result``: its fields match and the result was judged."""
    for name, wanted in _wanted(condition):
        if getattr(result, name) != wanted:
            return False
    if condition.status is not None:
        return result.status != "no_data"
    return result.status == "ok"


def _judged(condition: Condition, result: CheckResult) -> bool:
    if condition.all is not None or condition.any is not None:
        return any(_judged(part, result) for part in condition.all or condition.any or ())
    return _selects(condition, result)


def _leaf(condition: Condition, result: CheckResult) -> bool:
    for name, wanted in _wanted(condition):
        if getattr(result, name) != wanted:
            return False
    if condition.status is not None:
        return result.status == condition.status
    if result.status != "ok":
        return False
    if condition.severity is not None and SEVERITIES.index(result.severity) < SEVERITIES.index(
        condition.severity
    ):
        return False
    if condition.op is not None:
        assert condition.value is not None
        if result.value is None or not math.isfinite(result.value):
            return False
        return _OPS[condition.op](result.value, condition.value)
    return condition.severity is not None or result.flagged


def matches(condition: Condition, results: Sequence[CheckResult]) -> list[CheckResult] | None:
    """Return the results behind ``condition`` if it holds, else ``None``."""
    if condition.all is not None:
        found: list[CheckResult] = []
        for part in condition.all:
            sub = matches(part, results)
            if sub is None:
                return None
            found.extend(sub)
        return found
    if condition.any is not None:
        parts = [matches(part, results) for part in condition.any]
        held = [p for p in parts if p is not None]
        return [r for p in held for r in p] if held else None
    hits = [r for r in results if _leaf(condition, r)]
    return hits or None


def _group_of(rule: AlertRuleSpec, result: CheckResult) -> tuple[tuple[str, str], ...]:
    return tuple((name, str(getattr(result, name) or "")) for name in rule.group_by)


def breaches(rule: AlertRuleSpec, report: MonitorReport) -> dict[tuple[tuple[str, str], ...],
                                                                  list[CheckResult]]:  # fmt: skip
    """Return the breaching groups of ``rule`` in ``report`` with their findings, worst first.

    With ``group_by``, the condition is checked within each group's results (results without
    the grouped field, such as a model-wide performance value, join every group).
    """
    results = list(report.results)
    if not rule.group_by:
        found = matches(rule.when, results)
        return {(): _worst_first(found)} if found else {}
    shared: list[CheckResult] = []  # results without the grouped fields join every group
    members: dict[tuple[tuple[str, str], ...], list[CheckResult]] = {}
    for result in results:
        if all(getattr(result, g) for g in rule.group_by):
            members.setdefault(_group_of(rule, result), []).append(result)
        elif all(getattr(result, g) is None for g in rule.group_by):
            shared.append(result)
    out = {}
    for key in sorted(members):
        found = matches(rule.when, members[key] + shared)
        if found and any(_group_of(rule, r) == key for r in found):
            out[key] = _worst_first(found)
    return out


def judged_groups(
    rule: AlertRuleSpec, report: MonitorReport
) -> tuple[bool, set[tuple[tuple[str, str], ...]]]:
    """Return whether every group of ``rule`` was judged in ``report``, and which groups were.

    A group is judged when at least one result the rule's condition reads was evaluated
    (status ``ok``, or ``error`` for a ``status: error`` leaf); results without the grouped
    fields (or a rule without ``group_by``) judge every group.
    """
    groups: set[tuple[tuple[str, str], ...]] = set()
    for result in report.results:
        if not _judged(rule.when, result):
            continue
        if not rule.group_by or all(getattr(result, g) is None for g in rule.group_by):
            return True, groups
        if all(getattr(result, g) for g in rule.group_by):
            groups.add(tuple(sorted(_group_of(rule, result))))
    return False, groups


def _worst_first(results: Sequence[CheckResult]) -> list[CheckResult]:
    unique = {(r.check, r.metric, r.feature, r.segment): r for r in results}

    def rank(r: CheckResult) -> tuple[int, float]:
        return -SEVERITIES.index(r.severity), -(abs(r.value) if r.value is not None else 0.0)

    return sorted(unique.values(), key=rank)


def dedup_key(monitor: str, rule: str, group: Mapping[str, str]) -> str:
    """Return the stable key of one problem: monitor, rule and group values."""
    suffix = "".join(f"/{k}={v}" for k, v in sorted(group.items()))
    return f"{monitor}/{rule}{suffix}"


def _same(a: Sequence[CheckResult], b: Sequence[CheckResult]) -> bool:
    def keys(found: Sequence[CheckResult]) -> set[tuple[str | None, ...]]:
        return {(r.check, r.metric, r.feature, r.segment, r.severity) for r in found}

    return keys(a) == keys(b)


def step(
    rule: AlertRuleSpec,
    report: MonitorReport,
    open_alerts: Sequence[AlertState],
    *,
    now: int,
) -> list[Transition]:
    """Advance every alert of ``rule`` by one window's report; return what changed."""
    groups = breaches(rule, report)
    by_key = {a.dedup_key: a for a in open_alerts if a.open}
    revision = report.revision > 1
    ws, we = report.window_start, report.window_end
    out: list[Transition] = []
    seen: set[str] = set()
    for key, findings in groups.items():
        group = dict(key)
        dkey = dedup_key(report.monitor, rule.name, group)
        seen.add(dkey)
        alert = by_key.get(dkey)
        if alert is not None and report.window_end <= alert.last_window_end and not revision:
            continue  # an older window than this alert has seen
        if alert is None:
            alert = AlertState(
                id=None, dedup_key=dkey, monitor=report.monitor, model=report.model,
                rule=rule.name, group=group, tier=rule.tier, state="pending",
                first_window_start=report.window_start,
            )  # fmt: skip
        bad = alert.bad + 1 if report.window_end > alert.last_window_end else max(alert.bad, 1)
        changes: dict[str, object] = {
            "bad": bad, "clear": 0, "findings": tuple(findings), "tier": rule.tier,
            "last_bad_window_end": max(alert.last_bad_window_end, report.window_end),
            "last_window_end": max(alert.last_window_end, report.window_end),
        }  # fmt: skip
        notify: Notify | None = None
        if alert.state == "pending" and bad >= rule.for_windows:
            changes.update(state="firing", fired_at=now, last_notified_at=now)
            notify = "fired"
        elif alert.state in ("firing", "acknowledged"):
            if not _same(alert.findings, findings):
                notify = "updated" if alert.state == "firing" else None
            elif (alert.state == "firing" and rule.renotify is not None
                  and alert.last_notified_at is not None
                  and now - alert.last_notified_at >= rule.renotify * _US):  # fmt: skip
                notify = "renotify"
            if notify is not None:
                changes["last_notified_at"] = now
        updated = _evolve(alert, **changes)
        out.append(
            Transition(
                alert=updated,
                notify=notify,
                revision=revision,
                window_start=report.window_start,
                window_end=report.window_end,
            )
        )
    every, judged = judged_groups(rule, report)
    for dkey, alert in by_key.items():
        if dkey in seen:
            continue
        if not every and tuple(sorted(alert.group.items())) not in judged:
            continue  # no data for this alert's findings: unknown, neither clear nor bad
        if report.window_end <= alert.last_window_end:
            # A revision of a window this alert has already seen: it resolves the alert if that
            # window was its newest evidence and no longer breaches.
            if (
                revision
                and alert.last_bad_window_end == report.window_end
                and (alert.state != "pending")
            ):
                resolved = _evolve(alert, state="resolved", resolved_at=now, clear=0)
                out.append(Transition(alert=resolved, notify="resolved", revision=True,
                                      window_start=ws, window_end=we))  # fmt: skip
            continue
        clear = alert.clear + 1
        moved = _evolve(alert, clear=clear, last_window_end=report.window_end)
        if alert.state == "pending":
            gone = _evolve(moved, state="resolved", resolved_at=now)
            out.append(
                Transition(alert=gone, notify=None, dropped=True, window_start=ws, window_end=we)
            )
        elif clear >= rule.clear_windows:
            gone = _evolve(moved, state="resolved", resolved_at=now)
            out.append(Transition(alert=gone, notify="resolved", window_start=ws, window_end=we))
        else:
            out.append(
                Transition(
                    alert=moved,
                    notify=None,
                    window_start=report.window_start,
                    window_end=report.window_end,
                )
            )
    return out
