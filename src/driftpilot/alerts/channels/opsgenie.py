"""Opsgenie: create an alert through the Alert API, and close it by alias when resolved.

``fired``, ``updated`` and ``renotify`` create an alert (``POST /v2/alerts``) whose ``alias`` is
the alert's dedup key, so Opsgenie deduplicates them into one open alert; ``resolved`` closes it
(``POST /v2/alerts/{alias}/close?identifierType=alias``). The Alert API's limits are kept:
``message`` at most 130 characters, ``alias`` 512, ``description`` 15000, ``entity`` 512,
``source`` 100, at most 20 tags of 50 characters, and ``details`` a map of strings. The tier
sets the priority: critical P1, warning P3, info P5. Opsgenie answers 202 once it has queued a
request.

The API key travels in ``Authorization: GenieKey <key>`` and is shown as ``***``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from driftpilot.alerts.channels._http import HttpPoster, check_timeout, check_url
from driftpilot.alerts.channels._render import (
    finding_lines,
    model_text,
    stable_key,
    truncate,
    window,
)
from driftpilot.alerts.channels._secrets import REDACTED
from driftpilot.alerts.notification import iso
from driftpilot.errors import InvalidParameterError

if TYPE_CHECKING:
    from driftpilot.alerts.notification import Notification

__all__ = ["API_URL", "OpsgenieChannel"]

API_URL = "https://api.opsgenie.com"
MESSAGE_LIMIT = 130
ALIAS_LIMIT = 512
DESCRIPTION_LIMIT = 15000
ENTITY_LIMIT = 512
SOURCE_LIMIT = 100
NOTE_LIMIT = 25000
TAGS_LIMIT = 20
TAG_LIMIT = 50
DETAIL_LIMIT = 1000
PRIORITY = {"critical": "P1", "warning": "P3", "info": "P5"}


def _tags(notification: Notification) -> list[str]:
    n = notification
    wanted = ["driftpilot", f"tier:{n.tier}", f"model:{n.model}", f"monitor:{n.monitor}"]
    wanted += [f"{k}:{v}" for k, v in sorted(n.labels.items())]
    tags: list[str] = []
    for tag in wanted:
        tag = truncate(tag, TAG_LIMIT)
        if tag not in tags:
            tags.append(tag)
    return tags[:TAGS_LIMIT]


def _description(notification: Notification) -> str:
    n = notification
    parts = [n.text or n.title, "", f"Model: {model_text(n)}", f"Monitor: {n.monitor}"]
    parts += [f"Window: {window(n)}", f"Rule: {n.rule}"]
    lines = finding_lines(n)
    if lines:
        parts += ["", "Findings:", *(f"- {x}" for x in lines)]
    if n.revision:
        parts += ["", "Revision: late labels changed the result of a past window."]
    if n.report_url:
        parts += ["", f"Report: {n.report_url}"]
    return truncate("\n".join(parts), DESCRIPTION_LIMIT)


def create_request(notification: Notification, *, source: str) -> dict[str, Any]:
    """Return the body of the create-alert request for ``notification``."""
    n = notification
    details = {
        "model": n.model,
        "version": n.version or "",
        "monitor": n.monitor,
        "rule": n.rule,
        "tier": n.tier,
        "kind": n.kind,
        "window_start": iso(n.window_start),
        "window_end": iso(n.window_end),
        "revision": str(n.revision).lower(),
        "report_url": n.report_url or "",
        "notification_id": n.id,
    }
    return {
        "message": truncate(n.title, MESSAGE_LIMIT),
        "alias": stable_key(n.dedup_key, ALIAS_LIMIT),
        "description": _description(n),
        "priority": PRIORITY[n.tier],
        "tags": _tags(n),
        "details": {k: truncate(v, DETAIL_LIMIT) for k, v in details.items() if v},
        "entity": truncate(n.model, ENTITY_LIMIT),
        "source": truncate(source, SOURCE_LIMIT),
    }


def close_request(notification: Notification, *, source: str) -> dict[str, Any]:
    """Return the body of the close-alert request for ``notification``."""
    n = notification
    note = f"Resolved: {n.title}" + (f"\n{n.text}" if n.text else "")
    return {
        "source": truncate(source, SOURCE_LIMIT),
        "user": truncate(source, SOURCE_LIMIT),
        "note": truncate(note, NOTE_LIMIT),
    }


class OpsgenieChannel:
    """Create and close Opsgenie alerts.

    Parameters
    ----------
    api_key
        An API integration's key (a secret).
    url
        The API's base URL (EU accounts: ``https://api.eu.opsgenie.com``).
    source
        The alerts' ``source`` (and the closing ``user``).
    timeout
        Seconds per attempt.
    name
        Name in results and logs.
    """

    def __init__(
        self,
        api_key: str,
        *,
        url: str = API_URL,
        source: str = "driftpilot",
        timeout: float = 10.0,
        name: str = "opsgenie",
    ) -> None:
        if not isinstance(api_key, str) or not api_key:
            raise InvalidParameterError(
                "The 'api_key' parameter of OpsgenieChannel must be a non-empty string."
            )
        self.name = name
        self._api_key = api_key
        self._url = check_url(url, option="url", channel="OpsgenieChannel").rstrip("/")
        self._source = source
        self._http = HttpPoster(
            channel=name,
            target=self._url,
            timeout=check_timeout(timeout, channel="OpsgenieChannel"),
            secrets=[api_key],
        )

    def __repr__(self) -> str:
        return (
            f"OpsgenieChannel(api_key={REDACTED!r}, url={self._url!r}, "
            f"source={self._source!r}, name={self.name!r})"
        )

    def send(self, notification: Notification) -> None:
        """Create (or, when resolved, close) the alert once; raise ``DeliveryError`` unless 2xx."""
        headers = {"Authorization": f"GenieKey {self._api_key}"}
        if notification.kind == "resolved":
            alias = quote(stable_key(notification.dedup_key, ALIAS_LIMIT), safe="")
            self._http.post(
                f"{self._url}/v2/alerts/{alias}/close",
                params={"identifierType": "alias"},
                payload=close_request(notification, source=self._source),
                headers=headers,
            )
        else:
            self._http.post(
                f"{self._url}/v2/alerts",
                payload=create_request(notification, source=self._source),
                headers=headers,
            )

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def __enter__(self) -> OpsgenieChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
