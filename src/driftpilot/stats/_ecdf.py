"""One merged pass over two sorted samples: the difference of their empirical CDFs.

Written by hand because scipy has no routine that returns the two ECDFs on the pooled
support: ``ks_2samp`` and ``wasserstein_distance`` each sort and binary-search the pooled
sample again (several passes of ``O(n log n)``). Here the two sorted runs are merged once
with a stable ``argsort`` (timsort finds the two runs and merges them in linear time), and
the cumulative count of reference values is read off at the last element of every run of
tied values, which is where both right-continuous ECDFs are evaluated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from driftpilot._typing import FloatArray

__all__ = ["ecdf_difference"]


def ecdf_difference(
    reference_sorted: FloatArray, current_sorted: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Return the pooled distinct values and ``F_reference - F_current`` at each of them.

    Both inputs must be sorted, non-empty and finite (the callers check). The ECDFs are
    right-continuous, so the difference at ``knots[i]`` holds on ``[knots[i], knots[i+1])``
    and is 0 from the last knot on.
    """
    n_reference = reference_sorted.size
    n_current = current_sorted.size
    pooled = np.concatenate((reference_sorted, current_sorted))
    order = np.argsort(pooled, kind="stable")
    values = pooled[order]
    from_reference = np.cumsum(order < n_reference)
    last_of_run = np.empty(values.size, dtype=np.bool_)
    np.not_equal(values[1:], values[:-1], out=last_of_run[:-1])
    last_of_run[-1] = True
    positions = np.flatnonzero(last_of_run)
    count_reference = from_reference[positions]
    count_current = positions + 1 - count_reference
    # Same operations as scipy's ks_2samp (count / n, then subtract), so the KS statistic
    # agrees bit for bit.
    difference = count_reference / n_reference - count_current / n_current
    return values[positions], difference
