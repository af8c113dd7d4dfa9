"""Drift checks: features, prediction (classes and scores) and target, with segments.

Profile mode compares the window's merged bucket profiles with the reference (a baseline,
or the reference range's merged profiles); exact mode and segments read the raw events and
profile them against the reference's bin edges. Tests run uncorrected and the check's
multiple-testing correction then covers every p-value of the check at once (every feature in
every segment), so adding segments does not add false alarms.

The verdict is compare's default rule: a feature drifts when its corrected p-value is below
the check's ``alpha`` *and* its effect size reaches the effect threshold (the check's
``threshold`` if set, else the effect measure's default). Every test has a p-value, PSI
included (its chi-squared approximation, or a Monte Carlo test on sparse windows), so a
small window or a feature with many categories is no longer flagged for noise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftpilot.drift import TEST_SPECS, ColumnDrift, compare
from driftpilot.errors import DriftpilotError, InvalidParameterError, SchemaMismatchError
from driftpilot.monitor._context import WindowContext
from driftpilot.monitor._data import WindowEvents
from driftpilot.monitor.results import CheckResult, Severity, Status
from driftpilot.monitor.spec import (
    FeatureDriftCheck,
    PredictionDriftCheck,
    TargetDriftCheck,
    check_name,
)
from driftpilot.profile import NumericSummary, Profile
from driftpilot.stats import adjust_pvalues

__all__ = ["DEFAULT_TEST", "drift_results", "segment_values"]

#: A monitor's drift test unless the check names one: PSI is exact from the bucket histograms
#: (binned on the baseline's edges); it drifts when it is both significant (so noise on a
#: small window is not drift) and at least 0.1 (so ever smaller shifts are not drift as
#: windows grow, and a month of hourly windows does not raise a month of noise).
DEFAULT_TEST = "psi"

DriftCheck = FeatureDriftCheck | PredictionDriftCheck | TargetDriftCheck


@dataclass(slots=True)
class _Found:
    column: ColumnDrift
    segment: str | None


def segment_values(events: WindowEvents, key: str) -> list[Any]:
    """Each event's value of segment ``key``: its segment tag, else its feature of that name."""
    out: list[Any] = []
    for tags, features in zip(events.segments, events.features, strict=True):
        if tags and key in tags:
            out.append(tags[key])
        else:
            out.append(features.get(key) if features else None)
    return out


def _segments(ctx: WindowContext) -> list[tuple[str, Any, WindowEvents]]:
    """Return the top ``max_segments`` values of each segment key, with their events."""
    if not ctx.spec.segments:
        return []
    out = []
    events = ctx.events
    for key in ctx.spec.segments:
        values = segment_values(events, key)
        for value, _ in Counter(v for v in values if v is not None).most_common(
            ctx.spec.max_segments
        ):
            mask = np.fromiter((v == value for v in values), dtype=np.bool_, count=len(values))
            out.append((key, value, events.select(mask)))
    return out


def _features_table(events: WindowEvents, names: Sequence[str]) -> dict[str, list[Any]]:
    columns = events.feature_columns(names)
    return {k: v for k, v in columns.items() if any(x is not None for x in v)}


class _UnjudgedError(SchemaMismatchError):
    """Some requested columns got no result; carries the ones that did and the reasons."""

    def __init__(self, found: list[ColumnDrift], unjudged: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _, message in unjudged))
        self.found = found
        self.unjudged = unjudged


