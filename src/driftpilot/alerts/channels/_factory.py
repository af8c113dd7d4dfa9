"""Build a channel from configuration: ``build_channel("slack", {"webhook_url": {...}})``.

Options are the channel class's keyword arguments. Options that hold secrets may be given as
``{"env": NAME}`` or ``{"file": PATH}`` (see :mod:`driftpilot.alerts.channels._secrets`) and are
resolved here, once; a missing variable or file raises ``InvalidParameterError`` naming the
option, never showing a value.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from driftpilot.alerts.channels._base import Channel
from driftpilot.alerts.channels._secrets import resolve_secret
from driftpilot.alerts.channels.email import EmailChannel
from driftpilot.alerts.channels.opsgenie import OpsgenieChannel
from driftpilot.alerts.channels.pagerduty import PagerDutyChannel
from driftpilot.alerts.channels.slack import SlackChannel
from driftpilot.alerts.channels.teams import TeamsChannel
from driftpilot.alerts.channels.webhook import WebhookChannel
from driftpilot.errors import InvalidParameterError

__all__ = ["CHANNEL_KINDS", "build_channel"]

#: Each kind's class and the options that may hold (or point to) a secret.
CHANNEL_KINDS: Mapping[str, tuple[Callable[..., Channel], frozenset[str]]] = {
    "email": (EmailChannel, frozenset({"username", "password"})),
    "opsgenie": (OpsgenieChannel, frozenset({"api_key"})),
    "pagerduty": (PagerDutyChannel, frozenset({"routing_key"})),
    "slack": (SlackChannel, frozenset({"webhook_url"})),
    "teams": (TeamsChannel, frozenset({"webhook_url"})),
    "webhook": (WebhookChannel, frozenset({"url", "secret", "headers"})),
}

# Options a configuration file may not set: they exist for tests.
_NOT_CONFIGURABLE = frozenset({"clock"})


def build_channel(kind: str, options: Mapping[str, Any]) -> Channel:
    """Return a channel of ``kind`` built from ``options``, with secrets resolved.

    Parameters
    ----------
    kind
        ``webhook``, ``slack``, ``teams``, ``pagerduty``, ``opsgenie`` or ``email``.
    options
        The class's keyword arguments. Secret options (webhook and Slack/Teams URLs, the
        webhook's HMAC secret and header values, routing and API keys, SMTP username and
        password) may be ``{"env": NAME}`` or ``{"file": PATH}`` references.

    Raises
    ------
    InvalidParameterError
        For an unknown kind, an unknown or missing option, or a secret that cannot be resolved.

    Examples
    --------
    >>> channel = build_channel("pagerduty", {"routing_key": "R0UT1NGK3Y"})
    >>> "R0UT1NGK3Y" in repr(channel), channel.name
    (False, 'pagerduty')
    >>> channel.close()
    """
    if kind not in CHANNEL_KINDS:
        raise InvalidParameterError(
            f"The channel kind must be one of {sorted(CHANNEL_KINDS)}. Got {kind!r} instead."
        )
    if not isinstance(options, Mapping):
        raise InvalidParameterError(
            f"The options of the {kind} channel must be a mapping. "
            f"Got {type(options).__name__} instead."
        )
    factory, secret_options = CHANNEL_KINDS[kind]
    parameters = inspect.signature(factory).parameters
    allowed = {p for p in parameters if p not in _NOT_CONFIGURABLE}
    unknown = sorted(set(map(str, options)) - allowed)
    if unknown:
        raise InvalidParameterError(
            f"Unknown option(s) {unknown} for the {kind} channel; it accepts {sorted(allowed)}."
        )
    missing = sorted(
        name
        for name, p in parameters.items()
        if p.default is inspect.Parameter.empty and name not in options
    )
    if missing:
        raise InvalidParameterError(f"The {kind} channel needs the option(s) {missing}.")
    resolved: dict[str, Any] = {}
    for name, value in options.items():
        if name == "headers" and name in secret_options and isinstance(value, Mapping):
            resolved[name] = {
                str(header): resolve_secret(v, option=f"headers.{header}", channel=kind)
                for header, v in value.items()
            }
        elif name in secret_options and value is not None:
            resolved[name] = resolve_secret(value, option=name, channel=kind)
        else:
            resolved[name] = value
    return factory(**resolved)
