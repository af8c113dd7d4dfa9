"""From column evaluations to verdicts: correction, thresholds, severity, dataset drift.

Under the default rule every column has a p-value, so the correction covers every column,
and a column drifts when its corrected p-value is below its significance level *and* its
effect size reaches its effect threshold. The dataset-level verdict (``share_drifted`` at
least ``drift_share``, or one drifted ``critical`` column) then inherits the correction's
guarantee: with no drift anywhere, the chance that any column is flagged is at most
``alpha`` (Benjamini-Hochberg controls the family-wise rate under the global null).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from driftpilot.drift._column_stats import missing_rate_finding
from driftpilot.drift._columns_eval import Evaluation
from driftpilot.drift._options import Options
from driftpilot.drift._selection import EFFECT_THRESHOLDS
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
    evidently = options.rule == "evidently"
    p_tests = [e for e in evaluations if e.p_value is not None]
    raw = np.asarray([e.p_value for e in p_tests], dtype=np.float64)
    adjusted = raw if options.correction is None else adjust_pvalues(raw, method=options.correction)
    adjusted_by_name = {e.name: float(p) for e, p in zip(p_tests, adjusted, strict=True)}
    columns: dict[str, ColumnDrift] = {}
    for e in evaluations:
        threshold = thresholds.get(e.name)
        is_distance = e.test.judged_by == "distance"
        effect_threshold = _effect_threshold(e, options, threshold if is_distance else None)
        if threshold is None:
            if not is_distance:
                threshold = options.alpha
            elif evidently:
                assert e.test.default_threshold is not None
                threshold = e.test.default_threshold
            else:
                threshold = effect_threshold
        p_adj = adjusted_by_name.get(e.name)
        if evidently:
            # A distance from a sketch is judged on its smallest possible value.
            drifted = (
                e.effect_size >= threshold
                if is_distance
                else p_adj is not None and (p_adj < threshold)
            )
        else:
            significance = options.alpha if is_distance else threshold
            drifted = p_adj is not None and p_adj < significance
            drifted = drifted and e.effect_size >= effect_threshold
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
            psi=None if e.psi is None else _finite(e.psi),
            n_reference=e.n_reference,
            n_current=e.n_current,
            n_excluded_reference=e.n_excluded_reference,
            n_excluded_current=e.n_excluded_current,
            approximate=e.approximate,
            error_bound=e.error_bound,
            distribution=e.distribution,
            p_value_method=e.p_value_method,
            effect_measure=e.test.effect,
            effect_size=_finite(e.effect_size),
            effect_threshold=float(effect_threshold),
            reference_stats=e.reference_stats,
            current_stats=e.current_stats,
        )
        if e.reference_stats is not None and e.current_stats is not None:
            finding = missing_rate_finding(
                e.name, e.reference_stats, e.current_stats, alpha=options.alpha
            )
            if finding is not None:
                findings.append(finding)
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
            "rule": options.rule,
            "effect_threshold": options.effect_threshold,
        },
    )


def _effect_threshold(e: Evaluation, options: Options, distance_threshold: float | None) -> float:
    """Return a column's effect threshold (per column, test threshold, global, default)."""
    if e.name in options.effect_thresholds:
        return options.effect_thresholds[e.name]
    if distance_threshold is not None:
        return float(distance_threshold)
    if options.effect_threshold is not None:
        return options.effect_threshold
    return EFFECT_THRESHOLDS[e.test.effect]


def _severity(psi: float | None, thresholds: tuple[float, float]) -> Severity:
    warning, critical = thresholds
    if psi is None:
        return "none"
    if psi >= critical:
        return "critical"
    return "warning" if psi >= warning else "none"


def _finite(value: float) -> float:
    if not math.isfinite(value):
        # Kernels never return NaN; an infinite distance (e.g. KL) is capped for JSON.
        return float(np.finfo(np.float64).max) if value > 0 else 0.0
    return float(value)
