"""Validation of ``compare``'s options, with messages naming the parameter and value."""

from __future__ import annotations

from dataclasses import dataclass

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
    )
