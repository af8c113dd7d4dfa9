"""Column kinds, how they are inferred, and how a column's values are taken out for tests.

Inference rule (overridable per column with ``schema={"col": "categorical"}``):

* ``boolean``: an Arrow boolean column.
* ``datetime``: a timestamp or date column; tested as seconds since the epoch.
* ``numeric``: a floating-point column, or an integer column with more than
  ``LOW_CARDINALITY_MAX`` (10) distinct values.
* ``categorical``: an integer column with at most 10 distinct values (ratings 1-5, number of
  children), or a string column that is not text.
* ``text``: a string column whose values average more than 32 characters and at least half
  of which contain white space (free text, not codes). Text is compared on its lengths.

An all-null column takes the kind its Arrow type suggests (``numeric`` for the null type);
reports flag it as all-missing rather than testing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftpilot._typing import FloatArray, IntArray
from driftpilot.errors import InvalidParameterError, SchemaMismatchError, UnsupportedDataError

__all__ = [
    "LOW_CARDINALITY_MAX",
    "CategoryCounts",
    "ColumnType",
    "NumericValues",
    "category_counts",
    "infer_type",
    "numeric_values",
    "parse_column_type",
]

LOW_CARDINALITY_MAX = 10
_TEXT_MEAN_LENGTH = 32
_TEXT_SPACE_SHARE = 0.5


class ColumnType(StrEnum):
    """The kind of a column, which decides its summary and its drift test."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    TEXT = "text"


def parse_column_type(value: str | ColumnType, *, column: str) -> ColumnType:
    """Return ``value`` as a :class:`ColumnType`, naming ``column`` if it is not one."""
    try:
        return ColumnType(value)
    except ValueError as err:
        allowed = ", ".join(repr(t.value) for t in ColumnType)
        raise InvalidParameterError(
            f"The type given for column {column!r} in 'schema' must be one of {allowed}. "
            f"Got {value!r} instead."
        ) from err


