"""kstwo_sf against scipy.stats.kstwo.sf on a grid of n and d (relative tolerance 1e-9).

The numpy sum replaces scipy's for 140 < n <= 1e6 and 2.2 <= n d**2 < 370; the grid
covers that region's corners and inside, and its boundaries (where scipy is called).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special
from scipy import stats as scipy_stats

from driftpilot.stats._kolmogorov import kstwo_sf

RTOL = 1e-9
# n * d**2 inside the summed branch (2.2 and just below 370 are its edges), and outside it.
INSIDE = (2.2, 2.2001, 3.0, 5.0, 8.0, 11.0, 20.0, 50.0, 100.0, 200.0, 300.0, 369.0)
OUTSIDE = (0.01, 0.5, 1.0, 2.1999, 370.0, 500.0)


def _expected(d: float, n: int) -> float:
    return float(np.clip(scipy_stats.kstwo.sf(d, n), 0.0, 1.0))


def _assert_agrees(d: float, n: int) -> None:
    expected = _expected(d, n)
    got = kstwo_sf(d, n)
    if expected < 1e-300:  # subnormal or 0: no relative precision left in scipy either
        assert got == pytest.approx(expected, abs=1e-300)
    else:
        assert got == pytest.approx(expected, rel=RTOL)


@pytest.mark.parametrize("n", [141, 142, 200, 1000, 4999, 10_000, 30_011])
@pytest.mark.parametrize("nx2", INSIDE + OUTSIDE)
def test_kstwo_sf_equals_scipy_on_a_grid(n: int, nx2: float) -> None:
    d = math.sqrt(nx2 / n)
    if d < 1.0:
        _assert_agrees(d, n)


@pytest.mark.slow
@pytest.mark.parametrize("n", [100_000, 499_999, 1_000_000, 1_000_001, 2_500_000])
@pytest.mark.parametrize("nx2", [2.2, 5.0, 11.0, 50.0, 300.0, 369.0])
def test_kstwo_sf_equals_scipy_for_large_n(n: int, nx2: float) -> None:
    # scipy sums a million terms one by one here: seconds per point.
    _assert_agrees(math.sqrt(nx2 / n), n)


@pytest.mark.parametrize("n", [1, 2, 10, 140])
@pytest.mark.parametrize("d", [0.01, 0.1, 0.3, 0.5, 0.9, 1.0])
def test_kstwo_sf_small_n_is_scipys(n: int, d: float) -> None:
    assert kstwo_sf(d, n) == _expected(d, n)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(141, 40_000), nx2=st.floats(2.2, 369.99))
def test_kstwo_sf_equals_scipy_anywhere_in_the_summed_branch(n: int, nx2: float) -> None:
    d = math.sqrt(nx2 / n)
    if d < 0.5:
        _assert_agrees(d, n)


def test_kstwo_sf_is_twice_the_one_sided_tail() -> None:
    # The branch is 2 * smirnov(n, d): check the one-sided sum on its own too.
    n, d = 5000, 0.03
    assert kstwo_sf(d, n) == pytest.approx(2 * special.smirnov(n, d), rel=RTOL)


def test_kstwo_sf_decreases_in_d() -> None:
    n = 250_000
    values = [kstwo_sf(math.sqrt(nx2 / n), n) for nx2 in np.linspace(2.2, 369.0, 50)]
    assert all(a > b for a, b in itertools.pairwise(values))
    assert 0.0 < values[-1] < values[0] < 0.03
