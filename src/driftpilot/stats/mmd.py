"""Maximum mean discrepancy with a Gaussian kernel and a permutation p-value.

Written by hand: scipy has no MMD, and the libraries that do (alibi-detect, torch-two-sample)
pull in deep-learning frameworks. The pooled kernel matrix is computed once; each
permutation is an indicator vector of the rows it assigns to the reference, and the
statistics of a block of permutations come from one matrix product with the kernel matrix.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

import numpy as np

from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.stats._result import TestResult
from driftpilot.stats._validation import check_finite, check_int

if TYPE_CHECKING:
    import numpy.typing as npt

    from driftpilot._typing import FloatArray, Seed

__all__ = ["MMD_MAX_ROWS", "mmd"]

#: Largest pooled sample :func:`mmd` accepts: its kernel matrix alone takes 800 MB.
MMD_MAX_ROWS = 10_000
_MEDIAN_SUBSAMPLE = 2_000
_PERMUTATION_BLOCK = 64


def mmd(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    *,
    n_permutations: int = 500,
    seed: Seed = None,
    bandwidth: float | None = None,
) -> TestResult:
    """Run the kernel two-sample test on the maximum mean discrepancy.

    The statistic is the unbiased estimate of the squared MMD with the Gaussian kernel
    ``k(x, y) = exp(-||x - y||**2 / (2 * bandwidth**2))``; it can be slightly negative.

    Parameters
    ----------
    reference, current
        Finite samples of shape ``(n, d)`` and ``(m, d)`` (1-D arrays are read as
        ``d = 1``), at least 2 rows each and at most ``MMD_MAX_ROWS`` rows pooled.
    n_permutations
        Number of random relabellings of the pooled sample, at least 1.
    seed
        Seed or generator for the permutations and the bandwidth's subsample, resolved
        once with ``numpy.random.default_rng``.
    bandwidth
        Kernel width, positive. By default the median heuristic: the median Euclidean
        distance between distinct rows of the pooled sample (of a random subsample of
        2000 rows when it is larger); if that median is 0 (mostly tied rows), the median
        of the non-zero distances, or 1.0 if all rows are equal.

    Returns
    -------
    TestResult
        ``method="mmd"``, the statistic, the permutation p-value ``(b + 1) / (B + 1)``
        where ``b`` of the ``B`` permuted statistics are at least the observed one (so it
        is never 0), and ``details`` with ``bandwidth`` and ``n_permutations``.

    Raises
    ------
    InsufficientDataError
        If a sample has fewer than 2 rows.
    InvalidParameterError
        If a sample is not finite, the numbers of columns differ, or the pooled sample has
        more than ``MMD_MAX_ROWS`` rows (subsample it first).

    References
    ----------
    .. [1] Gretton, A., Borgwardt, K. M., Rasch, M. J., Scholkopf, B. and Smola, A. (2012).
       A kernel two-sample test. Journal of Machine Learning Research, 13, 723-773.

    Examples
    --------
    >>> import numpy as np
    >>> from driftpilot.stats import mmd
    >>> rng = np.random.default_rng(0)
    >>> result = mmd(rng.normal(size=(50, 2)), rng.normal(1.0, size=(50, 2)), seed=0)
    >>> result.statistic > 0, result.p_value < 0.01
    (True, True)
    """
    ref = _as_rows(reference, "reference")
    cur = _as_rows(current, "current")
    if ref.shape[1] != cur.shape[1]:
        msg = (
            "The 'reference' and 'current' arguments of mmd must have the same number of "
            f"columns. Got {ref.shape[1]} and {cur.shape[1]} instead."
        )
        raise InvalidParameterError(msg)
    n_total = ref.shape[0] + cur.shape[0]
    if n_total > MMD_MAX_ROWS:
        msg = (
            f"The pooled sample of mmd must have at most {MMD_MAX_ROWS} rows. Got {n_total} "
            "instead; subsample reference and current first."
        )
        raise InvalidParameterError(msg)
    n_permutations = check_int(n_permutations, name="n_permutations", func="mmd", minimum=1)
    if bandwidth is not None and (
        isinstance(bandwidth, bool)
        or not isinstance(bandwidth, numbers.Real)
        or not math.isfinite(bandwidth)
        or bandwidth <= 0
    ):
        msg = (
            "The 'bandwidth' parameter of mmd must be a positive number or None. "
            f"Got {bandwidth!r} instead."
        )
        raise InvalidParameterError(msg)
    rng = np.random.default_rng(seed)
    pooled = np.concatenate((ref, cur))
    width = float(bandwidth) if bandwidth is not None else _median_heuristic(pooled, rng)

    from scipy.spatial import distance as scipy_distance

    kernel = scipy_distance.cdist(pooled, pooled, "sqeuclidean")
    # Divide by the width twice rather than by its square, which underflows to 0 for
    # tiny widths (values around 1e-155) and would turn the kernel into NaN. Far points
    # may overflow to inf on the way, which exp maps to the right kernel value, 0.
    with np.errstate(over="ignore"):
        kernel /= width
        kernel /= width
    kernel *= -0.5
    np.exp(kernel, out=kernel)

    n, m = ref.shape[0], cur.shape[0]
    statistic = _block_statistic(kernel, n)
    row_sums = kernel.sum(axis=1)
    total = float(row_sums.sum())
    observed = np.zeros((n_total, 1))
    observed[:n] = 1.0
    threshold = _indicator_statistics(kernel, row_sums, total, observed, n, m)[0]
    exceed = 0
    remaining = n_permutations
    while remaining:
        block = min(remaining, _PERMUTATION_BLOCK)
        ranks = rng.random((n_total, block)).argsort(axis=0)
        indicators = (ranks < n).astype(np.float64)
        permuted = _indicator_statistics(kernel, row_sums, total, indicators, n, m)
        exceed += int(np.count_nonzero(permuted >= threshold))
        remaining -= block
    return TestResult(
        method="mmd",
        statistic=statistic,
        p_value=(exceed + 1) / (n_permutations + 1),
        n_reference=n,
        n_current=m,
        details={"bandwidth": width, "n_permutations": float(n_permutations)},
    )


def _as_rows(values: npt.ArrayLike, name: str) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        msg = f"The {name!r} argument of mmd must be an array of numbers. Got {err} instead."
        raise InvalidParameterError(msg) from err
    if array.ndim == 1:
        array = array[:, np.newaxis]
    if array.ndim != 2:
        msg = (
            f"The {name!r} argument of mmd must be a 1-D or 2-D array. "
            f"Got an array of shape {array.shape} instead."
        )
        raise InvalidParameterError(msg)
    if array.shape[0] < 2:
        msg = f"The {name!r} argument of mmd must have at least 2 rows. Got {array.shape[0]}."
        raise InsufficientDataError(msg)
    check_finite(array, name=name, func="mmd")
    return array


def _median_heuristic(pooled: FloatArray, rng: np.random.Generator) -> float:
    if pooled.shape[0] > _MEDIAN_SUBSAMPLE:
        pooled = pooled[rng.choice(pooled.shape[0], size=_MEDIAN_SUBSAMPLE, replace=False)]
    from scipy.spatial import distance as scipy_distance

    distances = scipy_distance.pdist(pooled, "euclidean")
    median = float(np.median(distances))
    if median > 0.0:
        return median
    positive = distances[distances > 0.0]
    return float(np.median(positive)) if positive.size else 1.0


def _block_statistic(kernel: FloatArray, n: int) -> float:
    """Unbiased squared MMD from the blocks of the pooled kernel matrix (reference first)."""
    m = kernel.shape[0] - n
    within_reference = kernel[:n, :n].sum() - np.trace(kernel[:n, :n])
    within_current = kernel[n:, n:].sum() - np.trace(kernel[n:, n:])
    between = kernel[:n, n:].sum()
    return float(
        within_reference / (n * (n - 1)) + within_current / (m * (m - 1)) - 2.0 * between / (n * m)
    )


def _indicator_statistics(
    kernel: FloatArray,
    row_sums: FloatArray,
    total: float,
    indicators: FloatArray,
    n: int,
    m: int,
) -> FloatArray:
    """Unbiased squared MMD for each column of ``indicators`` (1 marks a reference row).

    With ``a`` the indicator, ``q = a'Ka`` and ``s = a'K1``: the reference block sums to
    ``q``, the current block to ``total - 2s + q`` and the cross block to ``s - q``; the
    diagonal of the Gaussian kernel is 1.
    """
    quadratic: FloatArray = np.einsum("ij,ij->j", indicators, kernel @ indicators)
    linear = row_sums @ indicators
    statistics: FloatArray = (
        (quadratic - n) / (n * (n - 1))
        + (total - 2.0 * linear + quadratic - m) / (m * (m - 1))
        - 2.0 * (linear - quadratic) / (n * m)
    )
    return statistics
