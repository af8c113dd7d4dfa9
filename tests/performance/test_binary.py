"""binary_metrics against scikit-learn, its properties, and its bad inputs."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn import metrics

from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.performance import binary_metrics
from performance._data import binary_dataset

RTOL = 1e-9  # the DESIGN non-negotiable for exact statistics
DATASETS = ["balanced", "imbalanced", "ties", "small"]


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("threshold", [0.5, 0.3])
def test_matches_scikit_learn(name: str, threshold: float) -> None:
    y, score = binary_dataset(name)
    result = binary_metrics(y, score, threshold=threshold)
    pred = (score >= threshold).astype(int)
    zero = {"zero_division": np.nan}
    expected = {
        "accuracy": metrics.accuracy_score(y, pred),
        "precision": metrics.precision_score(y, pred, **zero),
        "recall": metrics.recall_score(y, pred, **zero),
        "f1": metrics.f1_score(y, pred, **zero),
        "roc_auc": metrics.roc_auc_score(y, score),
        "pr_auc": metrics.average_precision_score(y, score),
        "log_loss": metrics.log_loss(y, score),
        "brier": metrics.brier_score_loss(y, score),
    }
    for key, value in expected.items():
        assert getattr(result, key) == pytest.approx(value, rel=RTOL, abs=1e-15), key
    tn, fp, fn, tp = metrics.confusion_matrix(y, pred, labels=[0, 1]).ravel()
    assert (result.true_negative, result.false_positive) == (tn, fp)
    assert (result.false_negative, result.true_positive) == (fn, tp)
    assert result.n == y.size
    assert result.n_positive == int(y.sum())


def test_string_labels_and_a_chosen_positive_class() -> None:
    y, score = binary_dataset("balanced")
    words = np.where(y == 1, "churn", "stay")
    result = binary_metrics(words, score, positive="churn")
    assert result.positive == "churn"
    predicted = np.where(score >= 0.5, "churn", "stay")
    expected_f1 = metrics.f1_score(words, predicted, pos_label="churn")
    assert result.f1 == pytest.approx(expected_f1, rel=RTOL)
    assert result.roc_auc == pytest.approx(metrics.roc_auc_score(y, score), rel=RTOL)
    flipped = binary_metrics(words, 1.0 - score, positive="stay")
    assert flipped.roc_auc == pytest.approx(result.roc_auc, rel=RTOL)


def test_hand_computed_expected_calibration_error() -> None:
    # Worked by hand with bins (0, 0.1], (0.1, 0.2], ..., the first also holding 0:
    # bin 1: {0.0, 0.1} outcomes {0, 1}: |0.5 - 0.05| * 2/8 = 0.1125
    # bin 2: {0.15, 0.15} outcomes {0, 0}: |0 - 0.15| * 2/8 = 0.0375
    # bin 7: {0.7, 0.7} outcomes {1, 0}: |0.5 - 0.7| * 2/8 = 0.05
    # bin 10: {0.95, 1.0} outcomes {1, 1}: |1 - 0.975| * 2/8 = 0.00625; total 0.20625.
    # With 2 bins: |0.25 - 0.1| * 4/8 + |0.75 - 0.8375| * 4/8 = 0.11875.
    # With 1 bin: |0.5 - 0.46875| = 0.03125.
    y = [0, 1, 0, 0, 1, 0, 1, 1]
    score = [0.0, 0.1, 0.15, 0.15, 0.7, 0.7, 0.95, 1.0]
    assert binary_metrics(y, score).ece == pytest.approx(0.20625, rel=1e-12)
    assert binary_metrics(y, score, n_bins=2).ece == pytest.approx(0.11875, rel=1e-12)
    assert binary_metrics(y, score, n_bins=1).ece == pytest.approx(0.03125, rel=1e-12)
    assert binary_metrics(y, score).n_bins == 10


def _delong_by_definition(y: np.ndarray, score: np.ndarray) -> float:
    """DeLong et al. (1988), eqs. for V10, V01 and the variance, from all pairs."""
    pos, neg = score[y == 1], score[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return float(np.sqrt(v10.var(ddof=1) / pos.size + v01.var(ddof=1) / neg.size))


@pytest.mark.parametrize("name", DATASETS)
def test_standard_errors(name: str) -> None:
    y, score = binary_dataset(name)
    result = binary_metrics(y, score)
    se = result.standard_errors
    assert set(se) == {"accuracy", "precision", "recall", "roc_auc", "log_loss", "brier"}
    assert se["roc_auc"] == pytest.approx(_delong_by_definition(y, score), rel=1e-9)
    n = y.size
    assert se["accuracy"] == pytest.approx(np.sqrt(result.accuracy * (1 - result.accuracy) / n))
    brier_losses = (y - score) ** 2
    assert se["brier"] == pytest.approx(np.std(brier_losses, ddof=1) / np.sqrt(n), rel=1e-9)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
def test_one_class_gives_none_not_nan() -> None:
    result = binary_metrics([0, 0, 0], [0.2, 0.6, 0.1])
    assert result.roc_auc is None
    assert result.pr_auc is None
    assert result.recall is None
    assert result.standard_errors["roc_auc"] is None
    assert result.precision == 0.0
    assert np.isnan(metrics.roc_auc_score([0, 0, 0], [0.2, 0.6, 0.1]))
    expected_loss = metrics.log_loss([0, 0, 0], [0.2, 0.6, 0.1], labels=[0, 1])
    assert result.log_loss == pytest.approx(expected_loss, rel=RTOL)
    only_positive = binary_metrics([1, 1], [0.2, 0.4])
    assert only_positive.roc_auc is None
    assert only_positive.pr_auc == 1.0
    assert only_positive.precision is None
    assert only_positive.f1 == 0.0
    payload = json.dumps(result.to_dict())
    assert "NaN" not in payload


def test_to_dict_is_plain_and_result_is_frozen() -> None:
    result = binary_metrics([0, 1, 1], [0.3, 0.8, 0.4])
    as_dict = result.to_dict()
    assert as_dict["accuracy"] == result.accuracy
    assert as_dict["standard_errors"] == dict(result.standard_errors)
    json.dumps(as_dict)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.accuracy = 0.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("y_true", "y_score", "kwargs", "error", "match"),
    [
        ([], [], {}, InsufficientDataError, "'y_true'"),
        ([0, 1], [], {}, InsufficientDataError, "'y_score'"),
        ([0, 1, 1], [0.1, 0.2], {}, InvalidParameterError, "'y_true' and 'y_score'"),
        ([0.0, np.nan], [0.1, 0.2], {}, InvalidParameterError, "'y_true'.*1 NaN"),
        ([0, None], [0.1, 0.2], {}, InvalidParameterError, "'y_true'"),
        ([0, 1], [0.1, np.nan], {}, InvalidParameterError, "'y_score'.*finite"),
        ([0, 1], [0.1, 1.5], {}, InvalidParameterError, "'y_score'.*\\[0, 1\\].*1.5"),
        ([0, 1], [-0.1, 0.5], {}, InvalidParameterError, "'y_score'.*-0.1"),
        ([0, 1, 2], [0.1, 0.5, 0.3], {}, InvalidParameterError, "'y_true'.*at most two"),
        ([0, 2], [0.1, 0.5], {}, InvalidParameterError, "'positive'.*Got 1"),
        ([0, 1], [0.1, 0.5], {"threshold": 1.5}, InvalidParameterError, "'threshold'"),
        ([0, 1], [0.1, 0.5], {"threshold": True}, InvalidParameterError, "'threshold'"),
        ([0, 1], [0.1, 0.5], {"n_bins": 0}, InvalidParameterError, "'n_bins'"),
        ([0, 1], [0.1, 0.5], {"positive": float("nan")}, InvalidParameterError, "'positive'"),
        ([[0, 1]], [[0.1, 0.5]], {}, InvalidParameterError, "'y_true'.*1-D"),
        ([0, 1], ["a", "b"], {}, InvalidParameterError, "'y_score'.*numbers"),
    ],
)
def test_bad_input_names_the_argument(
    y_true: object, y_score: object, kwargs: dict[str, object], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        binary_metrics(y_true, y_score, **kwargs)  # type: ignore[arg-type]


_cases = st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.floats(0, 1), min_size=n, max_size=n),
        st.randoms(use_true_random=False),
    )
)


@given(_cases)
def test_permutation_invariance_and_bounds(case: tuple[list[int], list[float], object]) -> None:
    y, score, rnd = case
    order = list(range(len(y)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    result = binary_metrics(y, score)
    shuffled = binary_metrics([y[i] for i in order], [score[i] for i in order])
    for key, value in result.to_dict().items():
        other = shuffled.to_dict()[key]
        if isinstance(value, float):
            assert other == pytest.approx(value, rel=1e-9, abs=1e-12), key
        elif key != "standard_errors":
            assert other == value, key
    for key in ("accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "brier", "ece"):
        value = getattr(result, key)
        assert value is None or 0.0 <= value <= 1.0, key
    assert result.log_loss >= 0.0
    assert all(se is None or se >= 0.0 for se in result.standard_errors.values())


@given(st.lists(st.integers(0, 1), min_size=1, max_size=40))
def test_perfect_predictions_give_ideal_values(y: list[int]) -> None:
    result = binary_metrics(y, [float(v) for v in y])
    assert result.accuracy == 1.0
    assert result.brier == 0.0
    assert result.ece == 0.0
    assert result.log_loss == pytest.approx(0.0, abs=1e-15)
    if 1 in y:
        assert (result.precision, result.recall, result.f1, result.pr_auc) == (1.0, 1.0, 1.0, 1.0)
    if 0 in y and 1 in y:
        assert result.roc_auc == 1.0
