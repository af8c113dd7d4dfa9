"""regression_metrics against scikit-learn, its properties, and its bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn import metrics

from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.performance import regression_metrics

RTOL = 1e-9  # the DESIGN non-negotiable for exact statistics


def _dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(sum(map(ord, name)))
    if name == "normal":
        y = rng.normal(10, 3, 500)
        return y, y + rng.normal(0, 1, y.size)
    if name == "heavy_tailed":
        y = rng.standard_t(2, 400) * 100
        return y, 0.8 * y + rng.standard_t(3, y.size) * 20
    if name == "zeros_in_truth":  # MAPE uses max(|y|, eps): huge but finite
        y = rng.integers(0, 4, 100).astype(float)
        return y, y + rng.normal(0, 0.5, y.size)
    y = np.array([1.0, 2.0])
    return y, np.array([1.5, 1.0])


@pytest.mark.parametrize("name", ["normal", "heavy_tailed", "zeros_in_truth", "two_points"])
def test_matches_scikit_learn(name: str) -> None:
    y, pred = _dataset(name)
    result = regression_metrics(y, pred)
    expected = {
        "mae": metrics.mean_absolute_error(y, pred),
        "rmse": metrics.root_mean_squared_error(y, pred),
        "mape": metrics.mean_absolute_percentage_error(y, pred),
        "r2": metrics.r2_score(y, pred),
    }
    for key, value in expected.items():
        assert getattr(result, key) == pytest.approx(value, rel=RTOL), key
    assert result.n == y.size
    assert result.mape_eps == np.finfo(np.float64).eps


def test_standard_errors() -> None:
    y, pred = _dataset("normal")
    se = regression_metrics(y, pred).standard_errors
    assert set(se) == {"mae", "rmse", "mape"}
    abs_err = np.abs(y - pred)
    assert se["mae"] == pytest.approx(np.std(abs_err, ddof=1) / np.sqrt(y.size), rel=1e-9)
    # The delta-method standard error of the RMSE is close to a bootstrap's (seeded).
    rng = np.random.default_rng(7)
    draws = rng.integers(0, y.size, (2000, y.size))
    boot = np.sqrt(np.mean((y[draws] - pred[draws]) ** 2, axis=1))
    assert se["rmse"] == pytest.approx(np.std(boot), rel=0.1)
    assert regression_metrics([1.0], [2.0]).standard_errors == {
        "mae": None,
        "rmse": None,
        "mape": None,
    }


# scikit-learn's force_finite=False divides by SS_tot = 0 on purpose.
@pytest.mark.filterwarnings("ignore:divide by zero encountered:RuntimeWarning")
def test_constant_truth_gives_no_r2() -> None:
    result = regression_metrics([2.0, 2.0, 2.0], [1.0, 2.0, 3.0])
    assert result.r2 is None
    assert np.isneginf(metrics.r2_score([2.0, 2.0, 2.0], [1.0, 2.0, 3.0], force_finite=False))
    assert regression_metrics([5.0], [5.0]).r2 is None


@pytest.mark.parametrize(
    ("y_true", "y_pred", "error", "match"),
    [
        ([], [], InsufficientDataError, "'y_true'"),
        ([1.0], [], InsufficientDataError, "'y_pred'"),
        ([1.0, 2.0], [1.0], InvalidParameterError, "'y_true' and 'y_pred'.*2 and 1"),
        ([1.0, np.nan], [1.0, 2.0], InvalidParameterError, "'y_true'.*1 NaN"),
        ([1.0, 2.0], [np.inf, 2.0], InvalidParameterError, "'y_pred'.*infinite"),
        ([[1.0, 2.0]], [[1.0, 2.0]], InvalidParameterError, "'y_true'.*1-D"),
        (["a"], [1.0], InvalidParameterError, "'y_true'.*numbers"),
    ],
)
def test_bad_input_names_the_argument(
    y_true: object, y_pred: object, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        regression_metrics(y_true, y_pred)  # type: ignore[arg-type]


_values = st.floats(-1e6, 1e6, allow_subnormal=False)
_cases = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(_values, min_size=n, max_size=n),
        st.lists(_values, min_size=n, max_size=n),
        st.randoms(use_true_random=False),
    )
)


@given(_cases)
def test_permutation_invariance_and_order(case: tuple[list[float], list[float], object]) -> None:
    y, pred, rnd = case
    order = list(range(len(y)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    result = regression_metrics(y, pred)
    shuffled = regression_metrics([y[i] for i in order], [pred[i] for i in order])
    for key in ("mae", "rmse", "mape"):
        assert getattr(shuffled, key) == pytest.approx(getattr(result, key), rel=1e-9, abs=1e-9)
    assert (result.r2 is None) == (shuffled.r2 is None)
    assert 0.0 <= result.mae <= result.rmse * (1 + 1e-12)
    assert result.mape >= 0.0
    assert result.r2 is None or result.r2 <= 1.0


@given(st.lists(_values, min_size=1, max_size=40))
def test_perfect_predictions_give_ideal_values(y: list[float]) -> None:
    result = regression_metrics(y, y)
    assert (result.mae, result.rmse, result.mape) == (0.0, 0.0, 0.0)
    assert result.r2 == (None if len(set(y)) == 1 else 1.0)
