"""ConfidenceBasedEstimator: expected metrics, calibration, bands under covariate shift."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn import metrics
from sklearn.isotonic import IsotonicRegression

from driftpilot.errors import InsufficientDataError, InvalidParameterError, NotFittedError
from driftpilot.performance import (
    ConfidenceBasedEstimator,
    Estimate,
    EstimatedPerformanceResult,
    _simulation,
    binary_metrics,
)

METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def realized(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """The realized accuracy, F1 and ROC-AUC at threshold 0.5, by scikit-learn."""
    pred = score >= 0.5
    return {
        "accuracy": metrics.accuracy_score(y, pred),
        "f1": metrics.f1_score(y, pred),
        "roc_auc": metrics.roc_auc_score(y, score),
    }


@pytest.fixture(scope="module")
def fitted() -> tuple[ConfidenceBasedEstimator, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(101)
    x = rng.normal(size=5000)
    y = rng.random(x.size) < sigmoid(2 * x)
    score = np.round(sigmoid(x), 3)  # under-confident, with ties
    return ConfidenceBasedEstimator().fit(y, score), y, score


# (a) With the true probabilities the estimates are the means of the realized metrics.


def test_expected_metrics_match_realized_ones_on_average() -> None:
    rng = np.random.default_rng(102)
    reference = rng.beta(2, 2, 2000)
    estimator = ConfidenceBasedEstimator(calibrate=False, n_simulations=20)
    estimator.fit(rng.random(reference.size) < reference, reference)
    gaps: dict[str, list[float]] = {name: [] for name in METRICS}
    for _ in range(400):
        p = rng.beta(2, 2, 500)
        y = rng.random(p.size) < p
        estimate = estimator.estimate(p)
        truth = binary_metrics(y, p, positive=True)  # equal to scikit-learn's to 1e-9
        for name in METRICS:
            gaps[name].append(getattr(truth, name) - getattr(estimate, name).value)
    for name, gap in gaps.items():
        # Accuracy and precision are unbiased; the others are ratios, biased by O(1/n).
        bound = 4 * np.std(gap) / np.sqrt(len(gap)) + (
            0 if name in ("accuracy", "precision") else 2e-3
        )
        assert abs(np.mean(gap)) < bound, name


# (b) Under covariate shift the realized metrics fall in the bands.


@pytest.mark.slow
@pytest.mark.parametrize("model", ["calibrated", "under-confident"])
def test_bands_cover_the_realized_metrics_under_covariate_shift(model: str) -> None:
    """120 windows of 2,000 events whose feature mean moves from 0 to 1.5 (P(y | x) fixed).

    The 95 % bands must hold the realized value (scikit-learn, true labels) in at least 90 %
    of the windows; the slack covers the calibration map's remaining error, shared by all
    windows, and the Monte Carlo error of the bands' ends.
    """
    rng = np.random.default_rng(103)

    def model_score(x: np.ndarray) -> np.ndarray:
        return sigmoid(2 * x) if model == "calibrated" else sigmoid(x)

    x = rng.normal(size=50_000)
    estimator = ConfidenceBasedEstimator(confidence=0.95)
    estimator.fit(rng.random(x.size) < sigmoid(2 * x), model_score(x))
    inside = dict.fromkeys(("accuracy", "f1", "roc_auc"), 0)
    n_windows = 120
    for mean in np.linspace(0.0, 1.5, n_windows):
        xw = rng.normal(mean, 1.0, 2000)
        yw = rng.random(xw.size) < sigmoid(2 * xw)
        score = model_score(xw)
        estimate = estimator.estimate(score)
        truth = realized(yw, score)
        for name in inside:
            band = getattr(estimate, name)
            inside[name] += band.lower <= truth[name] <= band.upper
    coverage = {name: count / n_windows for name, count in inside.items()}
    assert all(share >= 0.90 for share in coverage.values()), coverage


# (c) The plug-in confusion matrix, the expected ROC curve, the calibration map.


def test_expected_confusion_matrix_is_the_sum_of_probabilities(fitted) -> None:
    estimator, _, _ = fitted
    score = np.random.default_rng(104).random(3000)
    p = np.interp(score, estimator.calibration_x_, estimator.calibration_y_)
    for y_pred in (None, np.random.default_rng(105).random(3000) < 0.3):
        pred = score >= 0.5 if y_pred is None else y_pred
        result = estimator.estimate(score, y_pred)
        expected = {
            "true_positive": p[pred].sum(),
            "false_positive": (1 - p)[pred].sum(),
            "false_negative": p[~pred].sum(),
            "true_negative": (1 - p)[~pred].sum(),
        }
        for key, value in expected.items():
            assert result.confusion[key] == pytest.approx(value, rel=1e-12), key
        tp, fp, fn = (
            expected["true_positive"],
            expected["false_positive"],
            expected["false_negative"],
        )
        assert result.accuracy.value == pytest.approx((tp + expected["true_negative"]) / 3000)
        assert result.precision.value == pytest.approx(tp / (tp + fp))
        assert result.recall.value == pytest.approx(tp / (tp + fn))
        assert result.f1.value == pytest.approx(2 * tp / (2 * tp + fp + fn))
        assert result.n_predicted_positive == int(pred.sum())


def test_expected_roc_auc_is_the_pairwise_probability_of_a_correct_order() -> None:
    rng = np.random.default_rng(106)
    score = np.round(rng.random(300), 2)  # ties count one half
    p = rng.random(300)
    above = (score[:, None] > score[None, :]) + 0.5 * (score[:, None] == score[None, :])
    pairs = p[:, None] * (1 - p)[None, :] * (1 - np.eye(300))
    expected = float(np.sum(pairs * above) / np.sum(pairs))
    estimator = ConfidenceBasedEstimator(calibrate=False).fit([0, 1], [0.2, 0.9])
    # The trapezoid counts self-pairs too; with 300 events their weight is O(1/n).
    assert estimator.estimate(p, None).roc_auc.value is not None
    assert _simulation.expected_roc_auc(score, p) == pytest.approx(expected, abs=5e-3)
    y = rng.random(300) < p
    assert _simulation.expected_roc_auc(score, y.astype(float)) == pytest.approx(
        metrics.roc_auc_score(y, score), rel=1e-12
    )


def test_calibration_is_monotone_in_unit_interval_and_agrees_with_scikit_learn(fitted) -> None:
    estimator, y, score = fitted
    assert np.all(np.diff(estimator.calibration_x_) >= 0)
    assert np.all(np.diff(estimator.calibration_y_) >= 0)
    grid = np.linspace(0, 1, 2001)
    mapped = estimator.probabilities(grid)
    assert np.all(np.diff(mapped) >= 0)
    assert mapped.min() >= 0.0
    assert mapped.max() <= 1.0
    # The block values are scikit-learn's isotonic fit (knots at the blocks' mean scores).
    sklearn_values = np.unique(IsotonicRegression().fit(score, y).predict(score))
    np.testing.assert_allclose(np.unique(estimator.calibration_y_), sklearn_values, rtol=1e-12)
    assert estimator.calibration_events_.sum() == y.size
    assert estimator.calibration_positives_.sum() == y.sum()
    # The under-confident sigmoid(x) is made sharper: P(y | score) = sigmoid(2 logit(score)).
    truth = sigmoid(2 * np.log(grid[1:-1] / (1 - grid[1:-1])))
    inner = (grid[1:-1] > 0.1) & (grid[1:-1] < 0.9)
    assert np.max(np.abs(mapped[1:-1][inner] - truth[inner])) < 0.08


def test_without_calibration_probabilities_are_the_scores() -> None:
    estimator = ConfidenceBasedEstimator(calibrate=False).fit([0, 1, 1], [0.1, 0.7, 0.4])
    score = np.array([0.0, 0.25, 0.5, 1.0])
    np.testing.assert_array_equal(estimator.probabilities(score), score)
    assert not estimator.estimate(score).calibration_uncertainty


def test_reference_metrics_are_those_of_binary_metrics(fitted) -> None:
    estimator, y, score = fitted
    expected = binary_metrics(y.astype(int), score)
    assert estimator.reference_metrics_.accuracy == expected.accuracy
    assert estimator.reference_metrics_.roc_auc == expected.roc_auc
    assert estimator.n_reference_ == y.size


def test_chunked_draws_equal_one_block(fitted, monkeypatch: pytest.MonkeyPatch) -> None:
    estimator, _, _ = fitted
    score = np.random.default_rng(107).random(700)
    whole = estimator.estimate(score)
    monkeypatch.setattr(_simulation, "CHUNK_VALUES", 5000)  # a few draws per chunk
    assert estimator.estimate(score) == whole


def test_seeded_bands_are_reproducible_and_results_are_plain_values(fitted) -> None:
    estimator, _, _ = fitted
    score = np.random.default_rng(108).random(500)
    first, second = estimator.estimate(score), estimator.estimate(score)
    assert first == second
    data = json.loads(json.dumps(first.to_dict()))
    assert data["accuracy"]["value"] == first.accuracy.value
    assert set(data["confusion"]) == {"true_positive", "false_positive", "false_negative",
                                      "true_negative"}  # fmt: skip
    for cls in (Estimate, EstimatedPerformanceResult):
        assert cls.__dataclass_params__.frozen
        assert all(field.kw_only for field in dataclasses.fields(cls))
        assert hasattr(cls, "__slots__")
    other = ConfidenceBasedEstimator(seed=np.random.default_rng(1)).fit([0, 1], [0.3, 0.6])
    assert other.estimate(score).accuracy.value is not None


def test_undefined_metrics_are_none() -> None:
    estimator = ConfidenceBasedEstimator(calibrate=False, threshold=1.0).fit([0, 1], [0.2, 0.9])
    result = estimator.estimate([0.1, 0.4, 0.3])
    assert result.precision == Estimate(value=None, lower=None, upper=None, stderr=None)
    assert result.accuracy.value is not None
    zeros = ConfidenceBasedEstimator(calibrate=False).fit([0, 1], [0.2, 0.9]).estimate([0.0, 0.0])
    assert (zeros.recall.value, zeros.roc_auc.value, zeros.roc_auc.lower) == (None, None, None)
    assert zeros.accuracy == Estimate(value=1.0, lower=1.0, upper=1.0, stderr=0.0)


# (d) Properties.

scores = hnp.arrays(np.float64, st.integers(1, 60), elements=st.floats(0.0, 1.0))


@settings(deadline=None, max_examples=60)
@given(reference=scores, current=scores, seed=st.integers(0, 2**32 - 1), data=st.data())
def test_bands_are_ordered_and_in_the_unit_interval(
    reference: np.ndarray, current: np.ndarray, seed: int, data: st.DataObject
) -> None:
    labels = np.random.default_rng(seed).random(reference.size) < reference
    labels = np.r_[labels, True, False]
    reference = np.r_[reference, data.draw(st.floats(0, 1)), data.draw(st.floats(0, 1))]
    calibrate = data.draw(st.booleans())
    estimator = ConfidenceBasedEstimator(calibrate=calibrate, n_simulations=50, seed=seed)
    result = estimator.fit(labels, reference).estimate(current)
    confusion = result.confusion
    assert sum(confusion.values()) == pytest.approx(current.size)
    assert all(value >= -1e-9 for value in confusion.values())
    for name in METRICS:
        estimate = getattr(result, name)
        for value in (estimate.value, estimate.lower, estimate.upper):
            assert value is None or -1e-12 <= value <= 1 + 1e-12
        if estimate.lower is not None:
            assert estimate.lower <= estimate.upper
            assert estimate.stderr >= 0.0


# (e) Errors.


def test_errors_name_the_argument() -> None:
    estimator = ConfidenceBasedEstimator()
    with pytest.raises(NotFittedError, match=r"not fitted.*'estimate'"):
        estimator.estimate([0.5])
    with pytest.raises(NotFittedError, match=r"'probabilities'"):
        estimator.probabilities([0.5])
    with pytest.raises(InsufficientDataError, match=r"'y_true'.*both classes.*all negative"):
        estimator.fit([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(InsufficientDataError, match=r"'y_true'.*all positive"):
        estimator.fit([True, True], [0.1, 0.2])
    with pytest.raises(InvalidParameterError, match=r"'y_score'.*\[0, 1\].*1\.5"):
        estimator.fit([0, 1], [0.1, 1.5])
    with pytest.raises(InvalidParameterError, match=r"'y_true' and 'y_score'.*3 and 2"):
        estimator.fit([0, 1, 1], [0.1, 0.2])
    with pytest.raises(InvalidParameterError, match=r"'y_true'.*binary labels.*2"):
        estimator.fit([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(InvalidParameterError, match=r"'y_true'.*binary labels.*'yes'"):
        estimator.fit(["yes", "no"], [0.1, 0.2])
    with pytest.raises(InsufficientDataError, match=r"'y_true'.*empty"):
        estimator.fit([], [])
    estimator.fit([0, 1], [0.1, 0.8])
    with pytest.raises(InvalidParameterError, match=r"'y_score'.*-0\.1"):
        estimator.estimate([-0.1, 0.5])
    with pytest.raises(InvalidParameterError, match=r"'y_score'.*NaN"):
        estimator.estimate([np.nan, 0.5])
    with pytest.raises(InvalidParameterError, match=r"'y_score' and 'y_pred'.*2 and 3"):
        estimator.estimate([0.1, 0.5], [0, 1, 1])
    with pytest.raises(InvalidParameterError, match=r"'y_pred'.*binary labels.*0\.5"):
        estimator.estimate([0.1, 0.5], [0.5, 1])


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("threshold", 1.5),
        ("threshold", "0.5"),
        ("calibrate", 1),
        ("calibration_uncertainty", "yes"),
        ("n_simulations", 1),
        ("n_simulations", 10.0),
        ("confidence", 1.0),
        ("confidence", 0),
        ("seed", -1),
        ("seed", 1.5),
        ("seed", True),
    ],
)
def test_bad_parameters_are_named(parameter: str, value: object) -> None:
    with pytest.raises(InvalidParameterError, match=f"'{parameter}'.*{value!r}"):
        ConfidenceBasedEstimator(**{parameter: value})
