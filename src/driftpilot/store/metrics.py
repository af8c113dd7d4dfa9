"""Read-only queries behind the service's Prometheus metrics (``driftpilot.server.metrics``).

A scrape asks for one :class:`MetricsSnapshot`: three queries in one read transaction,
whatever the number of series (one more per 500 judged windows). Decisions:

* The newest window of a monitor is the one with the largest ``window_end`` among its runs,
  found by a correlated ``MAX`` that both databases answer with one seek in the
  ``(monitor_id, window_end)`` index of ``dp_monitor_runs``.
* Values are each check's *last judged* ones: the results of the newest window where the
  check had status ``ok`` (``dp_check_states.judged_end``), so a series keeps its value, with
  that window's end, when traffic stops or labels are late (a window of status ``no_data``
  judges nothing). Each check's status in its monitor's newest window comes from the same
  table. The results query reads the runs ``(monitor_id = m AND window_end = e) OR ...`` of
  those windows: index seeks for the runs, then the ``run_id`` index of
  ``dp_check_results``, so a scrape costs the same after a year of windows. ``current`` keeps
  the results of each window's newest revision.
* Results carry their monitor's id, not its and its model's names (narrower rows, no joins).
* A model's version is its newest by ``created_at`` (ties: the later row), or ``''`` when it
  has none. Monitor results do not say which version served the window's traffic, so the
  newest is the best single answer for a label.
* Results are ``LatestResult`` named tuples, built straight from the driver's rows: a scrape of
  50,000 series must not build 50,000 frozen dataclasses.
* No count of runs: ``COUNT(*)`` over a monitor's whole run history grows with it, and a
  scrape must stay cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa

from driftpilot.store import _tables as t
from driftpilot.store._engine import read

__all__ = ["CheckState", "LatestResult", "MetricsRepository", "MetricsSnapshot", "MonitorState"]


class LatestResult(NamedTuple):
    """One current result of a check's last judged window (``''``: no feature, no segment).

    ``monitor_id`` is the :class:`MonitorState` ``id`` of its monitor.
    """

    monitor_id: int
    check: str
    kind: str
    metric: str
    feature: str
    segment: str
    value: float | None
    lower: float | None
    upper: float | None
    severity: str


class CheckState(NamedTuple):
    """A check's status in its newest window, and the end of its newest judged window.

    Times in microseconds; ``judged_end`` is ``None`` until the check first judged a window.
    """

    monitor_id: int
    check: str
    window_end: int
    status: str
    judged_end: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorState:
    """A monitor, its model's newest version (``''``: none) and its newest window's end.

    ``last_window_end`` is in microseconds since the epoch, ``None`` until the monitor ran.
    """

    id: int
    model: str
    monitor: str
    version: str
    last_window_end: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricsSnapshot:
    """Every monitor, its checks' states, and each check's last judged results."""

    monitors: Sequence[MonitorState]
    results: Sequence[LatestResult]
    checks: Sequence[CheckState] = ()


class MetricsRepository:
    """Read what the metrics endpoint exports."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def snapshot(self) -> MetricsSnapshot:
        """Return the monitors, their checks' states and last judged results, in one read."""
        r, c, st = t.monitor_runs, t.check_results, t.check_states
        with read(self._engine) as connection:
            monitors = [
                MonitorState(
                    id=row.id,
                    model=row.model,
                    monitor=row.monitor,
                    version=row.version or "",
                    last_window_end=row.last_window_end,
                )
                for row in connection.execute(_MONITORS)
            ]
            checks = [CheckState._make(row) for row in connection.execute(
                sa.select(st.c.monitor_id, st.c.check, st.c.window_end, st.c.status,
                          st.c.judged_end))]  # fmt: skip
            judged = {(s.monitor_id, s.check): s.judged_end for s in checks}
            windows = sorted({(m, e) for (m, _), e in judged.items() if e is not None})
            results: list[LatestResult] = []
            for i in range(0, len(windows), _CHUNK):
                pairs = windows[i : i + _CHUNK]  # row values: no deep OR chain (SQLite: 1,000)
                runs = sa.select(r.c.id).where(sa.tuple_(r.c.monitor_id, r.c.window_end).in_(pairs))
                query = _RESULTS.where(c.c.run_id.in_(runs), c.c.current.is_(True))
                for row in connection.execute(query):
                    # a window judged for one check may be older news for another
                    if judged.get((row.monitor_id, row.check)) == row.window_end:
                        results.append(LatestResult._make(row[:-1]))
        return MetricsSnapshot(monitors=monitors, results=results, checks=checks)


def _queries() -> tuple[sa.Select[Any], sa.Select[Any]]:
    mon, mo, r, c, v = t.monitors, t.models, t.monitor_runs, t.check_results, t.model_versions
    newest_end = (
        sa.select(sa.func.max(r.c.window_end))
        .where(r.c.monitor_id == mon.c.id)
        .correlate(mon)
        .scalar_subquery()
    )
    version = (
        sa.select(v.c.version)
        .where(v.c.model_id == mo.c.id)
        .order_by(v.c.created_at.desc(), v.c.id.desc())
        .limit(1)
        .correlate(mo)
        .scalar_subquery()
    )
    monitors = sa.select(
        mon.c.id, mo.c.name.label("model"), mon.c.name.label("monitor"),
        version.label("version"), newest_end.label("last_window_end"),
    ).select_from(mon.join(mo, mo.c.id == mon.c.model_id))  # fmt: skip
    results = sa.select(
        c.c.monitor_id, c.c.check, c.c.kind, c.c.metric, c.c.feature, c.c.segment, c.c.value,
        c.c.lower, c.c.upper, c.c.severity, c.c.window_end,
    )  # fmt: skip
    return monitors, results


_MONITORS, _RESULTS = _queries()
_CHUNK = 500  # monitors per results query: 1,000 bound parameters, well within both databases'
