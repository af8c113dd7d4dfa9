"""Share of a numeric column's values outside an allowed range, from its profile summary.

The range is ``[low, high]``, either end optional: a value equal to ``low`` or ``high`` is
inside. Only the valid (finite) values are judged; nulls and NaN are measured by
:func:`~driftpilot.quality.missing_rate`, and infinite values are left out (``n_inf`` of
the summary; ingest flags them ``inf:<field>``). A datetime column is judged in seconds
since the epoch, the unit its summary keeps.

The answer is exact whenever the summary settles it:

* 0 when the column's ``min`` and ``max`` both lie in the range;
* 1 when the whole column lies beyond one end (``max < low`` or ``min > high``);
* otherwise it is read from the KLL quantile sketch, ``P(X < low)`` as the sketch's
  fraction of values ``<= nextafter(low, -inf)`` and ``P(X > high)`` as one minus its
  fraction ``<= high``. Those are exact while the sketch has kept every value
  (``rank_error == 0``); past that each is within the sketch's rank error with 99 %
  confidence, so the share is within ``bound``: the rank error times the number of ends
  that needed the sketch (one or two).

Where the share is exact, so is the count: on exact sketches the count of a merged profile is
the sum of the counts of its parts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.profile import NumericSummary
from driftpilot.quality._result import as_dict
from driftpilot.quality._validation import check_real, proportion_se, wrong_kind

__all__ = ["OutOfRangeResult", "out_of_range", "reference_range"]

_FUNC = "out_of_range"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutOfRangeResult:
    """Share of a column's valid values outside ``[low, high]``.

    Attributes
    ----------
    low, high
        The range; ``None`` for an open end.
    n_valid
        Number of valid (finite) values judged.
    n_below, n_above
        Values below ``low`` and above ``high`` (estimates, rounded, when not ``exact``).
    n_out_of_range
        ``n_below + n_above``.
    share
        ``n_out_of_range / n_valid``.
    stderr
        Binomial standard error of ``share``, ``sqrt(share (1 - share) / n_valid)``.
    exact
        Whether ``share`` is exact; if not, it comes from the KLL sketch.
    bound
        Bound on the error of ``share`` from the sketch (99 % confidence), 0 when exact.
    """

    low: float | None
    high: float | None
    n_valid: int
    n_below: int
    n_above: int
    n_out_of_range: int
    share: float
    stderr: float
    exact: bool
    bound: float

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dictionary of plain Python values."""
        return as_dict(self)


def _numeric(summary: object, name: str, func: str) -> NumericSummary:
    if not isinstance(summary, NumericSummary):
        raise wrong_kind(summary, "a NumericSummary", name=name, func=func)
    if summary.n_valid == 0:
        msg = (
            f"The {name!r} argument of {func} must hold at least one finite value. Got "
            f"{summary.n} rows ({summary.n_missing} null, {summary.n_nan} NaN, "
            f"{summary.n_inf} infinite) instead."
        )
        raise InsufficientDataError(msg)
    return summary


def reference_range(summary: NumericSummary) -> tuple[float, float]:
    """Return the smallest and largest valid value of a reference column.

    Parameters
    ----------
    summary
        The column's summary in the reference data.

    Returns
    -------
    tuple of float
        ``(min, max)`` of the finite values, to pass as ``low`` and ``high`` to
        :func:`out_of_range`.

    Raises
    ------
    UnsupportedDataError
        If ``summary`` is not a ``NumericSummary``.
    InsufficientDataError
        If the reference has no finite value.

    Examples
    --------
    >>> from driftpilot import profile
    >>> from driftpilot.quality import reference_range
    >>> reference_range(profile({"age": [31.0, 45.0, None, 27.0]}).columns["age"])
    (27.0, 45.0)
    """
    summary = _numeric(summary, "summary", "reference_range")
    assert summary.min is not None  # set whenever n_valid > 0
    assert summary.max is not None
    return summary.min, summary.max


def _bound(value: float | None, name: str) -> float | None:
    if value is None:
        return None
    return check_real(value, name=name, func=_FUNC, finite=False)


def out_of_range(
    current: NumericSummary, *, low: float | None = None, high: float | None = None
) -> OutOfRangeResult:
    """Measure the share of a column's valid values below ``low`` or above ``high``.

    Parameters
    ----------
    current
        The column's summary in the window (a numeric or datetime column).
    low, high
        The allowed range, ends included; at least one must be given. For the reference's
        range, pass ``*reference_range(reference)``.

    Returns
    -------
    OutOfRangeResult
        The counts and share, its binomial standard error, and whether it is exact (else
        the sketch's error ``bound``; module docstring).

    Raises
    ------
    UnsupportedDataError
        If ``current`` is not a ``NumericSummary``.
    InsufficientDataError
        If ``current`` has no finite value.
    InvalidParameterError
        If neither ``low`` nor ``high`` is given, one is not a number, or ``low > high``.

    References
    ----------
    .. [1] Karnin, Z., Lang, K., Liberty, E. (2016). Optimal quantile approximation in
       streams. IEEE FOCS 2016, 71-78.
    .. [2] Brown, L. D., Cai, T. T., DasGupta, A. (2001). Interval estimation for a binomial
       proportion. Statistical Science 16(2), 101-133.

    Examples
    --------
    >>> from driftpilot import profile
    >>> from driftpilot.quality import out_of_range
    >>> cur = profile({"age": [12.0, 31.0, 45.0, 27.0, 130.0, None]}).columns["age"]
    >>> result = out_of_range(cur, low=18.0, high=120.0)
    >>> result.n_below, result.n_above, result.share, result.exact
    (1, 1, 0.4, True)
    """
    low, high = _bound(low, "low"), _bound(high, "high")
    if low is None and high is None:
        msg = f"The 'low' and 'high' parameters of {_FUNC} must not both be None. Got no range."
        raise InvalidParameterError(msg)
    if low is not None and high is not None and low > high:
        msg = (
            f"The 'low' parameter of {_FUNC} must be <= 'high'. Got low={low!r} and "
            f"high={high!r} instead."
        )
        raise InvalidParameterError(msg)
    current = _numeric(current, "current", _FUNC)
    n = current.n_valid
    lowest, highest = current.min, current.max
    assert lowest is not None  # set whenever n_valid > 0
    assert highest is not None
    if low is not None and highest < low:  # every value below the range
        n_below, n_above, sketched = n, 0, 0
    elif high is not None and lowest > high:  # every value above the range
        n_below, n_above, sketched = 0, n, 0
    else:
        n_below = n_above = sketched = 0
        if low is not None and lowest < low:
            n_below = _count_at_most(current, math.nextafter(low, -math.inf))
            sketched += 1
        if high is not None and highest > high:
            n_above = n - _count_at_most(current, high)
            sketched += 1
    error = current.rank_error if sketched else 0.0
    n_out = n_below + n_above
    share = n_out / n
    return OutOfRangeResult(
        low=low,
        high=high,
        n_valid=n,
        n_below=n_below,
        n_above=n_above,
        n_out_of_range=n_out,
        share=share,
        stderr=proportion_se(share, n),
        exact=error == 0.0,
        bound=min(1.0, error * sketched),
    )


def _count_at_most(summary: NumericSummary, x: float) -> int:
    """Return the sketch's count of values ``<= x`` (exact while the sketch is)."""
    fraction = float(summary.cdf([x])[0])
    return int(np.rint(fraction * summary.n_valid))
