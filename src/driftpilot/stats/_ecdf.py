"""One merged pass over two sorted samples: the difference of their empirical CDFs.

Written by hand because scipy has no routine that returns the two ECDFs on the pooled
support: ``ks_2samp`` and ``wasserstein_distance`` each sort and binary-search the pooled
sample again (several passes of ``O(n log n)``). Here the two sorted runs are merged once
with a stable ``argsort`` (timsort finds the two runs and merges them in linear time), and
the cumulative count of reference values is read off at the last element of every run of
tied values, which is where both right-continuous ECDFs are evaluated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

    from driftpilot._typing import FloatArray, IntArray

__all__ = ["ecdf_difference", "ks_and_wasserstein", "ks_statistic_sorted"]


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


# Block of the reference handled at once: small enough that its temporaries and the slice
# of the current sample it lands in stay in cache, large enough that the Python loop costs
# nothing next to the arithmetic.
_BLOCK = 4096


def ks_statistic_sorted(
    reference: FloatArray, current: FloatArray, *, keep_ranks: bool = False
) -> tuple[float, IntArray | None]:
    """Return ``sup |F_r - F_c|`` of two sorted samples, equal to scipy's bit for bit.

    With ``keep_ranks``, also ``left = searchsorted(current, reference, side="left")``.

    ``F_r - F_c`` only jumps up at reference values, so its maximum is reached at one of
    them, and ``F_c - F_r`` at a current value. At the i-th smallest reference value
    ``F_r`` is at least ``(i + 1) / n`` (equal at the last of a run of ties, the value that
    counts for the maximum) and ``F_c`` is the right-sided rank of the value in the current
    sample divided by ``m``. At the j-th smallest current value, ``F_c`` is at least
    ``(j + 1) / m`` and ``n F_r`` is the number of reference values ``<= current[j]``,
    which is constant between two consecutive values of ``left``; so the largest
    ``F_c - F_r`` is reached at ``j = left[k] - 1`` for some ``k``, where it is
    ``left[k] / m - k / n`` (at the first ``k`` of a run of equal ``left``, which the
    maximum picks), or at ``j = m - 1``. The right-sided ranks equal ``left`` unless a
    value occurs in both samples (checked per block, searched again only then).

    The samples are handled in blocks of ``_BLOCK`` reference values: each block lands in
    a narrow slice of the current sample (found by searching the block's first value and
    the next block's), so every binary search and temporary stays in cache. The divisions
    are the ones scipy makes (``count / n``, then subtract), hence the same bits.
    """
    n, m = reference.size, current.size
    left_all = np.empty(n, dtype=np.intp) if keep_ranks else None
    starts = list(range(0, n, _BLOCK))
    bounds = np.searchsorted(current, reference[starts], side="left").tolist()
    bounds.append(m)
    above_max, below_max = -np.inf, -np.inf
    for k, start in enumerate(starts):
        stop = min(start + _BLOCK, n)
        lo, hi = bounds[k], bounds[k + 1]
        # Every value of this block is <= the next block's first value, so its left rank is
        # at most that value's; its right rank can reach further when they tie.
        block = reference[start:stop]
        window = current[lo:hi]
        left = np.searchsorted(window, block, side="left")
        left += lo
        inside = left < m
        if bool(np.any(current[left[inside]] == block[inside])):
            right = np.searchsorted(current[lo:], block, side="right")
            right += lo
        else:
            right = left
        index = np.arange(start + 1, stop + 1, dtype=np.float64)
        above = index / n
        above -= right / m
        above_max = max(above_max, float(above.max()))
        index -= 1.0
        below = left / m
        below -= index / n
        below_max = max(below_max, float(below.max()))
        if left_all is not None:
            left_all[start:stop] = left
    # j = m - 1: F_c = 1 and n F_r = the number of reference values <= current[-1].
    at_or_below_last = int(np.searchsorted(reference, current[-1], side="right"))
    below_max = max(below_max, m / m - at_or_below_last / n)
    return float(max(above_max, below_max, 0.0)), left_all


def ks_and_wasserstein(
    reference_sorted: FloatArray, current_sorted: FloatArray
) -> tuple[float, float]:
    """Return the KS statistic and the 1-Wasserstein distance of two sorted samples.

    The statistic is scipy's bit for bit (:func:`ks_statistic_sorted`); the distance is
    ``integral |F_r - F_c| dx``, as ``scipy.stats.wasserstein_distance`` computes it, to
    rounding: for equal sizes it is ``mean(|r_(i) - c_(i)|)`` (the distance between the
    two quantile functions); otherwise the pooled sample is built from the ranks (no
    second sort) and the integral summed over it. Both inputs must be sorted, finite and
    non-empty (the callers check).
    """
    n, m = reference_sorted.size, current_sorted.size
    statistic, left = ks_statistic_sorted(reference_sorted, current_sorted, keep_ranks=n != m)
    if left is None:
        total_abs = 0.0
        for start in range(0, n, 16 * _BLOCK):
            stop = start + 16 * _BLOCK
            gap = reference_sorted[start:stop] - current_sorted[start:stop]
            total_abs += float(np.abs(gap, out=gap).sum())
        return statistic, total_abs / n
    total = n + m
    is_reference = np.zeros(total, dtype=np.bool_)
    positions = left + np.arange(n)
    is_reference[positions] = True
    pooled = np.empty(total, dtype=np.float64)
    pooled[positions] = reference_sorted
    pooled[~is_reference] = current_sorted
    del positions, left
    count_type = np.int32 if total < 2**31 else np.int64
    count_reference: npt.NDArray[np.signedinteger[Any]] = np.cumsum(is_reference, dtype=count_type)
    del is_reference
    # F_r - F_c on [pooled[p], pooled[p + 1]); at tied values the width is 0.
    difference = count_reference[:-1] / n
    difference -= (np.arange(1, total, dtype=np.float64) - count_reference[:-1]) / m
    np.abs(difference, out=difference)
    return statistic, float(np.dot(difference, np.diff(pooled)))