def _compare(
    reference: Any, current: Any, check: DriftCheck, columns: list[str] | None
) -> list[ColumnDrift]:
    options: dict[str, Any] = {"alpha": check.alpha, "correction": None, "test": check.test}
    if isinstance(check, FeatureDriftCheck) and check.tests:
        options["tests"] = check.tests
    elif check.test is None:
        options["test"] = DEFAULT_TEST
    if check.threshold is not None:
        options["effect_threshold"] = check.threshold
    report = compare(reference, current, columns=columns, **options)
    found = list(report.columns.values())
    judged = {c.name for c in found}
    unjudged = [
        f for f in report.findings if f.column in (columns or ()) and f.column not in judged
    ]
    if unjudged:  # a requested column the drift core could not test is an error, not silence
        raise _UnjudgedError(found, [(f.column, f.message) for f in unjudged])
    if check.test is not None:  # the drift core gives a column the test doesn't fit another one
        misfit = [c for c in found if c.test != check.test and c.name not in options.get(
            "tests", {})]  # fmt: skip
        if misfit:
            raise InvalidParameterError(
                f"The test {check.test!r} cannot be used on "
                + ", ".join(f"column {c.name!r} ({c.type})" for c in misfit)
                + "; name their tests in 'tests', or list only the features it fits."
            )
    return found


def _judged(
    name: str,
    check: DriftCheck,
    reference: Any,
    current: Any,
    columns: list[str],
    segment: str | None,
    errors: list[CheckResult],
) -> list[_Found]:
    """Compare, and turn each column the drift core could not test into an ``error`` result.

    One column that cannot be read (lists where numbers belong, say) does not take the
    others down: on a ``SchemaMismatchError`` the columns are compared one by one.
    """
    try:
        return [_Found(c, segment) for c in _compare(reference, current, check, columns)]
    except _UnjudgedError as err:
        errors += [_column_error(name, check, column, segment, why) for column, why in err.unjudged]
        return [_Found(c, segment) for c in err.found]
    except SchemaMismatchError as err:
        if len(columns) == 1:
            errors.append(_column_error(name, check, columns[0], segment, str(err)))
            return []
        if len(columns) == 0:
            raise
    found: list[_Found] = []
    for column in columns:
        found += _judged(name, check, _only(reference, column), _only(current, column),
                         [column], segment, errors)  # fmt: skip
    return found


def _only(data: Any, column: str) -> Any:
    """One column of a raw table (a profile is narrowed by ``columns`` instead)."""
    if isinstance(data, Mapping):
        return {column: data[column]} if column in data else {}
    return data


def _column_error(
    name: str, check: DriftCheck, column: str, segment: str | None, reason: str
) -> CheckResult:
    return CheckResult(check=name, kind="drift", metric=check.test or "drift", feature=column,
                       segment=segment, value=None, status="error", reason=reason)  # fmt: skip


def _unbinned(reference: Any, columns: list[str] | None) -> list[str]:
    """Numeric columns of a profile reference that keep no histogram (no baseline edges)."""
    profile = getattr(reference, "profile", reference)
    if not isinstance(profile, Profile):
        return []
    return [
        name for name, summary in profile.columns.items()
        if (columns is None or name in columns) and isinstance(summary, NumericSummary)
        and summary.histogram is None
    ]  # fmt: skip


def _feature_names(ctx: WindowContext, check: FeatureDriftCheck, reference: Any) -> list[str]:
    profile = getattr(reference, "profile", reference)
    names = list(profile.columns) if profile is not None else []
    if check.features != "all":
        names = list(check.features)
    return names


