"""NumericSummary: moments against numpy, KLL quantiles and their bound, merge and format."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from driftpilot._columns import ColumnType, numeric_values
from driftpilot.errors import (
    IncompatibleProfilesError,
    InsufficientDataError,
    InvalidParameterError,
    ProfileFormatError,
)
from driftpilot.profile import NumericSummary


def summarize(values: np.ndarray, **options: object) -> NumericSummary:
    """Summarise float values; without a histogram unless ``bins`` or ``edges`` is given."""
    options.setdefault("bins", None)
    column = pa.chunked_array([pa.array(values, type=pa.float64(), from_pandas=False)])
    return NumericSummary.from_values(
        numeric_values(column, ColumnType.NUMERIC, name="x"), **options
    )


@pytest.mark.parametrize(
    ("sizes", "loc"), [((1, 1), 0.0), ((10, 1000), 5.0), ((3, 40_000, 7), 1e6)]
)
def test_chan_merge_matches_numpy_on_the_concatenation(sizes: tuple[int, ...], loc: float) -> None:
    rng = np.random.default_rng(len(sizes))
    parts = [rng.normal(loc, 3.0, size=n) for n in sizes]
    merged = summarize(parts[0])
    for part in parts[1:]:
        merged = merged.merge(summarize(part))
    whole = np.concatenate(parts)
    # Reference: numpy's two-pass mean and variance of the concatenation, to 1e-12 relative.
    assert merged.mean == pytest.approx(np.mean(whole), rel=1e-12)
    assert merged.variance == pytest.approx(np.var(whole), rel=1e-12)
    assert merged.std == pytest.approx(np.std(whole), rel=1e-12)
    assert (merged.n, merged.n_valid, merged.min, merged.max) == (
        whole.size,
        whole.size,
        whole.min(),
        whole.max(),
    )


def test_counts_exclude_null_nan_and_infinity() -> None:
    column = pa.chunked_array(
        [pa.array([1.0, None, math.nan, math.inf, -math.inf, 3.0], from_pandas=False)]
    )
    s = NumericSummary.from_values(numeric_values(column, ColumnType.NUMERIC, name="x"))
    assert (s.n, s.n_missing, s.n_nan, s.n_inf, s.n_valid) == (6, 1, 1, 2, 2)
    assert (s.min, s.max, s.mean, s.variance) == (1.0, 3.0, 2.0, 1.0)
    assert s.histogram is not None
    assert s.histogram.total == 2


def test_a_column_without_finite_values_has_no_min_max_or_mean() -> None:
    s = summarize(np.array([math.nan, math.nan]), bins=10)
    assert (s.min, s.max, s.mean, s.variance, s.std, s.histogram) == (None,) * 6
    assert s.m2 == 0.0
    with pytest.raises(InsufficientDataError, match=r"no finite value|none"):
        s.quantiles([0.5])
    with pytest.raises(InsufficientDataError):
        s.cdf([0.0])
    empty = NumericSummary.empty(ColumnType.NUMERIC)
    assert empty.n == 0
    assert empty.mean is None
    assert empty.rank_error == 0.0


def test_exact_sketch_quantiles_match_numpy_inverted_cdf() -> None:
    values = np.random.default_rng(1).normal(size=150)
    s = summarize(values)
    qs = np.linspace(0.0, 1.0, 41)
    assert s.rank_error == 0.0
    np.testing.assert_array_equal(s.quantiles(qs), np.quantile(values, qs, method="inverted_cdf"))
    points = np.array([-np.inf, -1.0, 0.0, 0.5, np.inf, 0.0])
    expected = [(values <= p).mean() for p in points]
    np.testing.assert_allclose(s.cdf(points), expected, rtol=0, atol=1e-15)
    sample, weights = s.weighted_sample()
    np.testing.assert_array_equal(sample, np.sort(values))
    assert set(weights.tolist()) == {1}
    repeated = summarize(np.array([2.0, 1.0, 2.0, 5.0, 2.0]))
    assert [a.tolist() for a in repeated.weighted_sample()] == [[1.0, 2.0, 5.0], [1, 3, 1]]


@pytest.mark.parametrize("k", [50, 200])
def test_sketched_quantiles_stay_within_the_stated_rank_error(k: int) -> None:
    rng = np.random.default_rng(k)
    parts = [rng.lognormal(size=n) for n in (20_000, 35_000, 5_000)]
    merged = summarize(parts[0], kll_k=k)
    for part in parts[1:]:
        merged = merged.merge(summarize(part, kll_k=k))
    whole = np.sort(np.concatenate(parts))
    eps = merged.rank_error
    assert eps == pytest.approx(0.0133, abs=1e-4) if k == 200 else eps > 0.0133
    qs = np.linspace(0.01, 0.99, 99)
    estimates = merged.quantiles(qs)
    below = np.searchsorted(whole, estimates, side="left") / whole.size
    at_or_below = np.searchsorted(whole, estimates, side="right") / whole.size
    assert np.all(at_or_below >= qs - eps)
    assert np.all(below <= qs + eps)
    points = np.quantile(whole, qs)
    truth = np.searchsorted(whole, points, side="right") / whole.size
    assert np.max(np.abs(merged.cdf(points) - truth)) <= eps
    sample, weights = merged.weighted_sample()
    assert weights.sum() == whole.size
    assert np.all(weights > 0)
    assert np.all(np.isin(sample, whole))


def test_histogram_on_own_and_given_edges() -> None:
    values = np.arange(100.0)
    own = summarize(values, bins=4)
    assert own.histogram is not None
    assert own.histogram.edges.tolist() == [-np.inf, 24.75, 49.5, 74.25, np.inf]
    assert own.histogram.counts.tolist() == [25, 25, 25, 25]
    given = summarize(np.array([-5.0, 24.75, 80.0]), edges=own.histogram.edges)
    assert given.histogram is not None
    assert given.histogram.counts.tolist() == [1, 1, 0, 1]
    assert summarize(values).histogram is None


def test_merge_refuses_other_kinds_sizes_and_edges() -> None:
    a = summarize(np.arange(10.0), bins=10)
    with pytest.raises(IncompatibleProfilesError, match="k=200 vs k=100"):
        a.merge(summarize(np.arange(10.0), kll_k=100))
    with pytest.raises(IncompatibleProfilesError, match="different bin edges"):
        a.merge(summarize(np.arange(20.0), bins=10))
    dates = NumericSummary.empty(ColumnType.DATETIME)
    with pytest.raises(IncompatibleProfilesError, match="numeric summary cannot be merged"):
        a.merge(dates)
    with pytest.raises(InvalidParameterError, match="numeric or datetime"):
        NumericSummary.empty(ColumnType.TEXT)


def test_a_side_without_values_or_edges_merges_with_any_edges() -> None:
    a = summarize(np.arange(10.0), bins=10)
    nothing = summarize(np.array([math.nan]), bins=10)
    assert nothing.histogram is None
    merged = nothing.merge(a)
    assert merged.histogram == a.histogram
    assert merged.n == 11
    assert merged.n_nan == 1
    assert a.merge(nothing).histogram == a.histogram


def test_merge_does_not_change_its_inputs() -> None:
    a = summarize(np.arange(300.0), bins=10)
    assert a.histogram is not None
    b = summarize(np.arange(300.0) + 0.5, edges=a.histogram.edges)
    before = (a.to_dict(), b.to_dict())
    a.merge(b)
    assert (a.to_dict(), b.to_dict()) == before


def test_quantile_and_cdf_arguments_are_checked() -> None:
    s = summarize(np.arange(5.0))
    with pytest.raises(InvalidParameterError, match="'qs'"):
        s.quantiles([1.5])
    with pytest.raises(InvalidParameterError, match="'qs'"):
        s.quantiles([math.nan])
    with pytest.raises(InvalidParameterError, match="'points'"):
        s.cdf([math.nan])


def test_datetime_values_are_seconds_since_the_epoch() -> None:
    column = pa.chunked_array([pa.array([0, 86_400_000, None], type=pa.timestamp("ms"))])
    s = NumericSummary.from_values(
        numeric_values(column, ColumnType.DATETIME, name="t"), kind=ColumnType.DATETIME
    )
    assert (s.kind, s.min, s.max, s.n_missing) == (ColumnType.DATETIME, 0.0, 86_400.0, 1)


def test_dict_round_trip_is_exact_and_checked() -> None:
    s = summarize(np.random.default_rng(3).normal(size=5_000))
    assert NumericSummary.from_dict(s.to_dict()) == s
    broken = s.to_dict() | {"n_nan": 3}
    with pytest.raises(ProfileFormatError, match="sketch holds 5000 values"):
        NumericSummary.from_dict(broken)
    with pytest.raises(ProfileFormatError, match="'kll'"):
        NumericSummary.from_dict(s.to_dict() | {"kll": "AAAA"})
    with pytest.raises(ProfileFormatError, match="'mean'"):
        NumericSummary.from_dict(s.to_dict() | {"mean": "high"})
    with pytest.raises(ProfileFormatError, match="null exactly when"):
        NumericSummary.from_dict(s.to_dict() | {"min": None})
