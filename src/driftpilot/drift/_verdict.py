"""From column evaluations to verdicts: correction, thresholds, severity, dataset drift."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from driftpilot.drift._columns_eval import Evaluation
from driftpilot.drift._options import Options
from driftpilot.drift.report import ColumnDrift, DriftReport, SchemaFinding, Severity
from driftpilot.stats import adjust_pvalues

__all__ = ["judge"]


def judge(
    evaluations: list[Evaluation],
    findings: list[SchemaFinding],
    thresholds: Mapping[str, float],
    options: Options,
    n_reference: int,
    n_current: int,
) -> DriftReport:
    p_tests = [e for e in evaluations if e.test.judged_by == "p_value"]
    raw = np.asarray([e.p_value for e in p_tests], dtype=np.float64)
    adjusted = raw if options.correction is None else adjust_pvalues(raw, method=options.correction)
    adjusted_by_name = {e.name: float(p) for e, p in zip(p_tests, adjusted, strict=True)}
    columns: dict[str, ColumnDrift] = {}
    for e in evaluations:
        threshold = thresholds.get(e.name)
        if threshold is None:
            threshold = (
                options.alpha if e.test.default_threshold is None else e.test.default_threshold
            )
        if e.test.judged_by == "p_value":
            p_adj: float | None = adjusted_by_name[e.name]
            assert p_adj is not None
            drifted = p_adj < threshold
        else:
            p_adj = None
            drifted = e.statistic >= threshold
        severity = _severity(e.psi, options.severity_thresholds)
        columns[e.name] = ColumnDrift(
            name=e.name,
            type=e.kind.value,
            test=e.test.name,
            statistic=_finite(e.statistic),
            p_value=e.p_value,
            p_value_adjusted=p_adj,
            threshold=float(threshold),
            drifted=bool(drifted),
            severity=severity,
            psi=_finite(e.psi),
            n_reference=e.n_reference,
            n_current=e.n_current,
            n_excluded_reference=e.n_excluded_reference,
            n_excluded_current=e.n_excluded_current,
            approximate=e.approximate,
            error_bound=e.error_bound,
            distribution=e.distribution,
        )
    n_drifted = sum(c.drifted for c in columns.values())
    share = n_drifted / len(columns) if columns else 0.0
    any_critical = any(c.drifted and c.severity == "critical" for c in columns.values())
    dataset_drift = bool(columns) and (
        share >= options.drift_share or (options.critical_is_drift and any_critical)
    )
    return DriftReport(
        dataset_drift=dataset_drift,
        share_drifted=share,
        n_reference=n_reference,
        n_current=n_current,
        columns=columns,
        findings=tuple(findings),
        options={
            "alpha": options.alpha,
            "correction": options.correction,
            "drift_share": options.drift_share,
            "critical_is_drift": options.critical_is_drift,
            "severity_thresholds": list(options.severity_thresholds),
            "small_sample": options.small_sample,
            "bins": options.bins,
        },
    )


def _severity(psi: float, thresholds: tuple[float, float]) -> Severity:
    warning, critical = thresholds
    if psi >= critical:
        return "critical"
    return "warning" if psi >= warning else "none"


def _finite(value: float) -> float:
    if not math.isfinite(value):
        # Kernels never return NaN; an infinite distance (e.g. KL) is capped for JSON.
        return float(np.finfo(np.float64).max) if value > 0 else 0.0
    return float(value)
