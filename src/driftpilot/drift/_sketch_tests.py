"""Sample tests read off quantile sketches, made conservative by the sketches' error bound.

When a side is a profile, ``ks``, ``wasserstein`` and ``wasserstein_norm`` are computed from
the two empirical or sketched CDFs on a grid of ``_GRID`` quantiles of each side. The error
bound of the CDF difference is the sum of the two sides' sketch rank errors plus the grid
step; for the Wasserstein distances it is that sum times the range of the data (divided by
the scale for the normalised one).

Every verdict taken from a sketch is conservative, so sketch error is never reported as
drift: the KS p-value is that of the statistic minus its bound (the smallest statistic the
sketches allow), and the effect size of a Wasserstein distance is the distance minus its
bound. Sketch error dwarfs sampling noise on large samples, so the estimates' own values
would call sketch error drift (heavy-tailed A/A columns were flagged in 20-50% of data sets
when the bound was ignored).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from driftpilot.drift._sources import NumericData
from driftpilot.stats import ks_pvalue

__all__ = ["SketchedSamples", "sketched_samples"]

_GRID = 2001


@dataclass(frozen=True, slots=True, kw_only=True)
class SketchedSamples:
    """KS and Wasserstein estimates from sketches, with their bounds and conservative forms.

    ``ks_p_value`` is the p-value of ``max(ks - ks_bound, 0)``; ``wasserstein_norm_low`` and
    ``wasserstein_low`` are the distances minus their bounds, at least 0.
    """

    ks: float
    ks_bound: float
    ks_p_value: float
    wasserstein: float
    wasserstein_bound: float
    scale: float

    @property
    def wasserstein_low(self) -> float:
        return max(self.wasserstein - self.wasserstein_bound, 0.0)

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
    """Compare two numeric sides of which at least one is a sketch."""
    ranks = np.linspace(0.0, 1.0, _GRID)
    points = np.unique(np.concatenate([reference.quantiles(ranks), current.quantiles(ranks)]))
    gap = np.asarray(reference.cdf(points) - current.cdf(points), dtype=np.float64)
    cdf_bound = reference.rank_error + current.rank_error + 1.0 / (_GRID - 1)
    statistic = float(np.max(np.abs(gap))) if gap.size else 0.0
    p_value = ks_pvalue(max(statistic - cdf_bound, 0.0), reference.n_valid, current.n_valid)
    low = min(reference.bounds[0], current.bounds[0])
    high = max(reference.bounds[1], current.bounds[1])
    distance = float(np.sum(np.abs(gap[:-1]) * np.diff(points))) if points.size > 1 else 0.0
    return SketchedSamples(
        ks=statistic,
        ks_bound=cdf_bound,
        ks_p_value=p_value,
        wasserstein=distance,
        wasserstein_bound=cdf_bound * (high - low),
        scale=reference.scale or 1.0,
    )
