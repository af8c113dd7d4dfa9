"""The two-sample Kolmogorov-Smirnov test, equal to ``scipy.stats.ks_2samp``.

For samples of up to ``MAX_AUTO_N`` values scipy computes an exact p-value, whose cost
dominates, so we delegate. Above that, scipy sorts both samples and binary-searches the
pooled sample twice; we binary-search the sorted reference in the sorted current sample once
(blockwise, in cache), which returns the same statistic bit for bit, and apply scipy's
asymptotic p-value (computed fast where scipy is slow, :mod:`driftpilot.stats._kolmogorov`).
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from driftpilot.errors import InvalidParameterError
from driftpilot.stats._ecdf import ks_statistic_sorted
from driftpilot.stats._kolmogorov import kstwo_sf
from driftpilot.stats._result import TestResult
from driftpilot.stats._scipy_warnings import call_recording
from driftpilot.stats._validation import as_sample, check_int, check_sorted

if TYPE_CHECKING:
    import numpy.typing as npt

    from driftpilot._typing import FloatArray

__all__ = ["MAX_AUTO_N", "ks", "ks_pvalue"]

#: Largest sample size for which ``ks_2samp(method="auto")`` computes the exact p-value.
MAX_AUTO_N = 10_000

# scipy's exact two-sided routine, private, looked up on first use (scipy.stats is slow to
# import); ks_pvalue(method="auto") falls back to the asymptotic p-value if a future scipy
# drops it.
_UNSET: Any = object()
_attempt_exact: Any = _UNSET


def ks(
    reference: npt.ArrayLike, current: npt.ArrayLike, *, assume_sorted: bool = False
) -> TestResult:
    """Run the two-sample, two-sided Kolmogorov-Smirnov test.

    Parameters
    ----------
    reference, current
        Finite, non-empty samples.
    assume_sorted
        Whether both samples are already sorted (checked), which skips sorting them. Only
        used above ``MAX_AUTO_N`` values, where the statistic is computed here.

    Returns
    -------
    TestResult
        ``method="ks"``, the statistic ``sup |F_r - F_c|`` and its p-value, equal to
        ``scipy.stats.ks_2samp(reference, current)`` (``method="auto"``): the exact
        p-value when both samples have at most ``MAX_AUTO_N`` values, else the asymptotic
        ``scipy.stats.kstwo.sf(d, round(m * n / (m + n)))``. ``details["exact"]`` is
        ``1.0`` when the p-value is exact; it is ``0.0`` above ``MAX_AUTO_N`` and when
        scipy's exact computation failed and it fell back to the asymptotic one (scipy
        warns; we record it instead).

    References
    ----------
    .. [1] Hodges, J. L. (1958). The significance probability of the Smirnov two-sample
       test. Arkiv for Matematik, 3(5), 469-486.
    .. [2] Simard, R. and L'Ecuyer, P. (2011). Computing the two-sided Kolmogorov-Smirnov
       distribution. Journal of Statistical Software, 39(11).

    Examples
    --------
    >>> from driftpilot.stats import ks
    >>> result = ks([0.0, 1.0, 2.0, 3.0], [2.5, 3.5, 4.5, 5.5])
    >>> result.statistic, round(result.p_value, 6)
    (0.75, 0.228571)
    """
    ref = as_sample(reference, name="reference", func="ks")
    cur = as_sample(current, name="current", func="ks")
    if assume_sorted:
        check_sorted(ref, name="reference", func="ks")
        check_sorted(cur, name="current", func="ks")
    if max(ref.size, cur.size) <= MAX_AUTO_N:
        from scipy import stats as scipy_stats

        result, fell_back = call_recording(
            scipy_stats.ks_2samp,
            ref,
            cur,
            message=r"(ks_2samp: Exact calculation unsuccessful|Exact ks_2samp calculation)",
            category=RuntimeWarning,
        )
        statistic, p_value = float(result.statistic), float(result.pvalue)
        exact = not fell_back
    else:
        if not assume_sorted:
            ref, cur = np.sort(ref), np.sort(cur)
        statistic = _sorted_statistic(ref, cur)
        p_value = _asymptotic_pvalue(statistic, ref.size, cur.size)
        exact = False
    return TestResult(
        method="ks",
        statistic=statistic,
        p_value=p_value,
        n_reference=ref.size,
        n_current=cur.size,
        details={"exact": 1.0 if exact else 0.0},
    )


def ks_pvalue(
    statistic: float,
    n_reference: int,
    n_current: int,
    *,
    method: Literal["asymp", "auto"] = "asymp",
) -> float:
    """Return the two-sided two-sample KS p-value of a statistic computed elsewhere.

    Meant for statistics read off quantile sketches, which are approximate anyway.

    Parameters
    ----------
    statistic
        The KS statistic, in ``[0, 1]``.
    n_reference, n_current
        The sizes of the two samples the statistic compares, each at least 1.
    method
        ``"asymp"`` (default) uses scipy's asymptotic rule for every size:
        ``scipy.stats.kstwo.sf(d, round(m * n / (m + n)))``, the effective size raised to
        at least 1. It costs microseconds and, for ``m = n``, is the exact distribution of
        the one-sample statistic with ``n / 2`` values. ``"auto"`` follows
        ``ks_2samp(method="auto")``: when both sizes are at most ``MAX_AUTO_N`` it uses
        scipy's exact routine (private in scipy, so it falls back to ``"asymp"`` if
        missing or unsuccessful), which rounds ``d`` to the nearest attainable value and
        can take up to a second near ``MAX_AUTO_N``.

    Returns
    -------
    float
        The p-value, in ``[0, 1]``.

    References
    ----------
    .. [1] Hodges, J. L. (1958). The significance probability of the Smirnov two-sample
       test. Arkiv for Matematik, 3(5), 469-486.
    .. [2] Simard, R. and L'Ecuyer, P. (2011). Computing the two-sided Kolmogorov-Smirnov
       distribution. Journal of Statistical Software, 39(11).

    Examples
    --------
    >>> from driftpilot.stats import ks_pvalue
    >>> round(ks_pvalue(0.05, 1000, 1000), 6)
    0.158663
    >>> round(ks_pvalue(0.75, 4, 4, method="auto"), 6)
    0.228571
    """
    if (
        isinstance(statistic, bool)
        or not isinstance(statistic, numbers.Real)
        or not 0.0 <= float(statistic) <= 1.0
    ):
        msg = (
            "The 'statistic' parameter of ks_pvalue must be a number in [0, 1]. "
            f"Got {statistic!r} instead."
        )
        raise InvalidParameterError(msg)
    n1 = check_int(n_reference, name="n_reference", func="ks_pvalue", minimum=1)
    n2 = check_int(n_current, name="n_current", func="ks_pvalue", minimum=1)
    if method not in ("asymp", "auto"):
        msg = (
            "The 'method' parameter of ks_pvalue must be one of 'asymp', 'auto'. "
            f"Got {method!r} instead."
        )
        raise InvalidParameterError(msg)
    d = float(statistic)
    attempt_exact = _exact_routine() if method == "auto" else None
    if method == "auto" and max(n1, n2) <= MAX_AUTO_N and attempt_exact is not None:
        success, _, prob = attempt_exact(n1, n2, math.gcd(n1, n2), d, "two-sided")
        if success:
            return min(max(float(prob), 0.0), 1.0)
    return _asymptotic_pvalue(d, n1, n2)


def _exact_routine() -> Any:
    global _attempt_exact
    if _attempt_exact is _UNSET:
        from scipy.stats import _stats_py as scipy_stats_py

        _attempt_exact = getattr(scipy_stats_py, "_attempt_exact_2kssamp", None)
    return _attempt_exact


def _sorted_statistic(reference: FloatArray, current: FloatArray) -> float:
    """Return ``sup |F_r - F_c|`` of two sorted samples, equal to scipy's bit for bit."""
    return ks_statistic_sorted(reference, current)[0]


def _asymptotic_pvalue(statistic: float, n1: int, n2: int) -> float:
    # Floats and np.round, as scipy does, so the effective size rounds the same way.
    m, n = float(max(n1, n2)), float(min(n1, n2))
    effective_n = max(1.0, float(np.round(m * n / (m + n))))
    # scipy.stats.kstwo.sf, with its slow exact sum for 140 < n <= 1e6 done in numpy.
    return kstwo_sf(statistic, int(effective_n))
