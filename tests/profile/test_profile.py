"""profile() and Profile: kinds, references, odd columns, inputs, merge errors, files."""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from profile_checks import assert_equivalent

from driftpilot._columns import ColumnType
from driftpilot.errors import (
    IncompatibleProfilesError,
    InvalidParameterError,
    SchemaMismatchError,
)
from driftpilot.profile import (
    CategoricalSummary,
    NumericSummary,
    Profile,
    ProfileConfig,
    TextSummary,
    profile,
)


def numeric(p: Profile, column: str) -> NumericSummary:
    summary = p.columns[column]
    assert isinstance(summary, NumericSummary)
    return summary


def test_columns_keep_the_data_order_and_inferred_kinds() -> None:
    p = profile(
        {
            "z": [1.5, 2.5, 3.5],
            "a": ["x", "y", "x"],
            "flag": [True, False, True],
            "when": pa.array([1, 2, 3], pa.timestamp("s")),
            "rating": [1, 2, 3],
        }
    )
    assert list(p.columns) == ["z", "a", "flag", "when", "rating"]
    assert [k.value for k in p.schema.values()] == [
        "numeric", "categorical", "boolean", "datetime", "categorical"
    ]  # fmt: skip
    assert p.n_rows == 3
    assert dict(p.skipped) == {}


def test_schema_overrides_inference_and_is_checked() -> None:
    p = profile({"rating": [1, 2, 3, 2]}, {"rating": "numeric"})
    assert numeric(p, "rating").mean == 2.0
    with pytest.raises(SchemaMismatchError, match=r"columns the data does not have: \['nope'\]"):
        profile({"x": [1.0]}, {"nope": "numeric"})
    with pytest.raises(InvalidParameterError, match=r"column 'x'.*Got 'number'"):
        profile({"x": [1.0]}, {"x": "number"})


def test_unprofilable_columns_are_skipped_with_the_reason() -> None:
    table = pa.table({"x": [1.0, 2.0], "tags": pa.array([[1], [2, 3]])})
    p = profile(table)
    assert list(p.columns) == ["x"]
    assert "list<item: int64>" in p.skipped["tags"]


def test_an_all_null_column_is_a_valid_summary() -> None:
    p = profile({"x": pa.array([None, None, None]), "c": pa.array([None] * 3, pa.string())})
    x = numeric(p, "x")
    assert (x.n, x.n_missing, x.n_valid, x.mean, x.min, x.histogram) == (3, 3, 0, None, None, None)
    c = p.columns["c"]
    assert isinstance(c, CategoricalSummary)
    assert c.n_missing == 3
    assert c.categories() == []


def test_an_empty_frame_gives_an_empty_profile() -> None:
    frame = pa.table({"x": pa.array([], pa.float64()), "c": pa.array([], pa.string())})
    p = profile(frame)
    assert p.n_rows == 0
    assert numeric(p, "x").n == 0
    assert p == Profile.empty({"x": "numeric", "c": "categorical"})
    other = profile({"x": [1.0, 2.0], "c": ["a", "b"]})
    assert p.merge(other) == other
    no_columns = profile(pa.table({}))
    assert no_columns.n_rows == 0
    assert not no_columns.columns


def test_strings_in_a_numeric_column_are_reported_clearly() -> None:
    with pytest.raises(SchemaMismatchError, match="'amount'"):
        profile({"amount": [1.0, "n/a", 3.0]})
    with pytest.raises(SchemaMismatchError, match="column amount"):
        profile(pd.DataFrame({"amount": [1.0, "n/a", 3.0]}))
    reference = profile({"amount": [1.0, 2.0, 3.0]})
    with pytest.raises(SchemaMismatchError, match=r"'amount'.*as numeric.*reference profile"):
        profile({"amount": ["cheap", "dear", "n/a"]}, reference=reference)
    with pytest.raises(SchemaMismatchError, match="'amount' is numeric in the reference"):
        profile({"amount": [1.0]}, {"amount": "categorical"}, reference=reference)


def test_every_input_library_gives_the_same_profile() -> None:
    data = {
        "x": [1.5, None, -2.0, 4.25],
        "n": [3, 1, 4, 1],
        "s": ["a", None, "b", "a"],
        "b": [True, False, None, True],
    }
    expected = profile(data, {"n": "numeric"})
    assert profile(pd.DataFrame(data), {"n": "numeric"}) == expected
    assert profile(pl.DataFrame(data), {"n": "numeric"}) == expected
    assert profile(pa.table(data), {"n": "numeric"}) == expected
    matrix = np.array([[1.5, 3.0], [np.nan, 1.0], [-2.0, 4.0]])
    from_numpy = profile(matrix)
    assert from_numpy == profile({"0": matrix[:, 0], "1": matrix[:, 1]})
    assert numeric(from_numpy, "0").n_nan == 1


def test_a_reference_gives_kinds_and_edges() -> None:
    reference = profile({"x": np.arange(100.0), "c": [1, 2] * 50}, config=ProfileConfig(bins=4))
    current = profile(
        {"x": [-1.0, 30.0, 99.0, 500.0], "c": [7, 8, 9, 9], "new": [1.0] * 4}, reference=reference
    )
    assert current.config == reference.config
    assert current.schema["c"] is ColumnType.CATEGORICAL  # from the reference, not inferred
    x = numeric(current, "x")
    assert x.histogram is not None
    assert reference.columns["x"].histogram is not None
    assert x.histogram.same_edges(numeric(reference, "x").histogram)  # type: ignore[arg-type]
    assert x.histogram.counts.tolist() == [1, 1, 0, 2]
    # A column the reference lacks is binned on its own edges.
    assert numeric(current, "new").histogram is not None


