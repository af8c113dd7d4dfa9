r"""A content hash of a data set, the same whichever frame library holds it.

The fingerprint is ``"blake2b:"`` and the hex BLAKE2b-256 digest (``hashlib``) of this byte
stream, written chunk by chunk so memory stays flat:

1. ``b"driftpilot-fingerprint-v1\\0"``, then the number of columns and of rows (uint64 LE).
2. For each column **in order of name** (so column order does not matter; row order does):
   its name and its *encoding kind*, each as a uint64 LE byte length then UTF-8 bytes.
3. Its values in canonical chunks of 65,536 rows (whatever the input's own chunking): one
   validity byte per row (1 valid, 0 missing), then the chunk's values:

   * ``number`` (any integer, float or decimal type): float64 little endian; missing and
     NaN are the same (pandas turns NaN into null on the way to Arrow, so the two cannot be
     told apart across libraries) and write 0.0; ``-0.0`` is written as ``0.0``. Integer
     columns with a value beyond +/-2**53, which float64 cannot hold exactly, are
     encoded as ``integer``: their decimal text, as for strings.
   * ``string`` / ``binary``: the byte length of each value (uint64 LE, 0 if missing),
     then all values' bytes (UTF-8 for strings).
   * ``boolean``: one byte per row (0 or 1, 0 if missing).
   * ``datetime`` (timestamps of any unit or time zone, and dates): int64 LE nanoseconds
     since the epoch (UTC instants; a time zone is not hashed), 0 if missing.
   * ``duration``: int64 LE nanoseconds.
   * ``null`` (a column that is entirely missing, of any type): validity bytes only.

Nested and other types (lists, structs, times of day) raise ``UnsupportedDataError``.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftpilot._frames import to_table
from driftpilot.errors import SchemaMismatchError, UnsupportedDataError

__all__ = ["CHUNK_ROWS", "fingerprint"]

#: Rows per canonical chunk.
CHUNK_ROWS = 65_536

_HEADER = b"driftpilot-fingerprint-v1\0"
_FLOAT_SAFE = 2**53
_NS_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


def fingerprint(data: Any) -> str:
    """Return the content hash of ``data`` (format in the module docstring).

    The same values give the same fingerprint in a pandas, polars or pyarrow frame or a
    dict of columns; changing, adding or reordering rows changes it.

    Examples
    --------
    >>> from driftpilot.profile import fingerprint
    >>> a = fingerprint({"x": [1, 2, 3], "city": ["Oslo", "Lima", None]})
    >>> a == fingerprint({"city": ["Oslo", "Lima", None], "x": [1.0, 2.0, 3.0]})
    True
    >>> a == fingerprint({"x": [1, 2, 4], "city": ["Oslo", "Lima", None]})
    False
    >>> a[:8]
    'blake2b:'
    """
    table = to_table(data, name="data")
    names = table.column_names
    if len(set(names)) != len(names):
        raise SchemaMismatchError("The data has repeated column names; rename them first.")
    digest = hashlib.blake2b(digest_size=32)
    digest.update(_HEADER + struct.pack("<QQ", len(names), table.num_rows))
    for name in sorted(names):
        column = table.column(name)
        kind, column = _encoding(column, name)
        digest.update(_text(name) + _text(kind))
        for start in range(0, table.num_rows, CHUNK_ROWS):
            piece = column.slice(start, CHUNK_ROWS)
            chunk = pa.concat_arrays(piece.chunks) if piece.num_chunks != 1 else piece.chunk(0)
            for part in _encode(kind, chunk):
                digest.update(part)
    return "blake2b:" + digest.hexdigest()


def _text(value: str) -> bytes:
    raw = value.encode("utf-8")
    return struct.pack("<Q", len(raw)) + raw


def _encoding(column: pa.ChunkedArray, name: str) -> tuple[str, pa.ChunkedArray]:
    """Return the encoding kind of a column and the column cast for that encoding."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = pc.cast(column, kind.value_type), kind.value_type
    if column.null_count == len(column):
        return "null", column
    if pa.types.is_integer(kind):
        low, high = pc.min_max(column).values()
        if low.as_py() >= -_FLOAT_SAFE and high.as_py() <= _FLOAT_SAFE:
            return "number", pc.cast(column, pa.float64())
        return "integer", pc.cast(pc.cast(column, pa.large_string()), pa.large_binary())
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "number", pc.cast(column, pa.float64())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return "string", pc.cast(column, pa.large_binary())
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_binary_view(kind):
        return "binary", pc.cast(column, pa.large_binary())
    if pa.types.is_boolean(kind):
        return "boolean", column
    if pa.types.is_date(kind):
        return "datetime", _to_ns(pc.cast(column, pa.date64()), "ms", name)
    if pa.types.is_timestamp(kind):
        return "datetime", _to_ns(column, kind.unit, name)
    if pa.types.is_duration(kind):
        return "duration", _to_ns(column, kind.unit, name)
    raise UnsupportedDataError(
        f"Column {name!r} has Arrow type {kind}, which fingerprint cannot hash. "
        "Drop it or cast it to a number, string, boolean or timestamp."
    )


def _to_ns(column: pa.ChunkedArray, unit: str, name: str) -> pa.ChunkedArray:
    ticks = pc.cast(column, pa.int64())
    low, high = pc.min_max(ticks).values()
    limit = np.iinfo(np.int64).max // _NS_PER_UNIT[unit]
    if low.as_py() < -limit or high.as_py() > limit:
        raise UnsupportedDataError(
            f"Column {name!r} holds times outside the years 1678-2262, which nanoseconds since "
            "the epoch cannot hold, so fingerprint cannot hash it."
        )
    return pc.multiply(ticks, pa.scalar(_NS_PER_UNIT[unit], pa.int64()))


def _encode(kind: str, chunk: pa.Array) -> list[Any]:
    valid = np.asarray(pc.is_valid(chunk).to_numpy(zero_copy_only=False), dtype=np.uint8)
    if kind == "null":
        return [valid.tobytes()]
    if kind == "number":
        values = np.array(chunk.to_numpy(zero_copy_only=False), dtype="<f8")
        missing = np.isnan(values)
        values[missing] = 0.0
        valid &= ~missing
        return [valid.tobytes(), (values + 0.0).tobytes()]
    if kind == "boolean":
        filled = pc.fill_null(chunk, False).to_numpy(zero_copy_only=False)
        return [valid.tobytes(), np.asarray(filled, dtype=np.uint8).tobytes()]
    if kind in ("datetime", "duration"):
        filled = pc.fill_null(pc.cast(chunk, pa.int64()), 0).to_numpy(zero_copy_only=False)
        return [valid.tobytes(), np.asarray(filled, dtype="<i8").tobytes()]
    filled = pc.fill_null(chunk, pa.scalar(b"", pa.large_binary()))
    offsets = np.frombuffer(filled.buffers()[1], dtype="<i8")[
        filled.offset : filled.offset + len(filled) + 1
    ]
    lengths = np.diff(offsets).astype("<i8").tobytes()
    data = filled.buffers()[2]
    start, size = int(offsets[0]), int(offsets[-1] - offsets[0])
    body = b"" if data is None or size == 0 else data.slice(start, size)
    return [valid.tobytes(), lengths, body]
