"""One HTTP attempt for the HTTP channels: a shared ``httpx.Client``, status mapping, redaction.

Each channel owns one :class:`HttpPoster` (composition, not a base class). A POST either returns
the 2xx response or raises :class:`DeliveryError` saying whether a retry could help. Only a
status meaning the receiver can never accept this request at this URL is permanent
(:data:`PERMANENT_STATUSES`: a redirect, which is not followed, 400, 404, 405, 406, 410, 411,
413, 414, 415, 422; a channel may add its own, as Slack does 403); everything else is retried
on the outbox's schedule: timeouts, connection errors, 408, 425, 429, 5xx, and also 401 and
403, since a rotated secret or key is fixed by configuration while the notification waits.
``Retry-After`` on a retryable reply (delay-seconds or an HTTP date) is parsed into
``DeliveryError.retry_after``.

httpx logs every request's full URL at INFO on the ``httpx`` logger; for Slack and Teams that
URL is the credential. Each poster registers its secrets with a filter on that logger, which
replaces them in the record before any handler sees it.
"""

from __future__ import annotations

import json
import logging
import math
import ssl
import threading
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import httpx

from driftpilot._version import __version__
from driftpilot.alerts.channels._base import DeliveryError
from driftpilot.alerts.channels._secrets import redact_url, scrub
from driftpilot.errors import InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "PERMANENT_STATUSES",
    "HttpPoster",
    "check_timeout",
    "check_url",
    "json_bytes",
    "parse_retry_after",
]

#: Statuses after which the receiver can never accept the request as sent (README, Alerts).
PERMANENT_STATUSES = frozenset({400, 404, 405, 406, 410, 411, 413, 414, 415, 422})

#: Characters of a receiver's reply quoted in an error message.
_QUOTED = 300


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Return the seconds a ``Retry-After`` header asks for (delay-seconds or an HTTP date).

    Examples
    --------
    >>> parse_retry_after("7"), parse_retry_after("soon"), parse_retry_after(None)
    (7.0, None, None)
    >>> noon = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    >>> parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=noon)
    30.0
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def json_bytes(payload: Any) -> bytes:
    """Return ``payload`` as compact UTF-8 JSON; NaN and infinities become ``null``.

    Strict JSON has no NaN, and receivers (Slack, PagerDuty) reject bodies that contain one;
    values JSON does not know (datetimes, decimals) are written as their ``str``.

    Examples
    --------
    >>> json_bytes({"psi": float("nan"), "n": [1, 2.5]})
    b'{"psi":null,"n":[1,2.5]}'
    """
    return json.dumps(
        _finite(payload), ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str
    ).encode("utf-8")


def check_url(url: object, *, option: str, channel: str) -> str:
    """Return ``url`` if it is an absolute http(s) URL, else raise ``InvalidParameterError``.

    The message shows the scheme it got, never the URL (which may hold a token).
    """
    if not isinstance(url, str):
        raise InvalidParameterError(
            f"The {option!r} parameter of {channel} must be a string. "
            f"Got {type(url).__name__} instead."
        )
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        scheme = parsed.scheme if parsed is not None and parsed.scheme else "none"
        raise InvalidParameterError(
            f"The {option!r} parameter of {channel} must be an absolute http or https URL. "
            f"Got one with scheme {scheme!r} instead."
        )
    return url


def check_timeout(timeout: object, *, channel: str) -> float:
    """Return ``timeout`` as a float if it is a positive finite number of seconds."""
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise InvalidParameterError(
            f"The 'timeout' parameter of {channel} must be a number of seconds > 0. "
            f"Got {timeout!r} instead."
        )
    return float(timeout)


