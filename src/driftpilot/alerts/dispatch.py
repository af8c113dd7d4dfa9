"""Send what the outbox holds: each pending notification to its channel or bus, with retries.

At least once: a notification is marked ``sent`` only after its channel accepted it, so a
crash between sending and marking sends it again (receivers deduplicate on the notification
id, the CloudEvent id). A notification whose every attempt failed is marked ``failed`` with
the last error: the dead letter, listed by ``GET /v1/notifications?status=failed`` and
``driftpilot alerts notifications --status failed``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

from driftpilot.alerts.config import AlertingConfig
from driftpilot.alerts.manager import notification_from
from driftpilot.alerts.notification import EVENT_TYPES, cloudevent
from driftpilot.errors import DriftpilotError

__all__ = ["Dispatcher", "OutboxPort"]

logger = logging.getLogger("driftpilot.alerts")


class OutboxPort(Protocol):
    """What the dispatcher needs from the store (``driftpilot.store.AlertRepository``)."""

    def pending(self, *, limit: int = 100) -> list[Any]:
        """Return the pending outbox items, oldest first."""
        ...

    def mark(self, item_id: int, *, status: str, attempts: int, error: str | None = None) -> None:
        """Record the outcome of one item."""
        ...


class Dispatcher:
    """Deliver pending notifications through the configured channels and buses.

    Parameters
    ----------
    outbox
        The store's alert repository.
    config
        Channels (built once, lazily) and buses.
    publish
        Sends one CloudEvent to bus ``index``; returns true when every destination took it.
    attempts, backoff
        Retries of each channel delivery.
    sleep
        Waits between retries (injectable for tests).
    """

    def __init__(
        self,
        outbox: OutboxPort,
        config: AlertingConfig,
        *,
        publish: Callable[[int, dict[str, Any]], bool] | None = None,
        attempts: int = 5,
        backoff: float = 0.5,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.outbox = outbox
        self.config = config
        self.publish = publish
        self.attempts = attempts
        self.backoff = backoff
        self.sleep = sleep
        self._channels: dict[str, Any] = {}

    def _channel(self, name: str) -> Any:
        from driftpilot.alerts.channels import build_channel

        if name not in self._channels:
            options = {k: v for k, v in self.config.channels[name].items() if k != "type"}
            options.setdefault("name", name)  # results and logs name the config key
            self._channels[name] = build_channel(str(self.config.channels[name]["type"]), options)
        return self._channels[name]

    def dispatch(self, *, limit: int = 100) -> Counter[str]:
        """Send up to ``limit`` pending notifications; return counts by outcome."""
        from driftpilot.alerts.delivery import deliver

        counts: Counter[str] = Counter()
        for item in self.outbox.pending(limit=limit):
            notification = notification_from(item.payload)
            if item.channel.startswith("bus:"):
                index = int(item.channel[4:])
                event = cloudevent(
                    EVENT_TYPES[notification.kind],
                    notification.to_dict(),
                    id=notification.id,
                    source=f"/{self.config.source}/alerts",
                    time=notification.created_at,
                    subject=notification.dedup_key,
                )
                ok = self.publish is not None and self.publish(index, event)
                status = "sent" if ok else "failed"
                error = None if ok else "the event bus did not take the event"
                self.outbox.mark(item.id, status=status, attempts=item.attempts + 1, error=error)
                counts[status] += 1
                continue
            try:
                channel = self._channel(item.channel)
            except (DriftpilotError, KeyError) as err:
                error = f"channel {item.channel!r} cannot be built: {err}"
                self.outbox.mark(item.id, status="failed", attempts=0, error=error)
                counts["failed"] += 1
                continue
            options: dict[str, Any] = {"attempts": self.attempts, "backoff": self.backoff}
            if self.sleep is not None:
                options["sleep"] = self.sleep
            result = deliver(channel, notification, **options)
            status = "sent" if result.delivered else "failed"
            self.outbox.mark(item.id, status=status, attempts=result.attempts,
                             error=None if result.delivered else result.error)  # fmt: skip
            if not result.delivered:
                logger.warning(
                    "notification %s to %s failed after %d attempts: %s",
                    notification.id, item.channel, result.attempts, result.error,
                )  # fmt: skip
            counts[status] += 1
        return counts
