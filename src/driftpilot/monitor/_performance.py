"""Label-based checks: realized performance, decay, detectors; and label-free estimates.

Realized metrics come from ``driftpilot.performance`` on the window's labelled events (each
result records how many labels it used, so a late-label revision can be told from the first
evaluation). Calibrated thresholds recompute the metric on reference chunks shaped like the
window (``thresholds``). The confidence-based estimate is fitted once per reference span on
its labelled events and applied to the window's scores alone.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from driftpilot.detectors import ADWIN, DDM, EDDM, KSWIN, PageHinkley, StreamingDetector
from driftpilot.errors import DriftpilotError
from driftpilot.monitor._context import WindowContext
from driftpilot.monitor._data import WindowEvents
from driftpilot.monitor._outputs import is_positive, positive_scores, top_scores
from driftpilot.monitor.results import CheckResult, Severity, Status
from driftpilot.monitor.source import DetectorState

from driftpilot.monitor.spec import (
    HIGHER_IS_BETTER,
    ConfidenceCheck,
    DetectorCheck,
    EstimatedPerformanceCheck,
    PerformanceCheck,
    PerformanceDecayCheck,
    check_name,
)
from driftpilot.monitor.thresholds import Band, calibrated_band, judge
from driftpilot.monitor.windows import windows_between
from driftpilot.performance import (
    ConfidenceBasedEstimator,
    binary_metrics,
    multiclass_metrics,
    regression_metrics,
)
from driftpilot.profile import Baseline

__all__ = [
    "confidence_results",
    "decay_results",
    "detector_results",
    "estimated_results",
    "performance_results",
    "realized_metrics",
]

_DETECTORS: dict[str, type[Any]] = {
    "adwin": ADWIN, "page_hinkley": PageHinkley, "ddm": DDM, "eddm": EDDM, "kswin": KSWIN,
}  # fmt: skip

#: The segment key of a detector fed the whole window's traffic.
_ALL_TRAFFIC = ""
_US = 1_000_000

Scored = PerformanceCheck | PerformanceDecayCheck | EstimatedPerformanceCheck | DetectorCheck


def _labelled(events: WindowEvents) -> WindowEvents:
    return events.select(events.labelled)


def realized_metrics(
    task: str, events: WindowEvents, check: Scored
) -> tuple[dict[str, float | None], dict[str, float | None], int]:
    """Return every metric of the labelled events, their standard errors and the label count."""
    labelled = _labelled(events)
    n = len(labelled)
    coverage = n / len(events) if len(events) else None
    values: dict[str, float | None] = {"label_coverage": coverage}
    errors: dict[str, float | None] = {}
    if n == 0:
        return values, errors, 0
    if task == "regression":
        truth = np.array([float(v) for v in labelled.labels])
        predicted = np.array([float(v) for v in labelled.predictions])
        result: Any = regression_metrics(truth, predicted)
    elif task == "binary":
        scores = positive_scores(labelled.scores, labelled.predictions, name=check.score,
                                 positive=check.positive)  # fmt: skip
        truth_pos = is_positive(labelled.labels, check.positive)
        result = binary_metrics(truth_pos.astype(np.int64), scores,
                                threshold=check.decision_threshold, positive=1)  # fmt: skip
    else:
        result = multiclass_metrics([str(v) for v in labelled.labels],
                                    [str(v) for v in labelled.predictions])  # fmt: skip
    data = result.to_dict()
    for key, value in data.items():
        if isinstance(value, int | float) and not isinstance(value, bool) and key not in (
            "n", "n_positive", "threshold", "n_bins", "log_loss_eps", "mape_eps",
            "true_positive", "false_positive", "false_negative", "true_negative",
        ):  # fmt: skip
            values[key] = float(value)
        elif value is None and key not in values:
            values[key] = None
    errors.update(data.get("standard_errors") or {})
    return values, errors, n


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
        values, errors, n_labels = realized_metrics(ctx.task, ctx.events, check)
    except DriftpilotError as err:
        return [CheckResult(check=name, kind="performance", metric=m, value=None,
                            reason=str(err), status="error") for m in check.metrics]  # fmt: skip

    def chunk_values(chunks: list[WindowEvents]) -> list[dict[str, float | None]]:
        out = []
        for chunk in chunks:
            try:
                chunk_metrics, _, used = realized_metrics(ctx.task, chunk, check)
            except DriftpilotError:
                continue
            if used >= check.min_labels:
                out.append(chunk_metrics)
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
        results.append(CheckResult(
            check=name, kind="performance", metric=metric, value=value,
            stderr=errors.get(metric), lower=band.lower if band else None,
            upper=band.upper if band else None, severity=_severity(flagged, check.severity),
            n=len(ctx.events), n_labels=n_labels, reason=reason,
            details=band.details() if band else {}, status=status,
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
        values, errors, n_labels = realized_metrics(ctx.task, ctx.events, check)
    except DriftpilotError as err:
        return [CheckResult(**base, value=None, reason=str(err), status="error")]
    value = values.get(check.metric)
    if value is None or n_labels < check.min_labels:
        return [CheckResult(**base, value=None, n=len(ctx.events), n_labels=n_labels,
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
        details={"expected": expected, "realized": value, "relative": check.relative},
    )]  # fmt: skip


def _fit_estimator(ctx: WindowContext, check: EstimatedPerformanceCheck) -> Any:
    events = ctx.reference_events()
    if events is None:
        raise DriftpilotError(
            "estimated performance needs a time-range or trailing reference with labels"
        )
    labelled = _labelled(events)
    scores = positive_scores(labelled.scores, labelled.predictions, name=check.score,
                             positive=check.positive)  # fmt: skip
    truth = is_positive(labelled.labels, check.positive).astype(np.int64)
    return ConfidenceBasedEstimator(threshold=check.decision_threshold,
                                    confidence=check.confidence).fit(truth, scores)  # fmt: skip


def _estimate(estimator: Any, events: WindowEvents, check: EstimatedPerformanceCheck) -> Any:
    scores = positive_scores(events.scores, events.predictions, name=check.score,
                             positive=check.positive)  # fmt: skip
    return estimator.estimate(scores)


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
        estimate = _estimate(estimator, ctx.events, check)
    except DriftpilotError as err:
        return [CheckResult(check=name, kind="estimated_performance", metric=m, value=None,
                            reason=str(err), status="error") for m in check.metrics]  # fmt: skip

    def chunk_values(chunks: list[WindowEvents]) -> list[dict[str, float | None]]:
        out = []
        for chunk in chunks:
            if len(chunk) >= check.min_labels:
                found = _estimate(estimator, chunk, check)
                out.append({m: getattr(found, m).value for m in check.metrics})
        return out

    try:
        realized, _, n_labels = realized_metrics(ctx.task, ctx.events, check)
    except DriftpilotError:
        realized, n_labels = {}, 0
    results = []
    for metric in check.metrics:
        found = getattr(estimate, metric)
        band = _band_for(ctx, check, metric, chunk_values)
        flagged = judge(found.value, band, higher_is_better=True)
        results.append(CheckResult(
            check=name, kind="estimated_performance", metric=metric, value=found.value,
            stderr=found.stderr, lower=band.lower if band else None,
            upper=band.upper if band else None, severity=_severity(flagged, check.severity),
            n=len(ctx.events), n_labels=n_labels,
            details={"estimate_lower": found.lower, "estimate_upper": found.upper,
                     "realized": realized.get(metric) if n_labels >= check.min_labels else None,
                     **(band.details() if band else {})},
        ))  # fmt: skip
    return results


def _fingerprint(ctx: WindowContext, check: DetectorCheck) -> str:
    """Return what a saved state was built for; another value starts a fresh detector."""
    reference = ctx.spec.reference
    if reference.kind == "baseline":
        found = ctx.baseline  # "latest" follows a newly registered champion version
        ref: Any = ["baseline", None if found is None else found.version]
    elif reference.kind == "range":
        ref = ["range", ctx.reference_span]
    else:
        ref = ["trailing", reference.trailing]
    identity = {
        "method": check.method, "params": check.params, "stream": check.stream,
        "score": check.score, "positive": check.positive, "task": ctx.task,
        "version": ctx.spec.version, "reference": ref,
    }  # fmt: skip
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _resume(ctx: WindowContext, name: str, fingerprint: str,
            fresh: StreamingDetector) -> tuple[StreamingDetector, dict[str, Any]]:  # fmt: skip
    """Return the detector to feed this window: the saved one before it, or ``fresh``."""
    assert ctx.states is not None
    saved = ctx.states.detector_state(ctx.spec.name, name, _ALL_TRAFFIC, at=ctx.window.start)
    if saved is None:
        return fresh, {"state": "fresh"}
    if saved.fingerprint != fingerprint:
        return fresh, {"state": "reset", "reset_reason": (
            "the detector, its stream, the watched version or the reference changed since "
            f"the state saved at {saved.window_end}")}  # fmt: skip
    try:
        kind: Any = type(fresh)
        detector: StreamingDetector = kind.from_dict(dict(saved.state))
    except DriftpilotError as err:
        return fresh, {"state": "reset", "reset_reason": f"saved state unreadable: {err}"}
    return detector, {"state": "continued", "continued_from": saved.window_end}


def detector_results(ctx: WindowContext, check: DetectorCheck) -> list[CheckResult]:
    """Run a streaming detector over the window's per-event errors or scores, in time order.

    With ``ctx.states`` the detector continues from its state after the newest window ending
    at or before this one's start (unless its fingerprint changed), and its state after this
    window is saved under this window's end; a revision therefore re-feeds this window from
    the same starting state, never an event twice. Change points are reported as the
    timestamps of the events whose update flagged drift.
    """
    name = check_name(check)
    base: dict[str, Any] = {"check": name, "kind": "detector", "metric": check.method}
    events = ctx.events
    try:
        fresh: StreamingDetector = _DETECTORS[check.method](**check.params)
    except (TypeError, DriftpilotError) as err:
        return [CheckResult(**base, value=None, reason=f"bad detector params: {err}",
                            status="error")]  # fmt: skip
    if check.stream == "score":
        chosen = events
        stream = positive_scores(events.scores, events.predictions, name=check.score,
                                 positive=check.positive)  # fmt: skip
    else:
        chosen = _labelled(events)
        if ctx.task == "regression":
            stream = np.abs(np.array([float(v) for v in chosen.labels])
                            - np.array([float(v) for v in chosen.predictions]))  # fmt: skip
        else:
            stream = np.fromiter((str(a) != str(b) for a, b in zip(chosen.labels,
                                  chosen.predictions, strict=True)), dtype=np.float64,
                                 count=len(chosen))  # fmt: skip
    if len(stream) == 0:
        what = "labelled events" if check.stream == "error" else "events"
        return [CheckResult(**base, value=None, status="no_data",
                            reason=f"no {what} in the window")]  # fmt: skip
    order = np.argsort(chosen.timestamps, kind="stable")
    detector, origin = fresh, {"state": "fresh (not kept: no state store)"}
    fingerprint = ""
    if ctx.states is not None:
        fingerprint = _fingerprint(ctx, check)
        detector, origin = _resume(ctx, name, fingerprint, fresh)
    try:
        indices = detector.update_many(stream[order]).batch_drifts
    except DriftpilotError as err:
        return [CheckResult(**base, value=None, reason=str(err), status="error")]
    if ctx.states is not None:
        length = ctx.window.end - ctx.window.start
        ctx.states.save_detector_state(
            ctx.spec.name, name, _ALL_TRAFFIC,
            DetectorState(window_start=ctx.window.start, window_end=ctx.window.end,
                          fingerprint=fingerprint, state=detector.to_dict(), n_fed=len(stream)),
            keep_from=ctx.window.start - ctx.spec.label_horizon * _US - length,
        )  # fmt: skip
    times = [int(chosen.timestamps[order[i]]) for i in indices]
    return [CheckResult(
        **base, value=float(len(indices)), upper=0.0,
        severity=_severity(bool(len(indices)), check.severity), n=len(stream),
        n_labels=len(chosen) if check.stream == "error" else None,
        details={"change_points": times, "stream": check.stream, **origin,
                 "n_seen": detector.n_seen},
    )]  # fmt: skip


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
