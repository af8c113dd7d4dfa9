"""Adjusting p-values for multiple testing, as ``statsmodels.stats.multitest`` does.

Written by hand (a dozen lines) so that the core does not depend on statsmodels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from driftpilot.errors import InvalidParameterError

if TYPE_CHECKING:
    import numpy.typing as npt

    from driftpilot._typing import FloatArray

__all__ = ["CORRECTION_METHODS", "adjust_pvalues"]

#: The names :func:`adjust_pvalues` accepts for ``method``.
CORRECTION_METHODS = ("bonferroni", "fdr_bh", "holm")


def adjust_pvalues(p_values: npt.ArrayLike, *, method: str) -> FloatArray:
    """Adjust p-values for multiple testing.

    Parameters
    ----------
    p_values
        1-D array of p-values in ``[0, 1]``, possibly empty.
    method
        One of ``CORRECTION_METHODS``: ``"bonferroni"`` (family-wise error rate, any
        dependence), ``"holm"`` (step-down, family-wise error rate, uniformly more
        powerful than Bonferroni) or ``"fdr_bh"`` (Benjamini-Hochberg step-up, false
        discovery rate, independent or positively dependent tests).

    Returns
    -------
    FloatArray
        Adjusted p-values in the input's order, capped at 1; equal to
        ``statsmodels.stats.multitest.multipletests(p_values, method=method)[1]``. Reject
        the hypotheses whose adjusted p-value is at most the target level.

    References
    ----------
    .. [1] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
       Scandinavian Journal of Statistics, 6(2), 65-70.
    .. [2] Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate: a
       practical and powerful approach to multiple testing. Journal of the Royal
       Statistical Society, Series B, 57(1), 289-300.

    Examples
    --------
    >>> from driftpilot.stats import adjust_pvalues
    >>> adjust_pvalues([0.01, 0.04, 0.03], method="holm").round(6).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], method="fdr_bh").round(6).tolist()
    [0.03, 0.04, 0.04]
    """
    if method not in CORRECTION_METHODS:
        allowed = ", ".join(repr(name) for name in CORRECTION_METHODS)
        msg = (
            f"The 'method' parameter of adjust_pvalues must be one of {allowed}. "
            f"Got {method!r} instead."
        )
        raise InvalidParameterError(msg)
    try:
        p = np.asarray(p_values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        msg = f"The 'p_values' argument of adjust_pvalues must be numbers. Got {err} instead."
        raise InvalidParameterError(msg) from err
    if p.ndim != 1 or bool(np.any(~((p >= 0.0) & (p <= 1.0)))):
        msg = (
            "The 'p_values' argument of adjust_pvalues must be a 1-D array of numbers in "
            f"[0, 1]. Got {p.tolist()!r} instead."
        )
        raise InvalidParameterError(msg)
    n_tests = p.size
    if method == "bonferroni":
        return np.minimum(p * float(n_tests), 1.0)
    order = np.argsort(p)
    ordered = p[order]
    if method == "holm":
        adjusted = np.maximum.accumulate(ordered * np.arange(n_tests, 0, -1))
    else:  # fdr_bh
        raw = ordered / (np.arange(1, n_tests + 1) / n_tests)
        adjusted = np.minimum.accumulate(raw[::-1])[::-1]
    result = np.empty(n_tests)
    result[order] = np.minimum(adjusted, 1.0)
    return result
