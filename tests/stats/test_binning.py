"""quantile_edges and bin_counts; bin_counts against numpy.histogram (exact counts)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.stats import bin_counts, quantile_edges

VALUES = st.one_of(
    st.integers(-3, 3).map(float),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)
SAMPLES = hnp.arrays(np.float64, st.integers(1, 60), elements=VALUES)


def test_quantile_edges_of_a_continuous_sample() -> None:
    reference = np.random.default_rng(0).normal(size=1000)
    edges = quantile_edges(reference, bins=10)
    assert edges.dtype == np.float64
    assert edges.size == 11
    assert (edges[0], edges[-1]) == (-np.inf, np.inf)
    np.testing.assert_array_equal(edges[1:-1], np.quantile(reference, np.linspace(0, 1, 11)[1:-1]))
    np.testing.assert_array_equal(bin_counts(reference, edges), np.full(10, 100))


def test_ties_merge_bins() -> None:
    reference = np.repeat([1.0, 2.0, 3.0], [41, 30, 30])
    edges = quantile_edges(reference, bins=10)
    # 101 values: the deciles fall on sorted positions 0, 10, ..., 100, so they are
    # 1 (x5), 2 (x3), 3 (x3); unique 1, 2, 3, with the ends opened: 2 bins, not 10.
    np.testing.assert_array_equal(edges, [-np.inf, 2.0, np.inf])
    np.testing.assert_array_equal(bin_counts(reference, edges), [41, 60])


def test_constant_reference_gets_below_equal_above_bins() -> None:
    edges = quantile_edges(np.full(50, 3.5), bins=10)
    np.testing.assert_array_equal(edges, [-np.inf, 3.5, np.nextafter(3.5, np.inf), np.inf])
    np.testing.assert_array_equal(bin_counts([3.0, 3.5, 3.5, 4.0], edges), [1, 2, 1])


def test_zero_inflated_reference_keeps_a_bin_for_zero() -> None:
    reference = np.concatenate((np.zeros(95), np.linspace(1.0, 2.0, 5)))
    edges = quantile_edges(reference, bins=10)
    # Quantiles are 0 up to the 90th percentile and 2 at the 100th: two unique values.
    np.testing.assert_array_equal(
        edges, [-np.inf, 0.0, np.nextafter(0.0, 1.0), 2.0, np.nextafter(2.0, 3.0), np.inf]
    )
    counts = bin_counts(np.concatenate((reference, [-1.0, 5.0])), edges)
    np.testing.assert_array_equal(counts, [1, 95, 4, 1, 1])


def test_one_bin_requested_is_degenerate() -> None:
    edges = quantile_edges([1.0, 2.0, 3.0], bins=1)
    np.testing.assert_array_equal(
        edges, [-np.inf, 1.0, np.nextafter(1.0, 2.0), 3.0, np.nextafter(3.0, 4.0), np.inf]
    )


@settings(max_examples=100, deadline=None)
@given(reference=SAMPLES, bins=st.integers(1, 20))
def test_quantile_edges_properties(reference: np.ndarray, bins: int) -> None:
    edges = quantile_edges(reference, bins=bins)
    assert (edges[0], edges[-1]) == (-np.inf, np.inf)
    assert np.all(np.diff(edges) > 0)
    assert 3 <= edges.size <= max(bins + 1, 6)
    counts = bin_counts(reference, edges)
    assert counts.sum() == reference.size
    order = np.random.default_rng(0).permutation(reference.size)
    np.testing.assert_array_equal(quantile_edges(reference[order], bins=bins), edges)


@settings(max_examples=100, deadline=None)
@given(
    values=hnp.arrays(np.float64, st.integers(0, 60), elements=VALUES),
    edges=hnp.arrays(np.float64, st.integers(2, 12), elements=VALUES, unique=True).map(np.sort),
    open_ends=st.booleans(),
    on_edges=st.booleans(),
)
def test_bin_counts_equals_numpy_histogram(
    values: np.ndarray, edges: np.ndarray, open_ends: bool, on_edges: bool
) -> None:
    if open_ends:
        edges = np.concatenate(([-np.inf], edges, [np.inf]))
    if on_edges:  # values exactly on every edge, the first and the last included
        values = np.concatenate((values, edges[np.isfinite(edges)]))
    counts = bin_counts(values, edges)
    expected, _ = np.histogram(values, edges)
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(counts, expected)
    # The sorted fast path (a binary search per edge) counts the same.
    from_sorted = bin_counts(np.sort(values), edges, assume_sorted=True)
    assert from_sorted.dtype == np.int64
    np.testing.assert_array_equal(from_sorted, expected)


def test_bin_counts_assume_sorted_is_checked() -> None:
    with pytest.raises(InvalidParameterError, match="sorted"):
        bin_counts([2.0, 1.0], [-np.inf, 1.5, np.inf], assume_sorted=True)


def test_bin_counts_on_edges_by_hand() -> None:
    edges = np.array([0.0, 1.0, 2.0, 3.0])
    values = [-0.5, 0.0, 1.0, 1.5, 2.0, 3.0, 3.5]
    # [0, 1) holds 0; [1, 2) holds 1, 1.5; [2, 3] holds 2 and 3; -0.5 and 3.5 fall outside.
    np.testing.assert_array_equal(bin_counts(values, edges), [1, 2, 2])


@pytest.mark.parametrize("bins", [0, -1, 2.5, True, "10"])
def test_bins_must_be_a_positive_integer(bins: object) -> None:
    message = rf"The 'bins' parameter of quantile_edges must be an integer >= 1\. Got {bins!r}"
    with pytest.raises(InvalidParameterError, match=message):
        quantile_edges([1.0, 2.0], bins=bins)  # type: ignore[arg-type]


def test_quantile_edges_rejects_empty_and_non_finite() -> None:
    with pytest.raises(InsufficientDataError, match="'reference' argument of quantile_edges"):
        quantile_edges([])
    with pytest.raises(InvalidParameterError, match="finite"):
        quantile_edges([1.0, np.nan])


@pytest.mark.parametrize(
    "edges", [[1.0], [2.0, 1.0], [1.0, 1.0, 2.0], [0.0, np.nan, 1.0], [[0.0, 1.0]]]
)
def test_bin_counts_rejects_bad_edges(edges: list[float]) -> None:
    with pytest.raises(InvalidParameterError, match="'edges' argument of bin_counts"):
        bin_counts([0.5], edges)


def test_bin_counts_rejects_bad_values() -> None:
    with pytest.raises(InvalidParameterError, match="finite"):
        bin_counts([0.5, np.nan], [0.0, 1.0])
    with pytest.raises(InvalidParameterError, match="1-D"):
        bin_counts([[0.5]], [0.0, 1.0])


def test_bin_counts_of_nothing() -> None:
    np.testing.assert_array_equal(bin_counts([], [-np.inf, 0.0, np.inf]), [0, 0])


def test_quantile_edges_near_the_float_limit_stay_finite_inside() -> None:
    sample = np.array([1e308, -1e308, 1e308, 5.0])
    edges = quantile_edges(sample, bins=4)
    assert edges[0] == -np.inf
    assert edges[-1] == np.inf
    assert np.all(np.isfinite(edges[1:-1]))
    assert bin_counts(sample, edges).sum() == sample.size


def test_degenerate_edges_at_the_largest_float() -> None:
    top = np.finfo(np.float64).max
    edges = quantile_edges(np.array([top, top, top]), bins=3)
    assert edges.tolist() == [-np.inf, top, np.inf]
    assert bin_counts(np.array([top]), edges).tolist() == [0, 1]
