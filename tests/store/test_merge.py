"""Merging partial profiles that differ in columns, kinds and bin edges."""

from __future__ import annotations

import functools
from unittest import mock

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import driftpilot as dp
from driftpilot.errors import IncompatibleProfilesError, ProfileFormatError
from driftpilot.profile import NumericSummary, Profile, ProfileConfig, TextSummary
from driftpilot.store import _merge
from driftpilot.store._merge import merge_profiles, null_summary, strip_histogram
from driftpilot.store.partials import _PartialReader

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


# One-pass merge against the pairwise reduction -----------------------------------------------

CAPPED = ProfileConfig(category_cap=3)
CAPPED_REFERENCE = dp.profile(
    {"x": np.linspace(-3, 3, 500), "c": ["a", "b"] * 250, "t": ["ab", "abcd"] * 250},
    {"t": "text"},
    config=CAPPED,
)

values = st.none() | st.floats(-5, 5) | st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1.5])
partials = st.lists(
    st.tuples(
        st.lists(
            st.tuples(
                values,
                st.none() | st.sampled_from(["a", "b", "z", "q", "r"]),
                st.none() | st.text("xy", max_size=4),
            ),
            max_size=30,
        ),
        st.sampled_from(["x", "xc", "xt", "xct", "identity"]),
        st.booleans(),  # binned on the reference's edges, else on its own
    ),
    min_size=1,
    max_size=6,
)


def _capped_part(rows: list[tuple[float | None, str | None, str | None]], shape: str,
                 on_reference: bool) -> Profile:  # fmt: skip
    if shape == "identity":
        return Profile.empty(config=CAPPED)
    columns: dict[str, pa.Array] = {"x": pa.array([r[0] for r in rows], pa.float64())}
    if "c" in shape:
        columns["c"] = pa.array([r[1] for r in rows], pa.large_string())
    if "t" in shape:
        columns["t"] = pa.array([r[2] for r in rows], pa.large_string())
    schema = {"c": "categorical", "t": "text"}
    schema = {name: kind for name, kind in schema.items() if name in columns}
    reference = CAPPED_REFERENCE if on_reference else None
    return dp.profile(pa.table(columns), schema, reference=reference, config=CAPPED)


def _assert_numeric_equal(got: NumericSummary, want: NumericSummary) -> None:
    assert (got.kind, got.n, got.n_missing, got.n_nan, got.n_inf) == (
        want.kind, want.n, want.n_missing, want.n_nan, want.n_inf,
    )  # fmt: skip
    assert (got.min, got.max, got.histogram) == (want.min, want.max, want.histogram)
    assert (got.mean is None) == (want.mean is None)
    if got.mean is not None and want.mean is not None:
        scale = max(abs(want.min or 0.0), abs(want.max or 0.0), 1.0)
        assert got.mean == pytest.approx(want.mean, rel=1e-12, abs=1e-12 * scale)
        assert got.m2 == pytest.approx(want.m2, rel=1e-12, abs=1e-12 * scale**2 * got.n)
    if want.n_valid:  # the sketches are exact here (fewer than k values): same quantiles
        qs = np.linspace(0, 1, 21)
        assert got.quantiles(qs).tolist() == want.quantiles(qs).tolist()
        assert got.rank_error == want.rank_error == 0.0


def _assert_same(got: Profile, want: Profile) -> None:
    """Equal to the pairwise merge: counts exactly, moments to 1e-12, same quantiles."""
    assert (got.n_rows, dict(got.skipped), list(got.columns)) == (
        want.n_rows, dict(want.skipped), list(want.columns),
    )  # fmt: skip
    for name, g in got.columns.items():
        w = want.columns[name]
        if isinstance(g, NumericSummary):
            assert isinstance(w, NumericSummary)
            _assert_numeric_equal(g, w)
        elif isinstance(g, TextSummary):
            assert isinstance(w, TextSummary)
            _assert_numeric_equal(g.lengths, w.lengths)
            assert g.n_distinct == w.n_distinct
        else:
            assert g.to_dict() == w.to_dict()


@settings(max_examples=80, deadline=None)
@given(parts=partials)
def test_one_pass_merge_equals_pairwise_merge(
    parts: list[tuple[list[tuple[float | None, str | None, str | None]], str, bool]],
) -> None:
    """Empty partials, missing columns, NaN/inf, categories past the cap, other edges."""
    profiles = [_capped_part(*part) for part in parts]
    got = merge_profiles(profiles, role="features")
    with mock.patch.object(_merge, "_merge_all", lambda ps: _merge._tree_reduce(ps, Profile.merge)):
        want = merge_profiles(profiles, role="features")
    assert got.notes == want.notes
    assert got.profile is not None
    assert want.profile is not None
    _assert_same(got.profile, want.profile)


def test_one_pass_merge_of_large_sketches_stays_within_the_rank_error() -> None:
    rng = np.random.default_rng(7)
    parts = [_part(rng.normal(size=300).tolist(), None) for _ in range(12)]
    got = merge_profiles(parts).profile
    want = functools.reduce(Profile.merge, parts)
    assert got is not None
    g, w = got.columns["x"], want.columns["x"]
    assert isinstance(g, NumericSummary)
    assert isinstance(w, NumericSummary)
    assert (g.n, g.n_valid, g.histogram, g.min, g.max) == (
        w.n,
        w.n_valid,
        w.histogram,
        w.min,
        w.max,
    )
    assert g.mean == pytest.approx(w.mean, rel=1e-12, abs=1e-12)
    assert g.m2 == pytest.approx(w.m2, rel=1e-12)
    qs = np.linspace(0.05, 0.95, 19)
    assert np.abs(w.cdf(g.quantiles(qs)) - qs).max() <= 2 * g.rank_error


def test_one_pass_merge_raises_like_the_pairwise_merge() -> None:
    a = _part([0.5, 1.5], None)
    other = dp.profile({"x": [0.2, 0.4]}, config=CONFIG)  # binned on its own edges
    with pytest.raises(IncompatibleProfilesError, match="Column 'x': the histograms have"):
        _merge._merge_all([a, other])
    without = dp.profile({"x": [0.2]}, config=ProfileConfig(histograms=False))
    stripped = Profile(columns={"x": without.columns["x"]}, n_rows=1, config=CONFIG)
    with pytest.raises(IncompatibleProfilesError, match="has none"):
        _merge._merge_all([a, stripped])
    with pytest.raises(IncompatibleProfilesError):
        functools.reduce(Profile.merge, [a, stripped])


def test_the_partial_reader_reads_what_profile_from_dict_reads() -> None:
    """The store's unchecked reader (store.partials) agrees with the checked one."""
    data = pa.table({
        "x": pa.array([1.0, None, np.nan, np.inf, 2.5], pa.float64()),
        "c": pa.array(["a", "b", "q", "r", None], pa.large_string()),  # past the cap of 3
        "k": pa.array([1, 2, 2, None, 1], pa.int64()),
        "t": pa.array(["ab", None, "xyz", "", "a"], pa.large_string()),
    })  # fmt: skip
    p = dp.profile(data, {"c": "categorical", "k": "categorical", "t": "text"}, config=CAPPED)
    document = p.to_dict()
    reader = _PartialReader()
    assert reader.profile(document) == Profile.from_dict(document) == p
    with pytest.raises(ProfileFormatError):
        reader.profile({**document, "n_rows": "five"})
