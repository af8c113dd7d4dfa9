"""Two-sample tests on the whole empirical distribution: Anderson-Darling, Cramer-von Mises.

Both delegate to scipy; this module fixes the variant, maps scipy's errors to ours and
records what scipy only says in a warning (a capped Anderson-Darling p-value).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from scipy import stats as scipy_stats

from driftpilot.errors import InsufficientDataError
from driftpilot.stats._result import TestResult
from driftpilot.stats._scipy_warnings import call_recording
from driftpilot.stats._validation import as_sample, check_sorted

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["anderson", "cvm"]


def anderson(
    reference: npt.ArrayLike, current: npt.ArrayLike, *, assume_sorted: bool = False
) -> TestResult:
    """Run the two-sample Anderson-Darling test (midrank variant, for ties too).

    Parameters
    ----------
    reference, current
        Finite samples of at least 2 values each, with at least 2 distinct values pooled.
    assume_sorted
        Whether both samples are already sorted (checked). Accepted so that every sample
        kernel has the same signature; scipy ranks the pooled sample either way.

    Returns
    -------
    TestResult
        ``method="anderson"``, the normalised statistic and p-value of
        ``scipy.stats.anderson_ksamp([reference, current], variant="midrank")``. The
        statistic is standardised and can be negative. scipy interpolates the p-value
        from tabulated critical values and caps it to ``[0.001, 0.25]``;
        ``details["p_value_capped"]`` is ``1.0`` when it did, else ``0.0``.

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
    (4.726, 0.0044, {'p_value_capped': 0.0})
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
    result, capped = call_recording(
        scipy_stats.anderson_ksamp,
        [ref, cur],
        variant="midrank",
        message=r"p-value (capped|floored)",
        category=UserWarning,
    )
    return TestResult(
        method="anderson",
        statistic=float(result.statistic),
        p_value=_probability(result.pvalue),
        n_reference=ref.size,
        n_current=cur.size,
        details={"p_value_capped": 1.0 if capped else 0.0},
    )


def cvm(
    reference: npt.ArrayLike, current: npt.ArrayLike, *, assume_sorted: bool = False
) -> TestResult:
    """Run the two-sample Cramer-von Mises test.

    Parameters
    ----------
    reference, current
        Finite samples of at least 2 values each.
    assume_sorted
        Whether both samples are already sorted (checked). Accepted so that every sample
        kernel has the same signature; scipy ranks the pooled sample either way.

    Returns
    -------
    TestResult
        ``method="cvm"``, the statistic and p-value of
        ``scipy.stats.cramervonmises_2samp(reference, current)``: the exact p-value when
        both samples have at most 20 values, else the asymptotic one. Ties get midranks.

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
    result = scipy_stats.cramervonmises_2samp(ref, cur)
    return TestResult(
        method="cvm",
        statistic=float(result.statistic),
        p_value=_probability(result.pvalue),
        n_reference=ref.size,
        n_current=cur.size,
    )


def _probability(value: float) -> float:
    p_value = float(value)
    if math.isnan(p_value):  # pragma: no cover - scipy returns NaN only for bad input
        msg = "scipy returned a NaN p-value"
        raise InsufficientDataError(msg)
    return min(max(p_value, 0.0), 1.0)
