"""Deliver one notification to one channel: retries with backoff, then a dead letter.

:func:`deliver` calls ``channel.send`` until it succeeds, retrying what a retry can fix
(timeouts, connection errors, 408, 429, 5xx, SMTP 4xx) after an exponentially growing wait with
full jitter (uniform in ``[0, min(max_backoff, backoff * 2**(n-1))]`` before retry ``n``). A
``Retry-After`` from the receiver replaces the computed wait; when it asks for longer than
``max_backoff`` we stop rather than either block that long or knock early. A non-retryable
error stops at once.

The service's outbox does not wait in process: :class:`RetrySchedule` says when a failed
notification is tried again (exponential backoff with full jitter, ``Retry-After`` honoured,
measured in time up to ``max_age`` since the first attempt), and the dispatcher makes one
attempt per due notification each time it runs, so a receiver can be down for hours without
a worker thread sleeping on it.

Nothing is lost silently: whenever the notification was not delivered, the result is
``dead_lettered`` and carries a :class:`DeadLetter` holding the whole notification, the last
error and whether a later replay could succeed; the caller stores it (and can replay it with
``deliver`` again). Delivery is at least once: receivers deduplicate on the notification id.
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from driftpilot.alerts.channels._base import DeliveryError
from driftpilot.alerts.notification import iso
from driftpilot.errors import InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Callable

    from driftpilot.alerts.channels._base import Channel
    from driftpilot.alerts.notification import Notification

__all__ = ["DeadLetter", "DeliveryResult", "RetrySchedule", "deliver"]

logger = logging.getLogger("driftpilot.alerts")


@dataclass(frozen=True, slots=True, kw_only=True)
class RetrySchedule:
    """When the outbox tries a failed notification again, and when it gives up.

    Before retry ``n`` (``n = 1`` after the first failure) it waits a time drawn uniformly from
    ``[0, min(max_backoff, backoff * 2**(n-1))]`` (full jitter: replicas and notifications that
    failed together do not retry together), or exactly what the receiver's ``Retry-After``
    asked. A notification whose next attempt would come more than ``max_age`` after its first
    attempt is dead-lettered instead.

    Parameters
    ----------
    backoff
        Upper end of the first wait, in seconds.
    max_backoff
        Largest computed wait, in seconds (a ``Retry-After`` may ask for longer).
    max_age
        How long a notification is retried, in seconds from its first attempt (24 h).
    """

    backoff: float = 1.0
    max_backoff: float = 600.0
    max_age: float = 86_400.0

    def __post_init__(self) -> None:
        for name in ("backoff", "max_backoff", "max_age"):
            value = getattr(self, name)
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or not math.isfinite(value) or value < 0):  # fmt: skip
                raise InvalidParameterError(
                    f"The {name!r} parameter of RetrySchedule must be a finite number of "
                    f"seconds >= 0. Got {value!r} instead."
                )

    def wait(self, retry: int, *, retry_after: float | None, rng: random.Random) -> float:
        """Return the seconds to wait before retry number ``retry`` (1, 2, ...)."""
        if retry_after is not None:
            return max(0.0, retry_after)
        return rng.uniform(0.0, min(self.max_backoff, self.backoff * 2.0 ** min(retry - 1, 60)))


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetter:
    """A notification that could not be delivered to a channel, kept for inspection and replay.

    Parameters
    ----------
    channel
        Name of the channel.
    notification
        The notification, as :meth:`Notification.to_dict` gives it.
    error
        The last error's message (free of secrets).
    attempts
        Attempts made.
    retryable
        Whether the last error was transient, so a later replay may succeed (``False`` after a
        4xx: fix the configuration or the payload first).
    status
        Last HTTP status or SMTP reply code, if any.
    failed_at
        When delivery was given up, in microseconds since the Unix epoch.
    """

    channel: str
    notification: dict[str, Any]
    error: str
    attempts: int
    retryable: bool
    status: int | None
    failed_at: int

    def to_dict(self) -> dict[str, Any]:
        """Return the dead letter as JSON-ready data."""
        return {
            "channel": self.channel,
            "notification_id": self.notification.get("id"),
            "notification": self.notification,
            "error": self.error,
            "attempts": self.attempts,
            "retryable": self.retryable,
            "status": self.status,
            "failed_at": iso(self.failed_at),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryResult:
    """What happened when delivering one notification to one channel.

    Parameters
    ----------
    channel
        Name of the channel.
    notification_id
        The notification's id.
    delivered
        Whether the channel accepted it.
    attempts
        Attempts made (at least 1).
    error
        The last error's message, or ``None`` when delivered at the first attempt. After a
        retried success it is the error that the success overcame.
    dead_lettered
        Whether delivery was given up (always ``not delivered``); ``dead_letter`` then holds
        what the caller must store.
    dead_letter
        The dead letter, when ``dead_lettered``.
    waits
        The waits between attempts, in seconds.
    """

    channel: str
    notification_id: str
    delivered: bool
    attempts: int
    error: str | None
    dead_lettered: bool
    dead_letter: DeadLetter | None = None
    waits: tuple[float, ...] = ()


def _check(attempts: int, backoff: float, max_backoff: float) -> None:
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise InvalidParameterError(
            f"The 'attempts' parameter of deliver must be an integer >= 1. "
            f"Got {attempts!r} instead."
        )
    for name, value in (("backoff", backoff), ("max_backoff", max_backoff)):
        if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise InvalidParameterError(
                f"The {name!r} parameter of deliver must be a finite number >= 0. "
                f"Got {value!r} instead."
            )


def deliver(
    channel: Channel,
    notification: Notification,
    *,
    attempts: int = 5,
    backoff: float = 0.5,
    max_backoff: float = 30.0,
    sleep: Callable[[float], object] = time.sleep,
    seed: int | random.Random | None = None,
    clock: Callable[[], float] = time.time,
) -> DeliveryResult:
    """Deliver ``notification`` through ``channel``, retrying transient failures.

    Parameters
    ----------
    channel
        Where to send.
    notification
        What to send.
    attempts
        Most attempts, the first included.
    backoff
        Upper end of the first wait, in seconds; it doubles with each retry.
    max_backoff
        Largest wait, in seconds; also the longest ``Retry-After`` honoured.
    sleep
        How to wait (inject a recorder in tests).
    seed
        Seed or ``random.Random`` for the jitter.
    clock
        Unix time, for the dead letter's ``failed_at``.

    Returns
    -------
    DeliveryResult
        Never raises for a failed delivery: a failure is a dead-lettered result. An exception
        other than ``DeliveryError`` from the channel is a bug; it is logged with its traceback
        and dead-lettered as not retryable.
    """
    _check(attempts, backoff, max_backoff)
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    waits: list[float] = []
    error: str | None = None
    retryable = False
    status: int | None = None
    made = 0
    while made < attempts:
        made += 1
        try:
            channel.send(notification)
        except DeliveryError as err:
            error, retryable, status = str(err), err.retryable, err.status
            if not retryable:
                logger.warning(
                    "Delivery of notification %s to %s failed and will not be retried: %s",
                    notification.id, channel.name, error,
                )  # fmt: skip
                break
            if made >= attempts:
                break
            if err.retry_after is not None:
                if err.retry_after > max_backoff:
                    error += (
                        f" (the receiver asked to wait {err.retry_after:g} s, longer than "
                        f"max_backoff={max_backoff:g} s; giving up)"
                    )
                    break
                wait = err.retry_after
            else:
                wait = rng.uniform(0.0, min(max_backoff, backoff * 2.0 ** min(made - 1, 60)))
            logger.info(
                "Delivery of notification %s to %s failed (attempt %d of %d), retrying in "
                "%.2f s: %s",
                notification.id, channel.name, made, attempts, wait, error,
            )  # fmt: skip
            waits.append(wait)
            sleep(wait)
        except Exception as err:
            logger.exception(
                "Channel %s raised an unexpected %s for notification %s; dead-lettering it",
                channel.name, type(err).__name__, notification.id,
            )  # fmt: skip
            error = f"{type(err).__name__} raised by channel {channel.name} (a bug; see the log)"
            retryable, status = False, None
            break
        else:
            return DeliveryResult(
                channel=channel.name,
                notification_id=notification.id,
                delivered=True,
                attempts=made,
                error=error,
                dead_lettered=False,
                waits=tuple(waits),
            )
    letter = DeadLetter(
        channel=channel.name,
        notification=notification.to_dict(),
        error=error or "not delivered",
        attempts=made,
        retryable=retryable,
        status=status,
        failed_at=int(clock() * 1e6),
    )
    logger.error(
        "Notification %s was not delivered to %s after %d attempt(s); dead-lettered: %s",
        notification.id, channel.name, made, letter.error,
    )  # fmt: skip
    return DeliveryResult(
        channel=channel.name,
        notification_id=notification.id,
        delivered=False,
        attempts=made,
        error=letter.error,
        dead_lettered=True,
        dead_letter=letter,
        waits=tuple(waits),
    )
