"""ecdf_distances, wasserstein, wasserstein_norm and energy against scipy (rtol 1e-9)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats as scipy_stats

from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.stats import (
    EcdfDistances,
    ecdf_distances,
    energy,
    wasserstein,
    wasserstein_norm,
)

RTOL = 1e-9

VALUES = st.one_of(
    st.integers(-3, 3).map(float),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)
SAMPLES = hnp.arrays(np.float64, st.integers(1, 40), elements=VALUES)


def _data(kind: str, n1: int, n2: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if kind == "normal":
        return rng.normal(size=n1), rng.normal(0.2, 1.5, size=n2)
    if kind == "rounded":
        return np.round(rng.normal(size=n1), 1), np.round(rng.normal(0.1, size=n2), 1)
    if kind == "integers":
        return (
            rng.integers(0, 5, size=n1).astype(float),
            rng.integers(0, 7, size=n2).astype(float),
        )
    return rng.exponential(size=n1) * 1e4, rng.lognormal(size=n2) * 1e4  # "skewed"


CASES = [
    ("normal", 1, 1, 0),
    ("normal", 1, 30, 1),
    ("normal", 50, 70, 2),
    ("rounded", 500, 3000, 3),
    ("integers", 200, 150, 4),
    ("integers", 20_000, 35_000, 5),
    ("skewed", 10_000, 12_345, 6),
    ("rounded", 100_000, 80_000, 7),
]


@pytest.mark.parametrize(("kind", "n1", "n2", "seed"), CASES)
def test_ecdf_distances_match_scipy(kind: str, n1: int, n2: int, seed: int) -> None:
    reference, current = _data(kind, n1, n2, seed)
    distances = ecdf_distances(np.sort(reference), np.sort(current))
    assert isinstance(distances, EcdfDistances)
    expected_ks = float(scipy_stats.ks_2samp(reference, current).statistic)
    assert distances.ks == pytest.approx(expected_ks, rel=RTOL)
    expected_w = float(scipy_stats.wasserstein_distance(reference, current))
    assert distances.wasserstein == pytest.approx(expected_w, rel=RTOL)
    expected_e = float(scipy_stats.energy_distance(reference, current))
    assert distances.energy == pytest.approx(expected_e, rel=RTOL)


@pytest.mark.parametrize(("kind", "n1", "n2", "seed"), CASES)
@pytest.mark.parametrize("assume_sorted", [False, True])
def test_kernels_match_scipy(kind: str, n1: int, n2: int, seed: int, assume_sorted: bool) -> None:
    reference, current = _data(kind, n1, n2, seed)
    if assume_sorted:
        reference, current = np.sort(reference), np.sort(current)
    w = wasserstein(reference, current, assume_sorted=assume_sorted)
    expected_w = float(scipy_stats.wasserstein_distance(reference, current))
    assert (w.method, w.p_value, w.n_reference, w.n_current) == ("wasserstein", None, n1, n2)
    assert w.statistic == pytest.approx(expected_w, rel=RTOL)
    e = energy(reference, current, assume_sorted=assume_sorted)
    assert (e.method, e.p_value) == ("energy", None)
    assert e.statistic == pytest.approx(
        float(scipy_stats.energy_distance(reference, current)), rel=RTOL
    )
    if np.ptp(reference) > 0:
        normalised = wasserstein_norm(reference, current, assume_sorted=assume_sorted)
        assert normalised.method == "wasserstein_norm"
        assert normalised.details["scale"] == pytest.approx(float(np.std(reference)), rel=RTOL)
        assert normalised.statistic == pytest.approx(
            expected_w / float(np.std(reference)), rel=RTOL
        )
    for result in (w, e):
        assert type(result.statistic) is float


def test_worked_example() -> None:
    # F_r - F_c is 1/3, 2/3, 1 on [0,1), [1,3), [3,5) and 2/3, 1/3 on [5,6), [6,8):
    # Wasserstein 1/3 + 4/3 + 2 + 2/3 + 2/3 = 5; energy sqrt(2 (1/9 + 8/9 + 2 + 4/9 + 2/9)).
    distances = ecdf_distances([0.0, 1.0, 3.0], [5.0, 6.0, 8.0])
    assert distances.ks == 1.0
    assert distances.wasserstein == pytest.approx(5.0, rel=1e-12)
    assert distances.energy == pytest.approx(np.sqrt(2 * 33 / 9), rel=1e-12)


@pytest.mark.parametrize(
    ("reference", "current", "scale", "statistic"),
    [
        ([2.0, 2.0, 2.0], [3.0], 2.0, 0.5),  # constant: scale mean(|reference|) = 2
        ([-4.0, -4.0], [-1.0], 4.0, 0.75),  # constant and negative: mean(|reference|) = 4
        ([0.0, 0.0], [1.0, 3.0], 1.0, 2.0),  # constant 0: scale 1
        ([0.0, 2.0], [1.0, 3.0], 1.0, 1.0),  # std 1, distance 1
    ],
)
def test_wasserstein_norm_scale(
    reference: list[float], current: list[float], scale: float, statistic: float
) -> None:
    result = wasserstein_norm(reference, current)
    assert result.details == {"scale": scale}
    assert result.statistic == pytest.approx(statistic, rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(reference=SAMPLES, current=SAMPLES)
def test_properties(reference: np.ndarray, current: np.ndarray) -> None:
    forward = ecdf_distances(np.sort(reference), np.sort(current))
    backward = ecdf_distances(np.sort(current), np.sort(reference))
    assert 0.0 <= forward.ks <= 1.0
    assert forward.wasserstein >= 0.0
    assert forward.energy >= 0.0
    assert backward.ks == forward.ks
    assert backward.wasserstein == pytest.approx(forward.wasserstein, rel=1e-12)
    assert backward.energy == pytest.approx(forward.energy, rel=1e-12)
    assert ecdf_distances(np.sort(reference), np.sort(reference)) == EcdfDistances(
        ks=0.0, wasserstein=0.0, energy=0.0
    )
    doubled = ecdf_distances(np.sort(np.tile(reference, 2)), np.sort(reference))
    assert doubled == EcdfDistances(ks=0.0, wasserstein=0.0, energy=0.0)
    # Moving every current value right by c moves the Wasserstein distance by at most c.
    moved = wasserstein(reference, current + 1.0).statistic
    assert abs(moved - forward.wasserstein) <= 1.0 + 1e-9 * max(1.0, forward.wasserstein)


@settings(max_examples=50, deadline=None)
@given(reference=SAMPLES, current=SAMPLES, data=st.data())
def test_order_of_values_does_not_matter(
    reference: np.ndarray, current: np.ndarray, data: st.DataObject
) -> None:
    order_reference = data.draw(st.permutations(range(reference.size)))
    order_current = data.draw(st.permutations(range(current.size)))
    shuffled = (reference[order_reference], current[order_current])
    for kernel in (wasserstein, wasserstein_norm, energy):
        assert kernel(*shuffled) == kernel(reference, current)


@settings(max_examples=50, deadline=None)
@given(first=SAMPLES, second=SAMPLES, third=SAMPLES)
def test_wasserstein_triangle_inequality(
    first: np.ndarray, second: np.ndarray, third: np.ndarray
) -> None:
    direct = wasserstein(first, third).statistic
    detour = wasserstein(first, second).statistic + wasserstein(second, third).statistic
    assert direct <= detour * (1 + 1e-9) + 1e-9


@pytest.mark.parametrize("kernel", [wasserstein, wasserstein_norm, energy])
def test_empty_sample_is_insufficient(kernel: object) -> None:
    with pytest.raises(InsufficientDataError, match="'current' argument"):
        kernel([1.0], [])  # type: ignore[operator]


def test_ecdf_distances_rejects_empty_and_unsorted() -> None:
    with pytest.raises(InsufficientDataError, match="'reference_sorted' argument"):
        ecdf_distances([], [1.0])
    with pytest.raises(InvalidParameterError, match=r"'current_sorted' argument .* sorted"):
        ecdf_distances([1.0], [2.0, 1.0])


def test_assume_sorted_is_checked() -> None:
    with pytest.raises(InvalidParameterError, match="'reference' argument of energy"):
        energy([3.0, 1.0], [2.0], assume_sorted=True)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_values_are_rejected(bad: float) -> None:
    with pytest.raises(InvalidParameterError, match="finite"):
        wasserstein([bad, 1.0], [2.0])


def test_overflowing_range_is_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="too wide a range"):
        wasserstein([-1e308], [1e308])
