"""Alerting in the service: the alert manager, the outbox dispatcher, the monitor runner.

``Alerting.for_settings(settings, store)`` reads the alerting file (``DRIFTPILOT_ALERTING``,
channels, routes and buses) and builds: the runner every monitor run goes through (its
``on_report`` steps the alert rules), the dispatcher that the service's loop calls every
``dispatch_seconds``, and the event-bus publisher. The CLI builds the same for batch runs and
dispatches once at the end.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi.concurrency import run_in_threadpool

from driftpilot.alerts.config import AlertingConfig, load_alerting
from driftpilot.alerts.dispatch import Dispatcher
from driftpilot.alerts.manager import AlertManager
from driftpilot.alerts.report_links import ReportLinks, file_secret
from driftpilot.errors import DriftpilotError
from driftpilot.monitor import MonitorReport, MonitorSpec, Runner, RunSummary
from driftpilot.server.settings import Settings
from driftpilot.store import Store, now_us

__all__ = ["Alerting", "report_links", "run_dispatcher"]

logger = logging.getLogger("driftpilot.alerts")


@dataclass(slots=True)
class Alerting:
    """The alerting parts of one service (or one CLI run)."""

    config: AlertingConfig
    manager: AlertManager
    dispatcher: Dispatcher
    runner: Runner
    buses: list[Any]
    links: ReportLinks

    @classmethod
    def for_settings(cls, settings: Settings, store: Store) -> Alerting:
        """Build everything from the settings' alerting file (none: rules only, no channels)."""
        config = AlertingConfig()
        if settings.alerting is not None:
            config = load_alerting(settings.alerting)
        if settings.public_url is not None:
            config = config.model_copy(update={"public_url": settings.public_url})
        buses: list[Any] = []
        if config.buses:  # one publisher per destination: the outbox tracks each apart
            from driftpilot.alerts.bus import BusPublisher

            buses = [BusPublisher.from_config([destination]) for destination in config.buses]

        def publish_all(event: dict[str, Any]) -> None:
            for bus in buses:
                for result in bus.publish(event):
                    if not result.ok:
                        logger.warning("event %s not published: %s", event["id"], result.error)

        def publish_one(index: int, event: dict[str, Any]) -> bool:
            return bool(all(r.ok for r in buses[index].publish(event)))

        links = report_links(settings)
        manager = AlertManager(store.alerts, config, clock=now_us,
                               publish=publish_all if buses else None, links=links,
                               max_window_age=settings.notify_max_age or None)  # fmt: skip

        def on_report(spec: MonitorSpec, report: MonitorReport, summary: RunSummary,
                      notify: bool | None) -> None:  # fmt: skip
            manager.process(spec, report, summary.run_id, notify=notify)

        runner = Runner(store.source, store.runs, on_report=on_report)
        dispatcher = Dispatcher(store.alerts, config, publish=publish_one)
        return cls(config=config, manager=manager, dispatcher=dispatcher, runner=runner,
                   buses=buses, links=links)  # fmt: skip

    def close(self) -> None:
        """Close the bus connections."""
        for bus in self.buses:
            bus.close()


def report_links(settings: Settings) -> ReportLinks:
    """Return the signer of report links: ``report_secret``, else the data folder's file.

    The file is read (or generated) when a link is first made or opened, not at start.
    """
    if settings.report_secret is not None:
        secret = settings.report_secret.get_secret_value().encode("utf-8")
        return ReportLinks(secret, ttl_seconds=settings.report_link_seconds)
    folder = settings.data_dir
    return ReportLinks(lambda: file_secret(folder), ttl_seconds=settings.report_link_seconds)


async def run_dispatcher(alerting: Alerting, *, every: float, stop: asyncio.Event) -> None:
    """Send pending notifications every ``every`` seconds until ``stop`` is set."""
    from driftpilot.server.monitoring import pause

    while not stop.is_set():
        try:
            counts: Counter[str] = await run_in_threadpool(alerting.dispatcher.dispatch)
        except (sa.exc.SQLAlchemyError, DriftpilotError):
            logger.exception("dispatching notifications failed; retrying in %s s", every)
        else:
            if counts:
                logger.info("notifications: %s", dict(counts))
        if not await pause(stop, every):
            return
