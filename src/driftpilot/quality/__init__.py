"""Data-quality checks of a model's traffic: missing values, ranges, categories, volume.

Pure computation on profile summaries and counts: column summaries (``profile.columns[name]``),
ingest quality-flag counts, event counts and times in, frozen dataclasses out (each with
``to_dict()``). A share comes with its binomial standard error ``sqrt(p (1 - p) / n)``; a share
read from a sketch says whether it is exact and, if not, the bound that applies. Bad input
raises :class:`~driftpilot.errors.InvalidParameterError`,
:class:`~driftpilot.errors.UnsupportedDataError` or
:class:`~driftpilot.errors.InsufficientDataError` naming the argument.
"""

from __future__ import annotations

from driftpilot.quality.missing import MissingRateResult, missing_rate
from driftpilot.quality.ranges import OutOfRangeResult, out_of_range, reference_range
from driftpilot.quality.recency import FreshnessResult, freshness
from driftpilot.quality.unseen import TOP_UNSEEN, UnseenCategoriesResult, unseen_categories
from driftpilot.quality.violations import (
    TYPE_VIOLATION_PROBLEMS,
    TypeViolationsResult,
    type_violations,
)
from driftpilot.quality.volume import VolumeAnomalyResult, volume_anomaly

__all__ = [
    "TOP_UNSEEN",
    "TYPE_VIOLATION_PROBLEMS",
    "FreshnessResult",
    "MissingRateResult",
    "OutOfRangeResult",
    "TypeViolationsResult",
    "UnseenCategoriesResult",
    "VolumeAnomalyResult",
    "freshness",
    "missing_rate",
    "out_of_range",
    "reference_range",
    "type_violations",
    "unseen_categories",
    "volume_anomaly",
]
