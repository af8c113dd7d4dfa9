"""Performance of a regression model: MAE, RMSE, MAPE and R².

Computed on numpy; each value equals its ``sklearn.metrics`` counterpart (named in
:class:`RegressionMetricsResult`) to 1e-9.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from driftpilot.performance._result import as_dict
from driftpilot.performance._sampling import mean_se, root_mean_se
from driftpilot.performance._validation import as_values, check_same_length

if TYPE_CHECKING:
    import numpy.typing as npt

    from driftpilot._typing import FloatArray

__all__ = ["RegressionMetricsResult", "regression_metrics"]

_FUNC = "regression_metrics"


@dataclass(frozen=True, slots=True, kw_only=True)
class RegressionMetricsResult:
    """Performance of a regression model on one window of labelled events.

    Attributes
    ----------
    n
        Number of events.
    mae
        Mean absolute error (``mean_absolute_error``).
    rmse
        Root mean squared error (``root_mean_squared_error``).
    mape
        Mean absolute percentage error as a fraction, ``mean(|y - ŷ| / max(|y|, mape_eps))``
        (``mean_absolute_percentage_error``); huge, not infinite, when some ``y`` is 0.
    r2
        Coefficient of determination ``1 - SS_res / SS_tot`` (``r2_score``); ``None`` when
        ``y_true`` is constant (``SS_tot = 0``), where scikit-learn reports 1.0 or 0.0 by
        convention (``force_finite=True``).
    mape_eps
        The floor on ``|y|`` in the MAPE, float64 machine epsilon, as scikit-learn.
    standard_errors
        Standard error of ``mae`` and ``mape`` (of a mean) and of ``rmse`` (delta method);
        ``None`` with fewer than two events or a zero RMSE. R² has none that is cheap.
    """

    n: int
    mae: float
    rmse: float
    mape: float
    r2: float | None
    mape_eps: float
    standard_errors: Mapping[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dictionary of plain Python values."""
        return as_dict(self)


def _r2(residual: float, total: float, *, constant: bool) -> float | None:
    """R², with scikit-learn's value 1.0 for a perfect fit whose SS_tot underflowed to 0."""
    if constant:
        return None
    if residual == 0.0:
        return 1.0
    return None if total == 0.0 else 1.0 - residual / total


def _rmse(absolute: FloatArray) -> float:
    """Return ``sqrt(mean(absolute**2))``, scaled by the largest error so no square underflows."""
    largest = float(np.max(absolute))
    if largest == 0.0:
        return 0.0
    return largest * math.sqrt(float(np.mean((absolute / largest) ** 2)))


def regression_metrics(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> RegressionMetricsResult:
    """Measure a regression model against the true values of one window.

    Parameters
    ----------
    y_true
        True values, one per event, finite.
    y_pred
        Predicted values, one per event, finite.

    Returns
    -------
    RegressionMetricsResult
        MAE, RMSE, MAPE, R² and the standard errors; R² is ``None`` when undefined.

    Raises
    ------
    InsufficientDataError
        If ``y_true`` or ``y_pred`` is empty.
    InvalidParameterError
        If the lengths differ or a value is NaN or infinite.

    References
    ----------
    .. [1] Hyndman, R. J., Koehler, A. B. (2006). Another look at measures of forecast
       accuracy. International Journal of Forecasting 22(4), 679-688.
    .. [2] de Myttenaere, A., Golden, B., Le Grand, B., Rossi, F. (2016). Mean absolute
       percentage error for regression models. Neurocomputing 192, 38-48.

    Examples
    --------
    >>> from driftpilot.performance import regression_metrics
    >>> result = regression_metrics([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    >>> result.mae, round(result.rmse, 4), round(result.mape, 4), round(result.r2, 4)
    (0.5, 0.6124, 0.3274, 0.9486)
    """
    truth = as_values(y_true, name="y_true", func=_FUNC)
    pred = as_values(y_pred, name="y_pred", func=_FUNC)
    check_same_length(truth, pred, names=("y_true", "y_pred"), func=_FUNC)
    eps = float(np.finfo(np.float64).eps)
    error = truth - pred
    absolute = np.abs(error)
    squared = error**2
    percentage = absolute / np.maximum(np.abs(truth), eps)
    total = float(np.sum((truth - np.mean(truth)) ** 2))
    residual = float(np.sum(squared))
    # Tested directly: the mean of a constant can round off it and leave SS_tot at ~1e-33.
    constant = bool(np.all(truth == truth[0]))
    return RegressionMetricsResult(
        n=truth.size,
        mae=float(np.mean(absolute)),
        rmse=_rmse(absolute),
        mape=float(np.mean(percentage)),
        r2=_r2(residual, total, constant=constant),
        mape_eps=eps,
        standard_errors={
            "mae": mean_se(absolute),
            "rmse": root_mean_se(squared),
            "mape": mean_se(percentage),
        },
    )
