"""Performance of a binary classifier from labels and positive-class probabilities.

Computed on numpy/scipy; each value equals its ``sklearn.metrics`` counterpart (named in
:class:`BinaryMetricsResult`) to 1e-9, except the expected calibration error, which
scikit-learn does not have.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from driftpilot.errors import InvalidParameterError
from driftpilot.performance._calibration import expected_calibration_error
from driftpilot.performance._ranking import average_precision, roc_auc
from driftpilot.performance._result import as_dict
from driftpilot.performance._sampling import mean_se, proportion_se
from driftpilot.performance._validation import (
    Label,
    as_labels,
    as_probabilities,
    check_int,
    check_same_length,
    check_threshold,
    encode,
    unique_labels,
)

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["BinaryMetricsResult", "binary_metrics"]

_FUNC = "binary_metrics"


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True, slots=True, kw_only=True)
class BinaryMetricsResult:
    """Performance of a binary classifier on one window of labelled events.

    Attributes
    ----------
    n
        Number of events.
    n_positive
        Number of events whose true label is ``positive``.
    positive
        The positive class label.
    threshold
        An event is predicted positive when its score is ``>= threshold``.
    true_positive, false_positive, false_negative, true_negative
        The confusion matrix at ``threshold``.
    accuracy
        Share of events predicted correctly (``accuracy_score``).
    precision
        ``tp / (tp + fp)`` (``precision_score``); ``None`` when nothing is predicted positive.
    recall
        ``tp / (tp + fn)`` (``recall_score``); ``None`` when no event is positive.
    f1
        ``2 tp / (2 tp + fp + fn)`` (``f1_score``); ``None`` when that is ``0 / 0``.
    roc_auc
        Area under the ROC curve (``roc_auc_score``); ``None`` unless both classes occur.
    pr_auc
        Average precision, the step-wise area under the precision-recall curve
        (``average_precision_score``); ``None`` when no event is positive.
    log_loss
        Mean negative log-likelihood, natural log (``log_loss``), with probabilities
        clipped to ``[log_loss_eps, 1 - log_loss_eps]`` as scikit-learn does.
    brier
        Mean squared difference between score and outcome (``brier_score_loss``), in [0, 1].
    ece
        Expected calibration error of the positive-class probability on ``n_bins``
        equal-width bins, weighted by bin size (not in scikit-learn).
    n_bins
        Number of calibration bins.
    log_loss_eps
        The clipping bound of the log-loss, float64 machine epsilon.
    standard_errors
        Standard error of ``accuracy``, ``precision``, ``recall`` (binomial), ``roc_auc``
        (DeLong), ``log_loss`` and ``brier`` (of a mean); ``None`` where undefined. F1,
        PR-AUC and ECE have no cheap standard error and are not listed.
    """

    n: int
    n_positive: int
    positive: Label
    threshold: float
    true_positive: int
    false_positive: int
    false_negative: int
    true_negative: int
    accuracy: float
    precision: float | None
    recall: float | None
    f1: float | None
    roc_auc: float | None
    pr_auc: float | None
    log_loss: float
    brier: float
    ece: float
    n_bins: int
    log_loss_eps: float
    standard_errors: Mapping[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dictionary of plain Python values."""
        return as_dict(self)


def _positive_mask(y_true: npt.ArrayLike, positive: Label) -> npt.NDArray[np.bool_]:
    labels = as_labels(y_true, name="y_true", func=_FUNC)
    if isinstance(positive, np.generic):
        positive = positive.item()
    if not isinstance(positive, str | int | float | bool) or (
        isinstance(positive, float) and math.isnan(positive)
    ):
        msg = f"The 'positive' parameter of {_FUNC} must be a class label. Got {positive!r}."
        raise InvalidParameterError(msg)
    classes = unique_labels(labels, name="y_true", func=_FUNC)
    if len(classes) > 2:
        msg = (
            f"The 'y_true' argument of {_FUNC} must hold at most two classes. Got "
            f"{len(classes)} ({classes[:5]!r}) instead; use multiclass_metrics."
        )
        raise InvalidParameterError(msg)
    if positive not in classes:
        if len(classes) == 2:
            msg = (
                f"The 'positive' parameter of {_FUNC} must be one of the classes in 'y_true' "
                f"{classes!r}. Got {positive!r} instead."
            )
            raise InvalidParameterError(msg)
        return np.zeros(labels.size, dtype=np.bool_)
    codes = encode(labels, classes, name="y_true", func=_FUNC)
    mask: npt.NDArray[np.bool_] = codes == classes.index(positive)
    return mask


