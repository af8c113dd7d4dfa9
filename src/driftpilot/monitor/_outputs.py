"""Read labels, predictions and scores out of logged events for performance checks.

Binary models log ``scores`` as a mapping of class to probability (``{"default": 0.83}``), a
list, or a single number; the positive class's probability is the ``score`` key named in the
check, else the only score, else the key equal to the positive class, else the second item of
a two-item list. A score that is missing, not a number, not finite or outside ``[0, 1]`` is
invalid: ``score_values`` gives NaN for it, and score-based metrics (ROC-AUC, PR-AUC,
log-loss, Brier, ECE, the label-free estimate, score detectors) leave its event out and count
it. Threshold metrics (accuracy, precision, recall, F1) keep every event: ``positive_scores``
stands the prediction (1 or 0) in for an invalid score, so the event is judged by what the
model decided.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from driftpilot._typing import BoolArray, FloatArray

__all__ = ["SCORE_METRICS", "is_positive", "positive_scores", "score_values", "top_scores"]

#: Binary metrics computed from the scores themselves, not from decisions at a threshold.
SCORE_METRICS = frozenset({"roc_auc", "pr_auc", "log_loss", "brier", "ece"})


def is_positive(values: Sequence[Any], positive: object) -> BoolArray:
    """Which values equal the positive class (``1``, ``True`` and ``"1"`` are the same)."""
    key = str(positive).lower()
    aliases = {key}
    if key in ("1", "true"):
        aliases |= {"1", "true", "1.0"}
    return np.fromiter((str(v).lower() in aliases for v in values), dtype=np.bool_,
                       count=len(values))  # fmt: skip


def _score_of(scores: Any, name: str | None, positive: object) -> float | None:
    if scores is None:
        return None
    if isinstance(scores, int | float) and not isinstance(scores, bool):
        return float(scores)
    if isinstance(scores, Mapping):
        if name is not None:
            value = scores.get(name)
        elif len(scores) == 1:
            value = next(iter(scores.values()))
        else:
            value = scores.get(str(positive))
        return _number(value)
    if isinstance(scores, list) and len(scores) == 2:
        return _number(scores[1])
    return None


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def score_values(scores: Sequence[Any], *, name: str | None, positive: object) -> FloatArray:
    """Return each event's positive-class probability, NaN where it is invalid or missing."""
    out = np.full(len(scores), np.nan)
    for i, item in enumerate(scores):
        value = _score_of(item, name, positive)
        if value is not None and 0 <= value <= 1:  # NaN fails the comparison too
            out[i] = value
    return out


def positive_scores(
    scores: Sequence[Any], predictions: Sequence[Any], *, name: str | None, positive: object
) -> FloatArray:
    """Return each event's positive-class probability, the prediction as 0/1 where invalid.

    For threshold metrics only (an event is positive when its value is ``>= threshold``);
    score-based metrics use :func:`score_values` and leave invalid scores out.
    """
    predicted = is_positive(predictions, positive)
    values = score_values(scores, name=name, positive=positive)
    return np.where(np.isnan(values), predicted.astype(np.float64), values)


def top_scores(scores: Sequence[Any]) -> FloatArray:
    """Return each event's highest class probability (NaN where it logged none).

    A single probability ``p`` (a binary model logging only its positive class) counts as the
    pair ``(p, 1 - p)``.
    """
    out = np.full(len(scores), np.nan)
    for i, item in enumerate(scores):
        values: list[float] = []
        if isinstance(item, Mapping):
            values = [float(v) for v in item.values() if isinstance(v, int | float)]
        elif isinstance(item, list):
            values = [float(v) for v in item if isinstance(v, int | float)]
        elif isinstance(item, int | float) and not isinstance(item, bool):
            values = [float(item)]
        if len(values) == 1:
            values.append(1.0 - values[0])
        if values:
            out[i] = max(values)
    return out
