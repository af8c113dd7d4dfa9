"""Service-level objectives over rolling periods of a monitor's window values.

Two kinds (``SLOSpec.kind``):

* ``windows``: the share of windows in the period whose value meets the objective must be at
  least ``target``. The error budget is the ``1 - target`` share of windows allowed to miss;
  ``budget_left`` is the part of it not yet spent (negative once overspent); the burn rate is
  the share of windows missing divided by ``1 - target`` (1.0 spends the budget exactly over
  the period; above 1 exhausts it early).
* ``mean``: the mean of the values (weighted by events with ``weighted``) must meet the
  objective. With an objective ``>= t`` on a share (such as ``share_confident``), the budget
  is the ``1 - t`` share of events allowed to miss; other means report status only.

``short`` figures are the same over ``short_period``, the latest part of the period: a high
short burn rate is the early warning of a fast burn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from driftpilot.monitor.source import RunLog, SeriesPoint
from driftpilot.monitor.spec import MonitorSpec, PerformanceCheck, SLOSpec, check_name

__all__ = ["SLOStatus", "evaluate_slo", "evaluate_slos"]

_US = 1_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class SLOStatus:
    """Where one SLO stands at ``at``."""

    name: str
    monitor: str
    metric: str
    objective: str
    kind: str
    target: float
    period_seconds: int
    status: Literal["met", "breached", "no_data"]
    attained: float | None
    n_windows: int
    n_bad: int
    budget_left: float | None
    burn_rate: float | None
    short_burn_rate: float | None

    def to_dict(self) -> dict[str, Any]:
        """Return the status as JSON-ready data."""
        return {f: getattr(self, f) for f in self.__slots__}


def _burn(points: Sequence[SeriesPoint], slo: SLOSpec) -> tuple[float | None, float | None, int]:
    """Return (attained, burn rate, bad count) of ``points``."""
    values = [float(p.value) for p in points if p.value is not None]
    if not values:
        return None, None, 0
    bad = sum(1 for v in values if not slo.meets(v))
    if slo.kind == "windows":
        attained = 1 - bad / len(values)
        return attained, (bad / len(values)) / (1 - slo.target) if slo.target < 1 else None, bad
    weights = [float(max(p.n, 1)) if slo.weighted else 1.0 for p in points if p.value is not None]
    mean = sum(w * v for w, v in zip(weights, values, strict=True)) / sum(weights)
    op, number = slo.objective.split()
    if op in (">=", ">") and 0 < float(number) < 1:
        return mean, (1 - mean) / (1 - float(number)), bad
    return mean, None, bad


def _check_of(spec: MonitorSpec, slo: SLOSpec) -> str | None:
    """Return the check an SLO reads: its ``check``, else the first realized-performance one."""
    if slo.check is not None:
        return slo.check
    for check in spec.checks:
        if isinstance(check, PerformanceCheck) and slo.metric in check.metrics:
            return check_name(check)
    return None


def evaluate_slo(spec: MonitorSpec, slo: SLOSpec, log: RunLog, *, at: int) -> SLOStatus:
    """Evaluate one SLO of ``spec`` over the period ending at ``at``."""
    check = _check_of(spec, slo)

    def points(seconds: int) -> Sequence[SeriesPoint]:
        return log.series(spec.model, metric=slo.metric, monitor=spec.name, check=check,
                          feature=slo.feature, start=at - seconds * _US, end=at)  # fmt: skip

    period = points(slo.period)
    attained, burn, bad = _burn(period, slo)
    _, short_burn, _ = _burn(points(slo.short_period), slo)
    n = sum(1 for p in period if p.value is not None)
    if attained is None:
        status: Literal["met", "breached", "no_data"] = "no_data"
    elif slo.kind == "windows":
        status = "met" if attained >= slo.target else "breached"
    else:
        status = "met" if slo.meets(attained) else "breached"
    budget_left = None if burn is None else 1 - burn
    return SLOStatus(
        name=slo.name, monitor=spec.name, metric=slo.metric, objective=slo.objective,
        kind=slo.kind, target=slo.target, period_seconds=slo.period, status=status,
        attained=attained, n_windows=n, n_bad=bad, budget_left=budget_left, burn_rate=burn,
        short_burn_rate=short_burn,
    )  # fmt: skip


def evaluate_slos(spec: MonitorSpec, log: RunLog, *, at: int) -> list[SLOStatus]:
    """Evaluate every SLO of ``spec``."""
    return [evaluate_slo(spec, slo, log, at=at) for slo in spec.slos]
