"""Microsoft Teams: an Adaptive Card POSTed to an incoming webhook (or a Workflows webhook).

The payload is a ``message`` whose one attachment has content type
``application/vnd.microsoft.card.adaptive`` and an ``AdaptiveCard`` (version 1.4) as its
content: text blocks for the title, the text, the findings and a late-label revision, a fact
set (model, monitor, window, tier, rule), and an ``Action.OpenUrl`` to the report when there is
one (Teams webhooks support ``Action.OpenUrl``, not ``Action.Submit``).

Legacy Office 365 connectors answer a throttled request with status 200 and the text
"Microsoft Teams endpoint returned HTTP error 429" in the body; that reply is a retryable
failure here, not a success.

The webhook URL is the credential: it is shown with its path and query redacted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftpilot.alerts.channels._http import HttpPoster, check_timeout, check_url
from driftpilot.alerts.channels._render import (
    finding_lines,
    model_text,
    revision_note,
    window,
)
from driftpilot.alerts.channels._secrets import redact_url

if TYPE_CHECKING:
    from driftpilot.alerts.notification import Notification

__all__ = ["ADAPTIVE_CARD", "TeamsChannel"]

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"
_COLOR = {"critical": "Attention", "warning": "Warning", "info": "Accent"}
_THROTTLED = "returned HTTP error 429"


def card(notification: Notification) -> dict[str, Any]:
    """Return the Adaptive Card for ``notification``."""
    n = notification
    resolved = n.kind == "resolved"
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": f"Resolved: {n.title}" if resolved else n.title,
            "size": "Large",
            "weight": "Bolder",
            "color": "Good" if resolved else _COLOR[n.tier],
            "wrap": True,
        },
    ]
    if n.text:
        body.append({"type": "TextBlock", "text": n.text, "wrap": True})
    note = revision_note(n)
    if note is not None:
        body.append({"type": "TextBlock", "text": note, "isSubtle": True, "wrap": True})
    facts = [
        ("Model", model_text(n)),
        ("Monitor", n.monitor),
        ("Window", window(n)),
        ("Tier", n.tier),
        ("Rule", n.rule),
        ("Status", n.kind),
    ]
    body.append({"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]})
    lines = finding_lines(n)
    if lines:
        body.append(
            {"type": "TextBlock", "text": "Findings", "weight": "Bolder", "spacing": "Medium"}
        )
        body.append({"type": "TextBlock", "text": "\n".join(f"- {x}" for x in lines), "wrap": True})
    content: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
    }
    if n.report_url:
        content["actions"] = [
            {"type": "Action.OpenUrl", "title": "Open the report", "url": n.report_url}
        ]
    return content


def message(notification: Notification) -> dict[str, Any]:
    """Return the webhook payload: a message with the card as its one attachment."""
    return {
        "type": "message",
        "attachments": [
            {"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card(notification)}
        ],
    }


class TeamsChannel:
    """Post notifications to a Teams channel as Adaptive Cards.

    Parameters
    ----------
    webhook_url
        The incoming webhook's (or Workflows trigger's) URL, a secret.
    timeout
        Seconds per attempt.
    name
        Name in results and logs.
    """

    def __init__(self, webhook_url: str, *, timeout: float = 10.0, name: str = "teams") -> None:
        self.name = name
        self._url = check_url(webhook_url, option="webhook_url", channel="TeamsChannel")
        self._http = HttpPoster(
            channel=name,
            target=redact_url(webhook_url),
            timeout=check_timeout(timeout, channel="TeamsChannel"),
            secret_urls=[webhook_url],
        )

    def __repr__(self) -> str:
        return f"TeamsChannel(webhook_url={redact_url(self._url)!r}, name={self.name!r})"

    def send(self, notification: Notification) -> None:
        """POST the card once; raise ``DeliveryError`` unless Teams accepted it."""
        response = self._http.post(self._url, payload=message(notification))
        if _THROTTLED in response.text:
            raise self._http.fail(
                "HTTP 200 carrying a throttling error (429)", retryable=True, status=429
            )

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def __enter__(self) -> TeamsChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