def drift_results(ctx: WindowContext, check: DriftCheck) -> list[CheckResult]:
    """Run one drift check over the window (and its segments)."""
    name = check_name(check)
    found: list[_Found] = []
    errors: list[CheckResult] = []
    try:
        if isinstance(check, FeatureDriftCheck):
            reference: Any = ctx.reference_features()
            if reference is None:
                return [_missing(name, "no reference: store a baseline or use a time range",
                                 "error")]  # fmt: skip
            names = _feature_names(ctx, check, reference)
            exact = check.mode == "exact"
            if not exact and _unbinned(reference, names):
                # Without a baseline the bucket profiles keep no histograms (their own edges
                # would differ from batch to batch), so the drift is computed from raw events.
                exact = True
                ctx.notes.append(f"{name}: no baseline histograms, so drift was computed from "
                                 "raw events (exact mode)")  # fmt: skip
            if exact:
                current: Any = _features_table(ctx.events, names)
                exact_reference = ctx.reference_events()
                if exact_reference is not None:
                    reference = _features_table(exact_reference, names)
            else:
                current = ctx.current.features
            if not current or (isinstance(current, Profile) and current.n_rows == 0):
                return [_missing(name, "no events in the window", "no_data")]
            n_current = current.n_rows if isinstance(current, Profile) else len(ctx.events)
            if n_current < check.min_events:
                return [_missing(name, f"{n_current} events, fewer than min_events="
                                 f"{check.min_events}; not judged", "no_data")]  # fmt: skip
            present = current.columns if isinstance(current, Profile) else current
            columns = [n for n in names if n in present]
            found += _judged(name, check, reference, current, columns, None, errors)
            ref_events = ctx.reference_events()
            for key, value, events in _segments(ctx):
                segment = f"{key}={value}"
                table = _features_table(events, columns)
                seg_ref: Any = reference
                if ref_events is not None:
                    ref_values = segment_values(ref_events, key)
                    mask = np.fromiter((v == value for v in ref_values), dtype=np.bool_,
                                       count=len(ref_values))  # fmt: skip
                    seg_ref = _features_table(ref_events.select(mask), columns)
                    if not seg_ref:
                        ctx.notes.append(f"{name}: segment {segment} has no reference events")
                        continue
                if not table:
                    continue
                if len(events) < check.min_events:
                    ctx.notes.append(f"{name}: segment {segment} has {len(events)} events, fewer "
                                     f"than min_events={check.min_events}; not judged")  # fmt: skip
                    continue
                try:
                    found += _judged(
                        name,
                        check,
                        seg_ref,
                        table,
                        [c for c in columns if c in table],
                        segment,
                        errors,
                    )
                except DriftpilotError as err:
                    ctx.notes.append(f"{name}: segment {segment} skipped: {err}")
                    continue
        else:
            outcome = _output_drift(ctx, check, name)
            if isinstance(outcome, CheckResult):
                return [outcome]
            found += outcome
    except DriftpilotError as err:
        return [_missing(name, str(err), "error")]
    return _correct(name, check, found) + errors


def _output_table(events: WindowEvents, role: str) -> dict[str, list[Any]]:
    """Return the raw predictions, labels (of labelled events) or scores (a column per key).

    As in the bucket profiles, a prediction stored with a ``wrong_type:prediction`` flag (a
    list where a number belongs, say) counts as missing, and so does a label that is not a
    scalar: exact mode judges the same values profile mode does.
    """
    if role == "prediction":
        flagged = "wrong_type:prediction"
        return {
            "prediction": [
                None if flagged in f else p
                for p, f in zip(events.predictions, events.flags, strict=True)
            ]
        }
    if role == "labels":
        return {"label": [v for v in events.labels if isinstance(v, str | int | float)]}
    rows: list[dict[str, Any]] = []
    for item in events.scores:
        if isinstance(item, Mapping):
            rows.append({str(k): v for k, v in item.items()})
        elif isinstance(item, list):
            rows.append({str(i): v for i, v in enumerate(item)})
        else:
            rows.append({})
    names = list(dict.fromkeys(k for row in rows for k in row))
    return {
        k: [v if isinstance(v, int | float) and not isinstance(v, bool) else None
            for v in (row.get(k) for row in rows)]
        for k in names
    }  # fmt: skip


