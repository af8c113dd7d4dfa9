"""Read-only summaries across models for the dashboard and the API: the fleet and the heatmap.

``OverviewRepository.fleet()`` answers "how is every model doing" in a fixed number of
queries whatever the number of models (one per aspect, grouped by model), so the fleet page
costs the same few queries at 10 or 1,000 models. ``drift_cells`` returns the newest
revision's per-feature drift verdicts of one model over a period, one row per (feature,
window), the data of the model page's heatmap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from driftpilot.store import _tables as t
from driftpilot.store._engine import read
from driftpilot.store._sql import model_row

__all__ = [
    "DriftCell",
    "FleetRow",
    "HeadlineMetric",
    "ModelPoint",
    "OverviewRepository",
    "VolumePoint",
]

_OPEN = ("pending", "firing", "acknowledged")


@dataclass(frozen=True, slots=True, kw_only=True)
class HeadlineMetric:
    """The newest model-wide value of one performance metric (realized or estimated)."""

    metric: str
    check: str
    kind: str
    value: float | None
    lower: float | None
    upper: float | None
    severity: str
    window_end: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetRow:
    """One model's health at a glance."""

    name: str
    task: str
    created_at: int
    open_alerts: dict[str, int] = field(default_factory=dict)
    n_features: int = 0
    n_drifted: int = 0
    drift_window_end: int | None = None
    realized: HeadlineMetric | None = None
    estimated: HeadlineMetric | None = None
    last_event: int | None = None
    window_events: int | None = None
    window_start: int | None = None
    window_end: int | None = None

    @property
    def drift_share(self) -> float | None:
        """Share of the features drifted in the newest drift window (``None``: no check)."""
        return None if self.n_features == 0 else self.n_drifted / self.n_features

    @property
    def n_open(self) -> int:
        """Open alerts of every tier."""
        return sum(self.open_alerts.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftCell:
    """The drift verdict of one feature in one window (the worst of its tests)."""

    feature: str
    window_start: int
    window_end: int
    metric: str
    value: float | None
    p_value: float | None
    severity: str
    run_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelPoint:
    """One window's model-wide value of one metric of one check (newest revision)."""

    check: str
    kind: str
    metric: str
    window_start: int
    window_end: int
    value: float | None
    lower: float | None
    upper: float | None
    severity: str
    revision: int
    n: int
    n_labels: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumePoint:
    """The events and labels one monitor's newest run of a window counted."""

    monitor: str
    window_start: int
    window_end: int
    n_events: int
    n_labels: int
    run_id: int
    severity: str


class OverviewRepository:
    """Summaries over the monitor results, alerts and events of many models."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def fleet(self) -> list[FleetRow]:
        """Return every model's summary, by name.

        Read from each monitor's newest run (its newest window, newest revision): the drift
        share counts that run's per-feature drift verdicts, the headline performance is its
        first model-wide metric of each kind. Five queries whatever the number of models;
        the check results are read by run id (indexed), never scanned.
        """
        m, a, c, e, r = t.models, t.alerts, t.check_results, t.events, t.monitor_runs
        with read(self._engine) as connection:
            last_event = (
                sa.select(sa.func.max(e.c.ts)).where(e.c.model_id == m.c.id).scalar_subquery()
            )
            models = connection.execute(
                sa.select(
                    m.c.id, m.c.name, m.c.task, m.c.created_at, last_event.label("last")
                ).order_by(m.c.name)
            ).all()
            alerts = connection.execute(
                sa.select(a.c.model_id, a.c.tier, sa.func.count())
                .where(a.c.state.in_(_OPEN))
                .group_by(a.c.model_id, a.c.tier)
            ).all()
            newest_end = (
                sa.select(r.c.monitor_id, sa.func.max(r.c.window_end).label("end"))
                .group_by(r.c.monitor_id)
                .subquery()
            )
            runs = connection.execute(
                sa.select(r.c.id, r.c.model_id, r.c.monitor_id, r.c.window_start,
                          r.c.window_end, r.c.revision, r.c.n_events)
                .join(newest_end, sa.and_(newest_end.c.monitor_id == r.c.monitor_id,
                                          newest_end.c.end == r.c.window_end))
                .order_by(r.c.model_id, r.c.monitor_id, r.c.window_start, r.c.revision)
            ).all()  # fmt: skip
            latest: dict[int, Any] = {}  # per monitor: its newest window's newest revision
            for run in runs:
                latest[run.monitor_id] = run
            ids = [run.id for run in latest.values()]
            results: list[Any] = []
            for i in range(0, len(ids), 500):
                results += connection.execute(
                    sa.select(c.c.run_id, c.c.model_id, c.c.kind, c.c.metric, c.c.check,
                              c.c.feature, c.c.segment, c.c.value, c.c.lower, c.c.upper,
                              c.c.severity, c.c.window_end)
                    .where(c.c.run_id.in_(ids[i : i + 500]),
                           c.c.kind.in_(("drift", "performance", "estimated_performance")))
                    .order_by(c.c.model_id, c.c.kind, c.c.metric, c.c.check)
                ).all()  # fmt: skip
        by_tier: dict[int, dict[str, int]] = {}
        for model_id, tier, count in alerts:
            by_tier.setdefault(model_id, {})[tier] = int(count)
        runs_of: dict[int, tuple[int, int, int]] = {}
        for run in latest.values():
            held = runs_of.get(run.model_id)
            if held is None or run.window_end > held[2]:
                runs_of[run.model_id] = (int(run.n_events), run.window_start, run.window_end)
        features: dict[int, set[str]] = {}
        drifted: dict[int, set[str]] = {}
        drift_at: dict[int, int] = {}
        perf_of: dict[tuple[int, str], HeadlineMetric] = {}
        for row in results:
            if row.segment:
                continue
            if row.kind == "drift":
                if row.feature:
                    features.setdefault(row.model_id, set()).add(row.feature)
                    drift_at[row.model_id] = max(drift_at.get(row.model_id, 0), row.window_end)
                    if row.severity in ("warning", "critical"):
                        drifted.setdefault(row.model_id, set()).add(row.feature)
            elif not row.feature and row.value is not None:
                perf_of.setdefault((row.model_id, row.kind), HeadlineMetric(
                    metric=row.metric, check=row.check, kind=row.kind, value=row.value,
                    lower=row.lower, upper=row.upper, severity=row.severity,
                    window_end=row.window_end))  # fmt: skip
        rows = []
        for model in models:
            events, start, end = runs_of.get(model.id, (None, None, None))
            rows.append(FleetRow(
                name=model.name, task=model.task, created_at=model.created_at,
                open_alerts=by_tier.get(model.id, {}),
                n_features=len(features.get(model.id, ())),
                n_drifted=len(drifted.get(model.id, ())), drift_window_end=drift_at.get(model.id),
                realized=perf_of.get((model.id, "performance")),
                estimated=perf_of.get((model.id, "estimated_performance")),
                last_event=model.last, window_events=events, window_start=start, window_end=end,
            ))  # fmt: skip
        return rows

    def drift_cells(
        self, model: str, *, start: int | None = None, end: int | None = None
    ) -> list[DriftCell]:
        """Return one cell per (feature, window) with ``start <= window_start < end``.

        Only current (newest revision) results about a feature of the whole population
        (no segment) count; of a feature's several tests in a window the most severe is
        kept, and among equals the test that decides over the PSI reported beside it.

        Raises
        ------
        NotFoundError
            There is no model ``model``.
        """
        c, r, mon = t.check_results, t.monitor_runs, t.monitors
        windows: list[sa.ColumnElement[bool]] = []
        if start is not None:
            windows.append(r.c.window_start >= start)
        if end is not None:
            windows.append(r.c.window_start < end)
        rank = sa.func.max(sa.case((c.c.severity == "critical", 2),
                                   (c.c.severity == "warning", 1), else_=0))  # fmt: skip
        tested = sa.func.max(sa.case((c.c.metric != "psi", c.c.value)))
        rows: list[Any] = []
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            # The results are read by run id (indexed, and one run's rows lie together), not
            # through the model's whole history of results.
            monitor_ids = connection.execute(
                sa.select(mon.c.id).where(mon.c.model_id == model_id)
            ).scalars().all()  # fmt: skip
            run_ids = connection.execute(
                sa.select(r.c.id).where(r.c.monitor_id.in_(monitor_ids), *windows)
            ).scalars().all()  # fmt: skip
            for i in range(0, len(run_ids), 500):
                rows += connection.execute(
                    sa.select(c.c.feature, c.c.window_start, c.c.window_end, rank,
                              sa.func.coalesce(tested, sa.func.max(c.c.value)),
                              sa.func.min(c.c.p_value), sa.func.max(c.c.run_id),
                              sa.func.max(sa.case((c.c.metric != "psi", c.c.metric))))
                    .where(c.c.run_id.in_(run_ids[i : i + 500]), c.c.kind == "drift",
                           c.c.feature != "", c.c.segment == "", c.c.current)
                    .group_by(c.c.feature, c.c.window_start, c.c.window_end)
                ).all()  # fmt: skip
        rows.sort(key=lambda row: (row[1], row[2], row[0]))
        names = ("none", "warning", "critical")
        return [DriftCell(feature=row[0], window_start=row[1], window_end=row[2],
                          severity=names[int(row[3])], value=row[4], p_value=row[5],
                          run_id=int(row[6]), metric=row[7] or "psi")
                for row in rows]  # fmt: skip

    def model_points(
        self, model: str, *, kinds: Sequence[str], start: int | None = None,
        end: int | None = None, segments: bool = False, features: bool = False,
    ) -> list[ModelPoint]:  # fmt: skip
        """Return the current results of ``kinds`` about no feature, oldest window first.

        Model-wide only (no segment) unless ``segments``, then only the per-segment ones.
        With ``features``, the per-feature results instead (the check is named
        ``check: feature``).
        """
        c = t.check_results
        conditions = [c.c.kind.in_(list(kinds)), c.c.current,
                      c.c.feature != "" if features else c.c.feature == "",
                      c.c.segment != "" if segments else c.c.segment == ""]  # fmt: skip
        if start is not None:
            conditions.append(c.c.window_start >= start)
        if end is not None:
            conditions.append(c.c.window_start < end)
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            rows = connection.execute(
                sa.select(c.c.check, c.c.kind, c.c.metric, c.c.window_start, c.c.window_end,
                          c.c.value, c.c.lower, c.c.upper, c.c.severity, c.c.revision, c.c.n,
                          c.c.n_labels, c.c.segment, c.c.feature)
                .where(c.c.model_id == model_id, *conditions)
                .order_by(c.c.window_start, c.c.window_end, c.c.id)
            ).all()  # fmt: skip
        out = []
        for row in rows:
            values = dict(row._mapping)
            segment, feature = values.pop("segment"), values.pop("feature")
            if features:
                values["check"] = f"{values['check']}: {feature}"
            if segments:
                values["check"] = f"{values['check']} [{segment}]"
            out.append(ModelPoint(**values))
        return out

    def volume(
        self, model: str, *, start: int | None = None, end: int | None = None
    ) -> list[VolumePoint]:
        """Return each monitor's newest run per window of ``model``, oldest window first."""
        r, m = t.monitor_runs, t.monitors
        later = r.alias("later")
        newest = ~sa.exists().where(
            later.c.monitor_id == r.c.monitor_id, later.c.window_start == r.c.window_start,
            later.c.window_end == r.c.window_end, later.c.revision > r.c.revision,
        )  # fmt: skip
        conditions = [newest]
        if start is not None:
            conditions.append(r.c.window_start >= start)
        if end is not None:
            conditions.append(r.c.window_start < end)
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            rows = connection.execute(
                sa.select(m.c.name, r.c.window_start, r.c.window_end, r.c.n_events,
                          r.c.n_labels, r.c.id, r.c.severity)
                .join(m, m.c.id == r.c.monitor_id)
                .where(r.c.model_id == model_id, *conditions)
                .order_by(r.c.window_start, r.c.window_end, m.c.name)
            ).all()  # fmt: skip
        return [VolumePoint(monitor=row[0], window_start=row[1], window_end=row[2],
                            n_events=int(row[3]), n_labels=int(row[4]), run_id=int(row[5]),
                            severity=row[6]) for row in rows]  # fmt: skip
