"""Label-based checks: realized performance, decay, confidence; and label-free estimates.

Detector checks live in ``_detector``.

Realized metrics come from ``driftpilot.performance`` on the window's labelled events (each
result records how many labels it used, so a late-label revision can be told from the first
evaluation). Calibrated thresholds recompute the metric on reference chunks shaped like the
window (``thresholds``). The confidence-based estimate is fitted once per reference span on
its labelled events and applied to the window's scores alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from driftpilot.errors import DriftpilotError
from driftpilot.monitor._context import WindowContext
from driftpilot.monitor._data import WindowEvents
from driftpilot.monitor._outputs import (
    SCORE_METRICS,
    is_positive,
    score_values,
    top_scores,
)
from driftpilot.monitor._realized import invalid_note, realized_metrics
from driftpilot.monitor.results import CheckResult, Severity, Status
from driftpilot.monitor.spec import (
    HIGHER_IS_BETTER,
    ConfidenceCheck,
    EstimatedPerformanceCheck,
    PerformanceCheck,
    PerformanceDecayCheck,
    check_name,
)
from driftpilot.monitor.thresholds import Band, calibrated_band, judge
from driftpilot.monitor.windows import windows_between
from driftpilot.performance import ConfidenceBasedEstimator
from driftpilot.profile import Baseline

__all__ = [
    "confidence_results",
    "decay_results",
    "estimated_results",
    "performance_results",
    "realized_metrics",
]


def _labelled(events: WindowEvents) -> WindowEvents:
    return events.select(events.labelled)


def _chunks(ctx: WindowContext) -> list[WindowEvents]:
    span = ctx.reference_span
    events = ctx.reference_events()
    if span is None or events is None:
        return []
    return [events.between(w.start, w.end) for w in windows_between(ctx.spec, *span)]


def _band_for(ctx: WindowContext, check: PerformanceCheck | EstimatedPerformanceCheck,
              metric: str, values_of: Any) -> Band | None:  # fmt: skip
    if check.thresholds and metric in check.thresholds:
        bound = check.thresholds[metric]
        return Band(lower=bound.min, upper=bound.max)
    span = ctx.reference_span
    if span is None:
        return None
    per_chunk = ctx.memo.get(("chunks", check_name(check), span), lambda: values_of(_chunks(ctx)))
    return calibrated_band([chunk.get(metric) for chunk in per_chunk], k=check.k)


def _severity(flagged: bool, severity: Severity) -> Severity:
    return severity if flagged else "none"


def performance_results(ctx: WindowContext, check: PerformanceCheck) -> list[CheckResult]:
    """Realized metrics of the window with fixed or calibrated thresholds."""
    name = check_name(check)
    try:
        realized = realized_metrics(ctx.task, ctx.events, check)
    except DriftpilotError as err:
        return [CheckResult(check=name, kind="performance", metric=m, value=None,
                            reason=str(err), status="error") for m in check.metrics]  # fmt: skip
    values, errors, n_labels = realized.values, realized.errors, realized.n_labels
    n_invalid = realized.n_invalid_scores
    by_score = [m for m in check.metrics if m in SCORE_METRICS]
    if n_invalid and by_score:
        ctx.notes.append(invalid_note(name, n_invalid, "labelled events", ", ".join(by_score)))

    def chunk_values(chunks: list[WindowEvents]) -> list[dict[str, float | None]]:
        out = []
        for chunk in chunks:
            try:
                found = realized_metrics(ctx.task, chunk, check)
            except DriftpilotError:
                continue
            if found.n_labels >= check.min_labels:
                out.append(found.values)
        return out

    results = []
    for metric in check.metrics:
        value = values.get(metric)
        band = _band_for(ctx, check, metric, chunk_values)
        reason = None
        status: Status = "ok"
        if value is None or (metric != "label_coverage" and n_labels < check.min_labels):
            reason = f"{n_labels} labels, fewer than min_labels={check.min_labels}; not judged"
            flagged, status = False, "no_data"
        else:
            flagged = judge(value, band, higher_is_better=metric in HIGHER_IS_BETTER)
            if band is None:
                reason = "no threshold: give 'thresholds' or a time-range reference to calibrate"
                status = "error"
        details: dict[str, Any] = band.details() if band else {}
        if metric in SCORE_METRICS and n_labels:
            details["n_invalid_scores"] = n_invalid
            if n_invalid == n_labels:
                reason = f"none of the {n_labels} labelled events has a valid score"
            elif n_invalid:
                left_out = f"{n_invalid} events with an invalid score left out"
                reason = left_out if reason is None else f"{reason}; {left_out}"
        results.append(CheckResult(
            check=name, kind="performance", metric=metric, value=value,
            stderr=errors.get(metric), lower=band.lower if band else None,
            upper=band.upper if band else None, severity=_severity(flagged, check.severity),
            n=len(ctx.events), n_labels=n_labels, reason=reason, details=details,
            status=status,
        ))  # fmt: skip
    return results


def decay_results(ctx: WindowContext, check: PerformanceDecayCheck) -> list[CheckResult]:
    """Judge the drop of a metric from the baseline's training or validation value."""
    name = check_name(check)
    expected = check.expected
    if expected is None:
        baseline = ctx.baseline
        performance: Mapping[str, float] = {}
        if baseline is not None and isinstance(baseline.document, Baseline):
            performance = baseline.document.performance
        expected = performance.get(f"{check.source}_{check.metric}", performance.get(check.metric))
    base: dict[str, Any] = {"check": name, "kind": "decay", "metric": f"{check.metric}_drop"}
    if expected is None:
        return [CheckResult(**base, value=None, status="error", reason=(
            f"no expected {check.metric}: give 'expected' or store it in the baseline's "
            f"performance as '{check.source}_{check.metric}'"))]  # fmt: skip
    try:
        realized = realized_metrics(ctx.task, ctx.events, check)
    except DriftpilotError as err:
        return [CheckResult(**base, value=None, reason=str(err), status="error")]
    values, errors, n_labels = realized.values, realized.errors, realized.n_labels
    details: dict[str, Any] = {}
    if check.metric in SCORE_METRICS:
        details["n_invalid_scores"] = realized.n_invalid_scores
        if realized.n_invalid_scores:
            ctx.notes.append(invalid_note(name, realized.n_invalid_scores, "labelled events",
                                           check.metric))  # fmt: skip
    value = values.get(check.metric)
    if value is None or n_labels < check.min_labels:
        return [CheckResult(**base, value=None, n=len(ctx.events), n_labels=n_labels,
                            details=details,
                            status="no_data" if n_labels < check.min_labels else "error",
                            reason=f"{n_labels} labels; not judged (min_labels="
                                   f"{check.min_labels})")]  # fmt: skip
    sign = 1.0 if check.metric in HIGHER_IS_BETTER else -1.0
    drop = sign * (expected - value)
    if check.relative:
        drop = drop / abs(expected) if expected else math.inf
    flagged = drop > check.max_drop
    stderr = errors.get(check.metric)
    return [CheckResult(
        **base, value=drop, upper=check.max_drop,
        stderr=None if stderr is None else stderr / (abs(expected) if check.relative else 1.0),
        severity=_severity(flagged, check.severity), n=len(ctx.events), n_labels=n_labels,
        details={"expected": expected, "realized": value, "relative": check.relative,
                 **details},
    )]  # fmt: skip


