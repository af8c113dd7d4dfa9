"""Summary statistics of each side of a column, and the finding for a changed missing rate.

A column can pass its drift test (the test sees only the valid values) while its missing
rate jumps from 1 % to 12 %: the values that remain look the same, but an upstream join or
a sensor broke. The report then says so with a ``missing_rate_changed`` finding when the
change is both

* material: the missing share moved by at least :data:`MISSING_ABSOLUTE` (5 percentage
  points), or by at least :data:`MISSING_MIN_CHANGE` (1 point) while growing or shrinking
  by a factor of at least :data:`MISSING_FACTOR` (2; a share of 0 counts as an infinite
  factor); and
* beyond sampling noise: the chi-squared test of homogeneity of the 2 x 2 table (missing,
  present) x (reference, current) has a p-value below the report's ``alpha`` (a Monte
  Carlo p-value when an expected count is below 5, as for the binned drift tests).

The finding does not change the column's drift verdict or the dataset verdict: it is a
data quality signal shown beside them.
"""

from __future__ import annotations

import math

import numpy as np

from driftpilot._typing import FloatArray
from driftpilot.drift._sources import CategoryData, NumericData
from driftpilot.drift.report import ColumnStats, SchemaFinding
from driftpilot.stats import count_pvalue

__all__ = [
    "MISSING_ABSOLUTE",
    "MISSING_FACTOR",
    "MISSING_MIN_CHANGE",
    "categorical_stats",
    "missing_rate_finding",
    "numeric_stats",
]

#: A change of the missing share by this much (absolute) is material by itself.
MISSING_ABSOLUTE = 0.05
#: A smaller change is material when it is at least this large ...
MISSING_MIN_CHANGE = 0.01
#: ... and the share grew or shrank by at least this factor.
MISSING_FACTOR = 2.0

_RANKS = np.asarray([0.05, 0.25, 0.5, 0.75, 0.95], dtype=np.float64)


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def numeric_stats(data: NumericData) -> ColumnStats:
    """Return the missing count, min, max, mean, std and quantiles of a numeric side."""
    if data.n_valid == 0:
        return ColumnStats(n=data.n, n_missing=data.n_excluded)
    low, high = data.bounds
    if data.sorted_values is not None:
        with np.errstate(over="ignore", invalid="ignore"):
            mean: float | None = float(np.mean(data.sorted_values))
            std: float | None = float(np.std(data.sorted_values))
    else:
        assert data.summary is not None
        mean, std = data.summary.mean, data.summary.std
    if data.sorted_values is not None:
        q05, q25, q50, q75, q95 = _sorted_quantiles(data.sorted_values)
    else:
        q05, q25, q50, q75, q95 = (float(q) for q in data.quantiles(_RANKS))
    return ColumnStats(
        n=data.n,
        n_missing=data.n_excluded,
        min=low,
        max=high,
        mean=_finite(mean),
        std=_finite(std),
        q05=q05,
        q25=q25,
        q50=q50,
        q75=q75,
        q95=q95,
        approximate=data.rank_error > 0,
    )


def _sorted_quantiles(values: FloatArray) -> list[float]:
    """Numpy's default (``linear``) quantiles, read off an already sorted sample in O(1)."""
    position = _RANKS * (values.size - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, values.size - 1)
    low, high = values[below], values[above]
    share = position - below
    with np.errstate(over="ignore", invalid="ignore"):
        result = low + share * (high - low)
        # A gap that overflows (values near the float limits): weigh the two ends instead.
        result = np.where(np.isfinite(result), result, low * (1 - share) + high * share)
    return [float(x) for x in np.where(low == high, low, result)]


def categorical_stats(data: CategoryData) -> ColumnStats:
    """Return the missing count, number of categories and the top category of a side."""
    categories = data.categories() if data.n_valid else []
    if not categories:
        return ColumnStats(n=data.n, n_missing=data.n_excluded, n_categories=0)
    counts = data.count_of(categories)
    # Ties go to the smallest label, so that row order never changes the report.
    top_count, top = min(zip((-int(c) for c in counts), (str(c) for c in categories), strict=False))
    top_count = -top_count
    return ColumnStats(
        n=data.n,
        n_missing=data.n_excluded,
        n_categories=len(categories),
        top_category=top,
        top_share=top_count / data.n_valid,
        approximate=not data.exact,
    )


def _material(reference: float, current: float) -> bool:
    change = abs(current - reference)
    if change >= MISSING_ABSOLUTE - 1e-12:
        return True
    if change < MISSING_MIN_CHANGE - 1e-12:
        return False
    low, high = sorted((reference, current))
    return low == 0 or high / low >= MISSING_FACTOR


def missing_rate_finding(
    name: str, reference: ColumnStats, current: ColumnStats, *, alpha: float, seed: int = 0
) -> SchemaFinding | None:
    """Return a ``missing_rate_changed`` finding when the rule above says so, else ``None``."""
    ref_share, cur_share = reference.missing_share, current.missing_share
    if reference.n == 0 or current.n == 0 or not _material(ref_share, cur_share):
        return None
    ref_counts = [reference.n_missing, reference.n - reference.n_missing]
    cur_counts = [current.n_missing, current.n - current.n_missing]
    p_value = count_pvalue("chi2", ref_counts, cur_counts, seed=seed).p_value
    if not p_value < alpha:
        return None
    change = (cur_share - ref_share) * 100
    direction = "rose" if change > 0 else "fell"
    return SchemaFinding(
        column=name,
        kind="missing_rate_changed",
        message=(
            f"The missing share {direction} from {_percent(ref_share)} to "
            f"{_percent(cur_share)} ({change:+.1f} points, chi-squared p = {p_value:.2g}); "
            "the drift test sees only the values present."
        ),
    )


def _percent(share: float) -> str:
    return f"{share * 100:.1f}".removesuffix(".0") + "%"