def infer_type(column: pa.ChunkedArray | pa.Array, *, name: str) -> ColumnType:
    """Infer the :class:`ColumnType` of an Arrow column (rule in the module docstring)."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_boolean(kind):
        return ColumnType.BOOLEAN
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return ColumnType.DATETIME
    if pa.types.is_floating(kind) or pa.types.is_null(kind) or pa.types.is_decimal(kind):
        return ColumnType.NUMERIC
    if pa.types.is_integer(kind):
        distinct = pc.count_distinct(column, mode="only_valid").as_py()
        return ColumnType.CATEGORICAL if distinct <= LOW_CARDINALITY_MAX else ColumnType.NUMERIC
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return ColumnType.TEXT if _looks_like_text(column) else ColumnType.CATEGORICAL
    raise UnsupportedDataError(
        f"Column {name!r} has Arrow type {column.type}, which driftpilot cannot profile. "
        "Drop it or cast it to a number, string, boolean or timestamp."
    )


def _looks_like_text(column: pa.ChunkedArray | pa.Array) -> bool:
    if pa.types.is_dictionary(column.type):  # pandas/polars categoricals: no utf8_length kernel
        column = pc.cast(column, column.type.value_type)
    valid = column.drop_null() if isinstance(column, pa.ChunkedArray) else pc.drop_null(column)
    if len(valid) == 0:
        return False
    mean_length = pc.mean(pc.utf8_length(valid)).as_py()
    if mean_length is None or mean_length <= _TEXT_MEAN_LENGTH:
        return False
    spaced = pc.sum(pc.match_substring_regex(valid, r"\s")).as_py() or 0
    return bool(spaced >= _TEXT_SPACE_SHARE * len(valid))


@dataclass(frozen=True, slots=True, kw_only=True)
class NumericValues:
    """The finite values of a column, with what was taken out and why.

    ``n`` counts every row; ``n_missing`` nulls, ``n_nan`` NaN and ``n_inf`` infinite values.
    ``values`` holds the ``n - n_missing - n_nan - n_inf`` finite values as float64.
    """

    values: FloatArray
    n: int
    n_missing: int
    n_nan: int
    n_inf: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryCounts:
    """Exact counts of each category (Python scalars: str, int or bool), nulls counted apart."""

    categories: list[Any]
    counts: IntArray
    n: int
    n_missing: int


def numeric_values(
    column: pa.ChunkedArray | pa.Array, kind: ColumnType, *, name: str
) -> NumericValues:
    """Return the finite values of a column as float64, for the numeric kinds.

    ``datetime`` columns become seconds since the epoch, ``text`` columns their lengths in
    characters, ``boolean`` columns 0/1.
    """
    n = len(column)
    n_missing = column.null_count
    if n_missing == 0:  # drop_null would copy every buffer for nothing
        valid = column
    else:
        valid = column.drop_null() if isinstance(column, pa.ChunkedArray) else pc.drop_null(column)
    try:
        if kind is ColumnType.DATETIME:
            values = _datetime_seconds(valid)
        elif kind is ColumnType.TEXT:
            values = _to_float(pc.utf8_length(valid))
        else:
            values = _to_float(valid)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as err:
        raise SchemaMismatchError(
            f"Column {name!r} is treated as {kind.value} but its Arrow type {column.type} "
            f"cannot be read as numbers: {err}"
        ) from err
    nan_mask = np.isnan(values)
    n_nan = int(nan_mask.sum())
    inf_mask = np.isinf(values)
    n_inf = int(inf_mask.sum())
    if n_nan or n_inf:
        values = values[~(nan_mask | inf_mask)]
    return NumericValues(values=values, n=n, n_missing=n_missing, n_nan=n_nan, n_inf=n_inf)


def _to_float(arrow: pa.ChunkedArray | pa.Array) -> FloatArray:
    if isinstance(arrow, pa.ChunkedArray):
        if arrow.num_chunks == 0:
            return np.empty(0, dtype=np.float64)
        arrow = pa.concat_arrays(arrow.chunks) if arrow.num_chunks > 1 else arrow.chunk(0)
    if pa.types.is_dictionary(arrow.type):
        arrow = arrow.dictionary_decode()
    if pa.types.is_null(arrow.type):
        return np.empty(0, dtype=np.float64)
    if not pa.types.is_floating(arrow.type) or arrow.type != pa.float64():
        arrow = pc.cast(arrow, pa.float64())
    return np.asarray(arrow.to_numpy(zero_copy_only=False), dtype=np.float64)


def _datetime_seconds(valid: pa.ChunkedArray | pa.Array) -> FloatArray:
    if pa.types.is_date(valid.type):
        valid = pc.cast(valid, pa.timestamp("s"))
    scale = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}[valid.type.unit]
    ticks = pc.cast(valid, pa.int64())
    if isinstance(ticks, pa.ChunkedArray):
        ticks = pa.concat_arrays(ticks.chunks) if ticks.num_chunks else pa.array([], pa.int64())
    return np.asarray(ticks.to_numpy(zero_copy_only=False), dtype=np.float64) / scale


def category_counts(column: pa.ChunkedArray | pa.Array) -> CategoryCounts:
    """Count each distinct non-null value of a column exactly."""
    n = len(column)
    n_missing = column.null_count
    if n == n_missing:
        return CategoryCounts(categories=[], counts=np.empty(0, dtype=np.int64), n=n, n_missing=n)
    if pa.types.is_dictionary(column.type):
        column = (
            column.dictionary_decode()
            if isinstance(column, pa.Array)
            else pa.chunked_array(
                [chunk.dictionary_decode() for chunk in column.chunks], type=column.type.value_type
            )
        )
    valid = column.drop_null() if isinstance(column, pa.ChunkedArray) else pc.drop_null(column)
    tallies = pc.value_counts(valid)
    categories = tallies.field("values").to_pylist()
    counts = np.asarray(tallies.field("counts").to_numpy(zero_copy_only=False), dtype=np.int64)
    if pa.types.is_floating(valid.type):
        # NaN is not a category; keep it out of the counts, the way numeric columns do.
        keep = [not (isinstance(c, float) and c != c) for c in categories]
        categories = [c for c, k in zip(categories, keep, strict=True) if k]
        counts = counts[np.asarray(keep, dtype=bool)]
    return CategoryCounts(categories=categories, counts=counts, n=n, n_missing=n_missing)
