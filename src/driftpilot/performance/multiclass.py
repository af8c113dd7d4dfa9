"""Performance of a multiclass classifier from labels and class probabilities or predictions.

Computed on numpy/scipy; each value equals its ``sklearn.metrics`` counterpart (named in
:class:`MulticlassMetricsResult`) to 1e-9, except the expected calibration error, which
scikit-learn does not have.
"""

from __future__ import annotations

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
    encode,
    to_label,
    unique_labels,
)

if TYPE_CHECKING:
    import numpy.typing as npt

    from driftpilot._typing import FloatArray, IntArray

__all__ = ["MulticlassMetricsResult", "multiclass_metrics"]

_FUNC = "multiclass_metrics"


@dataclass(frozen=True, slots=True, kw_only=True)
class MulticlassMetricsResult:
    """Performance of a multiclass classifier on one window of labelled events.

    A per-class precision or recall that is ``0 / 0`` (a class never predicted, or never
    true) is left out of the averages, as scikit-learn's ``zero_division=np.nan`` does; an
    average with nothing left is ``None``.

    Attributes
    ----------
    n
        Number of events.
    labels
        The classes, in the order of the probability columns.
    support
        Number of events of each class in ``y_true``, in the order of ``labels``.
    has_probabilities
        Whether probabilities were given; without them the probability metrics are ``None``.
    accuracy
        Share of events predicted correctly (``accuracy_score``).
    precision_macro, recall_macro, f1_macro
        Unweighted means over the classes (``precision_score`` and the others with
        ``average="macro"``).
    precision_weighted, recall_weighted, f1_weighted
        Means weighted by ``support`` (``average="weighted"``).
    roc_auc
        One-vs-rest ROC-AUC averaged over the classes present in ``y_true``
        (``roc_auc_score(multi_class="ovr")``); ``None`` unless two classes are present.
    pr_auc
        One-vs-rest average precision averaged over the classes present in ``y_true``
        (``average_precision_score`` on the binarized labels).
    log_loss
        Mean negative log-likelihood (``log_loss``), probabilities clipped to
        ``[log_loss_eps, 1 - log_loss_eps]``.
    brier
        Mean over events of the squared distance between the probability row and the one-hot
        truth (``brier_score_loss``), in [0, 2]; halved, into [0, 1], for two classes, as
        scikit-learn's ``scale_by_half="auto"``.
    ece
        Top-label expected calibration error: the largest probability of each event against
        whether that class was right, on ``n_bins`` equal-width bins weighted by size.
    n_bins
        Number of calibration bins.
    log_loss_eps
        The clipping bound of the log-loss, float64 machine epsilon.
    standard_errors
        Standard error of ``accuracy`` (binomial), ``log_loss`` and ``brier`` (of a mean);
        ``None`` where undefined. The averaged metrics and ECE have none that is cheap.
    """

    n: int
    labels: tuple[Label, ...]
    support: tuple[int, ...]
    has_probabilities: bool
    accuracy: float
    precision_macro: float | None
    recall_macro: float | None
    f1_macro: float | None
    precision_weighted: float | None
    recall_weighted: float | None
    f1_weighted: float | None
    roc_auc: float | None
    pr_auc: float | None
    log_loss: float | None
    brier: float | None
    ece: float | None
    n_bins: int
    log_loss_eps: float
    standard_errors: Mapping[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dictionary of plain Python values."""
        return as_dict(self)


def _average(values: FloatArray, weights: FloatArray | None) -> float | None:
    """Mean of the defined (non-NaN) values, as scikit-learn's ``_nanaverage``."""
    defined = ~np.isnan(values)
    if not defined.any():
        return None
    if weights is None or float(weights[defined].sum()) == 0.0:
        return float(np.mean(values[defined]))
    return float(np.average(values[defined], weights=weights[defined]))


def _divide(numerator: IntArray, denominator: IntArray) -> FloatArray:
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _resolve_labels(
    truth: npt.NDArray[Any], predicted: npt.NDArray[Any] | None, labels: npt.ArrayLike | None
) -> list[Label]:
    if labels is not None:
        given = as_labels(labels, name="labels", func=_FUNC)
        resolved = [to_label(value) for value in given.tolist()]
        if len(unique_labels(given, name="labels", func=_FUNC)) != len(resolved):
            msg = f"The 'labels' parameter of {_FUNC} must not repeat a label. Got {resolved!r}."
            raise InvalidParameterError(msg)
        return resolved
    both = truth if predicted is None else np.concatenate([truth, predicted])
    return unique_labels(both, name="y_true", func=_FUNC)


def multiclass_metrics(
    y_true: npt.ArrayLike,
    y_proba_or_pred: npt.ArrayLike,
    *,
    labels: npt.ArrayLike | None = None,
    n_bins: int = 10,
) -> MulticlassMetricsResult:
    """Measure a multiclass classifier against the true labels of one window.

    Parameters
    ----------
    y_true
        True class labels, one per event, numbers or strings, no NaN or None.
    y_proba_or_pred
        Either class probabilities, shape ``(n_events, n_classes)``, each in ``[0, 1]`` and
        each row summing to 1 within 1e-6, columns in the order of ``labels``; the prediction
        is the class of the largest probability (the first on a tie). Or predicted labels,
        shape ``(n_events,)``, in which case the probability metrics are ``None``.
    labels
        The classes. By default, the sorted distinct labels of ``y_true`` (and of the
        predictions); pass them when a class may be absent from the window, as with
        probabilities whose columns must then line up. Every label seen must be listed.
    n_bins
        Number of equal-width bins of the expected calibration error, ``>= 1``.

    Returns
    -------
    MulticlassMetricsResult
        Every metric and the standard errors; a metric undefined on this window is
        ``None``, never NaN.

    Raises
    ------
    InsufficientDataError
        If ``y_true`` or ``y_proba_or_pred`` is empty.
    InvalidParameterError
        If the lengths differ, a label is missing or unknown, a probability is NaN or
        outside ``[0, 1]``, a row does not sum to 1, or the columns do not match ``labels``.

    References
    ----------
    .. [1] Sokolova, M., Lapalme, G. (2009). A systematic analysis of performance measures
       for classification tasks. Information Processing & Management 45(4), 427-437.
    .. [2] Provost, F., Domingos, P. (2000). Well-trained PETs: improving probability
       estimation trees. CeDER Working Paper IS-00-04, New York University (one-vs-rest AUC).
    .. [3] Guo, C., Pleiss, G., Sun, Y., Weinberger, K. Q. (2017). On calibration of modern
       neural networks. ICML 2017 (top-label expected calibration error).

    Examples
    --------
    >>> from driftpilot.performance import multiclass_metrics
    >>> proba = [[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7], [0.4, 0.4, 0.2]]
    >>> result = multiclass_metrics(["a", "b", "c", "b"], proba, labels=["a", "b", "c"])
    >>> result.accuracy, round(result.f1_macro, 4), round(result.log_loss, 4)
    (0.75, 0.7778, 0.5807)
    >>> multiclass_metrics([0, 1, 2, 2], [0, 1, 2, 1]).recall_macro
    0.8333333333333334
    """
    n_bins = check_int(n_bins, name="n_bins", func=_FUNC, minimum=1)
    truth = as_labels(y_true, name="y_true", func=_FUNC)
    raw = np.asarray(y_proba_or_pred)
    proba: FloatArray | None = None
    predicted_labels: npt.NDArray[Any] | None = None
    if raw.ndim == 2:
        proba = as_probabilities(raw, name="y_proba_or_pred", func=_FUNC, ndim=2)
    else:
        predicted_labels = as_labels(raw, name="y_proba_or_pred", func=_FUNC)
    check_same_length(truth, raw, names=("y_true", "y_proba_or_pred"), func=_FUNC)
    classes = _resolve_labels(truth, predicted_labels, labels)
    k = len(classes)
    if proba is not None and proba.shape[1] != k:
        msg = (
            f"The 'y_proba_or_pred' argument of {_FUNC} must have one column per label. Got "
            f"{proba.shape[1]} columns for {k} labels {classes[:10]!r} instead; pass 'labels'."
        )
        raise InvalidParameterError(msg)
    if proba is not None and k < 2:
        msg = f"The 'y_proba_or_pred' argument of {_FUNC} must have at least 2 columns. Got 1."
        raise InvalidParameterError(msg)

    true_code = encode(truth, classes, name="y_true", func=_FUNC)
    if proba is not None:
        pred_code = np.argmax(proba, axis=1).astype(np.int64)
    else:
        assert predicted_labels is not None  # one of the two branches above ran
        pred_code = encode(predicted_labels, classes, name="y_proba_or_pred", func=_FUNC)

    n = truth.size
    correct = true_code == pred_code
    accuracy = float(np.count_nonzero(correct)) / n
    support = np.bincount(true_code, minlength=k)
    predicted_count = np.bincount(pred_code, minlength=k)
    true_pos = np.bincount(true_code[correct], minlength=k)
    precision = _divide(true_pos, predicted_count)
    recall = _divide(true_pos, support)
    f1 = _divide(2 * true_pos, support + predicted_count)
    weights = support.astype(np.float64)

    auc: float | None = None
    pr_auc: float | None = None
    log_loss: float | None = None
    brier: float | None = None
    ece: float | None = None
    standard_errors: dict[str, float | None] = {
        "accuracy": proportion_se(accuracy, n),
        "log_loss": None,
        "brier": None,
    }
    eps = float(np.finfo(np.float64).eps)
    if proba is not None:
        onehot = np.zeros_like(proba)
        onehot[np.arange(n), true_code] = 1.0
        present = [c for c in range(k) if 0 < support[c] < n]
        aucs = [roc_auc(true_code == c, proba[:, c])[0] for c in present]
        precisions = [average_precision(true_code == c, proba[:, c]) for c in present]
        auc = _mean_of_defined(aucs) if len(present) >= 2 else None
        pr_auc = _mean_of_defined(precisions) if len(present) >= 2 else None
        losses = -np.log(np.clip(proba[np.arange(n), true_code], eps, 1.0 - eps))
        squared = np.sum((onehot - proba) ** 2, axis=1) * (0.5 if k < 3 else 1.0)
        log_loss, brier = float(np.mean(losses)), float(np.mean(squared))
        standard_errors["log_loss"], standard_errors["brier"] = mean_se(losses), mean_se(squared)
        confidence = proba[np.arange(n), pred_code]
        ece = expected_calibration_error(confidence, correct.astype(np.float64), n_bins)

    return MulticlassMetricsResult(
        n=n,
        labels=tuple(classes),
        support=tuple(int(s) for s in support),
        has_probabilities=proba is not None,
        accuracy=accuracy,
        precision_macro=_average(precision, None),
        recall_macro=_average(recall, None),
        f1_macro=_average(f1, None),
        precision_weighted=_average(precision, weights),
        recall_weighted=_average(recall, weights),
        f1_weighted=_average(f1, weights),
        roc_auc=auc,
        pr_auc=pr_auc,
        log_loss=log_loss,
        brier=brier,
        ece=ece,
        n_bins=n_bins,
        log_loss_eps=eps,
        standard_errors=standard_errors,
    )


def _mean_of_defined(values: list[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return float(np.mean(defined)) if defined else None
