"""Monitor runs: the once-per-window lease, recorded reports and their history.

``RunRepository`` is the store's ``driftpilot.monitor.RunLog`` (and, through
``detector_states.DetectorStates``, its ``DetectorStateLog``). Decisions:

* The lease of a (monitor, window) is one row of ``dp_monitor_leases``. ``acquire`` inserts it
  (``INSERT ... ON CONFLICT DO NOTHING``); if the row exists, one conditional ``UPDATE ...
  WHERE owner = me OR expires_at < now`` takes it over when it has expired (or refreshes the
  owner's own lease). The row count says who won: the database decides, so two replicas (or
  processes) never both hold a lease, and a crashed owner's lease lapses after its TTL.
  ``release`` deletes the row only if the caller owns it.
* ``record`` writes a report in one transaction: the run row (its JSON report included), one
  ``dp_check_results`` row per result, and ``current = false`` on the results of the window's
  older revisions. A revision recorded twice is a ``ConflictError``; one recorded after a
  newer one (out of order) is kept but its results are not current. On PostgreSQL the
  monitor's row is locked while recording, so two replicas recording the same window cannot
  both mark their results current.
* History queries return the newest revision of each window unless asked for every one.
  A window is selected by its start: ``start <= window_start < end``.
* Time comes from ``clock`` (microseconds since the epoch), so tests pass it in instead of
  sleeping.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from driftpilot.errors import ConflictError, InvalidParameterError, NotFoundError
from driftpilot.monitor import DetectorState, MonitorReport, RunSummary, SeriesPoint
from driftpilot.monitor.results import Status, check_status
from driftpilot.store import _tables as t
from driftpilot.store._batch import dump_json
from driftpilot.store._engine import read, write
from driftpilot.store._sql import insert_ignore, model_row
from driftpilot.store._time import now_us
from driftpilot.store.detector_states import DetectorStates
from driftpilot.store.monitors import monitor_row

__all__ = ["RunRepository"]

_MAX_OWNER = 100


class RunRepository:
    """Leases, reports and history of monitor runs (``driftpilot.monitor.RunLog``).

    Parameters
    ----------
    engine
        The store's engine.
    clock
        Returns the current time in microseconds since the epoch (tests pass a fake one).
    """

    def __init__(self, engine: sa.Engine, *, clock: Callable[[], int] = now_us) -> None:
        self._engine = engine
        self._clock = clock
        self._states = DetectorStates(engine, clock=clock)

    def detector_state(
        self, monitor: str, check: str, segment: str, *, at: int
    ) -> DetectorState | None:
        """Return a detector check's newest state ending at or before ``at``."""
        return self._states.detector_state(monitor, check, segment, at=at)

    def save_detector_state(
        self, monitor: str, check: str, segment: str, state: DetectorState, *, keep_from: int
    ) -> None:
        """Save a detector check's state after one window (see ``detector_states``)."""
        self._states.save_detector_state(monitor, check, segment, state, keep_from=keep_from)

    def acquire(
        self, monitor: str, start: int, end: int, *, owner: str, ttl_seconds: float
    ) -> bool:
        """Take the lease of ``monitor`` over ``[start, end)`` for ``ttl_seconds``.

        Returns true if ``owner`` holds the lease now: it was free, had expired, or was
        ``owner``'s already (its expiry is then pushed back). Returns false while another owner
        holds it.

        Raises
        ------
        InvalidParameterError
            ``owner`` is empty or longer than 100 characters, or ``ttl_seconds`` is not a
            positive number.
        NotFoundError
            There is no monitor named ``monitor``.
        """
        if not isinstance(owner, str) or not 0 < len(owner) <= _MAX_OWNER:
            raise InvalidParameterError(
                f"A lease 'owner' must be a string of 1-{_MAX_OWNER} characters. "
                f"Got {owner!r} instead."
            )
        if not isinstance(ttl_seconds, int | float) or not (
            math.isfinite(ttl_seconds) and ttl_seconds > 0
        ):
            raise InvalidParameterError(
                f"The 'ttl_seconds' of a lease must be a positive number. Got {ttl_seconds!r}."
            )
        now = self._clock()
        expires = now + math.ceil(ttl_seconds * 1_000_000)
        lease = t.monitor_leases
        with write(self._engine) as connection:
            monitor_id = monitor_row(connection, monitor, lock="key_share").id
            inserted = connection.execute(
                insert_ignore(connection, lease)
                .values(
                    monitor_id=monitor_id, window_start=start, window_end=end, owner=owner,
                    expires_at=expires,
                )
                .returning(lease.c.monitor_id)
            ).first()  # fmt: skip
            if inserted is not None:
                return True
            taken = connection.execute(
                lease.update()
                .where(
                    *_lease(monitor_id, start, end),
                    sa.or_(lease.c.owner == owner, lease.c.expires_at < now),
                )
                .values(owner=owner, expires_at=expires)
            ).rowcount
            return bool(taken)

    def release(self, monitor: str, start: int, end: int, *, owner: str) -> None:
        """Give back ``owner``'s lease of ``monitor`` over ``[start, end)`` (if it holds it).

        Raises
        ------
        NotFoundError
            There is no monitor named ``monitor``.
        """
        lease = t.monitor_leases
        with write(self._engine) as connection:
            monitor_id = monitor_row(connection, monitor).id
            connection.execute(
                lease.delete().where(*_lease(monitor_id, start, end), lease.c.owner == owner)
            )

    def latest(self, monitor: str, start: int, end: int) -> RunSummary | None:
        """Return the newest revision of ``monitor``'s run over ``[start, end)``, if it ran."""
        found = self.revisions(monitor, start, end)
        return found[-1] if found else None

    def revisions(self, monitor: str, start: int, end: int) -> list[RunSummary]:
        """Return every revision of ``monitor``'s run over ``[start, end)``, oldest first.

        Raises
        ------
        NotFoundError
            There is no monitor named ``monitor``.
        """
        r = t.monitor_runs
        with read(self._engine) as connection:
            found = monitor_row(connection, monitor)
            rows = connection.execute(
                sa.select(*_SUMMARY)
                .where(r.c.monitor_id == found.id, r.c.window_start == start, r.c.window_end == end)
                .order_by(r.c.revision)
            ).all()
        return [_summary(row, monitor, found.model) for row in rows]

    def record(self, report: MonitorReport) -> RunSummary:
        """Store ``report`` and its results; it becomes its window's newest revision.

        Raises
        ------
        NotFoundError
            There is no monitor named ``report.monitor``.
        InvalidParameterError
            The report's model is not the monitor's, or its revision is below 1.
        ConflictError
            The window already has a run of this revision.
        """
        if report.revision < 1:
            raise InvalidParameterError(
                f"A report's 'revision' must be 1 or more. Got {report.revision!r} instead."
            )
        r, c = t.monitor_runs, t.check_results
        document = report.to_dict()
        try:
            text = dump_json(document)
        except (TypeError, ValueError) as err:
            raise InvalidParameterError(
                f"The report of monitor {report.monitor!r} must hold JSON data only (in its "
                f"results' 'details', say). {err}"
            ) from err
        with write(self._engine) as connection:
            found = monitor_row(connection, report.monitor, lock="update")
            if found.model != report.model:
                raise InvalidParameterError(
                    f"Monitor {report.monitor!r} watches model {found.model!r}; the report's "
                    f"'model' is {report.model!r}."
                )
            window = (
                r.c.monitor_id == found.id,
                r.c.window_start == report.window_start,
                r.c.window_end == report.window_end,
            )
            known = set(connection.execute(sa.select(r.c.revision).where(*window)).scalars())
            if report.revision in known:  # no race: the monitor's row is locked
                raise ConflictError(
                    f"Monitor {report.monitor!r} already has revision {report.revision} of the "
                    f"window [{report.window_start}, {report.window_end}). Record the next "
                    "revision instead."
                )
            run_id = connection.execute(
                r.insert()
                .values(
                    monitor_id=found.id, model_id=found.model_id,
                    window_start=report.window_start, window_end=report.window_end,
                    revision=report.revision, n_events=report.n_events, n_labels=report.n_labels,
                    severity=report.severity, evaluated_at=report.evaluated_at, report=text,
                )
                .returning(r.c.id)
            ).scalar_one()  # fmt: skip
            current = report.revision > max(known, default=0)
            rows = [
                _result_row(result, run_id, found, report, current)
                for result in document["results"]
            ]
            if rows:
                connection.execute(c.insert(), rows)
            if current and known:
                older = sa.select(r.c.id).where(*window, r.c.id != run_id)
                connection.execute(
                    c.update().where(c.c.run_id.in_(older), c.c.current).values(current=False)
                )
            if current:
                _track_states(connection, found.id, report)
        return RunSummary(
            run_id=run_id, monitor=report.monitor, model=report.model,
            window_start=report.window_start, window_end=report.window_end,
            revision=report.revision, n_events=report.n_events, n_labels=report.n_labels,
            evaluated_at=report.evaluated_at, severity=report.severity,
        )  # fmt: skip

    def evaluated(self, monitor: str, *, since: int) -> list[RunSummary]:
        """Return the newest revision of every window ending after ``since``, by window end.

        Raises
        ------
        NotFoundError
            There is no monitor named ``monitor``.
        """
        r = t.monitor_runs
        with read(self._engine) as connection:
            found = monitor_row(connection, monitor)
            rows = connection.execute(
                sa.select(*_SUMMARY)
                .where(r.c.monitor_id == found.id, r.c.window_end > since, _newest())
                .order_by(r.c.window_end, r.c.window_start)
            ).all()
        return [_summary(row, monitor, found.model) for row in rows]

    def runs(
        self,
        monitor: str,
        *,
        start: int | None = None,
        end: int | None = None,
        limit: int = 100,
        revisions: bool = False,
    ) -> list[RunSummary]:
        """Return ``monitor``'s runs with ``start <= window_start < end``, newest window first.

        Only each window's newest revision, unless ``revisions`` (then newest revision first
        within a window). At most ``limit`` runs.

        Raises
        ------
        InvalidParameterError
            ``limit`` is below 1.
        NotFoundError
            There is no monitor named ``monitor``.
        """
        if limit < 1:
            raise InvalidParameterError(f"The 'limit' must be 1 or more. Got {limit!r} instead.")
        r = t.monitor_runs
        conditions: list[sa.ColumnElement[bool]] = []
        if start is not None:
            conditions.append(r.c.window_start >= start)
        if end is not None:
            conditions.append(r.c.window_start < end)
        if not revisions:
            conditions.append(_newest())
        with read(self._engine) as connection:
            found = monitor_row(connection, monitor)
            rows = connection.execute(
                sa.select(*_SUMMARY)
                .where(r.c.monitor_id == found.id, *conditions)
                .order_by(r.c.window_end.desc(), r.c.window_start.desc(), r.c.revision.desc())
                .limit(limit)
            ).all()
        return [_summary(row, monitor, found.model) for row in rows]

    def report(self, run_id: int) -> MonitorReport:
        """Return the report of run ``run_id``; ``NotFoundError`` if there is none."""
        with read(self._engine) as connection:
            text = connection.execute(
                sa.select(t.monitor_runs.c.report).where(t.monitor_runs.c.id == run_id)
            ).scalar_one_or_none()
        if text is None:
            raise NotFoundError(f"There is no monitor run with id {run_id!r}.")
        return MonitorReport.from_dict(json.loads(text))

    def series(
        self,
        model: str,
        *,
        metric: str,
        monitor: str | None = None,
        check: str | None = None,
        feature: str | None = None,
        segment: str | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> list[SeriesPoint]:
        """Return the current value of a metric in each window, oldest window first.

        Only the newest revision of each window counts. ``monitor`` and ``check`` narrow the
        results when given (``None``: any monitor, any check of the model). ``feature`` and
        ``segment`` are matched exactly, and ``None`` means the results about no feature (or
        no segment): the model-wide values, not "any". Windows are selected by their start:
        ``start <= window_start < end``. Several monitors or checks reporting the same metric
        give one point each per window, each naming its monitor, check and kind.

        Raises
        ------
        NotFoundError
            There is no model ``model``, or no monitor ``monitor``.
        """
        c = t.check_results
        conditions = [
            c.c.metric == metric,
            c.c.feature == (feature or ""),
            c.c.segment == (segment or ""),
            c.c.current.is_(True),
        ]
        if check is not None:
            conditions.append(c.c.check == check)
        if start is not None:
            conditions.append(c.c.window_start >= start)
        if end is not None:
            conditions.append(c.c.window_start < end)
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            if monitor is not None:
                conditions.append(c.c.monitor_id == monitor_row(connection, monitor).id)
            m = t.monitors
            rows = connection.execute(
                sa.select(
                    c.c.window_start, c.c.window_end, c.c.value, c.c.stderr, c.c.lower,
                    c.c.upper, c.c.severity, c.c.revision, c.c.n, c.c.n_labels,
                    m.c.name.label("monitor"), c.c.check, c.c.kind,
                )
                .join(m, m.c.id == c.c.monitor_id)
                .where(c.c.model_id == model_id, *conditions)
                .order_by(c.c.window_start, c.c.window_end, c.c.id)
            ).all()  # fmt: skip
        return [SeriesPoint(**row._mapping) for row in rows]


_r = t.monitor_runs
_SUMMARY = (
    _r.c.id.label("run_id"), _r.c.window_start, _r.c.window_end, _r.c.revision, _r.c.n_events,
    _r.c.n_labels, _r.c.evaluated_at, _r.c.severity,
)  # fmt: skip


def _lease(monitor_id: int, start: int, end: int) -> tuple[sa.ColumnElement[bool], ...]:
    lease = t.monitor_leases
    return (
        lease.c.monitor_id == monitor_id,
        lease.c.window_start == start,
        lease.c.window_end == end,
    )


def _newest() -> sa.ColumnElement[bool]:
    """Whether a run is its window's newest revision (no later revision of the window exists)."""
    later = t.monitor_runs.alias("later")
    return ~sa.exists().where(
        later.c.monitor_id == _r.c.monitor_id,
        later.c.window_start == _r.c.window_start,
        later.c.window_end == _r.c.window_end,
        later.c.revision > _r.c.revision,
    )


def _summary(row: Any, monitor: str, model: str) -> RunSummary:
    return RunSummary(**row._mapping, monitor=monitor, model=model)


def _track_states(connection: sa.Connection, monitor_id: int, report: MonitorReport) -> None:
    """Move each check's newest status and newest judged window (``dp_check_states``).

    Runs inside ``record``'s transaction, under its lock of the monitor's row, so two
    replicas never interleave their reads and writes of one monitor's states.
    """
    st = t.check_states
    statuses: dict[str, list[Status]] = {}
    for result in report.results:
        statuses.setdefault(result.check, []).append(result.status)
    known = {
        row.check: row
        for row in connection.execute(
            sa.select(st.c.check, st.c.window_end, st.c.judged_end).where(
                st.c.monitor_id == monitor_id
            )
        )
    }
    end = report.window_end
    for check, found in statuses.items():
        status = check_status(found)
        judged = end if status == "ok" else None
        row = known.get(check)
        if row is None:
            connection.execute(st.insert().values(monitor_id=monitor_id, check=check,
                                                  window_end=end, status=status,
                                                  judged_end=judged))  # fmt: skip
            continue
        changes: dict[str, Any] = {}
        if end >= row.window_end:
            changes.update(window_end=end, status=status)
        if judged is not None and (row.judged_end is None or judged > row.judged_end):
            changes["judged_end"] = judged
        if changes:
            connection.execute(
                st.update().where(st.c.monitor_id == monitor_id, st.c.check == check)
                .values(**changes)
            )  # fmt: skip


def _result_row(
    result: dict[str, Any], run_id: int, monitor: sa.Row[Any], report: MonitorReport, current: bool
) -> dict[str, Any]:
    return {
        "run_id": run_id, "monitor_id": monitor.id, "model_id": monitor.model_id,
        "window_start": report.window_start, "window_end": report.window_end,
        "revision": report.revision, "check": result["check"], "kind": result["kind"],
        "metric": result["metric"], "feature": result["feature"] or "",
        "segment": result["segment"] or "", "value": result["value"],
        "stderr": result["stderr"], "lower": result["lower"], "upper": result["upper"],
        "p_value": result["p_value"], "severity": result["severity"], "n": int(result["n"]),
        "n_labels": None if result["n_labels"] is None else int(result["n_labels"]),
        "current": current,
    }  # fmt: skip
