"""Checks shared by the performance metrics: labels, scores, probabilities, lengths.

Every check raises one of our typed errors with a message that names the argument, the
function, the constraint and the value received.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from driftpilot.errors import InsufficientDataError, InvalidParameterError

if TYPE_CHECKING:
    import numpy.typing as npt

    from driftpilot._typing import FloatArray, IntArray

__all__ = [
    "PROBABILITY_SUM_TOLERANCE",
    "Label",
    "as_labels",
    "as_probabilities",
    "as_values",
    "check_int",
    "check_same_length",
    "check_threshold",
    "encode",
    "to_label",
    "unique_labels",
]

#: A class label as it appears in results: a plain Python scalar.
Label = str | int | float | bool

#: How far a row of class probabilities may sum from 1 (rows are used as given, not rescaled).
PROBABILITY_SUM_TOLERANCE = 1e-6


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, numbers.Real) and math.isnan(float(value)))


def as_labels(values: npt.ArrayLike, *, name: str, func: str) -> npt.NDArray[Any]:
    """Return ``values`` as a non-empty 1-D array of class labels without NaN or None."""
    array = np.asarray(values)
    if array.ndim != 1:
        msg = (
            f"The {name!r} argument of {func} must be a 1-D array of class labels. "
            f"Got an array of shape {array.shape} instead."
        )
        raise InvalidParameterError(msg)
    if array.size == 0:
        msg = f"The {name!r} argument of {func} must not be empty. Got 0 values instead."
        raise InsufficientDataError(msg)
    if array.dtype.kind == "f":
        n_bad = int(array.size - np.count_nonzero(np.isfinite(array)))
    elif array.dtype.kind == "O":
        n_bad = sum(1 for value in array.tolist() if _is_missing(value))
    else:
        n_bad = 0
    if n_bad:
        msg = (
            f"The {name!r} argument of {func} must not contain missing or infinite labels. "
            f"Got {n_bad} NaN, None or infinite value{'s' if n_bad > 1 else ''} instead; "
            "drop those events (and count them) before calling it."
        )
        raise InvalidParameterError(msg)
    return array


def as_values(values: npt.ArrayLike, *, name: str, func: str, ndim: int = 1) -> FloatArray:
    """Return ``values`` as a non-empty float64 array of finite numbers with ``ndim`` axes."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        msg = f"The {name!r} argument of {func} must be an array of numbers. Got {err} instead."
        raise InvalidParameterError(msg) from err
    if array.ndim != ndim:
        msg = (
            f"The {name!r} argument of {func} must be a {ndim}-D array. "
            f"Got an array of shape {array.shape} instead."
        )
        raise InvalidParameterError(msg)
    if array.shape[0] == 0:
        msg = f"The {name!r} argument of {func} must not be empty. Got 0 rows instead."
        raise InsufficientDataError(msg)
    n_bad = int(array.size - np.count_nonzero(np.isfinite(array)))
    if n_bad:
        msg = (
            f"The {name!r} argument of {func} must contain only finite values. "
            f"Got {n_bad} NaN or infinite value{'s' if n_bad > 1 else ''} instead; "
            "drop those events (and count them) before calling it."
        )
        raise InvalidParameterError(msg)
    return array


def as_probabilities(values: npt.ArrayLike, *, name: str, func: str, ndim: int) -> FloatArray:
    """Return ``values`` as probabilities in ``[0, 1]``; 2-D rows must sum to 1."""
    array = as_values(values, name=name, func=func, ndim=ndim)
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        bad = low if low < 0.0 else high
        msg = (
            f"The {name!r} argument of {func} must hold probabilities in [0, 1]. "
            f"Got {bad!r} instead; pass probabilities, not raw scores or logits."
        )
        raise InvalidParameterError(msg)
    if ndim == 2:
        deviation = float(np.max(np.abs(array.sum(axis=1) - 1.0)))
        if deviation > PROBABILITY_SUM_TOLERANCE:
            msg = (
                f"The {name!r} argument of {func} must have rows that sum to 1 "
                f"(within {PROBABILITY_SUM_TOLERANCE}). Got a row that is off by "
                f"{deviation:.3g} instead."
            )
            raise InvalidParameterError(msg)
    return array


def check_same_length(
    first: npt.NDArray[Any], second: npt.NDArray[Any], *, names: tuple[str, str], func: str
) -> None:
    """Raise if the two arrays do not have the same number of rows."""
    if first.shape[0] != second.shape[0]:
        msg = (
            f"The {names[0]!r} and {names[1]!r} arguments of {func} must have the same "
            f"length (one value per event). Got {first.shape[0]} and {second.shape[0]} instead."
        )
        raise InvalidParameterError(msg)


def check_threshold(threshold: float, *, func: str) -> float:
    """Return ``threshold`` as a float after checking that it lies in ``[0, 1]``."""
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, numbers.Real)
        or not 0.0 <= float(threshold) <= 1.0
    ):
        msg = (
            f"The 'threshold' parameter of {func} must be a number in [0, 1]. "
            f"Got {threshold!r} instead."
        )
        raise InvalidParameterError(msg)
    return float(threshold)


def check_int(value: int, *, name: str, func: str, minimum: int) -> int:
    """Return ``value`` as an int after checking that it is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        msg = (
            f"The {name!r} parameter of {func} must be an integer >= {minimum}. "
            f"Got {value!r} instead."
        )
        raise InvalidParameterError(msg)
    return int(value)


def to_label(value: object) -> Label:
    """Return a label as a plain Python string or number."""
    item = value.item() if isinstance(value, np.generic) else value
    if not isinstance(item, str | int | float | bool):
        msg = f"Class labels must be strings or numbers. Got {item!r} instead."
        raise InvalidParameterError(msg)
    return item


def unique_labels(array: npt.NDArray[Any], *, name: str, func: str) -> list[Label]:
    """Return the sorted distinct labels of ``array`` as Python scalars."""
    try:
        uniques = np.unique(array)
    except TypeError as err:
        msg = (
            f"The {name!r} argument of {func} must hold labels of one sortable kind "
            f"(all numbers or all strings). Got {err} instead."
        )
        raise InvalidParameterError(msg) from err
    return [to_label(value) for value in uniques.tolist()]


def encode(array: npt.NDArray[Any], labels: list[Label], *, name: str, func: str) -> IntArray:
    """Return the position in ``labels`` of each value of ``array``; raise on unknown labels."""
    try:
        uniques, inverse = np.unique(array, return_inverse=True)
    except TypeError as err:
        msg = (
            f"The {name!r} argument of {func} must hold labels of one sortable kind "
            f"(all numbers or all strings). Got {err} instead."
        )
        raise InvalidParameterError(msg) from err
    position = {label: index for index, label in enumerate(labels)}
    codes = []
    for value in uniques.tolist():
        label = to_label(value)
        if label not in position:
            msg = (
                f"The {name!r} argument of {func} holds the label {label!r}, which is not "
                f"among the labels {labels!r}. Pass every class in 'labels'."
            )
            raise InvalidParameterError(msg)
        codes.append(position[label])
    return np.asarray(codes, dtype=np.int64)[inverse.reshape(-1)]
