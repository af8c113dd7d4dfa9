"""The kernels on sorted samples that compare uses: equal to scipy and numpy.

``ks_and_wasserstein`` (blockwise KS statistic, Wasserstein distance without a pooled sort)
against ``scipy.stats.ks_2samp`` (bit for bit) and ``scipy.stats.wasserstein_distance``
(relative 1e-12); ``sorted_quantiles`` against ``numpy.quantile`` (bit for bit).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats as scipy_stats

from driftpilot.stats import quantile_edges, sorted_quantiles
from driftpilot.stats._ecdf import _BLOCK, ks_and_wasserstein, ks_statistic_sorted

VALUES = st.one_of(
    st.integers(-3, 3).map(float),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)
SAMPLES = hnp.arrays(np.float64, st.integers(1, 60), elements=VALUES)


def _check(reference: np.ndarray, current: np.ndarray) -> None:
    ref, cur = np.sort(reference), np.sort(current)
    statistic, distance = ks_and_wasserstein(ref, cur)
    with warnings.catch_warnings():  # scipy's p-value of a 1-value sample; not under test
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = scipy_stats.ks_2samp(reference, current, method="asymp").statistic
    assert statistic == float(expected)
    expected_distance = scipy_stats.wasserstein_distance(reference, current)
    assert distance == pytest.approx(expected_distance, rel=1e-12, abs=1e-300)


@settings(max_examples=200, deadline=None)
@given(reference=SAMPLES, current=SAMPLES)
def test_ks_and_wasserstein_equal_scipy_on_small_samples(
    reference: np.ndarray, current: np.ndarray
) -> None:
    _check(reference, current)


@pytest.mark.parametrize(
    ("n", "m"),
    [(_BLOCK, _BLOCK), (_BLOCK + 1, _BLOCK - 1), (3 * _BLOCK + 7, 5 * _BLOCK), (50_000, 50_000),
     (60_001, 17_333), (9_000, 70_000)],
)  # fmt: skip
@pytest.mark.parametrize("kind", ["normal", "rounded", "integers", "apart"])
def test_ks_and_wasserstein_equal_scipy_across_blocks(n: int, m: int, kind: str) -> None:
    rng = np.random.default_rng(n + m)
    if kind == "normal":
        reference, current = rng.normal(size=n), rng.normal(0.05, 1.1, size=m)
    elif kind == "rounded":  # ties within and across samples, inside blocks and at their edges
        reference, current = np.round(rng.normal(size=n), 1), np.round(rng.normal(size=m), 1)
    elif kind == "integers":
        reference = rng.integers(0, 4, n).astype(float)
        current = rng.integers(0, 5, m).astype(float)
    else:  # every reference value below every current one
        reference, current = rng.uniform(0, 1, n), rng.uniform(2, 3, m)
    _check(reference, current)


def test_ks_statistic_sorted_keeps_the_left_ranks() -> None:
    rng = np.random.default_rng(3)
    ref = np.sort(np.round(rng.normal(size=20_000), 2))
    cur = np.sort(np.round(rng.normal(size=15_000), 2))
    _, left = ks_statistic_sorted(ref, cur, keep_ranks=True)
    assert left is not None
    np.testing.assert_array_equal(left, np.searchsorted(cur, ref, side="left"))
    assert ks_statistic_sorted(ref, cur)[1] is None


@settings(max_examples=200, deadline=None)
@given(sample=SAMPLES, points=st.integers(2, 40))
def test_sorted_quantiles_equal_numpy_bit_for_bit(sample: np.ndarray, points: int) -> None:
    ordered = np.sort(sample)
    probabilities = np.linspace(0.0, 1.0, points)
    np.testing.assert_array_equal(
        sorted_quantiles(ordered, probabilities), np.quantile(ordered, probabilities)
    )


@settings(max_examples=100, deadline=None)
@given(sample=SAMPLES, bins=st.integers(1, 20))
def test_quantile_edges_on_sorted_samples_are_the_same(sample: np.ndarray, bins: int) -> None:
    ordered = np.sort(sample)
    np.testing.assert_array_equal(
        quantile_edges(ordered, bins=bins, assume_sorted=True), quantile_edges(sample, bins=bins)
    )
