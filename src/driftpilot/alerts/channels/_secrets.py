"""Secrets of channels: resolving references to them, and keeping them out of text.

Channel options that hold a secret (a webhook URL with its token, a routing key, an API key, an
SMTP password, an HMAC secret) are given in configuration as a reference, resolved when the
channel is built::

    {"env": "PAGERDUTY_ROUTING_KEY"}       # an environment variable
    {"file": "/run/secrets/pagerduty"}     # a file (trailing newline stripped), as Docker and
                                           # Kubernetes mount secrets
    "R0UT1NGK3Y..."                        # a literal, for tests and quick trials

Errors name the option, the variable or the file, never the value. Text that leaves a channel
(``repr``, error messages) goes through :func:`scrub` with the channel's secrets, and URLs that
carry credentials are shown as :func:`redact_url` gives them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from driftpilot.errors import InvalidParameterError

__all__ = ["REDACTED", "redact_url", "resolve_secret", "scrub"]

#: What a secret is replaced with.
REDACTED = "***"

# Shorter strings than this are not scrubbed from text: replacing "a" everywhere would garble
# messages and protect nothing (a real token, key or password is longer).
_MIN_SCRUB = 4


def resolve_secret(value: object, *, option: str, channel: str) -> str:
    """Return the secret that ``value`` holds or points to.

    Parameters
    ----------
    value
        A literal string, ``{"env": NAME}`` or ``{"file": PATH}``.
    option, channel
        Names used in error messages.

    Raises
    ------
    InvalidParameterError
        If the reference is malformed, the variable is unset or empty, or the file cannot be
        read or is empty. The message never contains the secret.

    Examples
    --------
    >>> resolve_secret("literal-key", option="api_key", channel="opsgenie")
    'literal-key'
    >>> try:
    ...     resolve_secret({"env": "DRIFTPILOT_UNSET_VAR"}, option="api_key", channel="opsgenie")
    ... except InvalidParameterError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    The 'api_key' option of the opsgenie channel names environment variable ... is empty.
    """
    where = f"The {option!r} option of the {channel} channel"
    if isinstance(value, str):
        if not value:
            raise InvalidParameterError(f"{where} must not be empty.")
        return value
    if not isinstance(value, Mapping) or len(value) != 1 or not {"env", "file"} & set(value):
        shape = type(value).__name__ if not isinstance(value, Mapping) else sorted(map(str, value))
        raise InvalidParameterError(
            f"{where} must be a string, {{'env': NAME}} or {{'file': PATH}}. Got {shape} instead."
        )
    ((kind, target),) = value.items()
    if not isinstance(target, str) or not target:
        raise InvalidParameterError(f"{where} has an empty or non-string {kind!r} reference.")
    if kind == "env":
        secret = os.environ.get(target, "")
        if not secret:
            raise InvalidParameterError(
                f"{where} names environment variable {target!r}, which is not set or is empty."
            )
        return secret
    try:
        secret = Path(target).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidParameterError(
            f"{where} names file {target!r}, which cannot be read ({type(err).__name__})."
        ) from None
    if not secret:
        raise InvalidParameterError(f"{where} names file {target!r}, which is empty.")
    return secret


def redact_url(url: str) -> str:
    """Return ``url`` with everything after the host replaced, and any user info dropped.

    Webhook URLs carry their credentials in the path or query (Slack, Teams), so only the
    scheme, host and port are safe to show.

    Examples
    --------
    >>> redact_url("https://hooks.slack.com/services/T000/B000/XXXXXXXX")
    'https://hooks.slack.com/***'
    >>> redact_url("http://user:pw@127.0.0.1:8080")
    'http://127.0.0.1:8080'
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return REDACTED
    if ":" in host:
        host = f"[{host}]"
    shown = f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")
    rest = (parts.path.strip("/") or "") + parts.query + parts.fragment
    return shown + ("/" + REDACTED if rest else "")


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Return ``text`` with every occurrence of each secret replaced by ``***``.

    Examples
    --------
    >>> scrub("key s3cr3t-key refused", ["s3cr3t-key"])
    'key *** refused'
    """
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= _MIN_SCRUB:
            text = text.replace(secret, REDACTED)
    return text
