"""Performance of a binary classifier estimated without labels, from its scores alone.

Confidence-based performance estimation (the idea behind NannyML's CBPE, written here from
the definitions): with ``p_i`` the probability that event ``i`` is positive, the window's
predictions have the expected confusion matrix ``TP = sum p_i [pred_i]``,
``FP = sum (1 - p_i) [pred_i]``, ``FN = sum p_i [not pred_i]``,
``TN = sum (1 - p_i) [not pred_i]``, from which accuracy, precision, recall and F1 follow;
ROC-AUC is the area under the expected ROC curve over the raw scores (``_simulation``).
The ``p_i`` come from an isotonic calibration map learned on labelled reference data
(``_isotonic``). The estimate holds while ``P(y = 1 | score)`` stays what it was in the
reference: under covariate shift, not under concept drift.

Each metric's band is where its realized value should fall: the central ``confidence``
interval of the metric over ``n_simulations`` label vectors drawn ``y_i ~ Bernoulli(p_i)``.
With ``calibration_uncertainty`` each draw also uses its own calibration map drawn around
the fitted one: the map's error from a finite reference is shared by every window and is
largest where the reference is sparse, so bands of label noise alone cover the realized
metric less often than they claim once the scores shift there. On tiny windows, where a
metric takes few values, the point estimate may lie outside its band.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from driftpilot.errors import InsufficientDataError, InvalidParameterError, NotFittedError
from driftpilot.performance._isotonic import fit_isotonic, sample_maps
from driftpilot.performance._result import as_dict
from driftpilot.performance._simulation import band, expected_roc_auc, simulate_metrics
from driftpilot.performance._validation import (
    as_labels,
    as_probabilities,
    check_int,
    check_same_length,
    check_threshold,
)
from driftpilot.performance.binary import BinaryMetricsResult, binary_metrics

if TYPE_CHECKING:
    import numpy.typing as npt

    from driftpilot._typing import BoolArray, FloatArray, Seed

__all__ = ["ConfidenceBasedEstimator", "Estimate", "EstimatedPerformanceResult"]

_NAME = "ConfidenceBasedEstimator"
_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")


@dataclass(frozen=True, slots=True, kw_only=True)
class Estimate:
    """One estimated metric with the band its realized value should fall in.

    Attributes
    ----------
    value
        The estimate from the expected confusion matrix or ROC curve; ``None`` when the
        metric is undefined (precision with no predicted positive).
    lower, upper
        The central ``confidence`` interval of the metric over the simulated label draws;
        ``None`` when it is undefined on every draw.
    stderr
        Standard deviation of the metric over the draws (``ddof=1``); ``None`` likewise.
    """

    value: float | None
    lower: float | None
    upper: float | None
    stderr: float | None

    def to_dict(self) -> dict[str, Any]:
        """Return the estimate as a dictionary of plain Python values."""
        return as_dict(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class EstimatedPerformanceResult:
    """Estimated performance of a binary classifier on one window of unlabelled events.

    Attributes
    ----------
    n
        Number of events.
    n_predicted_positive
        Events predicted positive.
    threshold
        The decision threshold the default predictions used.
    calibrated
        Whether the scores went through the learned calibration map.
    calibration_uncertainty
        Whether the bands also cover the calibration map's own error.
    confidence
        Coverage of each band.
    n_simulations
        Number of simulated label vectors behind the bands.
    confusion
        Expected ``true_positive``, ``false_positive``, ``false_negative`` and
        ``true_negative`` counts (floats summing to ``n``).
    accuracy, precision, recall, f1, roc_auc
        Each metric's estimate and band.
    """

    n: int
    n_predicted_positive: int
    threshold: float
    calibrated: bool
    calibration_uncertainty: bool
    confidence: float
    n_simulations: int
    confusion: Mapping[str, float]
    accuracy: Estimate
    precision: Estimate
    recall: Estimate
    f1: Estimate
    roc_auc: Estimate

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dictionary of plain Python values."""
        data = as_dict(self)
        return data | {name: getattr(self, name).to_dict() for name in _METRICS}


def _binary_labels(values: npt.ArrayLike, *, name: str, func: str) -> BoolArray:
    """Return 0/1 or boolean labels as a boolean array, naming ``name`` if they are not."""
    labels = as_labels(values, name=name, func=func)
    ok = np.asarray((labels == 0) | (labels == 1), dtype=np.bool_)  # strings equal neither
    if not ok.all():
        found = labels[~ok][0]
        msg = (
            f"The {name!r} argument of {func} must hold binary labels, 0/1 or booleans. "
            f"Got {found.item() if isinstance(found, np.generic) else found!r} instead."
        )
        raise InvalidParameterError(msg)
    return np.asarray(labels == 1, dtype=np.bool_)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0.0 else None


