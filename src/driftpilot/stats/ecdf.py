"""Distances between two samples read off their empirical CDFs in one merged pass.

The KS statistic, the 1-Wasserstein distance and the energy distance are all functionals
of ``F_reference - F_current``; :func:`ecdf_distances` computes the three from one merge of
the two sorted samples (see ``_ecdf.py``) and agrees with ``scipy.stats.ks_2samp``,
``scipy.stats.wasserstein_distance`` and ``scipy.stats.energy_distance``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from driftpilot.errors import InvalidParameterError
from driftpilot.stats._ecdf import ecdf_difference
from driftpilot.stats._result import TestResult
from driftpilot.stats._validation import as_sample, check_sorted

if TYPE_CHECKING:
    import numpy.typing as npt

    from driftpilot._typing import FloatArray

__all__ = ["EcdfDistances", "ecdf_distances", "energy", "wasserstein", "wasserstein_norm"]


@dataclass(frozen=True, slots=True, kw_only=True)
class EcdfDistances:
    """Three distances between two empirical distributions.

    Attributes
    ----------
    ks
        Kolmogorov-Smirnov statistic, ``sup |F_r - F_c|``.
    wasserstein
        1-Wasserstein distance, ``integral |F_r - F_c| dx``.
    energy
        Energy distance, ``sqrt(2 * integral (F_r - F_c)**2 dx)``.
    """

    ks: float
    wasserstein: float
    energy: float


def ecdf_distances(reference_sorted: npt.ArrayLike, current_sorted: npt.ArrayLike) -> EcdfDistances:
    """Compute the KS, 1-Wasserstein and energy distances in one merged pass.

    Parameters
    ----------
    reference_sorted, current_sorted
        Finite samples, each sorted in non-decreasing order (checked) and non-empty.

    Returns
    -------
    EcdfDistances
        The three distances; ties within and across samples are handled exactly.

    Raises
    ------
    InsufficientDataError
        If a sample is empty.
    InvalidParameterError
        If a sample holds NaN or infinity, is not sorted, or spans so wide a range that
        the integrals overflow.

    References
    ----------
    .. [1] Ramdas, A., Garcia Trillos, N. and Cuturi, M. (2017). On Wasserstein two-sample
       testing and related families of nonparametric tests. Entropy, 19(2), 47.
    .. [2] Szekely, G. J. and Rizzo, M. L. (2013). Energy statistics: a class of statistics
       based on distances. Journal of Statistical Planning and Inference, 143(8), 1249-1272.

    Examples
    --------
    >>> from driftpilot.stats import ecdf_distances
    >>> d = ecdf_distances([0.0, 1.0, 3.0], [5.0, 6.0, 8.0])
    >>> d.ks, round(d.wasserstein, 6), round(d.energy, 6)
    (1.0, 5.0, 2.708013)
    """
    reference = _sorted_sample(reference_sorted, "reference_sorted", "ecdf_distances", True)
    current = _sorted_sample(current_sorted, "current_sorted", "ecdf_distances", True)
    return _distances(reference, current)


def wasserstein(
    reference: npt.ArrayLike, current: npt.ArrayLike, *, assume_sorted: bool = False
) -> TestResult:
    """Compute the 1-Wasserstein (earth mover's) distance between two samples.

    Parameters
    ----------
    reference, current
        Finite, non-empty samples.
    assume_sorted
        Whether both samples are already sorted (checked), which skips sorting them.

    Returns
    -------
    TestResult
        ``method="wasserstein"``, the distance in the units of the data, ``p_value=None``;
        equal to ``scipy.stats.wasserstein_distance(reference, current)``.

    References
    ----------
    .. [1] Ramdas, A., Garcia Trillos, N. and Cuturi, M. (2017). On Wasserstein two-sample
       testing and related families of nonparametric tests. Entropy, 19(2), 47.

    Examples
    --------
    >>> from driftpilot.stats import wasserstein
    >>> round(wasserstein([0.0, 1.0, 3.0], [5.0, 6.0, 8.0]).statistic, 6)
    5.0
    """
    ref, cur = _pair(reference, current, "wasserstein", assume_sorted)
    distance = _distances(ref, cur).wasserstein
    return TestResult(
        method="wasserstein",
        statistic=distance,
        p_value=None,
        n_reference=ref.size,
        n_current=cur.size,
    )


def wasserstein_norm(
    reference: npt.ArrayLike, current: npt.ArrayLike, *, assume_sorted: bool = False
) -> TestResult:
    """Compute the 1-Wasserstein distance divided by a scale of the reference.

    The scale is the reference's standard deviation (``ddof=0``). When the reference is
    constant, its standard deviation is 0 and the scale is ``mean(|reference|)`` instead,
    or ``1.0`` if that is 0 too. The scale used is recorded as ``details["scale"]``.

    Parameters
    ----------
    reference, current
        Finite, non-empty samples.
    assume_sorted
        Whether both samples are already sorted (checked), which skips sorting them.

    Returns
    -------
    TestResult
        ``method="wasserstein_norm"``, a unitless distance, ``p_value=None``.

    References
    ----------
    .. [1] Ramdas, A., Garcia Trillos, N. and Cuturi, M. (2017). On Wasserstein two-sample
       testing and related families of nonparametric tests. Entropy, 19(2), 47.

    Examples
    --------
    >>> from driftpilot.stats import wasserstein_norm
    >>> result = wasserstein_norm([0.0, 2.0], [1.0, 3.0])
    >>> round(result.statistic, 6), result.details["scale"]
    (1.0, 1.0)
    """
    ref, cur = _pair(reference, current, "wasserstein_norm", assume_sorted)
    distance = _distances(ref, cur).wasserstein
    if ref[0] == ref[-1]:  # constant (ref is sorted): the standard deviation is exactly 0
        mean_abs = abs(float(ref[0]))
        scale = mean_abs if mean_abs > 0.0 else 1.0
    else:
        scale = float(np.std(ref))
    return TestResult(
        method="wasserstein_norm",
        statistic=distance / scale,
        p_value=None,
        n_reference=ref.size,
        n_current=cur.size,
        details={"scale": scale},
    )


def energy(
    reference: npt.ArrayLike, current: npt.ArrayLike, *, assume_sorted: bool = False
) -> TestResult:
    """Compute the energy distance between two samples.

    Parameters
    ----------
    reference, current
        Finite, non-empty samples.
    assume_sorted
        Whether both samples are already sorted (checked), which skips sorting them.

    Returns
    -------
    TestResult
        ``method="energy"``, ``sqrt(2 * integral (F_r - F_c)**2 dx)``, ``p_value=None``;
        equal to ``scipy.stats.energy_distance(reference, current)``.

    References
    ----------
    .. [1] Szekely, G. J. and Rizzo, M. L. (2013). Energy statistics: a class of statistics
       based on distances. Journal of Statistical Planning and Inference, 143(8), 1249-1272.

    Examples
    --------
    >>> from driftpilot.stats import energy
    >>> round(energy([0.0], [2.0]).statistic, 6)
    2.0
    """
    ref, cur = _pair(reference, current, "energy", assume_sorted)
    distance = _distances(ref, cur).energy
    return TestResult(
        method="energy",
        statistic=distance,
        p_value=None,
        n_reference=ref.size,
        n_current=cur.size,
    )


def _sorted_sample(values: npt.ArrayLike, name: str, func: str, assume_sorted: bool) -> FloatArray:
    sample = as_sample(values, name=name, func=func)
    if assume_sorted:
        check_sorted(sample, name=name, func=func)
        return sample
    return np.sort(sample)


def _pair(
    reference: npt.ArrayLike, current: npt.ArrayLike, func: str, assume_sorted: bool
) -> tuple[FloatArray, FloatArray]:
    return (
        _sorted_sample(reference, "reference", func, assume_sorted),
        _sorted_sample(current, "current", func, assume_sorted),
    )


def _distances(reference: FloatArray, current: FloatArray) -> EcdfDistances:
    knots, difference = ecdf_difference(reference, current)
    ks = float(np.max(np.abs(difference)))
    with np.errstate(over="ignore"):
        widths = np.diff(knots)
        steps = difference[:-1]
        wasserstein_1 = float(np.dot(np.abs(steps), widths))
        cramer = float(np.dot(steps * steps, widths))
    if not (math.isfinite(wasserstein_1) and math.isfinite(cramer)):
        msg = (
            "The samples span too wide a range for the Wasserstein and energy distances to "
            f"be represented as floats (from {knots[0]!r} to {knots[-1]!r}). Rescale them."
        )
        raise InvalidParameterError(msg)
    return EcdfDistances(ks=ks, wasserstein=wasserstein_1, energy=math.sqrt(2.0 * cramer))
