"""CategoricalSummary: exact counts, the switch to sketches past the cap, merge and format."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from driftpilot._columns import ColumnType, category_counts
from driftpilot.errors import IncompatibleProfilesError, InvalidParameterError, ProfileFormatError
from driftpilot.profile import CategoricalSummary, Profile, ProfileConfig, profile


def summarize(values: list[object] | pa.Array, *, cap: int = 10_000) -> CategoricalSummary:
    column = values if isinstance(values, pa.Array) else pa.array(values)
    kind = ColumnType.BOOLEAN if pa.types.is_boolean(column.type) else ColumnType.CATEGORICAL
    return CategoricalSummary.from_counts(category_counts(column), kind=kind, category_cap=cap)


def test_exact_counts_most_frequent_first() -> None:
    s = summarize(["b", "a", "b", None, "c", "b", "a"])
    assert s.exact
    assert (s.n, s.n_missing, s.n_valid, s.n_distinct) == (7, 1, 6, 3)
    assert dict(s.counts or {}) == {"b": 3, "a": 2, "c": 1}
    assert s.categories() == ["b", "a", "c"]
    assert s.count_of(["a", "zzz", "b"]).tolist() == [2, 0, 3]
    assert (s.count_error, s.distinct_error_bound) == (0.0, 0.0)


def test_categories_keep_their_python_types_through_save_and_load() -> None:
    p = profile(
        {"i": [1, 2, 2, 3], "b": [True, False, True, None], "s": ["1", "2", "2", "x"]},
        {"i": "categorical"},
    )
    loaded = Profile.from_json(p.to_json())
    assert loaded == p
    ints, bools, strings = (loaded.columns[c] for c in "ibs")
    assert isinstance(ints, CategoricalSummary)
    assert ints.categories() == [2, 1, 3]
    assert isinstance(bools, CategoricalSummary)
    assert bools.categories() == [True, False]
    assert isinstance(strings, CategoricalSummary)
    assert strings.categories() == ["2", "1", "x"]
    assert [type(c) for c in bools.categories()] == [bool, bool]


def test_past_the_cap_the_summary_switches_to_sketches() -> None:
    s = summarize(["a"] * 50 + ["b"] * 30 + ["c", "d", "e"], cap=4)
    assert not s.exact
    assert s.counts is None
    assert s.n_distinct == 5
    assert s.distinct_error_bound >= 0.0
    assert s.categories()[:2] == ["a", "b"]
    # The map tracks 4x the cap, so these few counts are exact even in the sketch.
    assert s.count_of(["a", "b", "c", "zzz"]).tolist() == [50, 30, 1, 0]
    assert CategoricalSummary.from_dict(s.to_dict()) == s


def test_merging_two_exact_summaries_past_the_cap_switches_for_good() -> None:
    a, b = summarize(["x", "y", "x"], cap=3), summarize(["z", "w", "w"], cap=3)
    assert a.exact
    assert b.exact
    merged = a.merge(b)
    assert not merged.exact
    assert merged.n == 6
    assert merged.count_of(["x", "w", "y", "z"]).tolist() == [2, 2, 1, 1]
    again = merged.merge(summarize(["x"], cap=3))
    assert not again.exact
    assert again.count_of(["x"]).tolist() == [3]
    assert a.exact
    assert b.exact


def test_sketched_categories_are_strings() -> None:
    s = summarize(pa.array([1, 2, 3, 1, 1, 5]), cap=2)
    assert s.categories()[0] == "1"
    assert s.count_of([1, "1"]).tolist() == [3, 3]


def test_a_hundred_thousand_categories() -> None:
    rng = np.random.default_rng(7)
    heavy = np.repeat(np.array(["h0", "h1", "h2"]), [50_000, 30_000, 20_000])
    rare = np.array([f"id{i}" for i in range(100_000)])
    values = pa.array(rng.permutation(np.concatenate([heavy, rare])))
    p = profile({"id": values})
    s = p.columns["id"]
    assert isinstance(s, CategoricalSummary)
    assert not s.exact
    assert s.n == 200_000
    assert abs(s.n_distinct - 100_003) <= s.distinct_error_bound
    assert s.distinct_error_bound < 0.03 * 100_003
    assert s.categories()[:3] == ["h0", "h1", "h2"]
    estimates = s.count_of(["h0", "h1", "h2"])
    assert np.all(estimates >= [50_000, 30_000, 20_000])
    assert np.all(estimates - [50_000, 30_000, 20_000] <= s.count_error)
    assert s.count_error <= 1e-4 * 200_000
    assert Profile.from_json(p.to_json()) == p


def test_merge_refuses_other_kinds_and_caps() -> None:
    a = summarize(["a"])
    with pytest.raises(IncompatibleProfilesError, match="caps"):
        a.merge(summarize(["a"], cap=5))
    with pytest.raises(IncompatibleProfilesError, match="categorical summary cannot be merged"):
        a.merge(summarize([True]))
    with pytest.raises(InvalidParameterError, match="categorical or boolean"):
        CategoricalSummary.empty(ColumnType.NUMERIC)


def test_empty_is_the_identity_in_both_states() -> None:
    empty = CategoricalSummary.empty(ColumnType.CATEGORICAL, category_cap=2)
    exact, sketched = summarize(["a", "b"], cap=2), summarize(["a", "b", "c"], cap=2)
    for s in (exact, sketched):
        assert s.merge(empty) == s
        assert empty.merge(s) == s


def test_profile_config_cap_reaches_the_summary() -> None:
    p = profile({"c": list("abcdef")}, config=ProfileConfig(category_cap=3))
    s = p.columns["c"]
    assert isinstance(s, CategoricalSummary)
    assert s.category_cap == 3
    assert not s.exact


def test_dict_form_is_checked() -> None:
    s = summarize(["a", "b", "b"])
    data = s.to_dict()
    assert data["categories"] == ["b", "a"]
    assert data["counts"] == [2, 1]
    with pytest.raises(ProfileFormatError, match="add up to 3, not"):
        CategoricalSummary.from_dict(data | {"n": 9})
    with pytest.raises(ProfileFormatError, match="'categories'"):
        CategoricalSummary.from_dict(data | {"categories": [["b"], "a"]})
    with pytest.raises(ProfileFormatError, match="repeat"):
        CategoricalSummary.from_dict(data | {"categories": ["a", "a"]})
    with pytest.raises(ProfileFormatError, match="'frequent_items'"):
        CategoricalSummary.from_dict(data | {"exact": False})


def test_infinite_float_categories_survive_json() -> None:
    p = profile({"f": [1.5, float("inf"), 1.5]}, {"f": "categorical"})
    loaded = Profile.from_json(p.to_json())
    assert loaded == p
    s = loaded.columns["f"]
    assert isinstance(s, CategoricalSummary)
    assert s.categories() == [1.5, float("inf")]


def test_nan_in_a_float_column_read_as_categories_counts_as_missing() -> None:
    p = profile({"f": [1.5, float("nan"), None, 1.5]}, {"f": "categorical"})
    s = p.columns["f"]
    assert isinstance(s, CategoricalSummary)
    assert (s.n, s.n_missing, dict(s.counts or {})) == (4, 2, {1.5: 2})
    assert Profile.from_json(p.to_json()) == p


def test_other_types_forced_to_categorical_are_counted_as_strings() -> None:
    when = pa.array([0, 0, 86_400], pa.timestamp("s"))
    s = profile({"t": when}, {"t": "categorical"}).columns["t"]
    assert isinstance(s, CategoricalSummary)
    assert dict(s.counts or {}) == {"1970-01-01 00:00:00": 2, "1970-01-02 00:00:00": 1}
