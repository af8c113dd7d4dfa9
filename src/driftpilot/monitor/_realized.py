"""Realized metrics of a window's labelled events, with invalid scores counted.

A binary model's threshold metrics (accuracy, precision, recall, F1) use every labelled event,
judged by its score at the threshold or, where the score is missing, not a number or outside
``[0, 1]``, by its logged prediction. Score-based metrics (``SCORE_METRICS``) are computed on
the events with a valid score only, and the others are counted, so a model that logs a broken
score is seen, not averaged in as a 0/1 "probability".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from driftpilot.monitor._data import WindowEvents
from driftpilot.monitor._outputs import SCORE_METRICS, is_positive, positive_scores, score_values
from driftpilot.monitor.spec import (
    DetectorCheck,
    EstimatedPerformanceCheck,
    PerformanceCheck,
    PerformanceDecayCheck,
)
from driftpilot.performance import binary_metrics, multiclass_metrics, regression_metrics

__all__ = ["Realized", "Scored", "invalid_note", "labelled", "realized_metrics"]

Scored = PerformanceCheck | PerformanceDecayCheck | EstimatedPerformanceCheck | DetectorCheck


def labelled(events: WindowEvents) -> WindowEvents:
    """Return the events that have a label."""
    return events.select(events.labelled)


@dataclass(frozen=True, slots=True, kw_only=True)
class Realized:
    """The realized metrics of a window's labelled events.

    ``values`` and ``errors`` (standard errors) by metric; ``n_labels`` labelled events;
    ``n_invalid_scores`` of them had a missing, non-numeric or out-of-range score and were
    left out of the score-based metrics (``SCORE_METRICS``), not of the threshold ones.
    """

    values: dict[str, float | None]
    errors: dict[str, float | None]
    n_labels: int
    n_invalid_scores: int = 0


def _binary(rows: WindowEvents, check: Scored) -> tuple[dict[str, Any], int]:
    """Threshold metrics on every labelled event, score metrics on those with a valid score."""
    truth = is_positive(rows.labels, check.positive).astype(np.int64)
    decided = positive_scores(rows.scores, rows.predictions, name=check.score,
                              positive=check.positive)  # fmt: skip
    data = binary_metrics(truth, decided, threshold=check.decision_threshold,
                          positive=1).to_dict()  # fmt: skip
    scores = score_values(rows.scores, name=check.score, positive=check.positive)
    valid = ~np.isnan(scores)
    n_invalid = int(valid.size - np.count_nonzero(valid))
    errors = dict(data.get("standard_errors") or {})
    scored: dict[str, Any] = {}
    if n_invalid < valid.size:
        scored = binary_metrics(truth[valid], scores[valid], threshold=check.decision_threshold,
                                positive=1).to_dict()  # fmt: skip
    scored_errors = scored.get("standard_errors") or {}
    for metric in SCORE_METRICS:
        data[metric] = scored.get(metric)
        if metric in errors:
            errors[metric] = scored_errors.get(metric)
    data["standard_errors"] = errors
    return data, n_invalid


def realized_metrics(task: str, events: WindowEvents, check: Scored) -> Realized:
    """Return every metric of the labelled events, their standard errors and the label count."""
    rows = labelled(events)
    n = len(rows)
    coverage = n / len(events) if len(events) else None
    values: dict[str, float | None] = {"label_coverage": coverage}
    errors: dict[str, float | None] = {}
    if n == 0:
        return Realized(values=values, errors=errors, n_labels=0)
    n_invalid = 0
    if task == "regression":
        truth = np.array([float(v) for v in rows.labels])
        predicted = np.array([float(v) for v in rows.predictions])
        data = regression_metrics(truth, predicted).to_dict()
    elif task == "binary":
        data, n_invalid = _binary(rows, check)
    else:
        data = multiclass_metrics([str(v) for v in rows.labels],
                                  [str(v) for v in rows.predictions]).to_dict()  # fmt: skip
    for key, value in data.items():
        if isinstance(value, int | float) and not isinstance(value, bool) and key not in (
            "n", "n_positive", "threshold", "n_bins", "log_loss_eps", "mape_eps",
            "true_positive", "false_positive", "false_negative", "true_negative",
        ):  # fmt: skip
            values[key] = float(value)
        elif value is None and key not in values:
            values[key] = None
    errors.update(data.get("standard_errors") or {})
    return Realized(values=values, errors=errors, n_labels=n, n_invalid_scores=n_invalid)


def invalid_note(name: str, n_invalid: int, of: str, metrics: str) -> str:
    return (f"{name}: {n_invalid} {of} had a missing, non-numeric or out-of-range score and "
            f"were left out of {metrics}")  # fmt: skip