class _ScrubHttpxLog(logging.Filter):
    """Replace registered secrets in records of the ``httpx`` logger (it logs full URLs).

    A registered URL is first replaced whole by its redacted form (so the log still says which
    host was called), then any remaining secret by ``***``.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._urls: tuple[tuple[str, str], ...] = ()
        self._secrets: frozenset[str] = frozenset()

    def add(self, secrets: Iterable[str], urls: Mapping[str, str]) -> None:
        with self._lock:
            known = dict(self._urls) | {u: r for u, r in urls.items() if u}
            self._urls = tuple(sorted(known.items(), key=lambda item: -len(item[0])))
            self._secrets = self._secrets | {s for s in secrets if s}

    def filter(self, record: logging.LogRecord) -> bool:
        urls, secrets = self._urls, self._secrets
        if urls or secrets:
            message = record.getMessage()
            cleaned = message
            for url, redacted in urls:
                cleaned = cleaned.replace(url, redacted)
            cleaned = scrub(cleaned, secrets)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


_SCRUBBER = _ScrubHttpxLog()
logging.getLogger("httpx").addFilter(_SCRUBBER)


def _url_secrets(url: str) -> list[str]:
    """Return the parts of a credential-bearing URL to hide: the URL, its path, its query."""
    parsed = httpx.URL(url)
    parts = [url, str(parsed), parsed.raw_path.decode("ascii", "replace")]
    if parsed.query:
        parts.append(parsed.query.decode("ascii", "replace"))
    return [p for p in parts if p.strip("/")]


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every channel: loading the CA bundle costs tens of milliseconds."""
    return httpx.create_ssl_context()


class HttpPoster:
    """POST JSON for one channel over one shared ``httpx.Client``.

    Parameters
    ----------
    channel
        Channel name, for error messages.
    target
        How error messages show where the request went (already redacted).
    timeout
        Seconds for connecting, writing, reading and waiting for a pooled connection.
    secrets
        Strings never to show: tokens, keys, credential-bearing URLs.
    secret_urls
        URLs whose path and query are credentials (Slack, Teams, generic webhooks).
    permanent
        Statuses never retried, beside the redirects (default :data:`PERMANENT_STATUSES`).
    """

    def __init__(
        self,
        *,
        channel: str,
        target: str,
        timeout: float,
        secrets: Iterable[str] = (),
        secret_urls: Iterable[str] = (),
        permanent: frozenset[int] = PERMANENT_STATUSES,
    ) -> None:
        self.channel = channel
        self.permanent = permanent
        self.target = target
        hidden = [s for s in secrets if s]
        shown: dict[str, str] = {}
        for url in secret_urls:
            hidden.extend(_url_secrets(url))
            shown[url] = shown[str(httpx.URL(url))] = redact_url(url)
        self._secrets = tuple(hidden)
        _SCRUBBER.add(self._secrets, shown)
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            verify=_tls(),
            headers={"User-Agent": f"driftpilot/{__version__}"},
        )

    def scrub(self, text: str) -> str:
        """Return ``text`` without this poster's secrets."""
        return scrub(text, self._secrets)

    def fail(
        self,
        what: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> DeliveryError:
        """Return a ``DeliveryError`` for this channel, its message scrubbed."""
        message = self.scrub(f"{self.channel}: POST to {self.target} failed: {what}")
        return DeliveryError(
            message,
            channel=self.channel,
            retryable=retryable,
            status=status,
            retry_after=retry_after,
        )

    def post(
        self,
        url: str,
        *,
        payload: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """POST ``payload`` as JSON (or raw ``content``) once; return the 2xx response.

        Raises
        ------
        DeliveryError
            On a non-2xx status, a timeout or a connection error.
        """
        sent = dict(headers or {})
        if payload is not None:
            content = json_bytes(payload)
            sent.setdefault("Content-Type", "application/json")
        try:
            response = self._client.post(url, content=content, headers=sent, params=params)
        except httpx.TimeoutException as err:
            raise self.fail(f"timed out ({type(err).__name__})", retryable=True) from err
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL) as err:
            raise self.fail(f"{type(err).__name__}: {err}", retryable=False) from err
        except httpx.HTTPError as err:
            # Connection refused or reset, DNS, TLS, the peer closing mid-reply: transient.
            raise self.fail(f"{type(err).__name__}: {err}", retryable=True) from err
        status = response.status_code
        if 200 <= status < 300:
            return response
        retryable = not (300 <= status < 400 or status in self.permanent)
        retry_after = None
        if retryable:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        said = " ".join(response.text[:_QUOTED].split())
        reason = response.reason_phrase or "unexpected status"
        raise self.fail(
            f"HTTP {status} {reason}" + (f": {said}" if said else ""),
            retryable=retryable,
            status=status,
            retry_after=retry_after,
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()
