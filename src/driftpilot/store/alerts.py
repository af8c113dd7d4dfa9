"""Alerts, silences and the notification outbox.

Alerts are rows that move between states (``pending``, ``firing``, ``acknowledged``,
``resolved``); at most one open alert per dedup key, which the alert manager keeps by reading
the open alerts of a monitor before each step. Replicas may evaluate different windows of one
monitor at once, and a person may acknowledge an alert meanwhile, so ``apply`` is optimistic:
given what the manager read (``seen``), it checks in its write transaction, under a lock per
monitor (an advisory transaction lock on PostgreSQL; SQLite's write transactions exclude each
other), that the monitor's open alerts are still exactly those, and raises
``StaleAlertsError`` otherwise, for the manager to read and step again. Notifications are
written to an outbox in the same transaction as the alert change, then sent by the dispatcher:
a notification is never lost between a state change and its delivery, and one whose every
attempt failed stays as a ``failed`` row (the dead letter) with its last error. Silenced
notifications are kept as ``suppressed``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from driftpilot.alerts._matchers import check_matchers, matches
from driftpilot.alerts.engine import AlertState, StaleAlertsError
from driftpilot.errors import ConflictError, InvalidParameterError, NotFoundError
from driftpilot.monitor.results import CheckResult
from driftpilot.store import _tables as t
from driftpilot.store._engine import read, write
from driftpilot.store._sql import model_row
from driftpilot.store._time import now_us

__all__ = ["AlertRepository", "OutboxItem", "Silence"]

_OPEN = ("pending", "firing", "acknowledged")


@dataclass(frozen=True, slots=True, kw_only=True)
class Silence:
    """Notifications whose labels match every matcher are suppressed until ``ends_at``.

    A matcher value starting with ``~`` is a regular expression (full match, RE2 syntax, linear
    time: ``driftpilot.alerts._matchers``); else equality.
    """

    id: int
    matchers: Mapping[str, str]
    starts_at: int
    ends_at: int
    created_by: str | None
    comment: str | None
    created_at: int

    def matches(self, labels: Mapping[str, str], at: int) -> bool:
        """Whether the silence is active at ``at`` and matches ``labels``."""
        if not self.starts_at <= at < self.ends_at:
            return False
        return matches(self.matchers, labels)

    def to_dict(self) -> dict[str, Any]:
        """Return the silence as JSON-ready data."""
        return {"id": self.id, "matchers": dict(self.matchers), "starts_at": self.starts_at,
                "ends_at": self.ends_at, "created_by": self.created_by,
                "comment": self.comment, "created_at": self.created_at}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxItem:
    """One notification for one channel."""

    id: int
    notification_id: str
    alert_id: int
    channel: str
    kind: str
    payload: dict[str, Any]
    status: str
    attempts: int
    last_error: str | None
    created_at: int
    updated_at: int
    first_attempt_at: int | None = None
    next_attempt_at: int | None = None
    last_status: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the item as JSON-ready data."""
        return {"id": self.id, "notification_id": self.notification_id,
                "alert_id": self.alert_id, "channel": self.channel, "kind": self.kind,
                "status": self.status, "attempts": self.attempts,
                "last_error": self.last_error, "last_status": self.last_status,
                "first_attempt_at": self.first_attempt_at,
                "next_attempt_at": self.next_attempt_at, "created_at": self.created_at,
                "updated_at": self.updated_at, "payload": self.payload}  # fmt: skip


def _alert(row: Any, model: str) -> AlertState:
    return AlertState(
        id=row.id, dedup_key=row.dedup_key, monitor=row.monitor, model=model, rule=row.rule,
        group=json.loads(row.group_values), tier=row.tier, state=row.state, bad=row.bad,
        clear=row.clear,
        findings=tuple(CheckResult.from_dict(f) for f in json.loads(row.findings)),
        first_window_start=row.first_window_start, last_bad_window_end=row.last_bad_window_end,
        last_window_end=row.last_window_end, fired_at=row.fired_at,
        last_notified_at=row.last_notified_at, resolved_at=row.resolved_at,
        acknowledged_at=row.acknowledged_at, acknowledged_by=row.acknowledged_by,
        created_at=row.created_at, updated_at=row.updated_at,
    )  # fmt: skip


Outbox = Callable[[AlertState], Sequence[tuple[str, str, str, dict[str, Any], str]]]