def _fit_estimator(ctx: WindowContext, check: EstimatedPerformanceCheck) -> Any:
    events = ctx.reference_events()
    if events is None:
        raise DriftpilotError(
            "estimated performance needs a time-range or trailing reference with labels"
        )
    labelled = _labelled(events)
    scores = score_values(labelled.scores, name=check.score, positive=check.positive)
    valid = ~np.isnan(scores)
    truth = is_positive(labelled.labels, check.positive).astype(np.int64)
    return ConfidenceBasedEstimator(threshold=check.decision_threshold,
                                    confidence=check.confidence).fit(truth[valid],
                                                                     scores[valid])  # fmt: skip


def _estimate(
    estimator: Any, events: WindowEvents, check: EstimatedPerformanceCheck
) -> tuple[Any, int]:
    """Return the estimate from the events' valid scores, and how many were invalid."""
    scores = score_values(events.scores, name=check.score, positive=check.positive)
    valid = ~np.isnan(scores)
    n_invalid = int(valid.size - np.count_nonzero(valid))
    if n_invalid == valid.size:
        raise DriftpilotError(f"none of the {valid.size} events has a valid score")
    return estimator.estimate(scores[valid]), n_invalid


def estimated_results(ctx: WindowContext, check: EstimatedPerformanceCheck) -> list[CheckResult]:
    """Estimate performance from scores alone, with its band and a calibrated threshold."""
    name = check_name(check)
    if ctx.task != "binary":
        return [CheckResult(check=name, kind="estimated_performance", metric=m, value=None,
                            reason="estimation is for binary classifiers", status="error")
                for m in check.metrics]  # fmt: skip
    span = ctx.reference_span
    try:
        estimator = ctx.memo.get(("estimator", name, span), lambda: _fit_estimator(ctx, check))
        if len(ctx.events) == 0:
            return [CheckResult(check=name, kind="estimated_performance", metric=m, value=None,
                                reason="no events in the window", status="no_data")
                    for m in check.metrics]  # fmt: skip
        estimate, n_invalid = _estimate(estimator, ctx.events, check)
    except DriftpilotError as err:
        return [CheckResult(check=name, kind="estimated_performance", metric=m, value=None,
                            reason=str(err), status="error") for m in check.metrics]  # fmt: skip

    def chunk_values(chunks: list[WindowEvents]) -> list[dict[str, float | None]]:
        out = []
        for chunk in chunks:
            if len(chunk) >= check.min_labels:
                try:
                    found, _ = _estimate(estimator, chunk, check)
                except DriftpilotError:
                    continue
                out.append({m: getattr(found, m).value for m in check.metrics})
        return out

    try:
        known = realized_metrics(ctx.task, ctx.events, check)
        realized, n_labels = known.values, known.n_labels
    except DriftpilotError:
        realized, n_labels = {}, 0
    if n_invalid:
        ctx.notes.append(invalid_note(name, n_invalid, "events", "the estimate"))
    results = []
    for metric in check.metrics:
        found = getattr(estimate, metric)
        band = _band_for(ctx, check, metric, chunk_values)
        flagged = judge(found.value, band, higher_is_better=True)
        results.append(CheckResult(
            check=name, kind="estimated_performance", metric=metric, value=found.value,
            stderr=found.stderr, lower=band.lower if band else None,
            upper=band.upper if band else None, severity=_severity(flagged, check.severity),
            n=len(ctx.events) - n_invalid, n_labels=n_labels,
            reason=f"{n_invalid} events with an invalid score left out" if n_invalid else None,
            details={"estimate_lower": found.lower, "estimate_upper": found.upper,
                     "realized": realized.get(metric) if n_labels >= check.min_labels else None,
                     "n_invalid_scores": n_invalid, **(band.details() if band else {})},
        ))  # fmt: skip
    return results


def confidence_results(ctx: WindowContext, check: ConfidenceCheck) -> list[CheckResult]:
    """Share of events whose top score is at least ``min_confidence``."""
    top = top_scores(ctx.events.scores)
    known = top[~np.isnan(top)]
    base: dict[str, Any] = {
        "check": check_name(check),
        "kind": "quality",
        "metric": "share_confident",
    }
    if known.size == 0:
        return [CheckResult(**base, value=None, reason="no scores in the window",
                            status="no_data")]  # fmt: skip
    share = float(np.mean(known >= check.min_confidence))
    flagged = share < check.min_share
    return [CheckResult(
        **base, value=share, stderr=math.sqrt(share * (1 - share) / known.size),
        lower=check.min_share, severity=_severity(flagged, check.severity), n=int(known.size),
        details={"min_confidence": check.min_confidence},
    )]  # fmt: skip
