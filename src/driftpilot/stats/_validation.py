"""Checks shared by the kernels: samples, counts and scalar parameters.

Every check raises one of our typed errors with a message that names the argument, the
function, the constraint and the value received.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np

from driftpilot.errors import InsufficientDataError, InvalidParameterError

if TYPE_CHECKING:
    import numpy.typing as npt

    from driftpilot._typing import FloatArray, IntArray

__all__ = [
    "as_count_pair",
    "as_sample",
    "check_eps",
    "check_finite",
    "check_int",
    "check_sorted",
]


def as_sample(values: npt.ArrayLike, *, name: str, func: str, min_size: int = 1) -> FloatArray:
    """Return ``values`` as a 1-D float64 array of finite values, at least ``min_size`` long."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        msg = f"The {name!r} argument of {func} must be an array of numbers. Got {err} instead."
        raise InvalidParameterError(msg) from err
    if array.ndim != 1:
        msg = (
            f"The {name!r} argument of {func} must be a 1-D array. "
            f"Got an array of shape {array.shape} instead."
        )
        raise InvalidParameterError(msg)
    if array.size < min_size:
        msg = (
            f"The {name!r} argument of {func} must contain at least {min_size} "
            f"value{'s' if min_size > 1 else ''}. Got {array.size} instead."
        )
        raise InsufficientDataError(msg)
    check_finite(array, name=name, func=func)
    return array


def check_finite(array: FloatArray, *, name: str, func: str) -> None:
    """Raise if ``array`` holds NaN or infinity."""
    n_bad = int(array.size - np.count_nonzero(np.isfinite(array)))
    if n_bad:
        msg = (
            f"The {name!r} argument of {func} must contain only finite values. "
            f"Got {n_bad} NaN or infinite value{'s' if n_bad > 1 else ''} instead; "
            "drop them before calling it."
        )
        raise InvalidParameterError(msg)


def check_sorted(array: FloatArray, *, name: str, func: str) -> None:
    """Raise if ``array`` is not sorted in non-decreasing order."""
    if array.size > 1 and bool(np.any(array[1:] < array[:-1])):
        msg = (
            f"The {name!r} argument of {func} must be sorted when assume_sorted=True. "
            "Got an unsorted array instead."
        )
        raise InvalidParameterError(msg)


def _as_counts(counts: npt.ArrayLike, *, name: str, func: str) -> IntArray:
    array = np.asarray(counts)
    if array.ndim != 1 or array.size == 0:
        msg = (
            f"The {name!r} argument of {func} must be a non-empty 1-D array of counts. "
            f"Got an array of shape {array.shape} instead."
        )
        raise InvalidParameterError(msg)
    if array.dtype.kind in "iu":
        integral = array.astype(np.int64)
    elif array.dtype.kind == "f" and bool(np.all(np.isfinite(array))):
        integral = array.astype(np.int64)
        if not np.array_equal(integral, array):
            msg = (
                f"The {name!r} argument of {func} must hold whole-number counts. "
                f"Got {array.tolist()!r} instead."
            )
            raise InvalidParameterError(msg)
    else:
        msg = (
            f"The {name!r} argument of {func} must hold finite whole-number counts. "
            f"Got an array of dtype {array.dtype} instead."
        )
        raise InvalidParameterError(msg)
    if bool(np.any(integral < 0)):
        msg = (
            f"The {name!r} argument of {func} must hold non-negative counts. "
            f"Got {integral.tolist()!r} instead."
        )
        raise InvalidParameterError(msg)
    if int(integral.sum()) == 0:
        msg = (
            f"The {name!r} argument of {func} must have a positive total count. "
            "Got only zeros instead."
        )
        raise InsufficientDataError(msg)
    return integral


def as_count_pair(
    reference_counts: npt.ArrayLike,
    current_counts: npt.ArrayLike,
    *,
    func: str,
) -> tuple[IntArray, IntArray]:
    """Return two aligned count arrays as int64, checked to be comparable."""
    reference = _as_counts(reference_counts, name="reference_counts", func=func)
    current = _as_counts(current_counts, name="current_counts", func=func)
    if reference.shape != current.shape:
        msg = (
            f"The 'reference_counts' and 'current_counts' arguments of {func} must have "
            f"the same length (one count per bin or category). Got {reference.size} and "
            f"{current.size} instead."
        )
        raise InvalidParameterError(msg)
    return reference, current


def check_eps(eps: float, *, func: str) -> float:
    """Return ``eps`` as a float after checking that it lies in ``(0, 1)``."""
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0.0 < eps < 1.0:
        msg = f"The 'eps' parameter of {func} must be a number in (0, 1). Got {eps!r} instead."
        raise InvalidParameterError(msg)
    return float(eps)


def check_int(value: int, *, name: str, func: str, minimum: int) -> int:
    """Return ``value`` as an int after checking that it is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        msg = (
            f"The {name!r} parameter of {func} must be an integer >= {minimum}. "
            f"Got {value!r} instead."
        )
        raise InvalidParameterError(msg)
    return int(value)
