"""Data-quality checks of a window against the reference, and the business KPI check.

Missing values, out-of-range values and unseen categories compare the window's merged
feature profile with the reference's (``driftpilot.quality``); schema/type violations come
from the flags the service set at ingest; volume compares the window's event count with the
``history`` grid windows before it; freshness is the age of the newest event at the window's
end (so a backfill judges each window as it was, and a rerun gives the same answer).
"""

from __future__ import annotations

import math
from typing import Any

from driftpilot.errors import DriftpilotError
from driftpilot.monitor._context import WindowContext
from driftpilot.monitor._kpi_frame import kpi_frame
from driftpilot.monitor.checks import load_function
from driftpilot.monitor.results import CheckResult, Severity
from driftpilot.monitor.spec import (
    FreshnessCheck,
    KpiCheck,
    MissingValuesCheck,
    OutOfRangeCheck,
    TypeViolationsCheck,
    UnseenCategoriesCheck,
    VolumeCheck,
    check_name,
)
from driftpilot.profile import Baseline, CategoricalSummary, NumericSummary, Profile
from driftpilot.quality import (
    freshness,
    missing_rate,
    out_of_range,
    reference_range,
    type_violations,
    unseen_categories,
    volume_anomaly,
)

__all__ = ["kpi_results", "quality_results"]

_US = 1_000_000


def _sev(flagged: bool, severity: Severity) -> Severity:
    return severity if flagged else "none"


def _reference_profile(ctx: WindowContext) -> Profile | None:
    reference = ctx.reference_features()
    if isinstance(reference, Baseline):
        return reference.profile
    return reference


def _names(features: Any, current: Profile) -> list[str]:
    return (
        list(current.columns)
        if features == "all"
        else [n for n in features if n in current.columns]
    )


def quality_results(ctx: WindowContext, check: Any) -> list[CheckResult]:
    """Run one data-quality check over the window."""
    name = check_name(check)
    base: dict[str, Any] = {"check": name, "kind": "quality"}
    if isinstance(check, VolumeCheck):
        return [_volume(ctx, check, base)]
    if isinstance(check, FreshnessCheck):
        return [_freshness(ctx, check, base)]
    if isinstance(check, TypeViolationsCheck):
        n_events = ctx.current.n_events
        if n_events == 0:
            return [CheckResult(**base, metric="type_violations", value=None, reason="no events",
                                status="no_data")]  # fmt: skip
        found = type_violations(ctx.current.quality, n_events)
        return [CheckResult(
            **base, metric="type_violations", value=found.share, stderr=found.stderr,
            upper=check.max_share, severity=_sev(found.share > check.max_share, check.severity),
            n=n_events, details={"counts": dict(found.counts)},
        )]  # fmt: skip
    current = ctx.current.features
    if current is None or ctx.current.n_events == 0:
        return [CheckResult(**base, metric=check.type, value=None, reason="no events",
                            status="no_data")]  # fmt: skip
    reference = _reference_profile(ctx)
    results = []
    for feature in _names(check.features, current):
        summary = current.columns[feature]
        ref = reference.columns.get(feature) if reference is not None else None
        try:
            result = _one(check, feature, summary, ref, base)
        except DriftpilotError as err:
            result = CheckResult(**base, metric=check.type, feature=feature, value=None,
                                 reason=str(err), status="error")  # fmt: skip
        if result is not None:
            results.append(result)
    return results


