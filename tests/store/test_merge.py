"""Merging partial profiles that differ in columns, kinds and bin edges."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

import driftpilot as dp
from driftpilot.profile import NumericSummary, Profile, ProfileConfig
from driftpilot.store._merge import merge_profiles, null_summary, strip_histogram

CONFIG = ProfileConfig()
REFERENCE = dp.profile({"x": np.linspace(-3, 3, 500), "c": ["a", "b"] * 250})
EMPTY = Profile.empty({"x": "numeric", "c": "categorical"}, config=CONFIG, reference=REFERENCE)


def _part(x: list[float | None], c: list[str | None] | None) -> Profile:
    columns: dict[str, pa.Array] = {"x": pa.array(x, pa.float64())}
    if c is not None:
        columns["c"] = pa.array(c, pa.large_string())
    reference = EMPTY if c is not None else Profile.empty({"x": "numeric"}, reference=REFERENCE)
    return dp.profile(pa.table(columns), reference=reference, config=CONFIG)


rows = st.lists(
    st.tuples(st.none() | st.floats(-5, 5), st.none() | st.sampled_from(["a", "b", "z"])),
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(parts=st.lists(st.tuples(rows, st.booleans()), min_size=1, max_size=5))
def test_merging_partials_equals_profiling_all_rows(
    parts: list[tuple[list[tuple[float | None, str | None]], bool]],
) -> None:
    """Split-merge: a partial without column c counts its rows as missing in c."""
    partials, xs, cs = [], [], []
    for part, has_c in parts:
        x = [r[0] for r in part]
        c = [r[1] for r in part] if has_c else None
        partials.append(_part(x, c))
        xs.extend(x)
        cs.extend(c if c is not None else [None] * len(part))
    merged = merge_profiles(partials).profile
    assert merged is not None
    expected = _part(xs, cs) if any(has_c for _, has_c in parts) else _part(xs, None)
    assert merged.n_rows == expected.n_rows
    got, want = merged.columns["x"], expected.columns["x"]
    assert isinstance(got, NumericSummary)
    assert isinstance(want, NumericSummary)
    assert (got.n, got.n_missing, got.histogram) == (want.n, want.n_missing, want.histogram)
    if "c" in expected.columns:
        assert merged.columns["c"].to_dict() == expected.columns["c"].to_dict()


def test_kind_conflicts_are_skipped_and_noted() -> None:
    numbers = dp.profile({"v": [1.0, 2.0]}, config=CONFIG)
    words = dp.profile({"v": ["a", "b", "c"]}, config=CONFIG)
    merged = merge_profiles([numbers, words], role="features")
    assert merged.profile is not None
    assert merged.profile.n_rows == 5
    assert "v" not in merged.profile.columns
    assert "v" in merged.profile.skipped
    assert merged.notes == (
        "features: column 'v' was profiled as ['categorical', 'numeric'] in different partials "
        "and is left out.",
    )


def test_different_edges_drop_only_that_histogram() -> None:
    other = dp.profile({"x": np.linspace(0, 1, 100)})
    a = _part([0.5, 1.5], None)
    b = dp.profile({"x": [0.2]}, reference=other, config=CONFIG)
    merged = merge_profiles([a, b])
    assert merged.profile is not None
    x = merged.profile.columns["x"]
    assert isinstance(x, NumericSummary)
    assert (x.n, x.histogram) == (3, None)
    assert len(merged.notes) == 1


def test_other_configurations_are_left_out_with_a_note() -> None:
    a = dp.profile({"x": [1.0]}, config=ProfileConfig(kll_k=100))
    b = dp.profile({"x": [2.0, 3.0]}, config=CONFIG)
    merged = merge_profiles([a, b])
    assert merged.profile is not None
    assert merged.profile.n_rows == 2
    assert "kll_k=100 vs 200" in merged.notes[0]


def test_helpers() -> None:
    assert merge_profiles([]).profile is None
    summary = null_summary(dp.ColumnType.TEXT, 4, config=CONFIG, edges=None)
    assert (summary.n, summary.n_missing) == (4, 4)
    x = REFERENCE.columns["x"]
    stripped = strip_histogram(x)
    assert isinstance(stripped, NumericSummary)
    assert stripped.histogram is None
    assert stripped.n == x.n
