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
    from driftpilot._typing import FloatArray, IntArray

__all__ = ["ecdf_difference", "ks_and_wasserstein", "ks_statistic_from_ranks", "left_ranks"]


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


# Block of the reference searched at once: small enough that the slice of the current
# sample it lands in stays in cache, large enough that the Python loop costs nothing.
_SEARCH_BLOCK = 2048


def left_ranks(reference_sorted: FloatArray, current_sorted: FloatArray) -> IntArray:
    """``numpy.searchsorted(current_sorted, reference_sorted, side="left")``, blockwise.

    Both samples are sorted, so each block of the reference lands in a narrow slice of the
    current sample, found by searching the block's first value and the next block's first
    value: each binary search then runs in cache instead of across the whole array.
    """
    n = reference_sorted.size
    if n <= 4 * _SEARCH_BLOCK:
        return np.searchsorted(current_sorted, reference_sorted, side="left")
    out = np.empty(n, dtype=np.intp)
    starts = np.arange(0, n, _SEARCH_BLOCK)
    bounds = np.searchsorted(current_sorted, reference_sorted[starts], side="left").tolist()
    bounds.append(current_sorted.size)
    for k, start in enumerate(starts.tolist()):
        lo, hi = bounds[k], bounds[k + 1]
        stop = start + _SEARCH_BLOCK
        # Every value of this block is below the next block's first value, so its
        # left-sided rank is at most that value's.
        out[start:stop] = np.searchsorted(
            current_sorted[lo:hi], reference_sorted[start:stop], side="left"
        )
        out[start:stop] += lo
    return out


def ks_and_wasserstein(
    reference_sorted: FloatArray, current_sorted: FloatArray
) -> tuple[float, float]:
    """Return the KS statistic and the 1-Wasserstein distance of two sorted samples.

    The statistic is scipy's bit for bit (see :func:`ks_statistic_from_ranks`); the
    distance is ``integral |F_r - F_c| dx``, as ``scipy.stats.wasserstein_distance``
    computes it, to rounding: for equal sizes it is ``mean(|r_(i) - c_(i)|)`` (the
    distance between the two quantile functions); otherwise the pooled sample is built
    from the ranks (no second sort) and the integral summed over it. Both inputs must be
    sorted, finite and non-empty (the callers check).
    """
    left = left_ranks(reference_sorted, current_sorted)
    statistic = ks_statistic_from_ranks(reference_sorted, current_sorted, left)
    n, m = reference_sorted.size, current_sorted.size
    if n == m:
        return statistic, float(np.abs(reference_sorted - current_sorted).sum() / n)
    total = n + m
    is_reference = np.zeros(total, dtype=np.bool_)
    positions = left + np.arange(n)
    is_reference[positions] = True
    pooled = np.empty(total, dtype=np.float64)
    pooled[positions] = reference_sorted
    pooled[~is_reference] = current_sorted
    del positions, left
    count_type = np.int32 if total < 2**31 else np.int64
    count_reference = np.cumsum(is_reference, dtype=count_type)
    del is_reference
    # F_r - F_c on [pooled[p], pooled[p + 1]); at tied values the width is 0.
    difference = count_reference[:-1] / n
    difference -= (np.arange(1, total, dtype=np.float64) - count_reference[:-1]) / m
    np.abs(difference, out=difference)
    return statistic, float(np.dot(difference, np.diff(pooled)))


def ks_statistic_from_ranks(
    reference: FloatArray, current: FloatArray, left: IntArray
) -> float:
    """Return ``sup |F_r - F_c|`` of two sorted samples from the left-sided ranks ``left``.

    ``F_r - F_c`` only jumps up at reference values, so its maximum is reached at one of
    them, and ``F_c - F_r`` at a current value. At the i-th smallest reference value ``F_r``
    is at least ``(i + 1) / n`` and equals it at the last of a run of ties, the value that
    counts for the maximum; ``F_c`` there is the right-sided rank of the value in the
    current sample. Symmetrically at current values. ``left[i] <= j`` exactly when
    ``reference[i] <= current[j]``, so a cumulative count of ``left`` is ``n F_r`` at every
    current value; and the right-sided ranks equal ``left`` unless a value occurs in both
    samples (checked, with a second search only then). These are the divisions scipy
    makes, so the statistic agrees with ``ks_2samp`` bit for bit.
    """
    n, m = reference.size, current.size
    inside = left < m
    shared = bool(np.any(current[left[inside]] == reference[inside]))
    right = np.searchsorted(current, reference, side="right") if shared else left
    above = np.arange(1, n + 1) / n
    above -= right / m
    top = float(above.max())
    del above
    reference_at_or_below = np.cumsum(np.bincount(left, minlength=m + 1)[:m])
    below = np.arange(1, m + 1) / m
    below -= reference_at_or_below / n
    return float(max(top, float(below.max()), 0.0))
