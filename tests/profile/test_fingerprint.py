"""fingerprint: library independence, sensitivity to values and row order, canonical chunks."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import struct

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from driftpilot.errors import UnsupportedDataError
from driftpilot.profile import fingerprint

DATA = {
    "amount": [1.5, None, -2.0, 4.25],
    "count": [3, 1, 4, 1],
    "city": ["Oslo", None, "Lima", "Oslo"],
    "member": [True, False, None, True],
    "seen": [dt.datetime(2024, 1, d, 12, tzinfo=dt.UTC) for d in (1, 2, 3, 4)],
}


def test_every_library_gives_the_same_fingerprint() -> None:
    expected = fingerprint(DATA)
    assert fingerprint(pd.DataFrame(DATA)) == expected
    assert fingerprint(pl.DataFrame(DATA)) == expected
    assert fingerprint(pa.table(DATA)) == expected
    assert expected.startswith("blake2b:")
    assert len(expected) == len("blake2b:") + 64


def test_the_documented_byte_stream_is_what_is_hashed() -> None:
    # Built by hand from the module docstring: header, then columns in name order, each
    # with its name, encoding kind, validity bytes and values.
    def text(value: str) -> bytes:
        return struct.pack("<Q", len(value)) + value.encode()

    stream = b"driftpilot-fingerprint-v1\0" + struct.pack("<QQ", 2, 2)
    stream += text("s") + text("string") + bytes([1, 0]) + struct.pack("<qq", 1, 0) + b"a"
    stream += text("x") + text("number") + bytes([1, 0]) + struct.pack("<dd", 1.0, 0.0)
    expected = "blake2b:" + hashlib.blake2b(stream, digest_size=32).hexdigest()
    assert fingerprint({"x": [1.0, None], "s": ["a", None]}) == expected
    # Pinned when format v1 was fixed: a change here means old baselines no longer match.
    assert expected == ("blake2b:57c1f6c770a89867a6b9e19524317edd1e86b97d09a13191cf7a9c4cddcfe2f8")


def test_one_changed_value_changes_it() -> None:
    base = fingerprint(DATA)
    for column, index, value in [
        ("amount", 0, 1.5000000000000002),
        ("count", 3, 2),
        ("city", 0, "oslo"),
        ("city", 1, ""),
        ("member", 2, False),
        ("seen", 0, dt.datetime(2024, 1, 1, 12, 0, 0, 1, tzinfo=dt.UTC)),
    ]:
        changed = {k: list(v) for k, v in DATA.items()}
        changed[column][index] = value
        assert fingerprint(changed) != base, (column, value)


def test_row_order_matters_and_column_order_does_not() -> None:
    base = fingerprint(DATA)
    reversed_rows = {k: list(reversed(v)) for k, v in DATA.items()}
    assert fingerprint(reversed_rows) != base
    assert fingerprint(dict(reversed(DATA.items()))) == base
    assert fingerprint({"renamed" if k == "city" else k: v for k, v in DATA.items()}) != base


def test_string_boundaries_are_part_of_the_hash() -> None:
    assert fingerprint({"s": ["ab", "c"]}) != fingerprint({"s": ["a", "bc"]})
    assert fingerprint({"s": ["a", "b"]}) == fingerprint(
        pa.table({"s": pa.array(["a", "b"], pa.large_string())})
    )


def test_the_input_chunking_does_not_matter() -> None:
    values = np.arange(150_000, dtype=np.float64)
    words = np.array(["w" * (i % 7) for i in range(150_000)], dtype=object)
    one = pa.table({"x": values, "w": words})
    pieces = [(0, 1), (1, 70_000), (70_001, 79_999)]
    many = pa.table(
        {
            "x": pa.chunked_array([values[a : a + n] for a, n in pieces]),
            "w": pa.chunked_array([pa.array(words[a : a + n], pa.string()) for a, n in pieces]),
        }
    )
    assert fingerprint(one) == fingerprint(many)


def test_numbers_are_compared_as_values() -> None:
    assert fingerprint({"x": [1, 2, 3]}) == fingerprint({"x": [1.0, 2.0, 3.0]})
    assert fingerprint({"x": pa.array([1, 2], pa.int8())}) == fingerprint({"x": [1, 2]})
    # Missing and NaN are one canonical missing value; -0.0 is 0.0.
    assert fingerprint({"x": [1.0, None]}) == fingerprint({"x": [1.0, math.nan]})
    assert fingerprint({"x": [-0.0]}) == fingerprint({"x": [0.0]})
    assert fingerprint({"x": [0.0]}) != fingerprint({"x": [None]})
    # Integers float64 cannot hold exactly are hashed by their digits.
    assert fingerprint({"x": [2**53 + 1]}) != fingerprint({"x": [2**53]})


def test_times_are_instants_in_nanoseconds() -> None:
    seconds = pa.array([0, 86_400], pa.timestamp("s"))
    nanos = pa.array([0, 86_400 * 10**9], pa.timestamp("ns", tz="UTC"))
    dates = pa.array([dt.date(1970, 1, 1), dt.date(1970, 1, 2)])
    assert fingerprint({"t": seconds}) == fingerprint({"t": nanos}) == fingerprint({"t": dates})


def test_all_missing_columns_hash_alike_whatever_their_type() -> None:
    assert fingerprint({"x": pa.array([None, None], pa.float64())}) == fingerprint(
        {"x": pa.array([None, None], pa.string())}
    )


def test_unsupported_columns_are_named() -> None:
    with pytest.raises(UnsupportedDataError, match="'tags'"):
        fingerprint(pa.table({"tags": pa.array([[1], [2]])}))
