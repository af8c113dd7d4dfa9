"""mmd against a direct double loop over the kernel (rtol 1e-9), and its permutation test."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.stats import MMD_MAX_ROWS, mmd


def _loop_mmd(x: np.ndarray, y: np.ndarray, bandwidth: float) -> float:
    """Unbiased squared MMD written out term by term (Gretton et al. 2012, eq. 3)."""

    def k(a: np.ndarray, b: np.ndarray) -> float:
        return math.exp(-float(np.sum((a - b) ** 2)) / (2.0 * bandwidth**2))

    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2.0 * xy


def _loop_median_distance(z: np.ndarray) -> float:
    pairs = itertools.combinations(range(len(z)), 2)
    return float(np.median([math.dist(z[i], z[j]) for i, j in pairs]))


@pytest.mark.parametrize(("n", "m", "d", "seed"), [(15, 12, 3, 0), (2, 2, 1, 1), (30, 8, 5, 2)])
def test_statistic_matches_the_double_loop(n: int, m: int, d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, d)), rng.normal(0.3, size=(m, d))
    result = mmd(x, y, n_permutations=10, seed=seed)
    bandwidth = _loop_median_distance(np.concatenate((x, y)))
    assert result.details["bandwidth"] == pytest.approx(bandwidth, rel=1e-12)
    expected = _loop_mmd(x, y, bandwidth)
    assert result.statistic == pytest.approx(expected, rel=1e-9, abs=1e-12)
    fixed = mmd(x, y, n_permutations=10, seed=seed, bandwidth=0.7)
    assert fixed.statistic == pytest.approx(_loop_mmd(x, y, 0.7), rel=1e-9, abs=1e-12)
    assert fixed.details == {"bandwidth": 0.7, "n_permutations": 10.0}
    assert (result.method, result.n_reference, result.n_current) == ("mmd", n, m)
    assert type(result.statistic) is float


def test_one_dimensional_input_is_one_column() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=40), rng.normal(size=30)
    assert mmd(x, y, seed=1) == mmd(x[:, None], y[:, None], seed=1)


def test_mean_shift_is_detected() -> None:
    rng = np.random.default_rng(4)
    result = mmd(rng.normal(size=(100, 2)), rng.normal(1.0, size=(100, 2)), seed=5)
    assert result.statistic > 0
    assert result.p_value == pytest.approx(1 / 501)  # no permutation reached it


def test_p_values_under_the_null_are_not_small() -> None:
    rng = np.random.default_rng(6)
    p_values = [
        mmd(rng.normal(size=(30, 2)), rng.normal(size=(25, 2)), n_permutations=200, seed=s).p_value
        for s in range(20)
    ]
    # Under the null the p-value is uniform: mean 1/2, and about 1 in 20 below 0.05.
    assert 0.3 < float(np.mean(p_values)) < 0.7
    assert sum(p < 0.05 for p in p_values) <= 4  # P(Binomial(20, 0.05) > 4) < 0.3%


def test_same_seed_same_result_and_generators_are_accepted() -> None:
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(40, 2)), rng.normal(0.2, size=(40, 2))
    assert mmd(x, y, seed=11) == mmd(x, y, seed=11)
    assert mmd(x, y, seed=np.random.default_rng(11)) == mmd(x, y, seed=11)
    assert mmd(x, y, seed=None).statistic == mmd(x, y, seed=11).statistic


def test_median_is_taken_on_a_subsample_of_large_pools() -> None:
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(1500, 1)), rng.normal(size=(1000, 1))
    first = mmd(x, y, n_permutations=5, seed=1).details["bandwidth"]
    assert first == mmd(x, y, n_permutations=5, seed=1).details["bandwidth"]
    # The median distance of two standard normals is about 0.95 (sqrt(2) * 0.674).
    assert first == pytest.approx(0.954, rel=0.05)


def test_tied_rows_fall_back_to_nonzero_distances_or_one() -> None:
    x = np.array([0.0, 0.0, 0.0, 0.0, 1.0])
    y = np.array([0.0, 0.0, 0.0, 3.0])
    # Distances: 21 of the 36 pairs are 0; the rest are 1 (x7), 2 (x1), 3 (x7): median 2.
    assert mmd(x, y, n_permutations=5, seed=0).details["bandwidth"] == 2.0
    constant = mmd(np.ones(3), np.ones(4), n_permutations=5, seed=0)
    assert constant.details["bandwidth"] == 1.0
    assert constant.statistic == pytest.approx(0.0, abs=1e-12)
    assert constant.p_value == 1.0


@settings(max_examples=50, deadline=None)
@given(
    x=hnp.arrays(np.float64, st.tuples(st.integers(2, 12), st.just(2)),
                 elements=st.floats(-100, 100, allow_nan=False)),
    y=hnp.arrays(np.float64, st.tuples(st.integers(2, 12), st.just(2)),
                 elements=st.floats(-100, 100, allow_nan=False)),
    seed=st.integers(0, 2**32 - 1),
    data=st.data(),
)  # fmt: skip
def test_properties(x: np.ndarray, y: np.ndarray, seed: int, data: st.DataObject) -> None:
    result = mmd(x, y, n_permutations=20, seed=seed)
    assert result.p_value is not None
    assert 1 / 21 <= result.p_value <= 1.0
    assert math.isfinite(result.statistic)
    swapped = mmd(y, x, n_permutations=20, seed=seed)
    assert swapped.statistic == pytest.approx(result.statistic, rel=1e-9, abs=1e-9)
    order = data.draw(st.permutations(range(len(x))))
    shuffled = mmd(x[order], y, n_permutations=20, seed=seed)
    assert shuffled.statistic == pytest.approx(result.statistic, rel=1e-9, abs=1e-9)
    same = mmd(x, x, n_permutations=20, seed=seed)
    assert same.p_value is not None
    assert same.p_value > 0.1


def test_too_few_rows_are_insufficient() -> None:
    with pytest.raises(InsufficientDataError, match=r"'current' argument of mmd .* 2 rows"):
        mmd(np.zeros((3, 2)), np.zeros((1, 2)))


@pytest.mark.parametrize(
    ("reference", "current", "kwargs", "match"),
    [
        (np.zeros((3, 2)), np.zeros((3, 3)), {}, "same number of columns"),
        (np.zeros((3, 2, 1)), np.zeros((3, 2)), {}, "1-D or 2-D"),
        (np.array([0.0, np.nan, 1.0]), np.zeros(3), {}, "finite"),
        (np.zeros(3), np.zeros(3), {"n_permutations": 0}, "'n_permutations' parameter"),
        (np.zeros(3), np.zeros(3), {"bandwidth": -1.0}, "'bandwidth' parameter"),
        (np.zeros(3), np.zeros(3), {"bandwidth": float("inf")}, "'bandwidth' parameter"),
        (np.zeros(MMD_MAX_ROWS), np.zeros(2), {}, "subsample"),
        (["a", "b"], np.zeros(2), {}, "array of numbers"),
    ],
)
def test_bad_input_is_rejected(
    reference: np.ndarray, current: np.ndarray, kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        mmd(reference, current, **kwargs)  # type: ignore[arg-type]
