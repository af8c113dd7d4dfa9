"""Divergences between two binned distributions: PSI, Jensen-Shannon, KL, Hellinger.

Every kernel takes two aligned arrays of bin (or category) counts, turns each into shares
of its total, and returns a distance with ``p_value=None``. Where a zero share would make a
logarithm infinite, it is replaced by the documented ``eps`` (recorded in the result).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from driftpilot.stats._result import TestResult
from driftpilot.stats._validation import as_count_pair, check_eps

if TYPE_CHECKING:
    import numpy.typing as npt

    from driftpilot._typing import FloatArray, IntArray

__all__ = ["hellinger", "jensenshannon", "kl", "psi"]


def psi(
    reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike, *, eps: float = 1e-4
) -> TestResult:
    """Compute the population stability index between two binned distributions.

    Parameters
    ----------
    reference_counts, current_counts
        Aligned non-negative whole-number counts per bin, each with a positive total.
    eps
        Share given to an empty bin, in ``(0, 1)``; shares are not renormalised after.

    Returns
    -------
    TestResult
        ``method="psi"``, ``sum((c - r) * ln(c / r))`` over the shares ``r`` and ``c``
        (always ``>= 0``), ``p_value=None`` and ``details["eps"]``.

    References
    ----------
    .. [1] Yurdakul, B. (2018). Statistical properties of population stability index.
       Dissertation, Western Michigan University.
    .. [2] Siddiqi, N. (2006). Credit Risk Scorecards. Wiley, pp. 136-140.

    Examples
    --------
    >>> from driftpilot.stats import psi
    >>> result = psi([50, 30, 20], [30, 30, 40])
    >>> round(result.statistic, 6), result.details
    (0.240795, {'eps': 0.0001})
    """
    ref, cur = as_count_pair(reference_counts, current_counts, func="psi")
    eps = check_eps(eps, func="psi")
    r, c = _eps_shares(ref, eps), _eps_shares(cur, eps)
    statistic = float(np.sum((c - r) * np.log(c / r)))
    return _result("psi", statistic, ref, cur, {"eps": eps})


def jensenshannon(reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike) -> TestResult:
    """Compute the Jensen-Shannon distance (base 2) between two binned distributions.

    Parameters
    ----------
    reference_counts, current_counts
        Aligned non-negative whole-number counts per bin, each with a positive total.

    Returns
    -------
    TestResult
        ``method="jensenshannon"``, the square root of the Jensen-Shannon divergence in
        bits, in ``[0, 1]``, on the raw shares (no ``eps``), ``p_value=None``; equal to
        ``scipy.spatial.distance.jensenshannon(r, c, base=2)``.

    References
    ----------
    .. [1] Endres, D. M. and Schindelin, J. E. (2003). A new metric for probability
       distributions. IEEE Transactions on Information Theory, 49(7), 1858-1860.

    Examples
    --------
    >>> from driftpilot.stats import jensenshannon
    >>> round(jensenshannon([1, 0], [0, 1]).statistic, 6)
    1.0
    """
    ref, cur = as_count_pair(reference_counts, current_counts, func="jensenshannon")
    r, c = _shares(ref), _shares(cur)
    mixture = (r + c) / 2.0
    from scipy import special

    divergence = float(np.sum(special.rel_entr(r, mixture)) + np.sum(special.rel_entr(c, mixture)))
    statistic = math.sqrt(max(divergence / (2.0 * math.log(2.0)), 0.0))
    return _result("jensenshannon", min(statistic, 1.0), ref, cur, {})


def kl(
    reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike, *, eps: float = 1e-4
) -> TestResult:
    """Compute the Kullback-Leibler divergence of the current from the reference bins.

    Parameters
    ----------
    reference_counts, current_counts
        Aligned non-negative whole-number counts per bin, each with a positive total.
    eps
        Share given to an empty bin, in ``(0, 1)``. The shares are then renormalised to
        sum to 1, as ``scipy.stats.entropy`` does.

    Returns
    -------
    TestResult
        ``method="kl"``, ``sum(c * ln(c / r))`` in nats, ``>= 0``, equal to
        ``scipy.stats.entropy(c, r)`` on the eps-replaced shares, ``p_value=None`` and
        ``details["eps"]``.

    References
    ----------
    .. [1] Kullback, S. and Leibler, R. A. (1951). On information and sufficiency. The
       Annals of Mathematical Statistics, 22(1), 79-86.

    Examples
    --------
    >>> from driftpilot.stats import kl
    >>> round(kl([50, 30, 20], [30, 30, 40]).statistic, 6)
    0.124011
    """
    ref, cur = as_count_pair(reference_counts, current_counts, func="kl")
    eps = check_eps(eps, func="kl")
    r, c = _eps_shares(ref, eps), _eps_shares(cur, eps)
    from scipy import special

    divergence = float(np.sum(special.rel_entr(c / c.sum(), r / r.sum())))
    return _result("kl", max(divergence, 0.0), ref, cur, {"eps": eps})


def hellinger(reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike) -> TestResult:
    """Compute the Hellinger distance between two binned distributions.

    Parameters
    ----------
    reference_counts, current_counts
        Aligned non-negative whole-number counts per bin, each with a positive total.

    Returns
    -------
    TestResult
        ``method="hellinger"``, ``sqrt(sum((sqrt(r) - sqrt(c))**2)) / sqrt(2)`` on the
        raw shares, in ``[0, 1]``, ``p_value=None``.

    References
    ----------
    .. [1] Hellinger, E. (1909). Neue Begrundung der Theorie quadratischer Formen von
       unendlichvielen Veranderlichen. Journal fur die reine und angewandte Mathematik,
       136, 210-271.
    .. [2] Le Cam, L. and Yang, G. L. (2000). Asymptotics in Statistics, 2nd ed.
       Springer, section 3.2.

    Examples
    --------
    >>> from driftpilot.stats import hellinger
    >>> round(hellinger([1, 0], [0, 1]).statistic, 6), round(hellinger([1, 1], [1, 1]).statistic, 6)
    (1.0, 0.0)
    """
    ref, cur = as_count_pair(reference_counts, current_counts, func="hellinger")
    root_difference = np.sqrt(_shares(ref)) - np.sqrt(_shares(cur))
    statistic = math.sqrt(float(np.sum(root_difference * root_difference))) / math.sqrt(2.0)
    return _result("hellinger", min(statistic, 1.0), ref, cur, {})


def _shares(counts: IntArray) -> FloatArray:
    shares: FloatArray = counts / counts.sum()
    return shares


def _eps_shares(counts: IntArray, eps: float) -> FloatArray:
    shares = _shares(counts)
    shares[shares == 0.0] = eps
    return shares


def _result(
    method: str, statistic: float, ref: IntArray, cur: IntArray, details: dict[str, float]
) -> TestResult:
    return TestResult(
        method=method,
        statistic=statistic,
        p_value=None,
        n_reference=int(ref.sum()),
        n_current=int(cur.sum()),
        details=details,
    )
