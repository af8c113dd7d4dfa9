"""What a monitor run produces: one ``CheckResult`` per value judged, and a ``MonitorReport``.

Every result carries the value, its sampling error where one is known, the band it was judged
against (``lower``/``upper``, from a fixed threshold or calibrated on the reference) and a
severity. The report's JSON keys are stable (more may be added); a new revision of a window's
report (late labels) has the same keys and a higher ``revision``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

__all__ = [
    "SEVERITIES",
    "STATUSES",
    "CheckResult",
    "MonitorReport",
    "Severity",
    "Status",
    "check_status",
    "worst",
]

Severity = Literal["none", "warning", "critical"]
SEVERITIES: tuple[Severity, ...] = ("none", "warning", "critical")
#: ``ok``: judged; ``no_data``: nothing to judge (an empty window, too few events or labels),
#: which neither opens nor resolves an alert; ``error``: the check could not evaluate (its
#: ``reason`` says why), which raises the built-in ``check-error`` alert.
Status = Literal["ok", "no_data", "error"]
STATUSES: tuple[Status, ...] = ("ok", "no_data", "error")


def worst(severities: Sequence[Severity]) -> Severity:
    """Return the highest of ``severities`` (``"none"`` when there are none)."""
    return max(severities, key=SEVERITIES.index, default="none")


def check_status(statuses: Sequence[Status]) -> Status:
    """Return one check's status from its results': ``error`` if any, else ``ok`` if any.

    A check with no result at all, or only ``no_data`` results, is ``no_data``.
    """
    if "error" in statuses:
        return "error"
    return "ok" if "ok" in statuses else "no_data"


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _plain(value: Any) -> Any:
    """Return ``value`` with numpy scalars and tuples made JSON-ready, NaN and inf as None."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return _number(float(value))
    if isinstance(value, np.bool_):
        return bool(value)
    return str(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """One judged value of one check in one window.

    Parameters
    ----------
    check
        The check's name in the monitor definition (e.g. ``feature_drift``).
    kind
        What family of check it is: ``drift``, ``quality``, ``performance``,
        ``estimated_performance``, ``decay``, ``detector``, ``kpi``.
    metric
        The quantity, e.g. ``psi``, ``ks``, ``missing_rate``, ``accuracy``, ``adwin``.
    feature
        The column it is about (``None`` for a model-wide value).
    segment
        ``"name=value"`` of the segment it is about (``None`` for all traffic).
    value
        The value measured (``None`` when it could not be computed; ``reason`` says why).
    status
        ``ok`` (judged), ``no_data`` (nothing to judge: an empty window, too few events or
        labels) or ``error`` (the check could not evaluate; ``reason`` says why).
    stderr
        Its standard error where known, so noise can be told from change.
    lower, upper
        The band the value was judged against: flagged below ``lower`` or above ``upper``.
    p_value
        The p-value after multiple-testing correction, for statistical tests.
    severity
        ``none``, ``warning`` or ``critical``.
    n
        Events the value was computed from.
    n_labels
        Labels it used (performance checks), so a revision can be told from its ancestor.
    reason
        Why a value is missing, or a short note on the verdict.
    details
        Anything more (JSON-serializable): bands, confusion matrix, change points.
    """

    check: str
    kind: str
    metric: str
    feature: str | None = None
    segment: str | None = None
    value: float | None
    stderr: float | None = None
    lower: float | None = None
    upper: float | None = None
    p_value: float | None = None
    severity: Severity = "none"
    n: int = 0
    n_labels: int | None = None
    reason: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    status: Status = "ok"

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"A result's 'status' must be one of {STATUSES}. Got {self.status!r}.")
        if self.status != "ok" and self.severity != "none":
            raise ValueError(f"A {self.status} result cannot have severity {self.severity!r}.")

    @property
    def flagged(self) -> bool:
        """Whether the value was judged a problem."""
        return self.severity != "none"

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data with stable keys."""
        return {
            "check": self.check, "kind": self.kind, "metric": self.metric,
            "feature": self.feature, "segment": self.segment, "value": _number(self.value),
            "stderr": _number(self.stderr), "lower": _number(self.lower),
            "upper": _number(self.upper), "p_value": _number(self.p_value),
            "severity": self.severity, "flagged": self.flagged, "n": int(self.n),
            "n_labels": None if self.n_labels is None else int(self.n_labels),
            "reason": self.reason, "details": _plain(self.details), "status": self.status,
        }  # fmt: skip

    def __repr__(self) -> str:
        where = "".join(f" {part}" for part in (self.feature, self.segment) if part)
        value = "None" if self.value is None else f"{self.value:.4g}"
        status = "" if self.status == "ok" else f", status={self.status}"
        return (
            f"CheckResult({self.check}/{self.metric}{where}={value}, "
            f"severity={self.severity}{status})"
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        """Rebuild a result saved with :meth:`to_dict`."""
        return cls(
            check=data["check"], kind=data["kind"], metric=data["metric"],
            feature=data.get("feature"), segment=data.get("segment"), value=data.get("value"),
            stderr=data.get("stderr"), lower=data.get("lower"), upper=data.get("upper"),
            p_value=data.get("p_value"), severity=data.get("severity", "none"),
            n=data.get("n", 0), n_labels=data.get("n_labels"), reason=data.get("reason"),
            details=data.get("details") or {}, status=data.get("status", "ok"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorReport:
    """Everything one run of one monitor found in one window.

    ``revision`` starts at 1; a window re-evaluated because late labels arrived gets the next
    one. ``n_labels`` is the number of labels known for the window's events when it ran.
    """

    monitor: str
    model: str
    window_start: int
    window_end: int
    reference: Mapping[str, Any]
    revision: int
    evaluated_at: int
    n_events: int
    n_labels: int
    results: Sequence[CheckResult]
    notes: Sequence[str] = ()

    @property
    def severity(self) -> Severity:
        """The worst severity of any result."""
        return worst([r.severity for r in self.results])

    @property
    def flagged(self) -> list[CheckResult]:
        """The results judged a problem."""
        return [r for r in self.results if r.flagged]

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data with stable keys."""
        return {
            "monitor": self.monitor, "model": self.model,
            "window": {"start": self.window_start, "end": self.window_end},
            "reference": dict(self.reference), "revision": self.revision,
            "evaluated_at": self.evaluated_at, "n_events": self.n_events,
            "n_labels": self.n_labels, "severity": self.severity,
            "n_flagged": len(self.flagged),
            "results": [r.to_dict() for r in self.results], "notes": list(self.notes),
        }  # fmt: skip

    def __repr__(self) -> str:
        from driftpilot.monitor._html import iso_time

        errors = sum(r.status == "error" for r in self.results)
        error = f", {errors} errors" if errors else ""
        return (
            f"MonitorReport({self.monitor!r} on {self.model!r}, "
            f"{iso_time(self.window_start)} to {iso_time(self.window_end)}, "
            f"revision={self.revision}, severity={self.severity}, "
            f"{len(self.flagged)}/{len(self.results)} results flagged{error}, "
            f"n_events={self.n_events})"
        )

    def _repr_html_(self) -> str:
        """Return the run as a notebook cell shows it (one ``<div>`` with scoped styles)."""
        from driftpilot.monitor._html import render_run_fragment

        return render_run_fragment(self)

    def to_arrow(self) -> pyarrow.Table:
        """Return one row per check result as a ``pyarrow.Table``.

        Columns: ``monitor``, ``model``, ``window_start``, ``window_end`` (UTC timestamps),
        ``revision``, then the result's fields (``check`` ... ``reason``) and ``details``
        as JSON text.
        """
        from driftpilot.monitor._export import results_table

        return results_table(self)

    def to_pandas(self) -> pandas.DataFrame:
        """Return :meth:`to_arrow` as a pandas DataFrame (needs the ``pandas`` extra)."""
        from driftpilot._optional import require

        require("pandas", extra="pandas", purpose="MonitorReport.to_pandas()")
        frame: pandas.DataFrame = self.to_arrow().to_pandas()
        return frame

    def to_polars(self) -> polars.DataFrame:
        """Return :meth:`to_arrow` as a polars DataFrame (needs the ``polars`` extra)."""
        from driftpilot._optional import require

        pl = require("polars", extra="polars", purpose="MonitorReport.to_polars()")
        frame: polars.DataFrame = pl.from_arrow(self.to_arrow())
        return frame

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MonitorReport:
        """Rebuild a report saved with :meth:`to_dict`."""
        return cls(
            monitor=data["monitor"], model=data["model"],
            window_start=data["window"]["start"], window_end=data["window"]["end"],
            reference=data.get("reference") or {}, revision=data["revision"],
            evaluated_at=data["evaluated_at"], n_events=data["n_events"],
            n_labels=data["n_labels"],
            results=[CheckResult.from_dict(r) for r in data["results"]],
            notes=tuple(data.get("notes") or ()),
        )  # fmt: skip
