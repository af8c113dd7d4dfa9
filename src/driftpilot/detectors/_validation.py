"""Parameter and input checks shared by the streaming detectors.

Each check raises :class:`~driftpilot.errors.InvalidParameterError` with a message that names
the parameter, the detector, the constraint and the value received.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable

import numpy as np

from driftpilot.errors import InvalidParameterError

__all__ = [
    "check_binary",
    "check_binary_values",
    "check_finite_value",
    "check_finite_values",
    "check_int",
    "check_real",
]


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


def _as_array(xs: object, *, owner: str, check: Callable[..., float]) -> np.ndarray:
    # Numbers and booleans convert at numpy speed; anything else (strings, None, Decimal)
    # goes through the scalar check, which raises with the same message as ``update``.
    if isinstance(xs, str) or not isinstance(xs, Iterable):
        msg = f"The 'xs' values passed to {owner}.update_many must be a sequence of numbers. "
        raise InvalidParameterError(msg + f"Got {xs!r} instead.")
    seq = xs if isinstance(xs, np.ndarray | list | tuple) else list(xs)
    try:
        values = np.asarray(seq)
    except ValueError:  # ragged nesting: let the scalar check name the first bad value
        values = np.array([*seq, None], dtype=object)[:-1]
    if values.ndim != 1 and values.dtype.kind in "biuf":
        msg = f"The 'xs' values passed to {owner}.update_many must be one-dimensional. "
        raise InvalidParameterError(msg + f"Got an array of shape {values.shape} instead.")
    if values.dtype.kind not in "biuf":
        return np.array([check(v, owner=owner) for v in seq], dtype=np.float64)
    return values.astype(np.float64, copy=False)


def check_finite_values(xs: object, *, owner: str) -> np.ndarray:
    """Return a batch of streamed values as float64, raising unless every one is finite.

    The error names the first bad value, as :func:`check_finite_value` would for it.
    """
    values = _as_array(xs, owner=owner, check=check_finite_value)
    bad = ~np.isfinite(values)
    if bad.any():
        check_finite_value(values[int(np.argmax(bad))].item(), owner=owner)
    return values


def check_binary_values(xs: object, *, owner: str) -> np.ndarray:
    """Return a batch of streamed 0/1 outcomes as int64, raising for anything else."""
    values = _as_array(xs, owner=owner, check=check_binary)
    bad = (values != 0) & (values != 1)
    if bad.any():
        check_binary(values[int(np.argmax(bad))].item(), owner=owner)
    return values.astype(np.int64)


def _fmt(bound: float) -> str:
    if math.isinf(bound):
        return "inf" if bound > 0 else "-inf"
    return f"{bound:g}"
