"""Whether a window's event count is out of line with the counts of comparable windows.

A Shewhart-style control band: with ``m`` and ``s`` the mean and sample standard deviation
(``ddof=1``) of the trailing counts, the band is ``[max(0, m - k s), m + k s]`` and a count
outside it is anomalous. The z-score is ``(current - m) / s``.

A constant history (``s == 0``) gives the band ``[m, m]``: any other count is anomalous and
the same count is not. The z-score is then undefined and reported as ``None`` (0 / 0 or a
division by zero); the band and the verdict follow the same formula as always. That is
strict when a short history of noisy counts happens to repeat one value; a longer history
avoids it.

Comparable windows are the caller's to choose: the same hour of previous days, say, when
traffic has a daily cycle. The band assumes the history is one regime; it is a screening
rule, not a test with a controlled false-alarm rate (the counts need not be normal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.quality._result import as_dict
from driftpilot.quality._validation import check_real

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["VolumeAnomalyResult", "volume_anomaly"]

_FUNC = "volume_anomaly"


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumeAnomalyResult:
    """A window's event count against the band of its history.

    Attributes
    ----------
    current
        The window's event count.
    n_history
        Number of trailing windows compared with.
    mean
        Mean of the history.
    std
        Sample standard deviation of the history (``ddof=1``).
    z_score
        ``(current - mean) / std``; ``None`` when ``std == 0``.
    k
        Half-width of the band in standard deviations.
    lower, upper
        The band, ``max(0, mean - k std)`` and ``mean + k std``.
    anomalous
        Whether ``current`` lies outside ``[lower, upper]``.
    """

    current: float
    n_history: int
    mean: float
    std: float
    z_score: float | None
    k: float
    lower: float
    upper: float
    anomalous: bool

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dictionary of plain Python values."""
        return as_dict(self)


def _history(history: npt.ArrayLike) -> npt.NDArray[np.float64]:
    try:
        counts = np.asarray(history, dtype=np.float64)
    except (TypeError, ValueError) as err:
        msg = f"The 'history' argument of {_FUNC} must be an array of counts. Got {err}."
        raise InvalidParameterError(msg) from err
    if counts.ndim != 1:
        msg = (
            f"The 'history' argument of {_FUNC} must be a 1-D array of counts. Got an array "
            f"of shape {counts.shape} instead."
        )
        raise InvalidParameterError(msg)
    if counts.size < 2:
        msg = (
            f"The 'history' argument of {_FUNC} must hold at least 2 counts (a standard "
            f"deviation needs two). Got {counts.size} instead."
        )
        raise InsufficientDataError(msg)
    bad = ~(np.isfinite(counts) & (counts >= 0))
    if bad.any():
        msg = (
            f"The 'history' argument of {_FUNC} must hold finite counts >= 0. Got "
            f"{counts[bad][0]!r} instead."
        )
        raise InvalidParameterError(msg)
    return counts


def volume_anomaly(
    current: float, history: npt.ArrayLike, *, k: float = 3.0
) -> VolumeAnomalyResult:
    """Judge a window's event count against the counts of comparable past windows.

    Parameters
    ----------
    current
        Event count of the window (or bucket), ``>= 0``.
    history
        Event counts of trailing comparable windows, at least two.
    k
        Half-width of the band in standard deviations, ``> 0``.

    Returns
    -------
    VolumeAnomalyResult
        Mean, standard deviation, z-score, band and verdict. With a constant history the
        band is the single count it repeats (module docstring).

    Raises
    ------
    InsufficientDataError
        If ``history`` holds fewer than two counts.
    InvalidParameterError
        If a count is negative, NaN or infinite, or ``k`` is not a number ``> 0``.

    References
    ----------
    .. [1] Montgomery, D. C. (2019). Introduction to Statistical Quality Control, 8th ed.,
       ch. 6 (Shewhart control charts for individual measurements). Wiley.

    Examples
    --------
    >>> from driftpilot.quality import volume_anomaly
    >>> result = volume_anomaly(40, [100, 110, 90, 105, 95])
    >>> result.mean, round(result.std, 3), round(result.z_score, 2)
    (100.0, 7.906, -7.59)
    >>> round(result.lower, 2), round(result.upper, 2), result.anomalous
    (76.28, 123.72, True)
    """
    count = check_real(current, name="current", func=_FUNC)
    if count < 0:
        msg = f"The 'current' parameter of {_FUNC} must be a count >= 0. Got {current!r}."
        raise InvalidParameterError(msg)
    width = check_real(k, name="k", func=_FUNC, positive=True)
    counts = _history(history)
    mean = float(np.mean(counts))
    std = float(np.std(counts, ddof=1))
    lower = max(0.0, mean - width * std)
    upper = mean + width * std
    return VolumeAnomalyResult(
        current=count,
        n_history=counts.size,
        mean=mean,
        std=std,
        z_score=(count - mean) / std if std > 0.0 else None,
        k=width,
        lower=lower,
        upper=upper,
        anomalous=not lower <= count <= upper,
    )