def _one(check: Any, feature: str, summary: Any, ref: Any,
         base: dict[str, Any]) -> CheckResult | None:  # fmt: skip
    if isinstance(check, MissingValuesCheck):
        found = missing_rate(summary, ref if type(ref) is type(summary) else None)
        limit = (found.reference_share or 0.0) + check.tolerance
        if check.max_rate is not None:
            limit = min(limit, check.max_rate)
        return CheckResult(
            **base, metric="missing_rate", feature=feature, value=found.share,
            stderr=found.stderr, upper=limit, severity=_sev(found.share > limit, check.severity),
            n=found.n, details={"reference_share": found.reference_share},
        )  # fmt: skip
    if isinstance(check, OutOfRangeCheck):
        if not isinstance(summary, NumericSummary):
            return None
        if feature in check.bounds:
            low, high = check.bounds[feature]
        elif isinstance(ref, NumericSummary):
            low, high = reference_range(ref)
        else:
            return None
        found_range = out_of_range(summary, low=low, high=high)
        return CheckResult(
            **base, metric="out_of_range", feature=feature, value=found_range.share,
            stderr=found_range.stderr, upper=check.max_share,
            severity=_sev(found_range.share > check.max_share, check.severity),
            n=found_range.n_valid,
            details={"low": low, "high": high, "exact": found_range.exact,
                     "bound": found_range.bound},
        )  # fmt: skip
    if isinstance(check, UnseenCategoriesCheck):
        if not isinstance(summary, CategoricalSummary) or not isinstance(ref, CategoricalSummary):
            return None
        found_unseen = unseen_categories(summary, ref)
        return CheckResult(
            **base, metric="unseen_categories", feature=feature, value=found_unseen.share,
            stderr=found_unseen.stderr, upper=check.max_share,
            severity=_sev(found_unseen.share > check.max_share, check.severity),
            n=found_unseen.n_valid,
            details={"top": [[str(c), k] for c, k in found_unseen.top],
                     "exact": found_unseen.exact},
        )  # fmt: skip
    raise AssertionError(f"not a quality check: {check.type}")


def _volume(ctx: WindowContext, check: VolumeCheck, base: dict[str, Any]) -> CheckResult:
    step, size = ctx.spec.window.step * _US, ctx.spec.window.size * _US
    window = ctx.window
    first = window.end - check.history * step - size
    counts = ctx.source.bucket_counts(ctx.spec.model, start=first, end=window.end)
    history = []
    for i in range(1, check.history + 1):
        end = window.end - i * step
        history.append(sum(n for t, n in counts if end - size <= t < end))
    current = sum(n for t, n in counts if window.start <= t < window.end)
    found = volume_anomaly(current, history, k=check.k)
    return CheckResult(
        **base, metric="volume", value=float(current), lower=found.lower, upper=found.upper,
        severity=_sev(found.anomalous, check.severity), n=current,
        details={"mean": found.mean, "std": found.std, "z": found.z_score},
    )  # fmt: skip


def _freshness(ctx: WindowContext, check: FreshnessCheck, base: dict[str, Any]) -> CheckResult:
    last = ctx.source.last_event_time(ctx.spec.model, before=ctx.window.end)
    found = freshness(last, now=ctx.window.end, max_age_seconds=check.max_age)
    return CheckResult(
        **base, metric="event_age_seconds", value=found.age_seconds, upper=float(check.max_age),
        severity=_sev(found.stale, check.severity), n=ctx.current.n_events,
        details={"last_event": last},
    )  # fmt: skip


def kpi_results(ctx: WindowContext, check: KpiCheck) -> list[CheckResult]:
    """Call the user's KPI function with a frame of the window's events and judge its value."""
    base: dict[str, Any] = {"check": check_name(check), "kind": "kpi", "metric": check.metric}
    try:
        function = load_function(check.function)
        frame = kpi_frame(ctx.events, check.frame)
    except DriftpilotError as err:
        return [CheckResult(**base, value=None, reason=str(err))]
    try:
        raw = function(frame)
        value = float(raw)
    except DriftpilotError as err:
        return [CheckResult(**base, value=None, reason=str(err), status="error")]
    except Exception as err:  # the user's code: any failure is this check's error
        return [CheckResult(**base, value=None, status="error",
                            reason=f"KPI function raised {type(err).__name__}: {err}")]  # fmt: skip
    if not math.isfinite(value):
        reason = f"the KPI function returned {raw!r}, not a finite number"
        return [CheckResult(**base, value=None, status="error", reason=reason)]
    flagged = (check.min is not None and value < check.min) or (
        check.max is not None and value > check.max
    )
    return [CheckResult(**base, value=value, lower=check.min, upper=check.max,
                        severity=_sev(flagged, check.severity), n=len(ctx.events),
                        n_labels=int(ctx.events.labelled.sum()))]  # fmt: skip
