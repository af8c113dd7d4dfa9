"""Alert manager: run the rules on each report, persist the lifecycle, queue notifications.

``AlertManager.process(spec, report)`` is called after every recorded run (the runner's
``on_report``). For each rule (the monitor's, and the built-in ``check-error`` rule unless
``alert_on_error: false``) it steps the open alerts (``engine.step``) and saves each changed
alert with its notifications in one transaction (the outbox): one row per routed channel and
per event bus, ``suppressed`` when a silence matches, when the run is a backfill not asked to
notify, or when the window ended more than ``max_window_age`` seconds before now (old news
pages no one); the payload's ``suppressed_reason`` says which. ``dispatch`` sends what is
pending, with retries; a notification whose every attempt failed stays ``failed`` with its
error (the dead letter). Monitor-run and drift-found events go to the buses directly.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import jinja2

from driftpilot.alerts.config import AlertingConfig
from driftpilot.alerts.engine import AlertState, StaleAlertsError, Transition, seen_alerts, step
from driftpilot.alerts.notification import EVENT_TYPES, Finding, Notification, cloudevent, iso
from driftpilot.alerts.report_links import ReportLinks
from driftpilot.monitor.results import CheckResult, MonitorReport
from driftpilot.monitor.spec import AlertRuleSpec, MonitorSpec

__all__ = ["AlertManager", "AlertStorePort", "check_context", "notification_from", "render"]

logger = logging.getLogger("driftpilot.alerts")
_ATTEMPTS = 5  # steps of one report against alerts that keep changing under it

_DEFAULT_MESSAGE = (
    "{% if revision %}Late-label revision: {% endif %}"
    "{% if kind == 'resolved' %}Resolved: {% endif %}"
    "{{ findings|length }} finding(s) on model {{ model }} (monitor {{ monitor }}, rule {{ rule }})"
    " in window {{ window_start }} to {{ window_end }}"
    "{% for f in findings[:12] %}\n- {{ f.feature or f.metric }}{% if f.segment %} "
    "[{{ f.segment }}]{% endif %}: {{ f.metric }} = "
    "{{ '%.4g'|format(f.value) if f.value is not none else 'n/a' }} ({{ f.severity }})"
    "{% endfor %}{% if findings|length > 12 %}\n... and {{ findings|length - 12 }} more"
    "{% endif %}{% if report_url %}\nReport: {{ report_url }}{% endif %}"
)
_ENV = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined)


OutboxRow = tuple[str, str, str, dict[str, Any], str]


class AlertStorePort(Protocol):
    """What the manager needs from the store (``driftpilot.store.AlertRepository``)."""

    def open_alerts_of(self, monitor: str) -> list[AlertState]:
        """Return the open alerts of every rule of one monitor."""
        ...

    def apply(
        self,
        changes: Sequence[tuple[AlertState, Callable[[AlertState], Sequence[OutboxRow]] | None]],
        *,
        monitor: str | None = None,
        seen: Mapping[int, tuple[str, int | None]] | None = None,
    ) -> list[AlertState]:
        """Save the changed alerts of one report with their notifications, in one transaction.

        ``StaleAlertsError`` if ``monitor``'s open alerts are no longer ``seen``.
        """
        ...

    def silences(self, *, active_at: int | None = None) -> Sequence[Any]:
        """Return the silences active at ``active_at``."""
        ...


@functools.lru_cache(maxsize=256)
def _template(text: str) -> jinja2.Template:
    return _ENV.from_string(text)


def render(template: str | None, context: Mapping[str, Any]) -> str:
    """Render a rule's message template (the default one when ``None``)."""
    try:
        return _template(template or _DEFAULT_MESSAGE).render(**context)
    except jinja2.TemplateError as err:
        fallback = _template(_DEFAULT_MESSAGE).render(**context)
        return f"(the rule's message template failed: {err}) {fallback}"


def _context_key(result: CheckResult) -> str:
    parts = [result.segment, result.feature, result.metric]
    return "/".join(p for p in parts if p)


def check_context(report: MonitorReport, rule: AlertRuleSpec) -> dict[str, Any]:
    """Return the values a notification carries, keyed by check name.

    Every KPI check is included, and every check the rule names in ``context``. A check with
    one result gives its value (``{"missed": 32.0}``); a check with several (one per feature,
    metric or segment) gives a mapping keyed by ``segment/feature/metric`` (the parts it has).
    """
    wanted = set(rule.context)
    by_check: dict[str, list[CheckResult]] = {}
    for result in report.results:
        if result.kind == "kpi" or result.check in wanted:
            by_check.setdefault(result.check, []).append(result)
    context: dict[str, Any] = {}
    for name, results in by_check.items():
        if len(results) == 1:
            context[name] = results[0].value
        else:
            context[name] = {_context_key(r): r.value for r in results}
    return context