def test_histograms_can_be_turned_off() -> None:
    p = profile({"x": [1.0, 2.0], "t": ["some long text with spaces in it, really long"] * 2},
                config=ProfileConfig(histograms=False))  # fmt: skip
    assert numeric(p, "x").histogram is None
    t = p.columns["t"]
    assert isinstance(t, TextSummary)
    assert t.lengths.histogram is None


def test_large_frames_are_profiled_on_threads_with_the_same_result() -> None:
    rng = np.random.default_rng(5)
    data = {f"f{i}": rng.normal(size=60_000) for i in range(4)}
    p = profile(data)
    for name, values in data.items():
        s = numeric(p, name)
        assert s.n == 60_000
        assert s.mean == pytest.approx(values.mean(), rel=1e-12)
        assert s.histogram is not None
        assert s.histogram.total == 60_000
    halves = [{k: v[:30_000] for k, v in data.items()}, {k: v[30_000:] for k, v in data.items()}]
    merged = profile(halves[0], reference=p).merge(profile(halves[1], reference=p))
    assert_equivalent(merged, profile(data, reference=p))


def test_merge_errors_name_the_problem() -> None:
    a = profile({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "c"]})
    with pytest.raises(IncompatibleProfilesError, match="bins=10 vs 5"):
        a.merge(profile({"x": [1.0], "c": ["a"]}, config=ProfileConfig(bins=5)))
    with pytest.raises(SchemaMismatchError, match=r"only in the first profile: \['c'\]"):
        a.merge(profile({"x": [1.0]}))
    plain = ProfileConfig(histograms=False)
    with pytest.raises(IncompatibleProfilesError, match="Column 'c' is categorical in one"):
        profile({"x": [1.0], "c": ["a"]}, config=plain).merge(
            profile({"x": [1.0], "c": [1.0]}, config=plain)
        )
    with pytest.raises(
        IncompatibleProfilesError, match=r"Column 'x':.*reference=reference_profile"
    ):
        a.merge(profile({"x": [5.0, 6.0], "c": ["a", "a"]}))
    with pytest.raises(TypeError, match="Profile merges with a Profile"):
        a.merge("profile")  # type: ignore[arg-type]


def test_merge_does_not_change_its_inputs() -> None:
    reference = profile({"x": np.arange(10.0), "c": list("aabbccddee")})
    a = profile({"x": [1.0, 2.0], "c": ["a", "z"]}, reference=reference)
    b = profile({"x": [3.0], "c": ["a"]}, reference=reference)
    before = (a.to_json(), b.to_json())
    merged = a.merge(b)
    assert (a.to_json(), b.to_json()) == before
    assert merged.n_rows == 3


def test_skipped_columns_are_kept_through_merge_and_save() -> None:
    table = pa.table({"x": [1.0, 2.0], "tags": pa.array([[1], [2, 3]])})
    p = profile(table)
    merged = p.merge(profile(table, reference=p))
    assert "tags" in merged.skipped
    assert Profile.from_json(merged.to_json()) == merged


def test_summaries_must_count_the_profile_rows() -> None:
    s = profile({"x": [1.0]}).columns["x"]
    with pytest.raises(InvalidParameterError, match=r"counts 1 rows.*n_rows=2"):
        Profile(columns={"x": s}, n_rows=2)


def test_save_is_atomic_and_round_trips(tmp_path: Path) -> None:
    p = profile(
        {
            "x": [1.0, math.nan, math.inf, None, 0.1],
            "when": [dt.datetime(2024, 1, 1, tzinfo=dt.UTC)] * 5,
            "c": ["a", "b", None, "a", "é"],
        }
    )
    path = tmp_path / "p.json"
    p.save(path)
    p.save(path)  # overwrite in place
    assert os.listdir(tmp_path) == ["p.json"]
    assert Profile.load(path) == p
    assert Profile.load(str(path)) == p
    text = path.read_text(encoding="utf-8")
    assert '"schema_version": 2' in text
    assert "Infinity" not in text
    assert "NaN" not in text


def test_categorical_dtypes_of_pandas_and_polars_are_read_as_their_values() -> None:
    plain = profile({"c": ["a", "b", "a", None]})
    as_pandas = profile(pd.DataFrame({"c": pd.Categorical(["a", "b", "a", None])}))
    as_polars = profile(pl.DataFrame({"c": ["a", "b", "a", None]}, schema={"c": pl.Categorical}))
    assert as_pandas == plain
    assert as_polars == plain


def test_values_near_the_float_limit_keep_a_finite_mean() -> None:
    p = profile({"x": [1e308, 1e308, -1e308]}, config=ProfileConfig(histograms=False))
    x = numeric(p, "x")
    assert x.mean == pytest.approx(1e308 / 3, rel=1e-15)
    assert x.m2 == math.inf  # the spread itself exceeds float64; written as "inf"
    assert Profile.from_json(p.to_json()) == p