def binary_metrics(
    y_true: npt.ArrayLike,
    y_score: npt.ArrayLike,
    *,
    threshold: float = 0.5,
    positive: Label = 1,
    n_bins: int = 10,
) -> BinaryMetricsResult:
    """Measure a binary classifier against the true labels of one window.

    Parameters
    ----------
    y_true
        True class labels, one per event: at most two distinct values, numbers or strings,
        no NaN or None.
    y_score
        Predicted probability of the ``positive`` class, one per event, in ``[0, 1]``.
    threshold
        Decision threshold in ``[0, 1]``: an event is predicted positive when
        ``y_score >= threshold`` (as ``sklearn.model_selection.FixedThresholdClassifier``).
    positive
        The label of the positive class. ``y_true`` may lack it (every event negative).
    n_bins
        Number of equal-width bins of the expected calibration error, ``>= 1``.

    Returns
    -------
    BinaryMetricsResult
        Every metric, the confusion matrix and the standard errors. A metric undefined on
        this window (such as ROC-AUC with one class) is ``None``, never NaN.

    Raises
    ------
    InsufficientDataError
        If ``y_true`` or ``y_score`` is empty.
    InvalidParameterError
        If the lengths differ, a label is missing, a score is NaN or outside ``[0, 1]``,
        ``y_true`` holds more than two classes, or a parameter is out of range.

    References
    ----------
    .. [1] Fawcett, T. (2006). An introduction to ROC analysis. Pattern Recognition
       Letters 27(8), 861-874.
    .. [2] DeLong, E. R., DeLong, D. M., Clarke-Pearson, D. L. (1988). Comparing the areas
       under two or more correlated ROC curves. Biometrics 44(3), 837-845.
    .. [3] Sun, X., Xu, W. (2014). Fast implementation of DeLong's algorithm for comparing
       the areas under correlated ROC curves. IEEE Signal Processing Letters 21(11).
    .. [4] Brier, G. W. (1950). Verification of forecasts expressed in terms of
       probability. Monthly Weather Review 78(1), 1-3.
    .. [5] Naeini, M. P., Cooper, G., Hauskrecht, M. (2015). Obtaining well calibrated
       probabilities using Bayesian binning. AAAI 2015.

    Examples
    --------
    >>> from driftpilot.performance import binary_metrics
    >>> result = binary_metrics([0, 0, 1, 1, 1], [0.1, 0.6, 0.4, 0.8, 0.9])
    >>> result.accuracy, round(result.roc_auc, 4), round(result.brier, 4)
    (0.6, 0.8333, 0.156)
    >>> round(result.ece, 4), round(result.standard_errors["accuracy"], 4)
    (0.32, 0.2191)
    """
    threshold = check_threshold(threshold, func=_FUNC)
    n_bins = check_int(n_bins, name="n_bins", func=_FUNC, minimum=1)
    is_pos = _positive_mask(y_true, positive)
    score = as_probabilities(y_score, name="y_score", func=_FUNC, ndim=1)
    check_same_length(is_pos, score, names=("y_true", "y_score"), func=_FUNC)

    n = is_pos.size
    predicted = score >= threshold
    tp = int(np.count_nonzero(predicted & is_pos))
    fp = int(np.count_nonzero(predicted & ~is_pos))
    fn = int(np.count_nonzero(~predicted & is_pos))
    tn = n - tp - fp - fn
    n_positive = tp + fn
    accuracy = (tp + tn) / n
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, n_positive)
    auc, auc_se = roc_auc(is_pos, score)

    outcome = is_pos.astype(np.float64)
    eps = float(np.finfo(np.float64).eps)
    likelihood = np.clip(np.where(is_pos, score, 1.0 - score), eps, 1.0 - eps)
    losses = -np.log(likelihood)
    squared = (outcome - score) ** 2
    return BinaryMetricsResult(
        n=n,
        n_positive=n_positive,
        positive=positive.item() if isinstance(positive, np.generic) else positive,
        threshold=threshold,
        true_positive=tp,
        false_positive=fp,
        false_negative=fn,
        true_negative=tn,
        accuracy=accuracy,
        precision=precision,
        recall=recall,
        f1=_ratio(2 * tp, 2 * tp + fp + fn),
        roc_auc=auc,
        pr_auc=average_precision(is_pos, score),
        log_loss=float(np.mean(losses)),
        brier=float(np.mean(squared)),
        ece=expected_calibration_error(score, outcome, n_bins),
        n_bins=n_bins,
        log_loss_eps=eps,
        standard_errors={
            "accuracy": proportion_se(accuracy, n),
            "precision": proportion_se(precision, tp + fp),
            "recall": proportion_se(recall, n_positive),
            "roc_auc": auc_se,
            "log_loss": mean_se(losses),
            "brier": mean_se(squared),
        },
    )
