"""Parameter and input checks shared by the streaming detectors.

Each check raises :class:`~driftpilot.errors.InvalidParameterError` with a message that names
the parameter, the detector, the constraint and the value received.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from driftpilot.errors import InvalidParameterError

__all__ = ["check_binary", "check_finite_value", "check_int", "check_real"]


def check_int(value: object, *, name: str, owner: str, minimum: int) -> int:
    """Return ``value`` as an int, raising unless it is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        msg = (
            f"The {name!r} parameter of {owner} must be an integer >= {minimum}. "
            f"Got {value!r} instead."
        )
        raise InvalidParameterError(msg)
    return int(value)


def check_real(
    value: object,
    *,
    name: str,
    owner: str,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float, raising unless it is a real number in the given interval."""
    ok = (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and not math.isnan(float(value))
    )
    if ok:
        number = float(value)  # type: ignore[arg-type]
        ok = (number > low if low_open else number >= low) and (
            number < high if high_open else number <= high
        )
    if not ok:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        msg = (
            f"The {name!r} parameter of {owner} must be a real number in "
            f"{left}{_fmt(low)}, {_fmt(high)}{right}. Got {value!r} instead."
        )
        raise InvalidParameterError(msg)
    return float(value)  # type: ignore[arg-type]


def check_finite_value(x: object, *, owner: str) -> float:
    """Return the streamed value ``x`` as a float, raising unless it is a finite number."""
    if isinstance(x, numbers.Real | np.bool_):
        value = float(x)
        if math.isfinite(value):
            return value
    msg = f"The 'x' value passed to {owner}.update must be a finite number. Got {x!r} instead."
    raise InvalidParameterError(msg)


def check_binary(x: object, *, owner: str) -> int:
    """Return the streamed value ``x`` as 0 or 1, raising for anything else."""
    if isinstance(x, numbers.Real | np.bool_) and (x == 0 or x == 1):
        return 1 if x == 1 else 0
    msg = (
        f"The 'x' value passed to {owner}.update must be 0 or 1 (1 for an error). "
        f"Got {x!r} instead."
    )
    raise InvalidParameterError(msg)


def _fmt(bound: float) -> str:
    if math.isinf(bound):
        return "inf" if bound > 0 else "-inf"
    return f"{bound:g}"
