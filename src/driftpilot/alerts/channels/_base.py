"""What every channel is: the ``Channel`` protocol, and the ``DeliveryError`` one attempt raises.

A channel renders a :class:`~driftpilot.alerts.notification.Notification` in its vendor's
payload and makes exactly one attempt to hand it over. Retrying, backing off and dead-lettering
are :func:`driftpilot.alerts.delivery.deliver`'s job, which reads what it needs from the
``DeliveryError``: whether another attempt could succeed, and how long the receiver asked us to
wait.

``DeliveryError`` joins the hierarchy drawn in :mod:`driftpilot.errors` under the builtin it
specialises, ``OSError`` (an I/O operation that failed)::

    DriftpilotError (Exception)
    └── DeliveryError (OSError)      one attempt to deliver a notification failed
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from driftpilot.errors import DriftpilotError

if TYPE_CHECKING:
    from driftpilot.alerts.notification import Notification

__all__ = ["Channel", "DeliveryError"]


class DeliveryError(DriftpilotError, OSError):
    """One attempt to deliver a notification failed.

    The message names the channel and a redacted target (never a token, key or password), the
    HTTP status or SMTP reply if there was one, and what the receiver said.

    Parameters
    ----------
    message
        What went wrong, free of secrets.
    channel
        Name of the channel that failed.
    retryable
        Whether another attempt could succeed: false only where the receiver can never accept
        it (``_http.PERMANENT_STATUSES``, redirects, SMTP 5xx replies); true for timeouts,
        connection errors and every other status.
    status
        HTTP status or SMTP reply code, when the receiver answered.
    retry_after
        Seconds the receiver asked us to wait (``Retry-After`` on a retryable reply), else
        ``None``.
    """

    code = "delivery_failed"

    def __init__(
        self,
        message: str,
        *,
        channel: str,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.channel = channel
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only attributes survive pickling (multiprocessing, some task queues).
        return (
            _rebuild,
            (str(self), self.channel, self.retryable, self.status, self.retry_after),
        )


def _rebuild(
    message: str, channel: str, retryable: bool, status: int | None, retry_after: float | None
) -> DeliveryError:
    return DeliveryError(
        message, channel=channel, retryable=retryable, status=status, retry_after=retry_after
    )


@runtime_checkable
class Channel(Protocol):
    """A destination for notifications (Slack, PagerDuty, a generic webhook, e-mail, ...).

    ``send`` makes one attempt and returns when the receiver accepted the notification; it
    raises :class:`DeliveryError` otherwise. ``repr(channel)`` never shows a secret.
    """

    #: Name used in results, dead letters and logs (the kind, unless configured otherwise).
    name: str

    def send(self, notification: Notification) -> None:
        """Deliver ``notification`` once, or raise :class:`DeliveryError`."""
        ...

    def close(self) -> None:
        """Release connections; the channel must not be used afterwards."""
        ...
