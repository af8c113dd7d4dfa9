"""Monoid laws of Profile.merge, split-merge equivalence, order invariance, round trips."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from profile_checks import assert_equivalent

from driftpilot.profile import Profile, ProfileConfig, profile

SCHEMA = {
    "x": "numeric",
    "d": "datetime",
    "c": "categorical",
    "k": "categorical",
    "b": "boolean",
    "t": "text",
}

floats = st.one_of(
    st.none(),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    st.sampled_from([math.nan, math.inf, -math.inf]),
)
rows = st.tuples(
    floats,
    st.one_of(st.none(), st.integers(-(10**9), 10**9)),
    st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "e"])),
    st.one_of(st.none(), st.integers(-3, 3)),
    st.one_of(st.none(), st.booleans()),
    st.one_of(st.none(), st.text(alphabet="ab ", max_size=12)),
)
frames = st.lists(rows, max_size=25)
configs = st.builds(
    ProfileConfig,
    bins=st.integers(1, 6),
    category_cap=st.sampled_from([2, 10_000]),
    histograms=st.booleans(),
)
TYPES = [pa.float64(), pa.timestamp("s"), pa.string(), pa.int64(), pa.bool_(), pa.string()]
LAWS = settings(max_examples=50, deadline=None)


def table(data: list[tuple[Any, ...]]) -> pa.Table:
    columns = list(zip(*data, strict=True)) if data else [()] * len(TYPES)
    return pa.table(
        {
            name: pa.array(list(values), type=kind)
            for name, values, kind in zip(SCHEMA, columns, TYPES, strict=True)
        }
    )


def reference(data: list[tuple[Any, ...]], config: ProfileConfig) -> Profile:
    return profile(table(data), SCHEMA, config=config)


@LAWS
@given(ref=frames, a=frames, b=frames, config=configs)
def test_split_merge_equals_profile_of_concatenation(
    ref: list[tuple[Any, ...]],
    a: list[tuple[Any, ...]],
    b: list[tuple[Any, ...]],
    config: ProfileConfig,
) -> None:
    r = reference(ref, config)
    whole = profile(table(a + b), reference=r)
    parts = profile(table(a), reference=r).merge(profile(table(b), reference=r))
    assert_equivalent(whole, parts)


@LAWS
@given(ref=frames, a=frames, b=frames, c=frames, config=configs)
def test_merge_is_associative_and_commutative(
    ref: list[tuple[Any, ...]],
    a: list[tuple[Any, ...]],
    b: list[tuple[Any, ...]],
    c: list[tuple[Any, ...]],
    config: ProfileConfig,
) -> None:
    r = reference(ref, config)
    pa_, pb, pc_ = (profile(table(x), reference=r) for x in (a, b, c))
    assert_equivalent(pa_.merge(pb).merge(pc_), pa_.merge(pb.merge(pc_)))
    assert_equivalent(pa_.merge(pb), pb.merge(pa_))


@LAWS
@given(ref=frames, a=frames, config=configs)
def test_empty_is_the_identity(
    ref: list[tuple[Any, ...]], a: list[tuple[Any, ...]], config: ProfileConfig
) -> None:
    r = reference(ref, config)
    p = profile(table(a), reference=r)
    empty = Profile.empty(reference=r)
    assert p.merge(empty) == p
    assert empty.merge(p) == p
    assert empty.merge(empty) == empty
    no_columns = Profile.empty(config=config)
    assert p.merge(no_columns) == p
    assert no_columns.merge(p) == p


@LAWS
@given(a=frames, config=configs)
def test_a_self_binned_profile_merges_with_the_empty_of_its_schema(
    a: list[tuple[Any, ...]], config: ProfileConfig
) -> None:
    p = profile(table(a), SCHEMA, config=config)
    empty = Profile.empty(SCHEMA, config=config)
    assert p.merge(empty) == p
    assert empty.merge(p) == p


@LAWS
@given(ref=frames, data=st.data(), config=configs)
def test_row_order_does_not_change_the_profile(
    ref: list[tuple[Any, ...]], data: st.DataObject, config: ProfileConfig
) -> None:
    r = reference(ref, config)
    rows_ = data.draw(frames)
    shuffled = data.draw(st.permutations(rows_))
    assert_equivalent(profile(table(rows_), reference=r), profile(table(shuffled), reference=r))


@LAWS
@given(ref=frames, a=frames, b=frames, config=configs)
def test_save_and_load_round_trip_exactly(
    ref: list[tuple[Any, ...]],
    a: list[tuple[Any, ...]],
    b: list[tuple[Any, ...]],
    config: ProfileConfig,
) -> None:
    own = reference(ref, config)
    merged = profile(table(a), reference=own).merge(profile(table(b), reference=own))
    for p in (own, merged):
        assert Profile.from_json(p.to_json()) == p
        assert Profile.from_dict(p.to_dict()) == p