class ConfidenceBasedEstimator:
    """Estimate a binary classifier's performance on unlabelled windows from its scores.

    Parameters
    ----------
    threshold
        Decision threshold in ``[0, 1]``: an event is predicted positive when its score is
        ``>= threshold`` (unless :meth:`estimate` is given the predictions).
    calibrate
        Whether to learn an isotonic calibration map on the reference; without it the
        scores are taken as calibrated probabilities.
    calibration_uncertainty
        Whether the bands also cover the error of the calibration map, from maps drawn
        around it (module docstring); ignored without ``calibrate``.
    n_simulations
        Number of simulated label vectors behind each band, ``>= 2``.
    confidence
        Coverage of each band, in ``(0, 1)``.
    seed
        Seed or generator of the simulations, resolved with ``numpy.random.default_rng`` at
        each :meth:`estimate` (an integer seed gives the same bands for the same window).

    Attributes
    ----------
    calibration_x_, calibration_y_
        Knots of the calibration map, scores and their probabilities, both non-decreasing
        (the identity on ``[0, 1]`` without ``calibrate``).
    calibration_events_, calibration_positives_
        Reference events and positives behind each block of the map (empty without
        ``calibrate``).
    reference_metrics_
        The realized metrics of the reference (``binary_metrics`` at ``threshold``).
    n_reference_
        Number of reference events.

    References
    ----------
    .. [1] NannyML (2022). Confidence-based performance estimation (CBPE).
       https://nannyml.readthedocs.io/en/stable/how_it_works/performance_estimation.html
    .. [2] Zadrozny, B., Elkan, C. (2002). Transforming classifier scores into accurate
       multiclass probability estimates. KDD 2002, 694-699.
    .. [3] Oron, A. P., Flournoy, N. (2017). Centered isotonic regression: point and interval
       estimation for dose-response studies. Statistics in Biopharmaceutical Research 9(3).
    .. [4] Hanley, J. A., McNeil, B. J. (1982). The meaning and use of the area under a
       receiver operating characteristic (ROC) curve. Radiology 143(1), 29-36.

    Examples
    --------
    >>> import numpy as np
    >>> from driftpilot.performance import ConfidenceBasedEstimator
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(size=5000)
    >>> y = rng.uniform(size=5000) < p
    >>> estimator = ConfidenceBasedEstimator().fit(y, p)
    >>> result = estimator.estimate(rng.uniform(size=2000))
    >>> round(result.accuracy.value, 2), round(result.roc_auc.value, 2)
    (0.75, 0.84)
    >>> result.accuracy.lower < result.accuracy.value < result.accuracy.upper
    True
    """

    calibration_x_: FloatArray
    calibration_y_: FloatArray
    calibration_events_: FloatArray
    calibration_positives_: FloatArray
    reference_metrics_: BinaryMetricsResult
    n_reference_: int

    def __init__(
        self,
        *,
        threshold: float = 0.5,
        calibrate: bool = True,
        calibration_uncertainty: bool = True,
        n_simulations: int = 400,
        confidence: float = 0.9,
        seed: Seed = 0,
    ) -> None:
        self.threshold = check_threshold(threshold, func=_NAME)
        self.calibrate = _check_bool(calibrate, "calibrate")
        self.calibration_uncertainty = _check_bool(
            calibration_uncertainty, "calibration_uncertainty"
        )
        self.n_simulations = check_int(n_simulations, name="n_simulations", func=_NAME, minimum=2)
        if not isinstance(confidence, float | int) or not 0.0 < confidence < 1.0:
            msg = (
                f"The 'confidence' parameter of {_NAME} must be a number in (0, 1). "
                f"Got {confidence!r} instead."
            )
            raise InvalidParameterError(msg)
        self.confidence: float = float(confidence)
        if not (
            seed is None
            or isinstance(seed, np.random.Generator)
            or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0)
        ):
            msg = (
                f"The 'seed' parameter of {_NAME} must be None, an integer >= 0 or a "
                f"numpy.random.Generator. Got {seed!r} instead."
            )
            raise InvalidParameterError(msg)
        self.seed: Seed = seed

    def fit(self, y_true: npt.ArrayLike, y_score: npt.ArrayLike) -> Self:
        """Learn the calibration map and the realized metrics from labelled reference data.

        Parameters
        ----------
        y_true
            True labels of the reference events, 0/1 or booleans; both classes must occur.
        y_score
            Predicted probability of the positive class, one per event, in ``[0, 1]``.

        Returns
        -------
        ConfidenceBasedEstimator
            This estimator, fitted.

        Raises
        ------
        InsufficientDataError
            If the reference is empty or holds one class only.
        InvalidParameterError
            If a label is not 0/1, a score is outside ``[0, 1]`` or NaN, or the lengths
            differ.
        """
        func = f"{_NAME}.fit"
        positive = _binary_labels(y_true, name="y_true", func=func)
        score = as_probabilities(y_score, name="y_score", func=func, ndim=1)
        check_same_length(positive, score, names=("y_true", "y_score"), func=func)
        n_positive = int(np.count_nonzero(positive))
        if n_positive in (0, positive.size):
            msg = (
                f"The 'y_true' argument of {func} must hold both classes to learn from. Got "
                f"{positive.size} events, all {'positive' if n_positive else 'negative'}."
            )
            raise InsufficientDataError(msg)
        if self.calibrate:
            x, y, events, positives = fit_isotonic(score, positive)
        else:
            x, y, events, positives = np.array([0.0, 1.0]), np.array([0.0, 1.0]), _NONE, _NONE
        self.calibration_x_, self.calibration_y_ = x, y
        self.calibration_events_, self.calibration_positives_ = events, positives
        self.reference_metrics_ = binary_metrics(
            positive, score, threshold=self.threshold, positive=True
        )
        self.n_reference_ = int(positive.size)
        return self

    def probabilities(self, y_score: npt.ArrayLike) -> FloatArray:
        """Return the calibrated probabilities of ``y_score`` (scores in ``[0, 1]``).

        Raises
        ------
        NotFittedError
            If :meth:`fit` has not been called.
        """
        self._check_fitted("probabilities")
        score = as_probabilities(y_score, name="y_score", func=f"{_NAME}.probabilities", ndim=1)
        return np.asarray(np.interp(score, self.calibration_x_, self.calibration_y_))

    def estimate(
        self, y_score: npt.ArrayLike, y_pred: npt.ArrayLike | None = None
    ) -> EstimatedPerformanceResult:
        """Estimate the metrics of one window of unlabelled events, with their bands.

        Parameters
        ----------
        y_score
            Predicted probability of the positive class, one per event, in ``[0, 1]``.
        y_pred
            The predictions, 0/1 or booleans; by default ``y_score >= threshold``.

        Returns
        -------
        EstimatedPerformanceResult
            The expected confusion matrix and each metric's estimate and band. A metric
            undefined on the window is ``None``, never NaN.

        Raises
        ------
        NotFittedError
            If :meth:`fit` has not been called.
        InsufficientDataError
            If ``y_score`` is empty.
        InvalidParameterError
            If a score is outside ``[0, 1]`` or NaN, a prediction is not 0/1, or the lengths
            differ.
        """
        func = f"{_NAME}.estimate"
        self._check_fitted("estimate")
        score = as_probabilities(y_score, name="y_score", func=func, ndim=1)
        if y_pred is None:
            predicted = score >= self.threshold
        else:
            predicted = _binary_labels(y_pred, name="y_pred", func=func)
            check_same_length(score, predicted, names=("y_score", "y_pred"), func=func)
        p = np.interp(score, self.calibration_x_, self.calibration_y_)
        n, n_pred = score.size, int(np.count_nonzero(predicted))
        tp, fn = float(p[predicted].sum()), float(p[~predicted].sum())
        fp, tn = n_pred - tp, n - n_pred - fn
        values = {
            "accuracy": (tp + tn) / n,
            "precision": _ratio(tp, n_pred),
            "recall": _ratio(tp, tp + fn),
            "f1": _ratio(2.0 * tp, 2.0 * tp + fp + fn),
            "roc_auc": expected_roc_auc(score, p),
        }
        rng = np.random.default_rng(self.seed)
        maps = None
        if self._varies():
            maps = sample_maps(self.calibration_events_, self.calibration_positives_,
                               self.n_simulations, rng)  # fmt: skip
        draws = simulate_metrics(score, p, predicted, knots=self.calibration_x_, maps=maps,
                                 n_simulations=self.n_simulations, rng=rng)  # fmt: skip
        estimates = {}
        for name in _METRICS:
            lower, upper, spread = band(draws[name], self.confidence)
            estimates[name] = Estimate(value=values[name], lower=lower, upper=upper,
                                       stderr=spread)  # fmt: skip
        confusion = {"true_positive": tp, "false_positive": fp, "false_negative": fn,
                     "true_negative": tn}  # fmt: skip
        return EstimatedPerformanceResult(
            n=n,
            n_predicted_positive=n_pred,
            threshold=self.threshold,
            calibrated=self.calibrate,
            calibration_uncertainty=self._varies(),
            confidence=self.confidence,
            n_simulations=self.n_simulations,
            confusion=confusion,
            **estimates,
        )

    def _check_fitted(self, method: str) -> None:
        if not hasattr(self, "calibration_x_"):
            msg = (
                f"This {_NAME} is not fitted yet: call 'fit' with labelled reference data "
                f"before '{method}'."
            )
            raise NotFittedError(msg)

    def _varies(self) -> bool:
        return self.calibrate and self.calibration_uncertainty


_NONE = np.empty(0, dtype=np.float64)


def _check_bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        msg = f"The {name!r} parameter of {_NAME} must be True or False. Got {value!r} instead."
        raise InvalidParameterError(msg)
    return value
