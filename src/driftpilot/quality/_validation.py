"""Checks shared by the quality functions, and the binomial standard error of a share.

Every check raises one of our typed errors with a message that names the argument, the
function, the constraint and the value received.
"""

from __future__ import annotations

import math
import numbers

from driftpilot.errors import InvalidParameterError, UnsupportedDataError

__all__ = ["check_count", "check_real", "proportion_se", "wrong_kind"]


def proportion_se(share: float, n: int) -> float:
    """Return the binomial standard error ``sqrt(p (1 - p) / n)`` of a share of ``n`` values."""
    return math.sqrt(max(share * (1.0 - share), 0.0) / n)


def wrong_kind(value: object, expected: str, *, name: str, func: str) -> UnsupportedDataError:
    """Return the error for a ``name`` argument that is not a column summary of ``expected``."""
    msg = (
        f"The {name!r} argument of {func} must be {expected} (a column summary of a profile, "
        f"such as profile.columns['age']). Got a {type(value).__name__} instead."
    )
    return UnsupportedDataError(msg)


def check_count(value: object, *, name: str, func: str, minimum: int = 0) -> int:
    """Return ``value`` as an int after checking that it is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        msg = (
            f"The {name!r} argument of {func} must be an integer >= {minimum}. "
            f"Got {value!r} instead."
        )
        raise InvalidParameterError(msg)
    return int(value)


def check_real(
    value: object, *, name: str, func: str, positive: bool = False, finite: bool = True
) -> float:
    """Return ``value`` as a float: a real number, not NaN, finite and ``> 0`` if asked."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
        if (
            not math.isnan(number)
            and (math.isfinite(number) or not finite)
            and (number > 0 or not positive)
        ):
            return number
    constraint = f"a{' finite' if finite else ''} number{' > 0' if positive else ''}"
    msg = f"The {name!r} parameter of {func} must be {constraint}. Got {value!r} instead."
    raise InvalidParameterError(msg)