def notification_from(data: Mapping[str, Any]) -> Notification:
    """Rebuild a notification stored in the outbox."""
    fields = dict(data)
    fields.pop("suppressed_reason", None)  # the outbox's note, not the notification's
    fields["findings"] = tuple(Finding(**f) for f in fields.get("findings", ()))
    return Notification(**fields)


def _fields(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id, "kind": n.kind, "alert_id": n.alert_id, "dedup_key": n.dedup_key,
        "rule": n.rule, "tier": n.tier, "model": n.model, "version": n.version,
        "monitor": n.monitor, "window_start": n.window_start, "window_end": n.window_end,
        "title": n.title, "text": n.text, "findings": [f.to_dict() for f in n.findings],
        "labels": dict(n.labels), "report_url": n.report_url, "revision": n.revision,
        "context": dict(n.context), "created_at": n.created_at,
    }  # fmt: skip


class AlertManager:
    """Turn reports into alert transitions and queued notifications.

    Parameters
    ----------
    store
        The alert store (``Store.alerts``).
    config
        Channels, routes, buses and the public URL for report links.
    clock
        Microseconds since the epoch.
    publish
        Sends a CloudEvent to the buses (monitor-run and drift events); ``None`` when no bus.
    max_window_age
        Seconds: notifications about a window that ended longer ago are suppressed unless
        the run asks to notify (``None``: no limit).
    links
        Signs the report links of notifications (the service's HTML page of a run); without
        it a link names the JSON route ``/v1/runs/{id}``, which needs an API key.
    """

    def __init__(
        self,
        store: AlertStorePort,
        config: AlertingConfig | None = None,
        *,
        clock: Callable[[], int],
        publish: Callable[[dict[str, Any]], object] | None = None,
        max_window_age: float | None = None,
        links: ReportLinks | None = None,
    ) -> None:
        self.store = store
        self.config = config or AlertingConfig()
        self.clock = clock
        self.publish = publish
        self.max_window_age = max_window_age
        self.links = links

    def process(
        self,
        spec: MonitorSpec,
        report: MonitorReport,
        run_id: int | None = None,
        *,
        notify: bool | None = None,
    ) -> list[Transition]:
        """Step every rule of ``spec`` on ``report``; save changes and queue notifications.

        ``notify``: ``False`` (a backfill) records the notifications as ``suppressed``;
        ``True`` sends them whatever the window's age; ``None`` sends them unless the window
        is older than ``max_window_age``. Silences apply in every case.
        """
        now = self.clock()
        self._announce(report, run_id, now)
        rules = spec.rules
        if not rules:
            return []
        quiet = self._quiet(report, now, notify)
        silences = self.store.silences(active_at=now)
        for attempt in range(_ATTEMPTS):
            open_alerts = self.store.open_alerts_of(spec.name)
            by_rule: dict[str, list[AlertState]] = {}
            for alert in open_alerts:
                by_rule.setdefault(alert.rule, []).append(alert)
            out: list[Transition] = []
            changes: list[tuple[AlertState, Callable[[AlertState], Sequence[OutboxRow]] | None]]
            changes = []
            for rule in rules:
                for transition in step(rule, report, by_rule.get(rule.name, []), now=now):
                    outbox = None
                    if transition.notify is not None:
                        outbox = functools.partial(
                            self._outbox, rule, transition, report=report, run_id=run_id,
                            silences=silences, now=now, version=spec.version, quiet=quiet,
                        )  # fmt: skip
                    changes.append((transition.alert, outbox))
                    out.append(transition)
            try:
                self.store.apply(changes, monitor=spec.name, seen=seen_alerts(open_alerts))
            except StaleAlertsError:
                # another replica's window or an acknowledgement came first: step again
                logger.info("alerts of monitor %r changed meanwhile (try %d); stepping again",
                            spec.name, attempt + 1)  # fmt: skip
                continue
            return out
        raise StaleAlertsError(
            f"The alerts of monitor {spec.name!r} kept changing during {_ATTEMPTS} tries."
        )

    def _quiet(self, report: MonitorReport, now: int, notify: bool | None) -> str | None:
        """Why this report's notifications are not sent (``None``: they are)."""
        if notify is False:
            return "backfill: alerts are recorded without notifying (ask with --notify)"
        if notify is None and self.max_window_age is not None:
            age = (now - report.window_end) / 1e6
            if age > self.max_window_age:
                return (f"the window ended {age / 3600:.1f} h ago, more than the "
                        f"{self.max_window_age / 3600:g} h notify_max_age")  # fmt: skip
        return None

    def _outbox(
        self, rule: AlertRuleSpec, transition: Transition, alert: AlertState, *,
        report: MonitorReport, run_id: int | None, silences: Sequence[Any], now: int,
        version: str | None = None, quiet: str | None = None,
    ) -> list[OutboxRow]:  # fmt: skip
        assert transition.notify is not None
        assert alert.id is not None
        labels = {"tier": rule.tier, "model": report.model, "monitor": report.monitor,
                  "rule": rule.name, "kind": transition.notify, **rule.labels,
                  **alert.group}  # fmt: skip
        url = None
        if self.config.public_url and run_id is not None:
            if self.links is not None:  # the HTML page, opened by the signed link alone
                url = self.links.url(self.config.public_url, run_id, now=now)
            else:  # the JSON report, which needs an API key
                url = f"{self.config.public_url.rstrip('/')}/v1/runs/{run_id}"
        findings = tuple(
            Finding(check=r.check, metric=r.metric, feature=r.feature, segment=r.segment,
                    value=r.value, severity=r.severity, lower=r.lower, upper=r.upper)
            for r in alert.findings
        )  # fmt: skip
        context = check_context(report, rule)
        if version is None and report.reference:  # the monitor watches every version:
            version = report.reference.get("version")  # name its baseline's, if it has one
        variables = {
            "model": report.model, "monitor": report.monitor, "rule": rule.name,
            "tier": rule.tier, "kind": transition.notify, "revision": transition.revision,
            "window_start": iso(transition.window_start), "window_end": iso(transition.window_end),
            "findings": [f.to_dict() for f in findings], "report_url": url, "context": context,
            "group": dict(alert.group), "version": version,
        }  # fmt: skip
        # No tier and no state in the title: each channel shows them once, in its own way
        # (``channels._render.headline`` for the "[CRITICAL]"/"[RESOLVED]" tag).
        title = (f"{rule.name} on {report.model}: {len(findings)} finding(s)"
                 + (" (late-label revision)" if transition.revision else ""))  # fmt: skip
        notification = Notification(
            id=str(uuid.uuid4()), kind=transition.notify, alert_id=alert.id,
            dedup_key=alert.dedup_key, rule=rule.name, tier=rule.tier, model=report.model,
            version=version if isinstance(version, str) else None, monitor=report.monitor,
            window_start=transition.window_start, window_end=transition.window_end, title=title,
            text=render(rule.message, variables), findings=findings, labels=labels,
            report_url=url, revision=transition.revision, context=context, created_at=now,
        )  # fmt: skip
        silence = next((s for s in silences if s.matches(labels, now)), None)
        if silence is not None:
            quiet = f"silenced by silence {silence.id}"
        status = "suppressed" if quiet is not None else "pending"
        payload = _fields(notification)
        if quiet is not None:
            payload["suppressed_reason"] = quiet
        kind: str = notification.kind
        rows: list[tuple[str, str, str, dict[str, Any], str]] = [
            (notification.id, c, kind, payload, status) for c in self.config.channels_for(labels)
        ]
        rows += [(notification.id, f"bus:{i}", kind, payload, status)
                 for i in range(len(self.config.buses))]  # fmt: skip
        return rows

    def _announce(self, report: MonitorReport, run_id: int | None, now: int) -> None:
        if self.publish is None:
            return
        source = f"/{self.config.source}/monitors/{report.monitor}"
        summary = {"monitor": report.monitor, "model": report.model, "run_id": run_id,
                   "window": {"start": iso(report.window_start), "end": iso(report.window_end)},
                   "revision": report.revision, "severity": report.severity,
                   "n_events": report.n_events, "n_flagged": len(report.flagged)}  # fmt: skip
        events = [cloudevent(EVENT_TYPES["run"], summary, id=str(uuid.uuid4()), source=source,
                             time=now, subject=report.model)]  # fmt: skip
        drifted = [r.to_dict() for r in report.flagged if r.kind == "drift"]
        if drifted:
            events.append(cloudevent(EVENT_TYPES["drift"], {**summary, "drifted": drifted},
                                     id=str(uuid.uuid4()), source=source, time=now,
                                     subject=report.model))  # fmt: skip
        for event in events:
            try:
                self.publish(event)
            except Exception:
                logger.exception("could not publish %s", event["type"])
