"""Mean and sum of squared deviations of a sample, and their exact pairwise merge.

The merge is Chan, Golub and LeVeque's update, written symmetrically (the mean as a
weighted average) so that merging ``a`` into ``b`` and ``b`` into ``a`` give the same bits.

References
----------
.. [1] Chan, T. F., Golub, G. H. and LeVeque, R. J. (1979). Updating formulae and a
   pairwise algorithm for computing sample variances. Stanford CS report STAN-CS-79-773.
"""

from __future__ import annotations

import numpy as np

from driftpilot._typing import FloatArray

__all__ = ["merge_moments", "moments"]


def moments(x: FloatArray, magnitude: float) -> tuple[float | None, float]:
    """Return the mean (``None`` if empty) and the sum of squared deviations, in two passes.

    ``magnitude`` is the largest absolute value; near float64's limit the mean is taken on
    scaled values so it cannot overflow. The sum may still be ``inf``, when the spread is.
    """
    if not x.size:
        return None, 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        if magnitude > 1e300:
            mean = float(np.mean(x / magnitude)) * magnitude
        else:
            mean = float(np.mean(x))
        deviations = x - mean
        return mean, float(np.dot(deviations, deviations))


def merge_moments(
    a: tuple[int, float | None, float], b: tuple[int, float | None, float]
) -> tuple[float | None, float]:
    """Merge ``(count, mean, m2)`` of two samples into the mean and m2 of both."""
    na, mean_a, m2_a = a
    nb, mean_b, m2_b = b
    if mean_b is None or nb == 0:
        return mean_a, m2_a
    if mean_a is None or na == 0:
        return mean_b, m2_b
    n = na + nb
    delta = mean_b - mean_a
    mean = (na * mean_a + nb * mean_b) / n
    return mean, (m2_a + m2_b) + delta * delta * (na * nb / n)
