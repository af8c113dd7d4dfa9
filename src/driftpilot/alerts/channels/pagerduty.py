"""PagerDuty: an Events API v2 event (``trigger``, or ``resolve`` for a resolved alert).

All events of one alert share its ``dedup_key``, so PagerDuty keeps one alert (and incident)
per problem: ``fired``, ``updated`` and ``renotify`` trigger (a trigger with a known key updates
the open alert), ``resolved`` resolves. A trigger's ``payload`` has ``summary`` (at most 1024
characters), ``source``, ``severity`` (``critical``, ``warning`` or ``info``, as the tier),
``timestamp``, ``component`` (the model), ``group`` (the monitor), ``class`` (the rule) and
``custom_details``; the report is attached as a link. PagerDuty answers 202 when it accepted an
event, 400 for an invalid one (not retried) and 429 when throttled (retried).

The routing key (integration key) travels in the body and is shown as ``***``. Dedup keys
longer than PagerDuty's 255 characters are shortened to a stable prefix and a hash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftpilot.alerts.channels._http import HttpPoster, check_timeout, check_url
from driftpilot.alerts.channels._render import model_text, stable_key, truncate, window
from driftpilot.alerts.channels._secrets import REDACTED
from driftpilot.alerts.notification import iso
from driftpilot.errors import InvalidParameterError

if TYPE_CHECKING:
    from driftpilot.alerts.notification import Notification

__all__ = ["EVENTS_URL", "PagerDutyChannel"]

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SUMMARY_LIMIT = 1024
DEDUP_LIMIT = 255
_SEVERITY = {"critical": "critical", "warning": "warning", "info": "info"}


def event(notification: Notification, *, routing_key: str, source: str) -> dict[str, Any]:
    """Return the Events API v2 event for ``notification``."""
    n = notification
    out: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "resolve" if n.kind == "resolved" else "trigger",
        "dedup_key": stable_key(n.dedup_key, DEDUP_LIMIT),
    }
    if n.kind == "resolved":
        return out
    payload: dict[str, Any] = {
        "summary": truncate(n.title, SUMMARY_LIMIT),
        "source": source,
        "severity": _SEVERITY[n.tier],
        "component": n.model,
        "group": n.monitor,
        "class": n.rule,
        "custom_details": {
            "text": n.text,
            "model": model_text(n),
            "monitor": n.monitor,
            "window": window(n),
            "kind": n.kind,
            "revision": n.revision,
            "findings": [f.to_dict() for f in n.findings],
            "labels": dict(n.labels),
            "context": dict(n.context),
            "alert_id": n.alert_id,
            "notification_id": n.id,
        },
    }
    if n.created_at:
        payload["timestamp"] = iso(n.created_at)
    out["payload"] = payload
    out["client"] = "driftpilot"
    if n.report_url:
        out["client_url"] = n.report_url
        out["links"] = [{"href": n.report_url, "text": "driftpilot report"}]
    return out


class PagerDutyChannel:
    """Trigger and resolve PagerDuty alerts through the Events API v2.

    Parameters
    ----------
    routing_key
        The integration key of an Events API v2 integration (a secret).
    url
        The enqueue endpoint (EU accounts: ``https://events.eu.pagerduty.com/v2/enqueue``).
    source
        ``payload.source``: where the problem is, as PagerDuty shows it.
    timeout
        Seconds per attempt.
    name
        Name in results and logs.
    """

    def __init__(
        self,
        routing_key: str,
        *,
        url: str = EVENTS_URL,
        source: str = "driftpilot",
        timeout: float = 10.0,
        name: str = "pagerduty",
    ) -> None:
        if not isinstance(routing_key, str) or not routing_key:
            raise InvalidParameterError(
                "The 'routing_key' parameter of PagerDutyChannel must be a non-empty string."
            )
        self.name = name
        self._routing_key = routing_key
        self._url = check_url(url, option="url", channel="PagerDutyChannel")
        self._source = source
        self._http = HttpPoster(
            channel=name,
            target=url,
            timeout=check_timeout(timeout, channel="PagerDutyChannel"),
            secrets=[routing_key],
        )

    def __repr__(self) -> str:
        return (
            f"PagerDutyChannel(routing_key={REDACTED!r}, url={self._url!r}, "
            f"source={self._source!r}, name={self.name!r})"
        )

    def send(self, notification: Notification) -> None:
        """Send the event once; raise ``DeliveryError`` unless PagerDuty accepts it (202)."""
        body = event(notification, routing_key=self._routing_key, source=self._source)
        self._http.post(self._url, payload=body)

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def __enter__(self) -> PagerDutyChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