def _with_id(alert: AlertState, alert_id: int) -> AlertState:
    return alert if alert.id == alert_id else replace(alert, id=alert_id)


def _values(alert: AlertState, now: int) -> dict[str, Any]:
    return {
        "dedup_key": alert.dedup_key, "monitor": alert.monitor, "rule": alert.rule,
        "group_values": json.dumps(dict(alert.group), sort_keys=True), "tier": alert.tier,
        "state": alert.state, "bad": alert.bad, "clear": alert.clear,
        "findings": json.dumps([f.to_dict() for f in alert.findings]),
        "first_window_start": alert.first_window_start,
        "last_bad_window_end": alert.last_bad_window_end,
        "last_window_end": alert.last_window_end, "fired_at": alert.fired_at,
        "last_notified_at": alert.last_notified_at, "resolved_at": alert.resolved_at,
        "updated_at": now,
    }  # fmt: skip


def _select() -> sa.Select[Any]:
    a, m = t.alerts, t.models
    return sa.select(a, m.c.name.label("model_name")).select_from(a.join(m, m.c.id == a.c.model_id))


class AlertRepository:
    """Read and write alerts, silences and the outbox."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    # -- alerts --------------------------------------------------------------------------
    def open_alerts_of(self, monitor: str) -> list[AlertState]:
        """Return the open alerts of every rule of one monitor."""
        a = t.alerts
        with read(self._engine) as connection:
            rows = connection.execute(
                _select().where(a.c.monitor == monitor, a.c.state.in_(_OPEN))
            ).all()
        return [_alert(r, r.model_name) for r in rows]

    def apply(
        self,
        changes: Sequence[tuple[AlertState, Outbox | None]],
        *,
        monitor: str | None = None,
        seen: Mapping[int, tuple[str, int | None]] | None = None,
    ) -> list[AlertState]:
        """Save the changed alerts of one report and queue their notifications, atomically.

        Each change is an alert and, when it calls for notifications, a function that gets
        the saved alert (with its id) and returns the outbox rows ``(notification_id,
        channel, kind, payload, status)``. With ``monitor`` and ``seen`` (``seen_alerts`` of
        the open alerts the changes were computed from), nothing is written and
        ``StaleAlertsError`` is raised if the monitor's open alerts are no longer those.
        """
        if not changes:
            if monitor is not None and seen is not None:  # a step that changed nothing
                with read(self._engine) as connection:  # must not have missed an alert
                    self._check_unchanged(connection, monitor, seen, lock=False)
            return []
        now = now_us()
        saved: list[AlertState] = []
        rows: list[dict[str, Any]] = []
        with write(self._engine) as connection:
            if monitor is not None and seen is not None:
                self._check_unchanged(connection, monitor, seen)
            model_ids: dict[str, int] = {}
            for alert, outbox in changes:
                if alert.model not in model_ids:
                    model_ids[alert.model] = model_row(connection, alert.model).id
                alert_id = self._write(connection, alert, model_ids[alert.model], now)
                stored = _with_id(alert, alert_id)
                saved.append(stored)
                if outbox is not None:
                    rows += [
                        {"notification_id": nid, "alert_id": alert_id, "channel": channel,
                         "kind": kind, "payload": json.dumps(payload), "status": status,
                         "attempts": 0, "last_error": None, "created_at": now,
                         "updated_at": now}
                        for nid, channel, kind, payload, status in outbox(stored)
                    ]  # fmt: skip
            if rows:
                connection.execute(t.notifications.insert(), rows)
        return saved

    @staticmethod
    def _check_unchanged(
        connection: sa.Connection,
        monitor: str,
        seen: Mapping[int, tuple[str, int | None]],
        *,
        lock: bool = True,
    ) -> None:
        a = t.alerts
        if lock and connection.dialect.name == "postgresql":  # one applier per monitor
            key = int.from_bytes(
                hashlib.blake2b(f"driftpilot-alerts:{monitor}".encode(), digest_size=8).digest(),
                "big", signed=True,
            )  # fmt: skip
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
        rows = connection.execute(
            sa.select(a.c.id, a.c.state, a.c.updated_at)
            .where(a.c.monitor == monitor, a.c.state.in_(_OPEN))
        ).all()  # fmt: skip
        if {r.id: (r.state, r.updated_at) for r in rows} != dict(seen):
            raise StaleAlertsError(monitor)

    @staticmethod
    def _write(connection: sa.Connection, alert: AlertState, model_id: int, now: int) -> int:
        a = t.alerts
        values = _values(alert, now)
        if alert.id is None:
            new_id: int = connection.execute(
                a.insert().values(model_id=model_id, created_at=now, **values).returning(a.c.id)
            ).scalar_one()
            return new_id
        connection.execute(a.update().where(a.c.id == alert.id).values(**values))
        return alert.id

    def get(self, alert_id: int) -> AlertState:
        """Return one alert (``NotFoundError`` if there is none)."""
        with read(self._engine) as connection:
            row = connection.execute(_select().where(t.alerts.c.id == alert_id)).first()
        if row is None:
            raise NotFoundError(f"There is no alert with id {alert_id}.")
        return _alert(row, row.model_name)

    def list_alerts(
        self, *, state: str | None = None, model: str | None = None, limit: int = 100
    ) -> list[AlertState]:
        """Return alerts, newest first; ``state='open'`` for every unresolved one."""
        a = t.alerts
        query = _select().order_by(a.c.updated_at.desc(), a.c.id.desc()).limit(limit)
        if state == "open":
            query = query.where(a.c.state.in_(_OPEN))
        elif state is not None:
            if state not in (*_OPEN, "resolved"):
                raise InvalidParameterError(
                    f"The 'state' filter must be open, pending, firing, acknowledged or "
                    f"resolved. Got {state!r} instead."
                )
            query = query.where(a.c.state == state)
        with read(self._engine) as connection:
            if model is not None:
                query = query.where(a.c.model_id == model_row(connection, model).id)
            rows = connection.execute(query).all()
        return [_alert(r, r.model_name) for r in rows]

    def acknowledge(self, alert_id: int, *, by: str | None = None) -> AlertState:
        """Acknowledge a firing alert: no re-notifications until it resolves."""
        a = t.alerts
        now = now_us()
        with write(self._engine) as connection:
            row = connection.execute(sa.select(a.c.state).where(a.c.id == alert_id)).first()
            if row is None:
                raise NotFoundError(f"There is no alert with id {alert_id}.")
            if row.state not in ("firing", "acknowledged"):
                raise ConflictError(
                    f"Alert {alert_id} is {row.state}; only a firing alert can be acknowledged."
                )
            change = {"state": "acknowledged", "acknowledged_at": now, "acknowledged_by": by,
                      "updated_at": now}  # fmt: skip
            connection.execute(a.update().where(a.c.id == alert_id).values(**change))
        return self.get(alert_id)

    def firing_counts(self) -> dict[tuple[str, str, str], int]:
        """Return the number of firing or acknowledged alerts per (model, tier, rule)."""
        a, m = t.alerts, t.models
        with read(self._engine) as connection:
            rows = connection.execute(
                sa.select(m.c.name, a.c.tier, a.c.rule, sa.func.count())
                .select_from(a.join(m, m.c.id == a.c.model_id))
                .where(a.c.state.in_(("firing", "acknowledged")))
                .group_by(m.c.name, a.c.tier, a.c.rule)
            ).all()
        return {(r[0], r[1], r[2]): int(r[3]) for r in rows}

    # -- silences ------------------------------------------------------------------------
    def add_silence(
        self, matchers: Mapping[str, str], *, ends_at: int, starts_at: int | None = None,
        created_by: str | None = None, comment: str | None = None,
    ) -> Silence:  # fmt: skip
        """Create a silence; matchers must be non-empty and regexes must compile."""
        if not matchers:
            raise InvalidParameterError("A silence needs at least one matcher, e.g. model=NAME.")
        check_matchers(matchers)
        now = now_us()
        starts = now if starts_at is None else starts_at
        if ends_at <= starts:
            raise InvalidParameterError("A silence must end after it starts.")
        s = t.silences
        with write(self._engine) as connection:
            silence_id = connection.execute(s.insert().values(
                matchers=json.dumps(dict(matchers), sort_keys=True), starts_at=starts,
                ends_at=ends_at, created_by=created_by, comment=comment, created_at=now,
            ).returning(s.c.id)).scalar_one()  # fmt: skip
        return Silence(id=silence_id, matchers=dict(matchers), starts_at=starts, ends_at=ends_at,
                       created_by=created_by, comment=comment, created_at=now)  # fmt: skip

    def silences(self, *, active_at: int | None = None) -> list[Silence]:
        """Return the silences (only those active at ``active_at`` if given)."""
        s = t.silences
        query = sa.select(s).order_by(s.c.id)
        if active_at is not None:
            query = query.where(s.c.starts_at <= active_at, s.c.ends_at > active_at)
        with read(self._engine) as connection:
            rows = connection.execute(query).all()
        return [Silence(id=r.id, matchers=json.loads(r.matchers), starts_at=r.starts_at,
                        ends_at=r.ends_at, created_by=r.created_by, comment=r.comment,
                        created_at=r.created_at) for r in rows]  # fmt: skip

    def expire_silence(self, silence_id: int) -> None:
        """End a silence now."""
        s = t.silences
        with write(self._engine) as connection:
            done = connection.execute(
                s.update().where(s.c.id == silence_id).values(ends_at=now_us())
            ).rowcount
        if not done:
            raise NotFoundError(f"There is no silence with id {silence_id}.")

    # -- outbox --------------------------------------------------------------------------
    def pending(self, *, limit: int = 100, now: int | None = None) -> list[OutboxItem]:
        """Return pending notifications whose next attempt is due by ``now``, oldest first."""
        n = t.notifications
        moment = now_us() if now is None else now
        due = sa.or_(n.c.next_attempt_at.is_(None), n.c.next_attempt_at <= moment)
        return self._items(sa.and_(n.c.status == "pending", due), limit=limit, newest=False)

    def retry_dead_letters(self, item_id: int | None = None) -> int:
        """Queue dead letters (one, or all when ``item_id`` is None) to be sent again now.

        Each gets a fresh ``max_age`` (its first attempt is forgotten); attempts keep counting.
        Returns how many were queued; ``NotFoundError`` if ``item_id`` is no dead letter.
        """
        n = t.notifications
        condition = n.c.status == "failed"
        if item_id is not None:
            condition = sa.and_(condition, n.c.id == item_id)
        with write(self._engine) as connection:
            done = connection.execute(
                n.update().where(condition).values(
                    status="pending", next_attempt_at=None, first_attempt_at=None,
                    updated_at=now_us(),
                )
            ).rowcount  # fmt: skip
        if item_id is not None and not done:
            raise NotFoundError(f"There is no dead letter (failed notification) with id {item_id}.")
        return int(done)

    def notifications(self, *, status: str | None = None, limit: int = 100) -> list[OutboxItem]:
        """Return notifications (of ``status``: pending, sent, failed, suppressed), newest first."""
        condition = sa.true() if status is None else t.notifications.c.status == status
        return self._items(condition, limit=limit, newest=True)

    def _items(self, condition: Any, *, limit: int, newest: bool) -> list[OutboxItem]:
        n = t.notifications
        order = n.c.id.desc() if newest else n.c.id
        with read(self._engine) as connection:
            rows = connection.execute(sa.select(n).where(condition).order_by(order).limit(limit))
            return [OutboxItem(id=r.id, notification_id=r.notification_id,
                               alert_id=r.alert_id, channel=r.channel, kind=r.kind,
                               payload=json.loads(r.payload), status=r.status,
                               attempts=r.attempts, last_error=r.last_error,
                               created_at=r.created_at, updated_at=r.updated_at,
                               first_attempt_at=r.first_attempt_at,
                               next_attempt_at=r.next_attempt_at, last_status=r.last_status)
                    for r in rows.all()]  # fmt: skip

    def mark(
        self, item_id: int, *, status: str, attempts: int, error: str | None = None,
        last_status: int | None = None, first_attempt_at: int | None = None,
        next_attempt_at: int | None = None,
    ) -> None:  # fmt: skip
        """Record the outcome of one attempt (``next_attempt_at``: when a pending one is due)."""
        n = t.notifications
        with write(self._engine) as connection:
            change = {"status": status, "attempts": attempts, "last_error": error,
                      "last_status": last_status, "next_attempt_at": next_attempt_at,
                      "updated_at": now_us()}  # fmt: skip
            if first_attempt_at is not None:
                change["first_attempt_at"] = first_attempt_at
            connection.execute(n.update().where(n.c.id == item_id).values(**change))
