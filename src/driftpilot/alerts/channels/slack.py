"""Slack: a Block Kit message POSTed to an incoming webhook.

The message has a header (tier emoji and title), a section with the text, a fields section
(model, monitor, window, tier), a section listing up to 12 findings, and a context block with
the rule, a link to the report and, for a late-label revision, a note saying so; ``text`` is
the fallback shown in notifications. Slack's limits are kept: at most 50 blocks, 150 characters
in a header, 3000 in a section's text, 10 fields of at most 2000 characters, 10 context
elements.

The webhook URL is the credential: it is shown as ``https://hooks.slack.com/***``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftpilot.alerts.channels._http import (
    PERMANENT_STATUSES,
    HttpPoster,
    check_timeout,
    check_url,
)
from driftpilot.alerts.channels._render import (
    finding_lines,
    headline,
    model_text,
    revision_note,
    truncate,
    window,
)
from driftpilot.alerts.channels._secrets import redact_url

if TYPE_CHECKING:
    from driftpilot.alerts.notification import Notification

__all__ = ["SlackChannel"]

HEADER_LIMIT = 150
TEXT_LIMIT = 3000
FIELD_LIMIT = 2000
#: Characters of one finding line, so that twelve of them fit in one section.
LINE_LIMIT = 200

_EMOJI = {"critical": ":red_circle:", "warning": ":warning:", "info": ":information_source:"}
_RESOLVED = ":white_check_mark:"


def _escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(text: str, limit: int = TEXT_LIMIT) -> dict[str, str]:
    """Return an escaped mrkdwn text object of at most ``limit`` characters."""
    escaped = _escape(text)
    if len(escaped) > limit:
        # Escaping lengthens text: keep whole escaped characters while they fit, then "…".
        pieces: list[str] = []
        used = 0
        for char in text:
            piece = _escape(char)
            if used + len(piece) > limit - 1:
                break
            pieces.append(piece)
            used += len(piece)
        escaped = "".join(pieces) + "…"
    return {"type": "mrkdwn", "text": escaped or " "}


def blocks(notification: Notification) -> list[dict[str, Any]]:
    """Return the Block Kit blocks for ``notification``."""
    n = notification
    resolved = n.kind == "resolved"
    title = f"Resolved: {n.title}" if resolved else n.title
    emoji = _RESOLVED if resolved else _EMOJI[n.tier]
    body = n.text or n.title
    out: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": truncate(f"{emoji} {title}", HEADER_LIMIT),
                "emoji": True,
            },
        },
        {
            "type": "section",
            "text": _mrkdwn(f"Resolved. {body}" if resolved else body),
        },
        {
            "type": "section",
            "fields": [
                {
                    "type": "mrkdwn",
                    "text": f"*{label}*\n" + _mrkdwn(value, FIELD_LIMIT - len(label) - 3)["text"],
                }
                for label, value in (
                    ("Model", model_text(n)),
                    ("Monitor", n.monitor),
                    ("Window", window(n)),
                    ("Tier", n.tier),
                )
            ],
        },
    ]
    lines = finding_lines(n)
    if lines:
        listed = "\n".join(f"• {truncate(line, LINE_LIMIT)}" for line in lines)
        out.append({"type": "section", "text": _mrkdwn(f"*Findings*\n{listed}")})
    context = [_mrkdwn(f"Rule {n.rule} · {n.kind} · alert {n.dedup_key}")]
    note = revision_note(n)
    if note is not None:
        context.insert(0, {"type": "mrkdwn", "text": f":memo: *{_escape(note)}*"})
    if n.report_url:
        context.append({"type": "mrkdwn", "text": f"<{_escape(n.report_url)}|Open the report>"})
    out.append({"type": "context", "elements": context})
    return out


def message(notification: Notification) -> dict[str, Any]:
    """Return the incoming-webhook payload for ``notification``: ``text`` and ``blocks``."""
    n = notification
    fallback = f"{headline(n)} ({n.model}, {n.monitor})"
    if n.revision:
        fallback += " (revised by late labels)"
    return {"text": truncate(fallback, TEXT_LIMIT), "blocks": blocks(n)}


class SlackChannel:
    """Post notifications to a Slack channel through an incoming webhook.

    Parameters
    ----------
    webhook_url
        The incoming webhook's URL (a secret).
    timeout
        Seconds per attempt.
    name
        Name in results and logs.
    """

    def __init__(self, webhook_url: str, *, timeout: float = 10.0, name: str = "slack") -> None:
        self.name = name
        self._url = check_url(webhook_url, option="webhook_url", channel="SlackChannel")
        self._http = HttpPoster(
            channel=name,
            target=redact_url(webhook_url),
            timeout=check_timeout(timeout, channel="SlackChannel"),
            secret_urls=[webhook_url],
            # Slack answers 403 only for a webhook that was revoked or disabled
            # (invalid_token, action_prohibited): no retry can succeed.
            permanent=PERMANENT_STATUSES | {403},
        )

    def __repr__(self) -> str:
        return f"SlackChannel(webhook_url={redact_url(self._url)!r}, name={self.name!r})"

    def send(self, notification: Notification) -> None:
        """POST the message once; raise ``DeliveryError`` unless Slack answers 2xx."""
        self._http.post(self._url, payload=message(notification))

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def __enter__(self) -> SlackChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
