"""Validation of ``compare``'s options, with messages naming the parameter and value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from driftpilot.drift._selection import RULES, Rule
from driftpilot.errors import InvalidParameterError
from driftpilot.stats import CORRECTION_METHODS

__all__ = ["Options", "positive_int", "validate_options"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """``compare``'s report-wide options, validated."""

    alpha: float
    correction: str | None
    drift_share: float
    critical_is_drift: bool
    severity_thresholds: tuple[float, float]
    small_sample: int
    bins: int
    rule: Rule = "significance_and_effect"
    effect_threshold: float | None = None
    effect_thresholds: Mapping[str, float] = field(default_factory=dict)


def positive_int(value: int, name: str, *, minimum: int) -> int:
    """Return ``value`` if it is an integer of at least ``minimum``, else raise naming it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidParameterError(
            f"The {name!r} parameter of compare must be an integer >= {minimum}. "
            f"Got {value!r} instead."
        )
    return value


def validate_options(
    *,
    alpha: float,
    correction: str | None,
    drift_share: float,
    severity_thresholds: tuple[float, float],
    small_sample: int,
    bins: int,
    critical_is_drift: bool,
    n_jobs: int,
    rule: str = "significance_and_effect",
    effect_threshold: float | Mapping[str, float] | None = None,
) -> Options:
    if not 0 < alpha < 1:
        raise InvalidParameterError(
            f"The 'alpha' parameter of compare must be in (0, 1). Got {alpha!r} instead."
        )
    if correction is not None and correction not in CORRECTION_METHODS:
        allowed = ", ".join(CORRECTION_METHODS)
        raise InvalidParameterError(
            f"The 'correction' parameter of compare must be one of {allowed} or None. "
            f"Got {correction!r} instead."
        )
    if not 0 < drift_share <= 1:
        raise InvalidParameterError(
            f"The 'drift_share' parameter of compare must be in (0, 1]. Got {drift_share!r} "
            "instead."
        )
    warning, critical = severity_thresholds
    if not 0 <= warning <= critical:
        raise InvalidParameterError(
            "The 'severity_thresholds' parameter of compare must be (warning, critical) with "
            f"0 <= warning <= critical. Got {severity_thresholds!r} instead."
        )
    if rule not in RULES:
        raise InvalidParameterError(
            f"The 'rule' parameter of compare must be one of {', '.join(RULES)}. "
            f"Got {rule!r} instead."
        )
    scalar, per_column = _effect_thresholds(effect_threshold)
    positive_int(bins, "bins", minimum=1)
    positive_int(small_sample, "small_sample", minimum=0)
    positive_int(n_jobs, "n_jobs", minimum=1)
    return Options(
        alpha=float(alpha),
        correction=correction,
        drift_share=float(drift_share),
        critical_is_drift=bool(critical_is_drift),
        severity_thresholds=(float(warning), float(critical)),
        small_sample=small_sample,
        bins=bins,
        rule=next(r for r in RULES if r == rule),
        effect_threshold=scalar,
        effect_thresholds=per_column,
    )


def _effect_thresholds(
    value: float | Mapping[str, float] | None,
) -> tuple[float | None, dict[str, float]]:
    items = value.items() if isinstance(value, Mapping) else [("", value)]
    for column, threshold in items:
        if threshold is None and not column:
            continue
        ok = isinstance(threshold, int | float) and not isinstance(threshold, bool)
        if not ok or not threshold >= 0:  # type: ignore[operator]
            where = f" for column {column!r}" if column else ""
            raise InvalidParameterError(
                f"The 'effect_threshold' parameter of compare{where} must be a number >= 0 "
                f"(or a mapping of column names to such numbers). Got {threshold!r} instead."
            )
    if isinstance(value, Mapping):
        return None, {str(k): float(v) for k, v in value.items()}
    return (None if value is None else float(value)), {}
