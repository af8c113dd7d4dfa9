"""Send what the outbox holds: each due notification to its channel or bus, on a schedule.

At least once: a notification is marked ``sent`` only after its channel accepted it, so a
crash between sending and marking sends it again (receivers deduplicate on the notification
id, the CloudEvent id). Each run makes one attempt per due notification. A failure the
receiver can recover from (a timeout, a refused connection, 408, 429, 5xx, 401/403: see
``channels._http``) leaves it ``pending`` with its next attempt set by the alerting file's
:class:`~driftpilot.alerts.delivery.RetrySchedule` (exponential backoff with full jitter, or
the receiver's ``Retry-After``); once the next attempt would fall more than ``max_age`` after
the first, or after a failure no retry can fix (404, 410, 422, ...), it is marked ``failed``
with the last error and status: the dead letter, listed by ``GET
/v1/notifications/dead-letters`` and ``driftpilot alerts dead-letters``, and sent again by
``... /retry`` and ``driftpilot alerts retry ID|--all``.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

from driftpilot.alerts.channels._base import DeliveryError
from driftpilot.alerts.config import AlertingConfig
from driftpilot.alerts.manager import notification_from
from driftpilot.alerts.notification import EVENT_TYPES, cloudevent
from driftpilot.errors import DriftpilotError

__all__ = ["Dispatcher", "OutboxPort"]

logger = logging.getLogger("driftpilot.alerts")


class OutboxPort(Protocol):
    """What the dispatcher needs from the store (``driftpilot.store.AlertRepository``)."""

    def pending(self, *, limit: int = 100, now: int | None = None) -> list[Any]:
        """Return the pending outbox items due by ``now`` (microseconds), oldest first."""
        ...

    def mark(
        self, item_id: int, *, status: str, attempts: int, error: str | None = None,
        last_status: int | None = None, first_attempt_at: int | None = None,
        next_attempt_at: int | None = None,
    ) -> None:  # fmt: skip
        """Record the outcome of one attempt."""
        ...


class Dispatcher:
    """Deliver due notifications through the configured channels and buses.

    Parameters
    ----------
    outbox
        The store's alert repository.
    config
        Channels (built once, lazily), buses and the retry schedule (``config.retry``).
    publish
        Sends one CloudEvent to bus ``index``; returns true when every destination took it.
    clock
        Unix time in seconds (injectable for tests).
    seed
        Seed or ``random.Random`` for the jitter.
    """

    def __init__(
        self,
        outbox: OutboxPort,
        config: AlertingConfig,
        *,
        publish: Callable[[int, dict[str, Any]], bool] | None = None,
        clock: Callable[[], float] = time.time,
        seed: int | random.Random | None = None,
    ) -> None:
        self.outbox = outbox
        self.config = config
        self.publish = publish
        self.schedule = config.retry.schedule()
        self.clock = clock
        self._rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        self._channels: dict[str, Any] = {}

    def _channel(self, name: str) -> Any:
        from driftpilot.alerts.channels import build_channel

        if name not in self._channels:
            options = {k: v for k, v in self.config.channels[name].items() if k != "type"}
            options.setdefault("name", name)  # results and logs name the config key
            self._channels[name] = build_channel(str(self.config.channels[name]["type"]), options)
        return self._channels[name]

    def dispatch(self, *, limit: int = 100) -> Counter[str]:
        """Attempt up to ``limit`` due notifications once; return counts by outcome.

        Outcomes: ``sent``, ``retrying`` (pending again, with a next attempt) and ``failed``.
        """
        counts: Counter[str] = Counter()
        now = int(self.clock() * 1_000_000)
        for item in self.outbox.pending(limit=limit, now=now):
            notification = notification_from(item.payload)
            try:
                self._attempt(item, notification)
            except DeliveryError as err:
                counts[self._failed(item, now, err)] += 1
            else:
                self.outbox.mark(item.id, status="sent", attempts=item.attempts + 1,
                                 first_attempt_at=item.first_attempt_at or now)  # fmt: skip
                counts["sent"] += 1
        return counts

    def _attempt(self, item: Any, notification: Any) -> None:
        """Make one attempt; raise ``DeliveryError`` on failure."""
        if item.channel.startswith("bus:"):
            event = cloudevent(
                EVENT_TYPES[notification.kind],
                notification.to_dict(),
                id=notification.id,
                source=f"/{self.config.source}/alerts",
                time=notification.created_at,
                subject=notification.dedup_key,
            )
            if self.publish is None or not self.publish(int(item.channel[4:]), event):
                raise DeliveryError("the event bus did not take the event", channel=item.channel,
                                    retryable=True)  # fmt: skip
            return
        try:
            channel = self._channel(item.channel)
        except (DriftpilotError, KeyError) as err:
            raise DeliveryError(f"channel {item.channel!r} cannot be built: {err}",
                                channel=item.channel, retryable=False) from err  # fmt: skip
        channel.send(notification)

    def _failed(self, item: Any, now: int, err: DeliveryError) -> str:
        """Schedule the next attempt or dead-letter; return the outcome."""
        attempts = item.attempts + 1
        first = item.first_attempt_at or now
        error = str(err)
        state = {"attempts": attempts, "last_status": err.status, "first_attempt_at": first}
        if err.retryable:
            wait = self.schedule.wait(attempts, retry_after=err.retry_after, rng=self._rng)
            due = now + int(wait * 1_000_000)
            if due - first <= self.schedule.max_age * 1_000_000:
                self.outbox.mark(item.id, status="pending", error=error, next_attempt_at=due,
                                 **state)  # fmt: skip
                logger.info("notification %s to %s failed (attempt %d), next in %.1f s: %s",
                            item.notification_id, item.channel, attempts, wait, error)  # fmt: skip
                return "retrying"
            error += (f" (gave up: the next attempt, in {wait:.0f} s, would be more than "
                      f"max_age={self.schedule.max_age:g} s after the first)")  # fmt: skip
        self.outbox.mark(item.id, status="failed", error=error, **state)
        logger.warning("notification %s to %s dead-lettered after %d attempt(s): %s",
                       item.notification_id, item.channel, attempts, error)  # fmt: skip
        return "failed"
