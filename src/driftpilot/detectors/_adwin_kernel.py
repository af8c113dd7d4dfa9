"""ADWIN's update loop over arrays, compiled with numba when it is installed.

:class:`~driftpilot.detectors.ADWIN` keeps its buckets in Python lists and runs ``update`` in
Python; ``update_many`` copies the buckets into arrays, runs :func:`run` over the whole batch
and copies them back. :func:`run` performs the floating-point operations of ``ADWIN.update``
in the same order, so compiled or not it gives the same bits. numba is optional (the ``fast``
extra): without it ``update_many`` loops over ``update`` in Python, with the same results.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

__all__ = ["MAX_LEVELS", "compiled", "run"]

#: Bucket levels the arrays hold: a window of fewer than 2**63 values never needs more.
MAX_LEVELS = 64

#: Set to ``1`` to ignore an installed numba (the Python loop runs instead).
DISABLE_ENV = "DRIFTPILOT_NO_NUMBA"


def run(
    xs: np.ndarray,
    totals: np.ndarray,
    variances: np.ndarray,
    counts: np.ndarray,
    scalars: np.ndarray,
    ints: np.ndarray,
    delta: float,
    clock: int,
    max_buckets: int,
    min_len: int,
    grace: int,
    flags: np.ndarray,
) -> int:
    """Feed ``xs``; update the state arrays in place and return the number of detections.

    ``scalars`` holds (width, total, variance); ``ints`` holds (number of levels, tick,
    drift flag of the last update). ``flags[j]`` is set where update ``j`` flagged drift.
    """
    width, total, variance = scalars[0], scalars[1], scalars[2]
    n_levels, tick, drift = ints[0], ints[1], ints[2]
    n_detections = 0
    for j in range(xs.shape[0]):
        value = xs[j]
        if drift:
            n_levels = 1
            counts[0] = 0
            width = 0.0
            total = 0.0
            variance = 0.0
            tick = 0
            drift = 0
        # insert into level 0
        c0 = counts[0]
        totals[0, c0] = value
        variances[0, c0] = 0.0
        counts[0] = c0 + 1
        width += 1.0
        if width > 1.0:
            delta_v = value - total / (width - 1.0)
            variance += (width - 1.0) * delta_v * delta_v / width
        total += value
        # compress: merge the two oldest buckets of an overflowing level, cascading upwards
        i = 0
        while counts[i] == max_buckets + 1:
            size = float(1 << i)
            t0 = totals[i, 0]
            t1 = totals[i, 1]
            mu0 = t0 / size
            mu1 = t1 / size
            merged = variances[i, 0] + variances[i, 1] + size * 0.5 * (mu0 - mu1) * (mu0 - mu1)
            if i + 1 == n_levels:
                n_levels += 1
                counts[i + 1] = 0
            k = counts[i + 1]
            totals[i + 1, k] = t0 + t1
            variances[i + 1, k] = merged
            counts[i + 1] = k + 1
            m = counts[i]
            for q in range(2, m):
                totals[i, q - 2] = totals[i, q]
                variances[i, q - 2] = variances[i, q]
            counts[i] = m - 2
            if counts[i + 1] <= max_buckets:
                break
            i += 1
        # check every `clock` updates once the window is past the grace period
        tick += 1
        if tick % clock != 0 or width <= grace:
            continue
        shrinking = True
        while shrinking:
            shrinking = False
            # find a cut: walk the bucket boundaries from the oldest value on
            found = False
            n0, n1, u0, u1 = 0.0, width, 0.0, total
            # (a one-value window has no cut to test: log(log(1)) would fail in Python)
            delta_prime = math.log(2.0 * math.log(width) / delta) if width > 1.0 else 0.0
            for level in range(n_levels - 1, -1, -1):
                size = float(1 << level)
                last = counts[level] - 1
                for k in range(counts[level]):
                    n0 += size
                    n1 -= size
                    u0 += totals[level, k]
                    u1 -= totals[level, k]
                    if level == 0 and k == last:
                        break
                    if n1 >= min_len and n0 >= min_len:
                        m_recip = 1.0 / (n0 - min_len + 1.0) + 1.0 / (n1 - min_len + 1.0)
                        radicand = 2.0 * m_recip * (variance / width) * delta_prime
                        if radicand >= 0.0:
                            epsilon = math.sqrt(radicand) + 2.0 / 3.0 * delta_prime * m_recip
                            if abs(u0 / n0 - u1 / n1) > epsilon:
                                found = True
                                break
                if found:
                    break
            if found:
                drift = 1
                shrinking = True
                # drop the oldest bucket
                top = n_levels - 1
                size = float(1 << top)
                bucket_total = totals[top, 0]
                bucket_variance = variances[top, 0]
                mu = bucket_total / size
                width -= size
                total -= bucket_total
                mu_window = total / width
                variance -= bucket_variance + size * width * (mu - mu_window) * (mu - mu_window) / (
                    size + width
                )
                m = counts[top]
                for q in range(1, m):
                    totals[top, q - 1] = totals[top, q]
                    variances[top, q - 1] = variances[top, q]
                counts[top] = m - 1
                if m == 1:
                    n_levels -= 1
        if drift:
            flags[j] = True
            n_detections += 1
    scalars[0], scalars[1], scalars[2] = width, total, variance
    ints[0], ints[1], ints[2] = n_levels, tick, drift
    return n_detections


@cache
def compiled() -> Callable[..., Any] | None:
    """Return :func:`run` compiled by numba, or ``None`` without numba (or when disabled)."""
    if os.environ.get(DISABLE_ENV) == "1":
        return None
    try:
        import numba  # optional: imported on the first long batch only
    except ImportError:
        return None
    jitted: Callable[..., Any] = numba.njit(cache=True, nogil=True)(run)
    return jitted
