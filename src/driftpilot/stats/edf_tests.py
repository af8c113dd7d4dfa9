"""Two-sample tests on the whole empirical distribution: Anderson-Darling, Cramer-von Mises.

Without ties both delegate to scipy; this module fixes the variant, maps scipy's errors to
ours and records what scipy only says in a warning (a capped Anderson-Darling p-value).

With ties (integers, rounded values, a spike at zero) scipy's p-values are wrong: its
Cramer-von Mises p-value assumes continuous data (identical constant columns get p = 1.6e-7)
and its Anderson-Darling table, built for continuous data, rejects about twice as often as
it should on a few distinct values. There the p-value is a permutation p-value instead: the
statistic is a function of how many values of each sample sit at each distinct value, and
shuffling the rows between the samples draws those counts from the multivariate
hypergeometric distribution (``stats.nulls.conditional_draws``), ``O(distinct values)`` per
draw. The p-value follows Besag and Clifford's sequential rule (``stats.nulls``), from a
seeded generator.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from driftpilot.errors import InsufficientDataError
from driftpilot.stats._result import TestResult
from driftpilot.stats._scipy_warnings import call_recording
from driftpilot.stats._validation import as_sample, check_int, check_sorted
from driftpilot.stats.nulls import sequential_pvalue

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy.typing as npt

    from driftpilot._typing import FloatArray, IntArray

__all__ = ["anderson", "cvm"]

Seed = int | np.random.Generator | None


def anderson(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    *,
    assume_sorted: bool = False,
    n_resamples: int = 999,
    seed: Seed = 0,
) -> TestResult:
    """Run the two-sample Anderson-Darling test (midrank variant, for ties too).

    Parameters
    ----------
    reference, current
        Finite samples of at least 2 values each, with at least 2 distinct values pooled.
    assume_sorted
        Whether both samples are already sorted (checked). Accepted so that every sample
        kernel has the same signature; scipy ranks the pooled sample either way.
    n_resamples, seed
        Permutation draws and their seed, used when the pooled sample has ties (fewer
        draws, at least 99, when it has so many distinct values that they would take more
        than about a second).

    Returns
    -------
    TestResult
        ``method="anderson"``, the normalised statistic of
        ``scipy.stats.anderson_ksamp([reference, current], variant="midrank")`` (it is
        standardised and can be negative). Without ties, scipy's p-value: interpolated
        from tabulated critical values and capped to ``[0.001, 0.25]``;
        ``details["p_value_capped"]`` is ``1.0`` when it was, else ``0.0``. With ties, the
        permutation p-value of the same statistic; ``details["n_resamples"]`` is the number
        of draws made (0 without ties; fewer than asked when the sequential rule stopped
        early).

    Raises
    ------
    InsufficientDataError
        If a sample has fewer than 2 values, or all pooled values are equal (the statistic
        is undefined).

    References
    ----------
    .. [1] Scholz, F. W. and Stephens, M. A. (1987). K-sample Anderson-Darling tests.
       Journal of the American Statistical Association, 82(399), 918-924.

    Examples
    --------
    >>> from driftpilot.stats import anderson
    >>> result = anderson([1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0])
    >>> round(result.statistic, 4), round(result.p_value, 4), result.details
    (4.726, 0.0044, {'p_value_capped': 0.0, 'n_resamples': 0.0})
    """
    ref = as_sample(reference, name="reference", func="anderson", min_size=2)
    cur = as_sample(current, name="current", func="anderson", min_size=2)
    if assume_sorted:
        check_sorted(ref, name="reference", func="anderson")
        check_sorted(cur, name="current", func="anderson")
    lowest, highest = min(ref.min(), cur.min()), max(ref.max(), cur.max())
    if lowest == highest:
        msg = (
            "The 'reference' and 'current' arguments of anderson must hold at least 2 "
            f"distinct values between them. Got only {float(lowest)!r} instead."
        )
        raise InsufficientDataError(msg)
    from scipy import stats as scipy_stats

    result, capped = call_recording(
        scipy_stats.anderson_ksamp,
        [ref, cur],
        variant="midrank",
        message=r"p-value (capped|floored)",
        category=UserWarning,
    )
    n_resamples = check_int(n_resamples, name="n_resamples", func="anderson", minimum=1)
    counts = _counts_at_distinct(ref, cur)
    if counts is None:
        p_value, draws = _probability(result.pvalue), 0
    else:
        p_value, draws = _permutation_pvalue(_anderson_a2, *counts, n_resamples, seed)
        capped = False
    return TestResult(
        method="anderson",
        statistic=float(result.statistic),
        p_value=p_value,
        n_reference=ref.size,
        n_current=cur.size,
        details={"p_value_capped": 1.0 if capped else 0.0, "n_resamples": float(draws)},
    )


def cvm(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    *,
    assume_sorted: bool = False,
    n_resamples: int = 999,
    seed: Seed = 0,
) -> TestResult:
    """Run the two-sample Cramer-von Mises test.

    Parameters
    ----------
    reference, current
        Finite samples of at least 2 values each.
    assume_sorted
        Whether both samples are already sorted (checked). Accepted so that every sample
        kernel has the same signature; scipy ranks the pooled sample either way.
    n_resamples, seed
        Permutation draws and their seed, used when the pooled sample has ties (fewer
        draws, at least 99, when it has so many distinct values that they would take more
        than about a second).

    Returns
    -------
    TestResult
        ``method="cvm"``. Without ties, the statistic and p-value of
        ``scipy.stats.cramervonmises_2samp(reference, current)``: the exact p-value when
        both samples have at most 20 values, else the asymptotic one. With ties, the
        criterion ``n m / N**2 * sum((F_r - F_c)**2)`` over the pooled values (Anderson's
        form, equal to scipy's statistic without ties) and its permutation p-value.
        ``details["n_resamples"]`` is the number of draws made (0 without ties).

    Raises
    ------
    InsufficientDataError
        If a sample has fewer than 2 values.

    References
    ----------
    .. [1] Anderson, T. W. (1962). On the distribution of the two-sample Cramer-von Mises
       criterion. The Annals of Mathematical Statistics, 33(3), 1148-1159.
    .. [2] Conover, W. J. (1971). Practical Nonparametric Statistics. Wiley.

    Examples
    --------
    >>> from driftpilot.stats import cvm
    >>> result = cvm([1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0])
    >>> round(result.statistic, 4), round(result.p_value, 4)
    (0.85, 0.0079)
    """
    ref = as_sample(reference, name="reference", func="cvm", min_size=2)
    cur = as_sample(current, name="current", func="cvm", min_size=2)
    if assume_sorted:
        check_sorted(ref, name="reference", func="cvm")
        check_sorted(cur, name="current", func="cvm")
    n_resamples = check_int(n_resamples, name="n_resamples", func="cvm", minimum=1)
    counts = _counts_at_distinct(ref, cur)
    if counts is None:
        from scipy import stats as scipy_stats

        result = scipy_stats.cramervonmises_2samp(ref, cur)
        statistic, p_value, draws = float(result.statistic), _probability(result.pvalue), 0
    else:
        statistic = float(_cvm_criterion(counts[0][np.newaxis], counts[1][np.newaxis])[0])
        p_value, draws = _permutation_pvalue(_cvm_criterion, *counts, n_resamples, seed)
    return TestResult(
        method="cvm",
        statistic=statistic,
        p_value=p_value,
        n_reference=ref.size,
        n_current=cur.size,
        details={"n_resamples": float(draws)},
    )


def _counts_at_distinct(ref: FloatArray, cur: FloatArray) -> tuple[IntArray, IntArray] | None:
    """Return the counts of each sample at each pooled distinct value, or ``None`` without ties."""
    values, inverse = np.unique(np.concatenate((ref, cur)), return_inverse=True)
    if values.size == ref.size + cur.size:
        return None
    inverse = inverse.reshape(-1)
    ref_counts = np.bincount(inverse[: ref.size], minlength=values.size).astype(np.int64)
    cur_counts = np.bincount(inverse[ref.size :], minlength=values.size).astype(np.int64)
    return ref_counts, cur_counts


def _cvm_criterion(ref: IntArray, cur: IntArray) -> FloatArray:
    """``n m / N**2 * sum_v l_v (F_r(v) - F_c(v))**2`` for each row of ``(B, L)`` counts."""
    n = ref.sum(axis=1, keepdims=True).astype(np.float64)
    m = cur.sum(axis=1, keepdims=True).astype(np.float64)
    gap = np.cumsum(ref, axis=1) / n - np.cumsum(cur, axis=1) / m
    pooled = ref + cur
    out: FloatArray = (n * m / (n + m) ** 2)[:, 0] * (pooled * gap * gap).sum(axis=1)
    return out


def _anderson_a2(ref: IntArray, cur: IntArray) -> FloatArray:
    """Scholz and Stephens' midrank ``A2_akN`` (their eq. 7) for each row of ``(B, L)`` counts.

    It is the unstandardised statistic of ``anderson_ksamp(variant="midrank")``;
    standardising is an increasing map that depends on the sizes only, so permutation
    p-values of either agree.
    """
    samples = np.stack((ref, cur), axis=1).astype(np.float64)  # (B, 2, L)
    sizes = samples.sum(axis=2)  # (B, 2)
    pooled = samples.sum(axis=1)  # (B, L)
    total = sizes.sum(axis=1)[:, np.newaxis]  # (B, 1)
    below = np.cumsum(pooled, axis=1) - pooled / 2.0
    within = np.cumsum(samples, axis=2) - samples / 2.0
    denominator = below * (total - below) - total * pooled / 4.0
    safe = np.where(denominator > 0, denominator, 1.0)
    terms = total[:, :, np.newaxis] * within - sizes[:, :, np.newaxis] * below[:, np.newaxis]
    terms = np.where(denominator[:, np.newaxis] > 0, terms * terms / safe[:, np.newaxis], 0.0)
    inner = (pooled[:, np.newaxis, :] * terms).sum(axis=2) / sizes
    out: FloatArray = ((total - 1.0) / total**2)[:, 0] * inner.sum(axis=1)
    return out


def _permutation_pvalue(
    statistic: Callable[[IntArray, IntArray], FloatArray],
    ref: IntArray,
    cur: IntArray,
    n_resamples: int,
    seed: Seed,
) -> tuple[float, int]:
    """Permutation p-value of ``statistic`` on counts at distinct values, and the draws used."""
    if (int(ref.sum()), ref.tolist()) > (int(cur.sum()), cur.tolist()):
        ref, cur = cur, ref  # the statistics are symmetric: draw the same side either way
    observed = float(statistic(ref[np.newaxis], cur[np.newaxis])[0])
    return sequential_pvalue(
        statistic, ref, cur, observed=observed, n_resamples=n_resamples, seed=seed
    )


def _probability(value: float) -> float:
    p_value = float(value)
    if math.isnan(p_value):  # pragma: no cover - scipy returns NaN only for bad input
        msg = "scipy returned a NaN p-value"
        raise InsufficientDataError(msg)
    return min(max(p_value, 0.0), 1.0)
