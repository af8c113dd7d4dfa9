"""Turn any supported input into one ``pyarrow.Table``.

Every frame library reaches the rest of driftpilot as a ``pyarrow.Table``: pandas, polars
and pyarrow frames through narwhals (``to_arrow``), a 2-D numpy array as columns named
``"0"``, ``"1"``, ... (as pandas names them), and a mapping of column name to 1-D array or
list. Arrow is the one in-memory form because its compute kernels count categories and
nulls without a Python loop, and because Parquet, CSV and JSON-lines files read into it
directly.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import narwhals as nw
import numpy as np
import pyarrow as pa

from driftpilot.errors import SchemaMismatchError, UnsupportedDataError

__all__ = ["to_table"]


def to_table(data: Any, *, name: str = "data") -> pa.Table:
    """Return ``data`` as a ``pyarrow.Table``.

    Parameters
    ----------
    data
        A pandas, polars or pyarrow data frame, a 2-D numpy array, or a mapping of column
        name to a 1-D array or list.
    name
        What to call the input in error messages (``"reference"``, ``"current"``).

    Raises
    ------
    UnsupportedDataError
        ``data`` is of a kind we cannot read.
    SchemaMismatchError
        A column holds values of mixed types (strings in a numeric column, say).
    """
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, np.ndarray):
        return _from_numpy(data, name)
    if isinstance(data, Mapping):
        return _from_mapping(data, name)
    fast = _from_pandas_floats(data)
    if fast is not None:
        return fast
    try:
        frame = nw.from_native(data, eager_only=True)
    except TypeError as err:
        raise UnsupportedDataError(
            f"The {name!r} input must be a pandas, polars or pyarrow data frame, a 2-D numpy "
            f"array or a dict of arrays. Got {type(data).__name__} instead."
        ) from err
    try:
        return frame.to_arrow()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as err:
        raise SchemaMismatchError(
            f"The {name!r} input has a column that cannot be read as one type: "
            f"{_arrow_message(err)}"
        ) from err


def _from_pandas_floats(data: Any) -> pa.Table | None:
    """Return a pandas frame as a table, its NaN-free float columns without a copy.

    ``pyarrow`` converts a pandas float column by scanning it for NaN into a validity
    bitmap (NaN is missing in pandas), about 20 ms per million values; ``numpy.isnan``
    answers "any NaN?" 50 times faster, and a column without one is wrapped as it is,
    zero-copy, into the same Arrow array. Every other column (and every frame this cannot
    treat exactly as pyarrow would: not pandas, an index other than a ``RangeIndex``, a
    non-string or repeated column name, MultiIndex columns) goes through the general
    conversion. The table equals the general one, without its pandas schema metadata.
    Returns ``None`` when nothing is gained.
    """
    pandas = sys.modules.get("pandas")
    if pandas is None or not isinstance(data, pandas.DataFrame):
        return None
    names = list(data.columns)
    if (
        not isinstance(data.index, pandas.RangeIndex)  # pyarrow would keep it as a column
        or isinstance(data.columns, pandas.MultiIndex)
        or not all(isinstance(n, str) for n in names)
        or len(set(names)) != len(names)
    ):
        return None
    direct: dict[str, pa.Array] = {}
    for column in names:
        dtype = data[column].dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "f":
            values = data[column].to_numpy()
            if not np.isnan(values).any():
                direct[column] = pa.array(values, from_pandas=False)
    if not direct:
        return None
    rest = [n for n in names if n not in direct]
    converted = to_table(data[rest]) if rest else None
    columns = [
        direct[n] if n in direct else converted.column(n)  # type: ignore[union-attr]
        for n in names
    ]
    return pa.table(columns, names=names)


def _from_numpy(array: np.ndarray[Any, Any], name: str) -> pa.Table:
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise UnsupportedDataError(
            f"A numpy {name!r} input must be 1-D or 2-D (rows x columns). "
            f"Got an array with {array.ndim} dimensions instead."
        )
    return _from_mapping({str(i): array[:, i] for i in range(array.shape[1])}, name)


def _from_mapping(data: Mapping[Any, Any], name: str) -> pa.Table:
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    length: int | None = None
    for key, values in data.items():
        column = str(key)
        try:
            array = values if isinstance(values, pa.Array | pa.ChunkedArray) else _to_arrow(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as err:
            raise SchemaMismatchError(
                f"Column {column!r} of the {name!r} input cannot be read as one type: "
                f"{_arrow_message(err)}"
            ) from err
        if length is not None and len(array) != length:
            raise SchemaMismatchError(
                f"The columns of the {name!r} input must all have the same length. "
                f"Column {column!r} has {len(array)} values, earlier columns have {length}."
            )
        length = len(array)
        columns[column] = array
    return pa.table(columns)


def _to_arrow(values: Any) -> pa.Array:
    try:
        array = np.asarray(values)
    except ValueError:
        # Ragged nesting ([[1, 2], [1]] or [1, [2]]): numpy refuses the shape; Arrow reads
        # a list column, or says which values do not fit one type.
        return pa.array(list(values), from_pandas=True)
    if array.ndim != 1:
        raise pa.ArrowInvalid(f"expected 1-D values, got {array.ndim} dimensions")
    if array.dtype.kind == "f":
        # NaN stays NaN (counted as such), it does not become a null.
        return pa.array(array, from_pandas=False)
    if array.dtype.kind == "O":
        return pa.array(array.tolist(), from_pandas=True)
    if array.dtype.kind in "US" and not isinstance(values, np.ndarray):
        # numpy turns a list mixing numbers and strings ([1.0, "n/a"]) into all strings;
        # Arrow refuses it, so the mixed column is reported instead of read as text.
        return pa.array(list(values))
    return pa.array(array)


def _arrow_message(err: Exception) -> str:
    return "; ".join(str(part) for part in err.args) or type(err).__name__