def _output_drift(
    ctx: WindowContext, check: PredictionDriftCheck | TargetDriftCheck, name: str
) -> list[_Found] | CheckResult:
    """Return the drift of the predictions (and scores) or of the labels.

    Like feature drift, a numeric output without a baseline has no histogram in the bucket
    profiles (their edges would differ from batch to batch), so the reference and the window
    are then compared from raw events, binned on the fly (and the report says so).
    """
    role = "prediction" if isinstance(check, PredictionDriftCheck) else "labels"
    column = "prediction" if role == "prediction" else "label"
    ref_profile = ctx.reference_output(role)
    cur_profile = ctx.current.prediction if role == "prediction" else ctx.current.labels
    if ref_profile is None:
        return _missing(name, f"the reference has no {role} summary", "error")
    if cur_profile is None or cur_profile.n_rows < check.min_events:
        n_rows = 0 if cur_profile is None else cur_profile.n_rows
        return _missing(name, f"{n_rows} {role}, fewer than min_events={check.min_events}; "
                        "not judged", "no_data")  # fmt: skip
    raw = ctx.reference_events()
    scores = isinstance(check, PredictionDriftCheck) and check.scores
    ref_scores = ctx.reference_window.scores if ctx.reference_window is not None else None
    unbinned = _unbinned(ref_profile, [column]) or (
        scores and ref_scores is not None and _unbinned(ref_scores, None)
    )
    if raw is not None and unbinned:
        ctx.notes.append(f"{name}: no baseline histograms, so drift was computed from raw "
                         "events (exact mode)")  # fmt: skip
        found = [
            _Found(c, None)
            for c in _compare(
                _output_table(raw, role), _output_table(ctx.events, role), check, [column]
            )
        ]
        if scores:
            ref_table, cur_table = _output_table(raw, "scores"), _output_table(ctx.events, "scores")
            shared = [
                c
                for c in cur_table
                if c in ref_table
                and any(v is not None for v in ref_table[c])
                and any(v is not None for v in cur_table[c])
            ]
            if shared:
                found += [_Found(c, None) for c in _compare(ref_table, cur_table, check, shared)]
        return found
    found = [_Found(c, None) for c in _compare(ref_profile, cur_profile, check, [column])]
    if scores and ref_scores is not None and ctx.current.scores is not None:
        shared = [c for c in ctx.current.scores.columns if c in ref_scores.columns]
        if shared:
            found += [_Found(c, None) for c in _compare(
                ref_scores, ctx.current.scores, check, shared)]  # fmt: skip
    return found


def _correct(name: str, check: DriftCheck, found: list[_Found]) -> list[CheckResult]:
    method = getattr(check, "correction", "fdr_bh")
    tested = [i for i, f in enumerate(found) if f.column.p_value is not None]
    adjusted = {i: f.column.p_value for i, f in enumerate(found)}
    if tested and method != "none":
        values = adjust_pvalues(np.array([found[i].column.p_value for i in tested]), method=method)
        adjusted.update({i: float(v) for i, v in zip(tested, values, strict=True)})
    results: list[CheckResult] = []
    for i, item in enumerate(found):
        c = item.column
        p = adjusted[i]
        drifted = (p < check.alpha) if p is not None else c.drifted
        if c.effect_size is not None and c.effect_threshold is not None:
            drifted = drifted and c.effect_size >= c.effect_threshold
        severity: Severity = "none"
        if drifted:
            severity = "critical" if c.severity == "critical" else check.severity
        results.append(CheckResult(
            check=name, kind="drift", metric=c.test, feature=c.name, segment=item.segment,
            value=c.statistic, p_value=p,
            upper=c.threshold if TEST_SPECS[c.test].judged_by == "distance" else None,
            severity=severity, n=c.n_current,
            details={"psi": c.psi, "p_value_raw": c.p_value, "threshold": c.threshold,
                     "n_reference": c.n_reference, "approximate": c.approximate,
                     "error_bound": c.error_bound, "p_value_method": c.p_value_method,
                     "effect_measure": c.effect_measure, "effect_size": c.effect_size,
                     "effect_threshold": c.effect_threshold},
        ))  # fmt: skip
        if c.psi is not None and c.test != "psi":
            results.append(CheckResult(
                check=name, kind="drift", metric="psi", feature=c.name, segment=item.segment,
                value=c.psi, severity="none", n=c.n_current,
                reason="PSI is reported beside the test; the test decides",
            ))  # fmt: skip
    return results


def _missing(name: str, reason: str, status: Status) -> CheckResult:
    return CheckResult(check=name, kind="drift", metric="drift", value=None, reason=reason,
                       status=status)  # fmt: skip
