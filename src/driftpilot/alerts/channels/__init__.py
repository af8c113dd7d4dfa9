"""Channels: where notifications go (a webhook, Slack, Teams, PagerDuty, Opsgenie, e-mail).

Each channel renders a :class:`~driftpilot.alerts.notification.Notification` in its vendor's
documented payload and makes one delivery attempt per ``send``, raising :class:`DeliveryError`
(with ``retryable`` and ``retry_after``) when it fails; :func:`driftpilot.alerts.delivery.deliver`
retries. HTTP channels share one ``httpx.Client`` per instance; close them with ``close()`` or a
``with`` block. No ``repr``, error message or log record shows a secret.

>>> from driftpilot.alerts.channels import build_channel
>>> url = "https://hooks.slack.com/services/T000/B000/XYZ123"
>>> channel = build_channel("slack", {"webhook_url": url})
>>> channel
SlackChannel(webhook_url='https://hooks.slack.com/***', name='slack')
>>> channel.close()
"""

from __future__ import annotations

from driftpilot.alerts.channels._base import Channel, DeliveryError
from driftpilot.alerts.channels._factory import CHANNEL_KINDS, build_channel
from driftpilot.alerts.channels.email import EmailChannel
from driftpilot.alerts.channels.opsgenie import OpsgenieChannel
from driftpilot.alerts.channels.pagerduty import PagerDutyChannel
from driftpilot.alerts.channels.slack import SlackChannel
from driftpilot.alerts.channels.teams import TeamsChannel
from driftpilot.alerts.channels.webhook import WebhookChannel, sign, verify_signature

__all__ = [
    "CHANNEL_KINDS",
    "Channel",
    "DeliveryError",
    "EmailChannel",
    "OpsgenieChannel",
    "PagerDutyChannel",
    "SlackChannel",
    "TeamsChannel",
    "WebhookChannel",
    "build_channel",
    "sign",
    "verify_signature",
]
