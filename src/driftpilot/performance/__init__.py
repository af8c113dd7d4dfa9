"""Performance of a model where labels exist: classification and regression metrics.

Pure computation on numpy/scipy: arrays of labels, scores or values in, frozen dataclasses
out (each with ``to_dict()``). Every value equals scikit-learn's to 1e-9 except the expected
calibration error, which scikit-learn does not have. A metric that is undefined on the data
(ROC-AUC with one class, R² of a constant target) is ``None``, never NaN; bad input raises
:class:`~driftpilot.errors.InvalidParameterError` or
:class:`~driftpilot.errors.InsufficientDataError` naming the argument. Each result lists the
standard errors of the metrics where one is cheap and meaningful.

Without labels, :class:`ConfidenceBasedEstimator` estimates a binary classifier's metrics
from its calibrated scores, with the band each realized metric should fall in.
"""

from __future__ import annotations

from driftpilot.performance.binary import BinaryMetricsResult, binary_metrics
from driftpilot.performance.coverage import LabelCoverageResult, label_coverage
from driftpilot.performance.estimation import (
    ConfidenceBasedEstimator,
    Estimate,
    EstimatedPerformanceResult,
)
from driftpilot.performance.multiclass import MulticlassMetricsResult, multiclass_metrics
from driftpilot.performance.regression import RegressionMetricsResult, regression_metrics

__all__ = [
    "BinaryMetricsResult",
    "ConfidenceBasedEstimator",
    "Estimate",
    "EstimatedPerformanceResult",
    "LabelCoverageResult",
    "MulticlassMetricsResult",
    "RegressionMetricsResult",
    "binary_metrics",
    "label_coverage",
    "multiclass_metrics",
    "regression_metrics",
]
