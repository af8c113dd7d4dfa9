"""out_of_range and reference_range: numpy counts, the exact shortcuts, the sketch bound."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftpilot import ProfileConfig, profile
from driftpilot.errors import InsufficientDataError, InvalidParameterError, UnsupportedDataError
from driftpilot.profile import NumericSummary
from driftpilot.quality import out_of_range, reference_range

NO_HISTOGRAMS = ProfileConfig(histograms=False)  # merges need shared bin edges otherwise


def numeric(values: object) -> NumericSummary:
    summary = profile({"x": values}, {"x": "numeric"}, config=NO_HISTOGRAMS).columns["x"]
    assert isinstance(summary, NumericSummary)
    return summary


def test_small_column_counted_exactly_against_numpy() -> None:
    x = np.random.default_rng(3).normal(size=150)  # under kll_k=200: the sketch is exact
    result = out_of_range(numeric(x), low=-1.0, high=0.5)
    assert result.exact
    assert result.bound == 0.0
    assert result.n_below == int(np.sum(x < -1.0))
    assert result.n_above == int(np.sum(x > 0.5))
    assert result.share == np.mean((x < -1.0) | (x > 0.5))
    assert result.stderr == pytest.approx(math.sqrt(result.share * (1 - result.share) / 150))
    assert json.loads(json.dumps(result.to_dict()))["n_valid"] == 150


def test_the_ends_of_the_range_are_inside() -> None:
    summary = numeric([1.0, 2.0, 2.0, 3.0, 4.0])
    assert out_of_range(summary, low=2.0, high=3.0).n_out_of_range == 2  # 1.0 and 4.0
    assert out_of_range(summary, low=1.0, high=4.0).share == 0.0
    assert out_of_range(summary, low=2.0).n_below == 1
    assert out_of_range(summary, high=2.0).n_above == 2


def test_only_finite_values_are_judged() -> None:
    result = out_of_range(numeric([math.inf, -math.inf, None, math.nan, 5.0, 0.0]), high=1.0)
    assert (result.n_valid, result.n_above, result.share) == (2, 1, 0.5)


def test_exact_shortcuts_hold_past_the_sketch_size() -> None:
    x = np.random.default_rng(4).uniform(10.0, 20.0, size=20_000)
    summary = numeric(x)
    assert summary.rank_error > 0.0  # the sketch is estimating
    inside = out_of_range(summary, low=10.0 - 1e-9, high=20.0)
    assert (inside.share, inside.exact, inside.bound) == (0.0, True, 0.0)
    above = out_of_range(summary, high=5.0)
    assert (above.share, above.n_above, above.exact) == (1.0, 20_000, True)
    below = out_of_range(summary, low=25.0, high=30.0)
    assert (below.share, below.n_below, below.exact) == (1.0, 20_000, True)


def test_sketched_share_is_within_its_bound() -> None:
    x = np.random.default_rng(5).normal(size=50_000)
    summary = numeric(x)
    one_side = out_of_range(summary, low=-1.0)
    assert not one_side.exact
    assert one_side.bound == summary.rank_error
    assert abs(one_side.share - np.mean(x < -1.0)) <= one_side.bound
    both = out_of_range(summary, low=-1.0, high=1.5)
    assert both.bound == pytest.approx(2 * summary.rank_error)
    assert abs(both.share - np.mean((x < -1.0) | (x > 1.5))) <= both.bound


def test_datetime_columns_are_judged_in_seconds() -> None:
    days = np.array(["2024-01-01", "2024-01-05", "2024-02-01", "NaT"], dtype="datetime64[s]")
    summary = profile({"t": days}).columns["t"]
    assert isinstance(summary, NumericSummary)
    low = float(np.datetime64("2024-01-02", "s").astype(np.int64))
    assert out_of_range(summary, low=low).n_below == 1


def test_reference_range_is_min_and_max_of_the_finite_values() -> None:
    x = np.random.default_rng(6).normal(size=5000)
    summary = numeric(np.r_[x, np.inf, np.nan])
    assert reference_range(summary) == (x.min(), x.max())
    assert out_of_range(summary, low=x.min(), high=x.max()).share == 0.0
    low, high = reference_range(summary)
    assert out_of_range(numeric(x), low=low, high=high).exact


finite = st.floats(-1e9, 1e9, allow_nan=False)


@given(
    a=st.lists(st.one_of(st.none(), finite), min_size=1, max_size=90),
    b=st.lists(st.one_of(st.none(), finite), min_size=1, max_size=90),
    low=finite,
    width=st.floats(0.0, 1e9),
)
def test_exact_counts_add_under_merge(
    a: list[float | None], b: list[float | None], low: float, width: float
) -> None:
    high = low + width
    sa, sb = numeric(a), numeric(b)
    merged = sa.merge(sb)
    if merged.n_valid == 0:
        return
    result = out_of_range(merged, low=low, high=high)
    x = np.array([v for v in a + b if v is not None], dtype=float)
    assert result.exact
    assert result.n_out_of_range == int(np.sum((x < low) | (x > high)))
    assert 0.0 <= result.share <= 1.0
    assert result.stderr >= 0.0
    parts = [out_of_range(s, low=low, high=high) for s in (sa, sb) if s.n_valid]
    assert result.n_out_of_range == sum(p.n_out_of_range for p in parts)


def test_errors_name_the_argument() -> None:
    ok = numeric([1.0, 2.0])
    with pytest.raises(InvalidParameterError, match=r"'low' and 'high'"):
        out_of_range(ok)
    with pytest.raises(InvalidParameterError, match=r"'low'.*<= 'high'.*low=3\.0"):
        out_of_range(ok, low=3.0, high=1.0)
    with pytest.raises(InvalidParameterError, match=r"'high'.*nan"):
        out_of_range(ok, high=math.nan)
    with pytest.raises(InvalidParameterError, match=r"'low'.*'1'"):
        out_of_range(ok, low="1")  # type: ignore[arg-type]
    with pytest.raises(UnsupportedDataError, match=r"'current'.*CategoricalSummary"):
        out_of_range(profile({"c": ["a"]}).columns["c"], low=0.0)  # type: ignore[arg-type]
    nothing = numeric(np.array([math.nan, math.nan, math.inf]))
    with pytest.raises(InsufficientDataError, match=r"'current'.*0 null, 2 NaN, 1 infinite"):
        out_of_range(nothing, low=0.0)
    with pytest.raises(InsufficientDataError, match=r"'summary'"):
        reference_range(nothing)
    with pytest.raises(UnsupportedDataError, match=r"'summary'"):
        reference_range([1.0, 2.0])  # type: ignore[arg-type]
