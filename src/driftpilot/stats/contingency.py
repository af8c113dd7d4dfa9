"""Tests on category counts: chi-squared test of homogeneity, two-proportion z-test."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from driftpilot.errors import InvalidParameterError
from driftpilot.stats._result import TestResult
from driftpilot.stats._validation import as_count_pair

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["chi2", "ztest"]


def chi2(reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike) -> TestResult:
    """Run the chi-squared test of homogeneity on two rows of category counts.

    Categories with a count of 0 on both sides carry no information and are dropped
    first. If fewer than 2 categories remain there is nothing to test: the result is
    ``statistic=0.0``, ``p_value=1.0`` and ``details["dof"] = 0.0``.

    Parameters
    ----------
    reference_counts, current_counts
        Aligned non-negative whole-number counts per category, each with a positive total.

    Returns
    -------
    TestResult
        ``method="chi2"``, the statistic and p-value of ``scipy.stats.chi2_contingency``
        with its defaults on the ``2 x K`` table (so Yates' continuity correction applies
        when ``K == 2``), and the degrees of freedom ``details["dof"] = K - 1``.

    References
    ----------
    .. [1] Pearson, K. (1900). On the criterion that a given system of deviations from the
       probable in the case of a correlated system of variables is such that it can be
       reasonably supposed to have arisen from random sampling. Philosophical Magazine,
       Series 5, 50(302), 157-175.
    .. [2] Agresti, A. (2013). Categorical Data Analysis, 3rd ed. Wiley, section 3.2.

    Examples
    --------
    >>> from driftpilot.stats import chi2
    >>> result = chi2([50, 30, 20, 0], [30, 30, 40, 0])
    >>> round(result.statistic, 4), round(result.p_value, 6), result.details
    (11.6667, 0.002928, {'dof': 2.0})
    """
    ref, cur = as_count_pair(reference_counts, current_counts, func="chi2")
    observed = (ref + cur) > 0
    n_reference, n_current = int(ref.sum()), int(cur.sum())
    if np.count_nonzero(observed) < 2:
        return TestResult(
            method="chi2",
            statistic=0.0,
            p_value=1.0,
            n_reference=n_reference,
            n_current=n_current,
            details={"dof": 0.0},
        )
    from scipy import stats as scipy_stats

    result = scipy_stats.chi2_contingency(np.vstack((ref[observed], cur[observed])))
    return TestResult(
        method="chi2",
        statistic=max(float(result.statistic), 0.0),
        p_value=min(max(float(result.pvalue), 0.0), 1.0),
        n_reference=n_reference,
        n_current=n_current,
        details={"dof": float(result.dof)},
    )


def ztest(reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike) -> TestResult:
    """Run the two-sided two-proportion z-test with pooled variance.

    Parameters
    ----------
    reference_counts, current_counts
        Counts of length 2 each, ``[failures, successes]``: index 1 is the success.

    Returns
    -------
    TestResult
        ``method="ztest"``, ``z = (p_r - p_c) / sqrt(p (1 - p) (1 / n_r + 1 / n_c))`` with
        the pooled proportion ``p``, and its two-sided normal p-value; equal to
        ``statsmodels.stats.proportion.proportions_ztest([s_r, s_c], [n_r, n_c])``. When
        ``p`` is 0 or 1 the two proportions are equal and the result is ``z = 0``,
        ``p_value = 1``. ``details`` holds ``proportion_reference`` and
        ``proportion_current``.

    Raises
    ------
    InvalidParameterError
        If the counts are not of length 2.

    References
    ----------
    .. [1] Agresti, A. (2013). Categorical Data Analysis, 3rd ed. Wiley, section 3.1.

    Examples
    --------
    >>> from driftpilot.stats import ztest
    >>> result = ztest([80, 20], [60, 40])
    >>> round(result.statistic, 4), round(result.p_value, 6)
    (-3.0861, 0.002028)
    """
    ref, cur = as_count_pair(reference_counts, current_counts, func="ztest")
    if ref.size != 2:
        msg = (
            "The 'reference_counts' and 'current_counts' arguments of ztest must have "
            f"length 2 ([failures, successes]). Got length {ref.size} instead."
        )
        raise InvalidParameterError(msg)
    n_reference, n_current = int(ref.sum()), int(cur.sum())
    success_reference, success_current = int(ref[1]), int(cur[1])
    proportion_reference = success_reference / n_reference
    proportion_current = success_current / n_current
    pooled = (success_reference + success_current) / (n_reference + n_current)
    variance = pooled * (1.0 - pooled) * (1.0 / n_reference + 1.0 / n_current)
    if variance > 0.0:
        statistic = (proportion_reference - proportion_current) / math.sqrt(variance)
        from scipy import stats as scipy_stats

        p_value = min(max(2.0 * float(scipy_stats.norm.sf(abs(statistic))), 0.0), 1.0)
    else:  # pooled proportion 0 or 1: both proportions are equal
        statistic, p_value = 0.0, 1.0
    return TestResult(
        method="ztest",
        statistic=statistic,
        p_value=p_value,
        n_reference=n_reference,
        n_current=n_current,
        details={
            "proportion_reference": proportion_reference,
            "proportion_current": proportion_current,
        },
    )
