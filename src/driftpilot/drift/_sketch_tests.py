"""Sample tests read off profiles, made conservative by what the profiles leave unknown.

When a side is a profile, ``ks``, ``wasserstein`` and ``wasserstein_norm`` are computed
from a *band* per side: at every point ``x``, a lower and an upper bound of the side's CDF.

* Raw data: the exact empirical CDF (a band of width 0).
* An exact quantile grid (a summary of more than ``kll_k`` values built from the data,
  ``driftpilot.profile.grid``): between two grid points the CDF lies between the exact
  counts at the two ends, with certainty; the band is at most ``1 / quantile_grid`` wide,
  and 0 wide where the data has no value between two points.
* A KLL sketch (a merged window, or a file of schema version 1): the sketch's estimate
  plus or minus its rank error (99 % confidence), exactly 0 below the minimum and 1 at the
  maximum.

All three are step functions, so their extremes and integrals are exact on the union of
their breakpoints. From the two bands:

* ``ks`` is the largest gap between the bands' middles; it is within ``ks_bound`` (the
  largest sum of the two half-widths) of the KS statistic of the data the profiles
  describe. ``ks_low`` is the smallest KS statistic the bands allow, at least
  ``ks - ks_bound``, and the p-value is that of ``ks_low`` by the rule raw data gets
  (exact up to ``MAX_AUTO_N`` values a side, asymptotic past it): never more significant
  than the data's own.
* ``wasserstein`` integrates the gap between the middles; ``wasserstein_bound`` integrates
  the sum of the half-widths, and ``wasserstein_low`` the smallest gap the bands allow.
  The effect size of a Wasserstein test from a profile is ``wasserstein_low`` (or its
  normalised form), so profile error is never reported as drift. Because a grid keeps the
  tails' extreme order statistics too, its band is narrow exactly where a heavy tail
  spreads far, and the bound stays a small part of the distance between heavy-tailed
  samples (with a bound of rank error times the range, heavy-tailed A/A columns were
  flagged in 20-50 % of data sets, and no shift was found).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from driftpilot._typing import FloatArray
from driftpilot.drift._sources import NumericData
from driftpilot.stats import MAX_AUTO_N, ks_pvalue

__all__ = ["SketchedSamples", "sketched_samples"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SketchedSamples:
    """KS and Wasserstein estimates from profiles, with their bounds and conservative forms.

    ``ks_p_value`` is the p-value of ``ks_low``; ``wasserstein_low`` is the smallest
    distance the profiles allow (at least ``wasserstein - wasserstein_bound``).
    """

    ks: float
    ks_bound: float
    ks_low: float
    ks_p_value: float
    wasserstein: float
    wasserstein_bound: float
    wasserstein_low: float
    scale: float

    @property
    def wasserstein_norm(self) -> float:
        return self.wasserstein / self.scale

    @property
    def wasserstein_norm_bound(self) -> float:
        return self.wasserstein_bound / self.scale

    @property
    def wasserstein_norm_low(self) -> float:
        return self.wasserstein_low / self.scale


def sketched_samples(reference: NumericData, current: NumericData) -> SketchedSamples:
    """Compare two numeric sides of which at least one is a profile."""
    points = np.unique(np.concatenate([_breakpoints(reference), _breakpoints(current)]))
    low_r, high_r = _band(reference, points)
    low_c, high_c = _band(current, points)
    middle_gap = np.abs((low_r + high_r) - (low_c + high_c)) / 2
    low_gap = np.maximum(np.maximum(low_r - high_c, low_c - high_r), 0.0)
    half_widths = ((high_r - low_r) + (high_c - low_c)) / 2
    ks = float(middle_gap.max())
    ks_low = float(low_gap.max())
    lengths = _lengths(points)
    return SketchedSamples(
        ks=ks,
        ks_bound=float(half_widths.max()),
        ks_low=ks_low,
        ks_p_value=_ks_p_value(ks_low, reference.n_valid, current.n_valid),
        wasserstein=_integral(middle_gap, lengths),
        wasserstein_bound=_integral(half_widths, lengths),
        wasserstein_low=_integral(low_gap, lengths),
        scale=reference.scale or 1.0,
    )


def _ks_p_value(low: float, n: int, m: int) -> float:
    """Return the p-value of ``low`` by the rule raw data gets.

    Exact up to ``MAX_AUTO_N`` values a side (on ``low`` rounded down to a value the
    statistic can take, ``k / lcm(n, m)``, since the exact routine rounds to the nearest
    one), asymptotic past it: never below the p-value of any statistic at least ``low``.
    """
    if max(n, m) > MAX_AUTO_N:
        return ks_pvalue(low, n, m)
    lcm = n * m // math.gcd(n, m)
    attainable = min(math.floor(low * lcm + 1e-9) / lcm, 1.0)
    return ks_pvalue(attainable, n, m, method="auto")


def _breakpoints(side: NumericData) -> FloatArray:
    """Return the points where the side's band can change.

    Its lower and upper bounds are constant from each one up to the next.
    """
    if side.sorted_values is not None:
        return side.sorted_values
    summary = side.summary
    assert summary is not None
    if summary.grid is not None:
        return summary.grid.values
    values, _ = summary.weighted_sample()
    low, high = side.bounds
    return np.concatenate([values, [low, high]])


def _band(side: NumericData, points: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return lower and upper bounds of the side's CDF on ``[points[k], points[k + 1])``."""
    if side.sorted_values is not None:
        exact = np.searchsorted(side.sorted_values, points, side="right") / side.n_valid
        return exact, exact
    summary = side.summary
    assert summary is not None
    if summary.grid is not None:
        return summary.grid.band(points)
    values, weights = summary.weighted_sample()
    cumulative = np.concatenate([[0], np.cumsum(weights)])
    estimate = cumulative[np.searchsorted(values, points, side="right")] / side.n_valid
    error = summary.rank_error
    low_value, high_value = side.bounds
    low = np.where(points >= high_value, 1.0, np.maximum(estimate - error, 0.0))
    high = np.where(points < low_value, 0.0, np.minimum(estimate + error, 1.0))
    low = np.where(points < low_value, 0.0, low)
    high = np.where(points >= high_value, 1.0, high)
    return low, high


def _lengths(points: FloatArray) -> FloatArray:
    with np.errstate(over="ignore"):
        return np.diff(points)


def _integral(gap: FloatArray, lengths: FloatArray) -> float:
    """Return ``sum(gap * length)`` over the cells.

    A zero gap adds nothing even on an infinite cell (two values near +/-1.8e308 are more
    than the largest float apart).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        parts = np.where(gap[:-1] > 0, gap[:-1] * lengths, 0.0)
        return float(np.sum(parts))
