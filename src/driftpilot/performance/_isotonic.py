"""An isotonic calibration map of binary scores, and random maps drawn around it.

The fit is scipy's pool-adjacent-violators (``scipy.optimize.isotonic_regression``) on the
mean outcome of each distinct score, weighted by its number of events (so tied scores are
pooled first, as scikit-learn does). Each block of the fit becomes one knot at its mean
score with its fitted value (Oron and Flournoy's centred isotonic regression), plus the
lowest and the highest score at the ends; ``np.interp`` joins the knots linearly and holds
the end values outside, as scikit-learn's ``IsotonicRegression(out_of_bounds="clip")``.
Between the end knots the map strictly increases, so scores that rank differently keep
different probabilities.

The fitted values carry the noise of a finite reference, shared by every window the map is
applied to, and largest where the reference is sparse (where a shifted window puts its
mass). :func:`sample_maps` draws plausible maps: each block's value from its Jeffreys
posterior ``Beta(k + 1/2, m - k + 1/2)`` (``k`` positives of ``m`` events), made monotone
again with the same weighted isotonic fit. The bootstrap is not used: it is inconsistent for
isotonic regression (Abrevaya and Huang, 2005).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import isotonic_regression

if TYPE_CHECKING:
    from driftpilot._typing import BoolArray, FloatArray

__all__ = ["JEFFREYS_PRIOR", "fit_isotonic", "sample_maps"]

#: Pseudo-count of each outcome in a block's posterior, ``Beta(1/2, 1/2)``.
JEFFREYS_PRIOR = 0.5


def fit_isotonic(
    score: FloatArray, positive: BoolArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return the knots ``(x, y)`` and the ``(events, positives)`` of each block.

    ``x`` and ``y`` have two more entries than there are blocks: the end knots.
    """
    unique, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    weights = counts.astype(np.float64)
    hits = np.bincount(inverse, weights=positive.astype(np.float64), minlength=unique.size)
    fit = isotonic_regression(hits / weights, weights=weights, increasing=True)
    starts = np.asarray(fit.blocks[:-1], dtype=np.int64)
    events = np.add.reduceat(weights, starts)
    positives = np.add.reduceat(hits, starts)
    centres = np.add.reduceat(unique * weights, starts) / events
    values = np.clip(fit.x[starts], 0.0, 1.0)
    x = np.r_[unique[0], centres, unique[-1]].astype(np.float64)
    y = np.r_[values[0], values, values[-1]].astype(np.float64)
    return x, y, events.astype(np.float64), positives.astype(np.float64)


def sample_maps(
    events: FloatArray, positives: FloatArray, size: int, rng: np.random.Generator
) -> FloatArray:
    """Return ``size`` random knot values, one monotone map per row (module docstring)."""
    draws = rng.beta(
        positives + JEFFREYS_PRIOR, events - positives + JEFFREYS_PRIOR, size=(size, events.size)
    )
    rows = [isotonic_regression(row, weights=events, increasing=True).x for row in draws]
    values = np.asarray(rows, dtype=np.float64).reshape(size, events.size)
    return np.concatenate([values[:, :1], values, values[:, -1:]], axis=1)
