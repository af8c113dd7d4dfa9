"""What leaves driftpilot when an alert changes: a ``Notification``, and its CloudEvent form.

Channels (webhook, Slack, Teams, PagerDuty, Opsgenie, e-mail) render a notification in their
own payload; the generic webhook and the event buses send it as a CloudEvents 1.0 JSON event
whose ``id`` is the notification's id (consumers deduplicate on it: delivery is at least once).
Times are microseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = ["EVENT_TYPES", "Finding", "Notification", "Tier", "cloudevent", "iso"]

Tier = Literal["info", "warning", "critical"]
Kind = Literal["fired", "updated", "renotify", "resolved"]

#: CloudEvent ``type`` of each thing driftpilot announces.
EVENT_TYPES = {
    "fired": "io.driftpilot.alert.fired",
    "updated": "io.driftpilot.alert.updated",
    "renotify": "io.driftpilot.alert.fired",
    "resolved": "io.driftpilot.alert.resolved",
    "drift": "io.driftpilot.drift.found",
    "run": "io.driftpilot.monitor.run.finished",
}


def iso(us: int) -> str:
    """Return microseconds since the epoch as RFC 3339 text in UTC (``...Z``)."""
    return datetime.fromtimestamp(us / 1e6, tz=UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One check result behind an alert (a drifted feature with its score, a metric's drop)."""

    check: str
    metric: str
    feature: str | None
    segment: str | None
    value: float | None
    severity: str
    lower: float | None = None
    upper: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as JSON-ready data."""
        return {"check": self.check, "metric": self.metric, "feature": self.feature,
                "segment": self.segment, "value": self.value, "severity": self.severity,
                "lower": self.lower, "upper": self.upper}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    """One change of one alert, to be delivered to every channel its route names.

    Parameters
    ----------
    id
        Unique id of this notification (a UUID): the CloudEvent id, for deduplication.
    kind
        ``fired`` (new), ``updated`` (still firing, findings changed), ``renotify`` (still
        firing, re-notify interval passed) or ``resolved``.
    alert_id, dedup_key
        The alert: ``dedup_key`` is stable for one problem (rule, model, group), so PagerDuty
        and Opsgenie update one incident.
    rule, tier, model, version, monitor
        What raised it, how bad, about what.
    window_start, window_end
        The window whose results changed the alert.
    title, text
        A one-line summary and the rendered message template.
    findings
        The results behind the alert, worst first (e.g. the top drifted features with scores).
    labels
        Routing labels (model, tier, monitor, rule and the rule's own labels).
    report_url
        Link to the run's report, when the service's public URL is known.
    revision
        True when late labels changed a past window's result (the text says so too).
    context
        More data for templates and consumers (KPI values, counts).
    created_at
        When the notification was made.
    """

    id: str
    kind: Kind
    alert_id: int
    dedup_key: str
    rule: str
    tier: Tier
    model: str
    version: str | None
    monitor: str
    window_start: int
    window_end: int
    title: str
    text: str
    findings: Sequence[Finding] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    report_url: str | None = None
    revision: bool = False
    context: Mapping[str, Any] = field(default_factory=dict)
    created_at: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the notification as JSON-ready data (the CloudEvent's ``data``)."""
        return {
            "id": self.id, "kind": self.kind, "alert_id": self.alert_id,
            "dedup_key": self.dedup_key, "rule": self.rule, "tier": self.tier,
            "model": self.model, "version": self.version, "monitor": self.monitor,
            "window": {"start": iso(self.window_start), "end": iso(self.window_end)},
            "title": self.title, "text": self.text,
            "findings": [f.to_dict() for f in self.findings], "labels": dict(self.labels),
            "report_url": self.report_url, "revision": self.revision,
            "context": dict(self.context), "created_at": iso(self.created_at),
        }  # fmt: skip


def cloudevent(
    event_type: str, data: Mapping[str, Any], *, id: str, source: str, time: int,
    subject: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Return a CloudEvents 1.0 event in JSON structured mode."""
    event: dict[str, Any] = {
        "specversion": "1.0", "id": id, "source": source, "type": event_type, "time": iso(time),
        "datacontenttype": "application/json", "data": dict(data),
    }  # fmt: skip
    if subject is not None:
        event["subject"] = subject
    return event
