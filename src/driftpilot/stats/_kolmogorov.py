"""The survival function of the two-sided one-sample KS statistic, fast for large ``n``.

``scipy.stats.kstwo.sf(d, n)`` is the asymptotic p-value of the two-sample KS test. For
``140 < n <= 1e6`` and ``2.2 <= n d**2 < 370`` scipy evaluates it as ``2 * smirnov(n, d)``,
summing all ``n (1 - d)`` terms of the Smirnov-Birnbaum-Tingey formula one by one in C: up
to seconds a column near ``n = 1e6`` (above ``1e6`` scipy switches to an asymptotic series
and is fast). That region is exactly where a drifted column lands (p-values from 0.025
down to 1e-160), so :func:`kstwo_sf` computes the same sum here in log space with numpy:

* each term's logarithm is written without the large cancelling parts (``log C(n, j)`` and
  the two powers each reach ``n log 2``; their sum is ``O(n d)``), with Stirling's series
  for the factorials, so a term keeps a relative error near ``1e-13``;
* the terms form one smooth bump in ``j``; terms below ``e**-46`` of the largest are
  dropped, and when the bump is far from both ends of the range and wide, it is summed on
  every ``h``-th index times ``h`` (the trapezoid rule on a smooth function that vanishes
  at both ends, whose error falls like ``exp(-2 pi**2 (width / h)**2)``; the width is
  kept above 400 steps).

Everywhere else the scipy routine is fast and is called as is. Agreement with scipy is
tested on a grid of ``n`` and ``d`` to a relative ``1e-9`` (``tests/stats/test_ks.py``);
the largest relative difference seen on that grid is below ``1e-11``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from driftpilot._typing import FloatArray

__all__ = ["kstwo_sf"]

# scipy's branch that sums terms one by one (scipy.stats._ksstats._kolmogn, cephes smirnov).
_SUM_MIN_N = 141
_SUM_MAX_N = 1_000_000
_SUM_MIN_NX2 = 2.2
_SUM_MAX_NX2 = 370.0
# Terms below exp(-_CUTOFF) of the largest add less than 1e-15 relative to the sum.
_CUTOFF = 46.0
# Points per bump for the trapezoid rule (error ~ exp(-2 pi^2 400^2 / width_in_sigmas^2)).
_MIN_POINTS = 4000
_COARSE_POINTS = 4096


def kstwo_sf(d: float, n: int) -> float:
    """Return ``scipy.stats.kstwo.sf(d, n)`` (to a relative ``1e-9``), clipped to ``[0, 1]``."""
    nx2 = n * d * d
    if _SUM_MIN_N <= n <= _SUM_MAX_N and _SUM_MIN_NX2 <= nx2 < _SUM_MAX_NX2 and d < 0.5:
        return min(max(2.0 * _smirnov(n, d), 0.0), 1.0)
    from scipy import stats

    return min(max(float(stats.kstwo.sf(d, n)), 0.0), 1.0)


def _stirling_rest(k: FloatArray) -> FloatArray:
    """``lgamma(k + 1) - (k log k - k + log(2 pi k) / 2)`` for ``k >= 1``."""
    out = np.empty_like(k)
    small = k < 30
    if np.any(small):
        from scipy import special

        ks = k[small]
        stirling = ks * np.log(ks) - ks + 0.5 * np.log(2 * np.pi * ks)
        out[small] = special.gammaln(ks + 1.0) - stirling
    big = k[~small]
    inv = 1.0 / big
    inv2 = inv * inv
    out[~small] = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)))
    return out


def _log_terms(n: int, x: float, j: FloatArray) -> FloatArray:
    """Log of the Smirnov-Birnbaum-Tingey terms ``C(n,j) (1-x-j/n)**(n-j) (x+j/n)**(j-1)``.

    For ``1 <= j <= n - 1``; rearranged as ``log n - log j + (n-j) log1p(-nx/(n-j)) +
    (j-1) log1p(nx/j) + log(n / (2 pi j (n-j))) / 2`` plus Stirling remainders.
    """
    nx = n * x
    rest = n - j
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = rest * np.log1p(-nx / rest)
    upper = np.where(nx >= rest, -np.inf, upper)  # (1 - x - j/n) is 0 at the last term
    nn = np.array([float(n)])
    logs: FloatArray = (
        math.log(n)
        - np.log(j)
        + upper
        + (j - 1.0) * np.log1p(nx / j)
        + 0.5 * np.log(n / (2 * np.pi * j * rest))
        + _stirling_rest(nn)[0]
        - _stirling_rest(j)
        - _stirling_rest(rest)
    )
    return logs


def _smirnov(n: int, x: float) -> float:
    """``P(D_n^+ >= x)`` by the Smirnov-Birnbaum-Tingey sum (``scipy.special.smirnov``)."""
    last = math.floor(n * (1.0 - x))
    # j = 0 separately: (1 - x)**n / x.
    first = n * math.log1p(-x) - math.log(x)
    if last < 1:
        return x * math.exp(first)
    step = max(1, last // _COARSE_POINTS)
    coarse = np.arange(1, last + 1, step, dtype=np.float64)
    if coarse[-1] != last:
        coarse = np.append(coarse, float(last))
    coarse_logs = _log_terms(n, x, coarse)
    peak = max(float(coarse_logs.max()), first)
    keep = np.flatnonzero(coarse_logs > peak - _CUTOFF)
    lo = int(coarse[max(int(keep[0]) - 1, 0)]) if keep.size else 1
    hi = int(coarse[min(int(keep[-1]) + 1, coarse.size - 1)]) if keep.size else 1
    interior = lo > 1 and hi < last and first < peak - _CUTOFF
    width = hi - lo
    h = max(1, width // _MIN_POINTS) if interior else 1
    total = math.exp(first - peak)
    j = np.arange(lo, hi + 1, h, dtype=np.float64)
    total += h * float(np.exp(_log_terms(n, x, j) - peak).sum())
    return math.exp(peak + math.log(x * total))
