"""multiclass_metrics against scikit-learn, its properties, and its bad inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn import metrics
from sklearn.preprocessing import label_binarize

from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.performance import multiclass_metrics
from performance._data import multiclass_dataset

RTOL = 1e-9  # the DESIGN non-negotiable for exact statistics
DATASETS = ["three", "imbalanced", "missing", "two"]


def _averages(y: np.ndarray, pred: np.ndarray, labels: list[int]) -> dict[str, float]:
    out = {}
    for average in ("macro", "weighted"):
        p, r, f, _ = metrics.precision_recall_fscore_support(
            y, pred, labels=labels, average=average, zero_division=np.nan
        )
        out |= {f"precision_{average}": p, f"recall_{average}": r, f"f1_{average}": f}
    return out


@pytest.mark.parametrize("name", DATASETS)
def test_probabilities_match_scikit_learn(name: str) -> None:
    y, proba, labels = multiclass_dataset(name)
    result = multiclass_metrics(y, proba, labels=labels)
    pred = np.asarray(labels)[proba.argmax(axis=1)]
    present = [c for c in labels if c in set(y.tolist())]
    binarized = label_binarize(y, classes=labels)
    if len(labels) == 2:
        binarized = np.column_stack([1 - binarized[:, 0], binarized[:, 0]])
    # Our OvR averages run over the classes present in y_true; scikit-learn gives NaN when
    # one is missing, so it is asked about the present classes' columns only.
    if present == labels and len(labels) > 2:
        roc = metrics.roc_auc_score(y, proba, multi_class="ovr", labels=labels)
    else:
        roc = np.mean([metrics.roc_auc_score(y == c, proba[:, c]) for c in present])
    expected = {
        "accuracy": metrics.accuracy_score(y, pred),
        **_averages(y, pred, labels),
        "roc_auc": roc,
        "pr_auc": metrics.average_precision_score(
            binarized[:, present], proba[:, present], average="macro"
        ),
        "log_loss": metrics.log_loss(y, proba, labels=labels),
        "brier": metrics.brier_score_loss(y, proba, labels=labels),
    }
    for key, value in expected.items():
        assert getattr(result, key) == pytest.approx(value, rel=RTOL, abs=1e-15), key
    assert result.labels == tuple(labels)
    assert result.support == tuple(int(np.sum(y == c)) for c in labels)
    assert result.has_probabilities


@pytest.mark.parametrize("name", DATASETS)
def test_predicted_labels_match_scikit_learn(name: str) -> None:
    y, proba, labels = multiclass_dataset(name)
    pred = proba.argmax(axis=1)
    result = multiclass_metrics(y, pred, labels=labels)
    assert result.accuracy == pytest.approx(metrics.accuracy_score(y, pred), rel=RTOL)
    for key, value in _averages(y, pred, labels).items():
        assert getattr(result, key) == pytest.approx(value, rel=RTOL), key
    assert not result.has_probabilities
    probability_metrics = (result.roc_auc, result.pr_auc, result.log_loss, result.brier)
    assert probability_metrics == (None, None, None, None)
    assert result.ece is None
    assert result.standard_errors["log_loss"] is None


def test_labels_default_to_the_sorted_classes_seen() -> None:
    result = multiclass_metrics(["b", "a", "c", "a"], ["b", "a", "a", "d"])
    assert result.labels == ("a", "b", "c", "d")
    y, pred = ["b", "a", "c", "a"], ["b", "a", "a", "d"]
    assert result.f1_macro == pytest.approx(
        metrics.f1_score(y, pred, average="macro", zero_division=np.nan), rel=RTOL
    )


def test_hand_computed_top_label_calibration_error() -> None:
    # Predictions 0, 0, 1, 2 with confidences 0.6, 0.5, 0.7, 0.8; right, wrong, right, wrong.
    # 10 bins, one event each: (|1 - .6| + |0 - .5| + |1 - .7| + |0 - .8|) / 4 = 0.5.
    # 2 bins: [0, .5] holds 0.5 (wrong): 0.5 * 1/4; (.5, 1] holds the rest:
    # |2/3 - 0.7| * 3/4 = 0.025; total 0.15.
    proba = [[0.6, 0.3, 0.1], [0.5, 0.25, 0.25], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]]
    y = [0, 1, 1, 0]
    assert multiclass_metrics(y, proba, labels=[0, 1, 2]).ece == pytest.approx(0.5, rel=1e-12)
    assert multiclass_metrics(y, proba, labels=[0, 1, 2], n_bins=2).ece == pytest.approx(0.15)


def test_standard_errors() -> None:
    y, proba, labels = multiclass_dataset("three")
    result = multiclass_metrics(y, proba, labels=labels)
    se = result.standard_errors
    assert set(se) == {"accuracy", "log_loss", "brier"}
    acc = result.accuracy
    assert se["accuracy"] == pytest.approx(np.sqrt(acc * (1 - acc) / y.size), rel=1e-12)
    losses = -np.log(proba[np.arange(y.size), y])
    assert se["log_loss"] == pytest.approx(np.std(losses, ddof=1) / np.sqrt(y.size), rel=1e-9)


def test_one_class_present_gives_none_not_nan() -> None:
    proba = [[0.8, 0.1, 0.1], [0.3, 0.4, 0.3]]
    result = multiclass_metrics([0, 0], proba, labels=[0, 1, 2])
    assert result.roc_auc is None
    assert result.pr_auc is None
    assert result.accuracy == 0.5
    assert "NaN" not in json.dumps(result.to_dict())


@pytest.mark.parametrize(
    ("y_true", "y_proba_or_pred", "labels", "error", "match"),
    [
        ([], [], None, InsufficientDataError, "'y_true'"),
        ([0, 1], [], None, InsufficientDataError, "'y_proba_or_pred'"),
        ([0, 1, 2], [0, 1], None, InvalidParameterError, "'y_true' and 'y_proba_or_pred'"),
        ([0.0, np.nan], [0, 1], None, InvalidParameterError, "'y_true'.*NaN"),
        ([0, 1], [[0.5, 0.5], [np.nan, 1.0]], None, InvalidParameterError, "finite"),
        ([0, 1], [[1.5, -0.5], [0.5, 0.5]], None, InvalidParameterError, "\\[0, 1\\].*-0.5"),
        ([0, 1], [[0.6, 0.6], [0.5, 0.5]], None, InvalidParameterError, "sum to 1"),
        ([0, 1], [[0.2, 0.2, 0.6], [0.5, 0.5, 0.0]], None, InvalidParameterError, "'labels'"),
        ([0, 1], [[0.5, 0.5], [0.5, 0.5]], [0, 1, 2], InvalidParameterError, "one column"),
        ([0, 5], [0, 1], [0, 1], InvalidParameterError, "'y_true'.*label 5"),
        ([0, 1], [0, 7], [0, 1], InvalidParameterError, "'y_proba_or_pred'.*label 7"),
        ([0, 1], [0, 1], [0, 1, 1], InvalidParameterError, "'labels'.*repeat"),
        ([0, 0], [[1.0], [1.0]], [0], InvalidParameterError, "at least 2 columns"),
    ],
)
def test_bad_input_names_the_argument(
    y_true: object, y_proba_or_pred: object, labels: object, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        multiclass_metrics(y_true, y_proba_or_pred, labels=labels)  # type: ignore[arg-type]


def _proba_rows(k: int, n: int) -> st.SearchStrategy[list[list[float]]]:
    row = st.lists(st.floats(0.01, 1.0), min_size=k, max_size=k).map(
        lambda w: [v / sum(w) for v in w]
    )
    return st.lists(row, min_size=n, max_size=n)


_cases = st.tuples(st.integers(2, 4), st.integers(1, 30)).flatmap(
    lambda kn: st.tuples(
        st.lists(st.integers(0, kn[0] - 1), min_size=kn[1], max_size=kn[1]),
        _proba_rows(*kn),
        st.just(list(range(kn[0]))),
        st.randoms(use_true_random=False),
    )
)


@given(_cases)
def test_permutation_invariance_and_bounds(
    case: tuple[list[int], list[list[float]], list[int], object],
) -> None:
    y, proba, labels, rnd = case
    order = list(range(len(y)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    result = multiclass_metrics(y, proba, labels=labels)
    shuffled = multiclass_metrics([y[i] for i in order], [proba[i] for i in order], labels=labels)
    for key, value in result.to_dict().items():
        other = shuffled.to_dict()[key]
        if isinstance(value, float):
            assert other == pytest.approx(value, rel=1e-9, abs=1e-12), key
        elif key != "standard_errors":
            assert other == value, key
    unit = ("accuracy", "precision_macro", "recall_macro", "f1_macro", "precision_weighted",
            "recall_weighted", "f1_weighted", "roc_auc", "pr_auc", "ece")  # fmt: skip
    for key in unit:
        value = getattr(result, key)
        assert value is None or 0.0 <= value <= 1.0 + 1e-12, key
    assert result.log_loss is not None
    assert result.log_loss >= 0.0
    assert result.brier is not None
    assert 0.0 <= result.brier <= 2.0


@given(st.integers(2, 5).flatmap(lambda k: st.lists(st.integers(0, k - 1), min_size=1)))
def test_perfect_predictions_give_ideal_values(y: list[int]) -> None:
    labels = list(range(max(y) + 2))
    proba = np.eye(len(labels))[y]
    result = multiclass_metrics(y, proba, labels=labels)
    assert result.accuracy == 1.0
    assert result.f1_macro == 1.0
    assert result.f1_weighted == 1.0
    assert (result.brier, result.ece) == (0.0, 0.0)
    assert result.log_loss == pytest.approx(0.0, abs=1e-15)
    if len(set(y)) > 1:
        assert (result.roc_auc, result.pr_auc) == (1.0, 1.0)
