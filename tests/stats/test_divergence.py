"""psi, jensenshannon, kl and hellinger against scipy or worked examples (rtol 1e-9)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats as scipy_stats
from scipy.spatial import distance as scipy_distance

from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.stats import hellinger, jensenshannon, kl, psi

RTOL = 1e-9
KERNELS = [psi, jensenshannon, kl, hellinger]


@st.composite
def count_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    size = draw(st.integers(1, 12))
    counts = hnp.arrays(np.int64, size, elements=st.integers(0, 1000))
    reference = draw(counts.filter(lambda c: c.sum() > 0))
    current = draw(counts.filter(lambda c: c.sum() > 0))
    return reference, current


def _counts(seed: int, size: int, zeros: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    reference = rng.multinomial(5000, rng.dirichlet(np.ones(size)))
    current = rng.multinomial(3000, rng.dirichlet(np.ones(size)))
    if zeros:
        reference[0] = 0
        current[-1] = 0
    return reference, current


CASES = [(0, 2, False), (1, 5, False), (2, 10, True), (3, 20, True), (4, 50, False)]


def _eps_shares(counts: np.ndarray, eps: float) -> np.ndarray:
    shares = counts / counts.sum()
    return np.where(shares == 0, eps, shares)


@pytest.mark.parametrize(("seed", "size", "zeros"), CASES)
def test_psi_is_the_symmetrised_kl_of_the_eps_shares(seed: int, size: int, zeros: bool) -> None:
    reference, current = _counts(seed, size, zeros)
    r, c = _eps_shares(reference, 1e-4), _eps_shares(current, 1e-4)
    # Without renormalisation: sum (c - r) ln(c / r) = sum c ln(c / r) + sum r ln(r / c).
    expected = float(np.sum(c * np.log(c / r)) + np.sum(r * np.log(r / c)))
    result = psi(reference, current)
    assert result.statistic == pytest.approx(expected, rel=RTOL)
    assert result.details == {"eps": 1e-4}
    assert (result.n_reference, result.n_current) == (reference.sum(), current.sum())


def test_psi_worked_examples() -> None:
    # Shares (.5, .3, .2) -> (.3, .3, .4): -.2 ln .6 + .2 ln 2 = 0.24079456086518720.
    assert psi([50, 30, 20], [30, 30, 40]).statistic == pytest.approx(0.2407945608651872, rel=RTOL)
    # (1, 0) -> (.5, .5) with eps 1e-4 for the empty bin:
    # (.5 - 1) ln .5 + (.5 - 1e-4) ln(.5 / 1e-4) = 0.34657359 + 0.4999 * 8.51719319.
    expected = 0.5 * math.log(2) + 0.4999 * math.log(5000)
    assert psi([10, 0], [5, 5]).statistic == pytest.approx(expected, rel=RTOL)
    assert psi([10, 0], [5, 5], eps=1e-2).details == {"eps": 1e-2}


@pytest.mark.parametrize(("seed", "size", "zeros"), CASES)
def test_jensenshannon_matches_scipy(seed: int, size: int, zeros: bool) -> None:
    reference, current = _counts(seed, size, zeros)
    expected = scipy_distance.jensenshannon(
        reference / reference.sum(), current / current.sum(), base=2
    )
    result = jensenshannon(reference, current)
    assert result.statistic == pytest.approx(float(expected), rel=RTOL)
    assert (result.method, result.p_value, result.details) == ("jensenshannon", None, {})


@pytest.mark.parametrize(("seed", "size", "zeros"), CASES)
@pytest.mark.parametrize("eps", [1e-4, 1e-2])
def test_kl_matches_scipy_entropy(seed: int, size: int, zeros: bool, eps: float) -> None:
    reference, current = _counts(seed, size, zeros)
    expected = scipy_stats.entropy(_eps_shares(current, eps), _eps_shares(reference, eps))
    result = kl(reference, current, eps=eps)
    assert result.statistic == pytest.approx(float(expected), rel=RTOL)
    assert result.details == {"eps": eps}


@pytest.mark.parametrize(("seed", "size", "zeros"), CASES)
def test_hellinger_matches_the_bhattacharyya_coefficient(seed: int, size: int, zeros: bool) -> None:
    reference, current = _counts(seed, size, zeros)
    r, c = reference / reference.sum(), current / current.sum()
    # H^2 = 1 - BC with BC = sum sqrt(r c), an independent route to the same distance.
    expected = math.sqrt(1.0 - float(np.sum(np.sqrt(r * c))))
    assert hellinger(reference, current).statistic == pytest.approx(expected, rel=RTOL)


def test_disjoint_supports_reach_the_upper_bounds() -> None:
    assert jensenshannon([3, 0], [0, 7]).statistic == pytest.approx(1.0, rel=1e-12)
    assert hellinger([3, 0], [0, 7]).statistic == pytest.approx(1.0, rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(pair=count_pairs(), data=st.data())
def test_properties(pair: tuple[np.ndarray, np.ndarray], data: st.DataObject) -> None:
    reference, current = pair
    order = data.draw(st.permutations(range(reference.size)))
    factor = data.draw(st.integers(2, 5))
    for kernel in KERNELS:
        result = kernel(reference, current)
        assert result.statistic >= 0.0
        assert result.p_value is None
        assert type(result.statistic) is float
        assert math.isfinite(result.statistic)
        # Bins in another order, or every count scaled, describe the same distributions.
        permuted = kernel(reference[order], current[order])
        assert permuted.statistic == pytest.approx(result.statistic, rel=1e-9, abs=1e-12)
        scaled = kernel(reference * factor, current)
        assert scaled.statistic == pytest.approx(result.statistic, rel=1e-9, abs=1e-12)
        assert kernel(reference, reference).statistic == pytest.approx(0.0, abs=1e-12)
    for kernel in (jensenshannon, hellinger):
        forward = kernel(reference, current).statistic
        assert forward <= 1.0
        assert kernel(current, reference).statistic == pytest.approx(forward, rel=1e-12)


@pytest.mark.parametrize("kernel", KERNELS)
def test_mismatched_lengths_are_rejected(kernel: object) -> None:
    with pytest.raises(InvalidParameterError, match="same length"):
        kernel([1, 2, 3], [1, 2])  # type: ignore[operator]


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize(
    ("counts", "match"),
    [([1, -1, 3], "non-negative"), ([1.5, 2.0], "whole-number"), ([1.0, np.nan], "finite"),
     ([], "non-empty"), ([[1, 2], [3, 4]], "1-D"), (["a", "b"], "whole-number")],
)  # fmt: skip
def test_bad_counts_are_rejected(kernel: object, counts: list[object], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        kernel(counts, counts)  # type: ignore[operator]


@pytest.mark.parametrize("kernel", KERNELS)
def test_all_zero_counts_are_insufficient(kernel: object) -> None:
    with pytest.raises(InsufficientDataError, match=r"'current_counts' argument .* positive"):
        kernel([1, 2], [0, 0])  # type: ignore[operator]


def test_float_counts_with_whole_values_are_accepted() -> None:
    assert psi([5.0, 5.0], [2.0, 8.0]) == psi([5, 5], [2, 8])


@pytest.mark.parametrize("kernel", [psi, kl])
@pytest.mark.parametrize("eps", [0.0, 1.0, -1e-4, True, "0.1", float("nan")])
def test_eps_must_be_in_the_open_unit_interval(kernel: object, eps: object) -> None:
    with pytest.raises(InvalidParameterError, match="'eps' parameter"):
        kernel([1, 2], [2, 1], eps=eps)  # type: ignore[operator]
