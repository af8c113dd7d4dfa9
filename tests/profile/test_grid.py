"""Exact quantile grids: their band holds the data's CDF, and profiles are reproducible."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import driftpilot as dp
from driftpilot.errors import ProfileFormatError
from driftpilot.profile import (
    Baseline,
    CategoricalSummary,
    NumericSummary,
    Profile,
    ProfileConfig,
    baseline,
    fingerprint,
    profile,
)
from driftpilot.profile.grid import QuantileGrid, grid_ranks

values = arrays(
    np.float64,
    st.integers(1, 600),
    elements=st.one_of(
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
        st.sampled_from([0.0, 1.0, 2.5]),  # ties
    ),
)


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(array.astype("<f8").tobytes()).decode("ascii")


def g_size(grid: dict[str, str]) -> float:
    return float(len(base64.b64decode(grid["values"])) // 8)


def exact_cdf(x: np.ndarray, points: np.ndarray) -> np.ndarray:
    return np.searchsorted(x, points, side="right") / x.size


@settings(max_examples=100, deadline=None)
@given(x=values, cells=st.integers(1, 64))
def test_the_band_holds_the_cdf_everywhere_and_is_at_most_one_cell_wide(
    x: np.ndarray, cells: int
) -> None:
    x = np.sort(x)
    grid = QuantileGrid.from_sorted(x, cells)
    assert grid.values[0] == x[0]
    assert grid.values[-1] == x[-1]
    assert grid.rank_error <= 1 / cells + 1e-15
    # Every value, every grid point and points between them: the band holds F there and on
    # the whole cell up to the next grid point (checked at the cell's other points).
    points = np.unique(np.concatenate([x, (x[1:] + x[:-1]) / 2, [x[0] - 1, x[-1] + 1]]))
    low, high = grid.band(points)
    truth = exact_cdf(x, points)
    assert np.all(low <= truth + 1e-15)
    assert np.all(truth <= high + 1e-15)
    assert np.all(high - low <= grid.rank_error + 1e-15)
    assert np.all(np.abs(grid.cdf(points) - truth) <= grid.rank_error / 2 + 1e-15)
    np.testing.assert_array_equal(grid.cdf(grid.values), exact_cdf(x, grid.values))


@settings(max_examples=100, deadline=None)
@given(x=values, cells=st.integers(1, 64))
def test_quantiles_are_exact_at_the_grid_ranks_and_close_elsewhere(
    x: np.ndarray, cells: int
) -> None:
    x = np.sort(x)
    grid = QuantileGrid.from_sorted(x, cells)
    kept = grid_ranks(x.size, cells)
    # Half a rank below each kept rank, so that no rounding moves the target rank.
    np.testing.assert_array_equal(grid.quantiles((kept - 0.5) / x.size), x[kept - 1])
    ranks = np.linspace(0.0, 1.0, 37)
    answer = grid.quantiles(ranks)
    below, at_or_below = exact_cdf(x, np.nextafter(answer, -np.inf)), exact_cdf(x, answer)
    # The answer's rank interval [below, at_or_below] is within rank_error of each q.
    distance = np.maximum(below - ranks, 0) + np.maximum(ranks - at_or_below, 0)
    assert np.all(distance <= grid.rank_error + 1e-12)


@settings(max_examples=100, deadline=None)
@given(x=values, cells=st.integers(1, 64))
def test_round_trip_and_weighted_points(x: np.ndarray, cells: int) -> None:
    x = np.sort(x)
    grid = QuantileGrid.from_sorted(x, cells)
    assert QuantileGrid.from_dict(grid.to_dict(), n=x.size, where="g") == grid
    points, weights = grid.weighted_values()
    assert int(weights.sum()) == x.size
    quantized = np.repeat(points, weights)
    probe = np.unique(x)
    error = np.max(np.abs(exact_cdf(quantized, probe) - exact_cdf(x, probe)))
    assert error <= grid.rank_error + 1e-12


def test_tails_keep_their_extreme_order_statistics() -> None:
    x = np.sort(np.random.default_rng(0).pareto(1.2, 100_000))
    grid = QuantileGrid.from_sorted(x, 100)
    for rank in (1, 2, 3, 5, 9, 17, 100_000, 99_999, 99_998, 99_996, 99_992):
        assert x[rank - 1] in grid.values
    assert grid.rank_error <= 0.01


def test_a_summary_past_kll_k_keeps_a_grid_and_merges_into_a_sketch_with_its_error() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.lognormal(size=30_000), rng.normal(size=20_000)
    pa_ = profile({"x": a})
    pb = profile({"x": b}, reference=pa_)
    sa = pa_.columns["x"]
    assert isinstance(sa, NumericSummary)
    assert sa.grid is not None
    assert sa.rank_error <= 1 / ProfileConfig().quantile_grid
    small = profile({"x": a[:200]}).columns["x"]
    assert isinstance(small, NumericSummary)
    assert small.grid is None
    assert small.rank_error == 0.0  # kll_k values: the sketch holds them all
    merged = pa_.merge(pb).columns["x"]
    assert isinstance(merged, NumericSummary)
    assert merged.grid is None
    sb = pb.columns["x"]
    assert isinstance(sb, NumericSummary)
    assert sb.grid is not None
    expected = (30_000 * sa.grid.rank_error + 20_000 * sb.grid.rank_error) / 50_000
    assert merged.quantization_error == pytest.approx(expected, rel=1e-12)
    union = np.sort(np.concatenate([a, b]))
    probe = np.quantile(union, np.linspace(0.001, 0.999, 200))
    assert np.max(np.abs(merged.cdf(probe) - exact_cdf(union, probe))) <= merged.rank_error
    # Merging with a side without values keeps the grid.
    nothing = profile({"x": np.array([np.nan])}, reference=pa_)
    assert profile({"x": a}).merge(nothing).columns["x"].grid == sa.grid


def test_profiles_and_baselines_of_the_same_data_are_byte_identical() -> None:
    rng = np.random.default_rng(7)
    n = 150_000
    data = {
        "normal": rng.normal(size=n),
        "lognormal": rng.lognormal(size=n),
        "visits": rng.poisson(3, n),
        "city": [f"c{v}" for v in rng.zipf(1.3, n)],  # past the category cap: sketched
        "text": ["word " * int(k) for k in rng.integers(5, 40, n)],
        "target": rng.integers(0, 2, n),
    }
    first, second = profile(data), profile(data)
    city = first.columns["city"]
    assert isinstance(city, CategoricalSummary)
    assert not city.exact
    assert first.to_json() == second.to_json()
    kept = [
        baseline(data, target="target", created_at="2026-01-01T00:00:00+00:00").to_json()
        for _ in range(2)
    ]
    assert kept[0] == kept[1]
    loaded = [Baseline.from_json(text) for text in kept]
    assert loaded[0].fingerprint == loaded[1].fingerprint == fingerprint(data)
    assert Profile.from_json(first.to_json()).to_json() == first.to_json()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda g: g.update(values=_b64(np.arange(g_size(g), 0.0, -1.0))), "strictly increasing"),
        (lambda g: g.update(below=g["at_or_below"]), "not increasing from 0 to n"),
        (lambda g: g.update(values="AAAA"), "8-byte numbers"),
        (lambda g: g.pop("below"), "'below'.*missing"),
    ],
)
def test_a_malformed_grid_is_named(change: object, message: str) -> None:
    document = profile({"x": np.arange(1000.0)}).to_dict()
    change(document["columns"][0]["grid"])  # type: ignore[operator]
    with pytest.raises(ProfileFormatError, match=message):
        Profile.from_dict(document)


def test_a_grid_that_counts_other_values_is_refused() -> None:
    document = profile({"x": np.arange(1000.0)}).to_dict()
    document["columns"][0]["grid"] = profile({"x": np.arange(999.0)}).to_dict()["columns"][0][
        "grid"
    ]
    with pytest.raises(ProfileFormatError, match="grid"):
        Profile.from_dict(document)


def test_quantile_grid_is_validated() -> None:
    with pytest.raises(dp.errors.InvalidParameterError, match=r"'quantile_grid'.*Got -1"):
        ProfileConfig(quantile_grid=-1)
