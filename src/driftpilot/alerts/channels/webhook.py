"""The generic webhook: a CloudEvents 1.0 JSON event, signed with HMAC-SHA256.

Each request carries

* ``Content-Type: application/cloudevents+json; charset=utf-8`` (structured mode);
* ``X-Driftpilot-Timestamp``: Unix seconds when the attempt was made;
* ``X-Driftpilot-Signature: sha256=<hex>`` when a secret is configured, where ``<hex>`` is the
  HMAC-SHA256, keyed with the secret, of the bytes ``f"{timestamp}."`` followed by the exact
  body bytes. Signing the timestamp with the body lets a receiver reject replays of an old
  request (``verify_signature(..., max_age=300)``); verify against the raw body as received,
  before any JSON parsing.

The event's ``id`` is the notification's id and its ``subject`` the alert's dedup key: delivery
is at least once, so receivers deduplicate on ``id``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import TYPE_CHECKING

from driftpilot.alerts.channels._http import HttpPoster, check_timeout, check_url, json_bytes
from driftpilot.alerts.channels._secrets import REDACTED, redact_url
from driftpilot.alerts.notification import EVENT_TYPES, cloudevent
from driftpilot.errors import InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from driftpilot.alerts.notification import Notification

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "WebhookChannel", "sign", "verify_signature"]

SIGNATURE_HEADER = "X-Driftpilot-Signature"
TIMESTAMP_HEADER = "X-Driftpilot-Timestamp"
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def sign(secret: str | bytes, timestamp: str | int, body: str | bytes) -> str:
    """Return the signature header value for ``body`` sent at ``timestamp``.

    Examples
    --------
    >>> sign("s3cret", 1700000000, b'{"id":"1"}')[:7]
    'sha256='
    """
    signed = f"{timestamp}.".encode() + _bytes(body)
    return "sha256=" + hmac.new(_bytes(secret), signed, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str | bytes,
    timestamp: str | int,
    body: str | bytes,
    header: str | None,
    *,
    max_age: float | None = None,
    now: float | None = None,
) -> bool:
    """Return whether ``header`` is the signature of ``body`` sent at ``timestamp``.

    For receivers of :class:`WebhookChannel` requests. The comparison takes constant time.

    Parameters
    ----------
    secret
        The shared secret.
    timestamp
        The ``X-Driftpilot-Timestamp`` header.
    body
        The raw request body, exactly as received.
    header
        The ``X-Driftpilot-Signature`` header (``None`` when missing: not valid).
    max_age
        If given, also reject a timestamp more than this many seconds away from ``now``
        (replay protection).
    now
        Current Unix time; ``time.time()`` by default.

    Examples
    --------
    >>> body = b'{"id":"1"}'
    >>> header = sign("s3cret", 1700000000, body)
    >>> verify_signature("s3cret", "1700000000", body, header)
    True
    >>> verify_signature("s3cret", "1700000000", b'{"id":"2"}', header)
    False
    >>> verify_signature("s3cret", "1700000000", body, header, max_age=300, now=1700000900)
    False
    """
    if not header or not header.startswith("sha256="):
        return False
    if max_age is not None:
        try:
            sent = float(timestamp)
        except ValueError:
            return False
        if abs((time.time() if now is None else now) - sent) > max_age:
            return False
    expected = sign(secret, timestamp, body)
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("utf-8"))


class WebhookChannel:
    """POST each notification as a CloudEvent to a URL, signed when a secret is given.

    Parameters
    ----------
    url
        Where to POST. Shown redacted (scheme and host only): such URLs often carry a token.
    secret
        HMAC key for ``X-Driftpilot-Signature``; unsigned when ``None``.
    source
        The CloudEvents ``source`` attribute.
    headers
        Extra request headers (an ``Authorization`` header, say); their values are secrets.
    timeout
        Seconds per attempt.
    name
        Name in results and logs.
    clock
        Unix time for ``X-Driftpilot-Timestamp``; ``time.time`` by default.
    """

    def __init__(
        self,
        url: str,
        *,
        secret: str | None = None,
        source: str = "driftpilot",
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        name: str = "webhook",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self._url = check_url(url, option="url", channel="WebhookChannel")
        if secret is not None and (not isinstance(secret, str) or not secret):
            raise InvalidParameterError(
                "The 'secret' parameter of WebhookChannel must be a non-empty string or None."
            )
        if not isinstance(source, str) or not source:
            raise InvalidParameterError(
                f"The 'source' parameter of WebhookChannel must be a non-empty string. "
                f"Got {source!r} instead."
            )
        self._secret = secret
        self._source = source
        self._headers = dict(headers or {})
        self._clock = clock
        self._http = HttpPoster(
            channel=name,
            target=redact_url(url),
            timeout=check_timeout(timeout, channel="WebhookChannel"),
            secrets=[s for s in (secret, *self._headers.values()) if s],
            secret_urls=[url],
        )

    def __repr__(self) -> str:
        secret = REDACTED if self._secret else None
        return (
            f"WebhookChannel(url={redact_url(self._url)!r}, secret={secret!r}, "
            f"source={self._source!r}, headers={sorted(self._headers)!r}, name={self.name!r})"
        )

    def event(self, notification: Notification) -> dict[str, object]:
        """Return the CloudEvent this channel sends for ``notification``."""
        return cloudevent(
            EVENT_TYPES[notification.kind],
            notification.to_dict(),
            id=notification.id,
            source=self._source,
            time=notification.created_at,
            subject=notification.dedup_key,
        )

    def send(self, notification: Notification) -> None:
        """POST the notification's CloudEvent once; raise ``DeliveryError`` unless 2xx."""
        body = json_bytes(self.event(notification))
        timestamp = str(int(self._clock()))
        ours = {"Content-Type": CONTENT_TYPE, TIMESTAMP_HEADER: timestamp}
        if self._secret is not None:
            ours[SIGNATURE_HEADER] = sign(self._secret, timestamp, body)
        mine = {k.lower() for k in ours}
        headers = {k: v for k, v in self._headers.items() if k.lower() not in mine} | ours
        self._http.post(self._url, content=body, headers=headers)

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def __enter__(self) -> WebhookChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
