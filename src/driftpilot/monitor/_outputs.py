"""Read labels, predictions and scores out of logged events for performance checks.

Binary models log ``scores`` as a mapping of class to probability (``{"default": 0.83}``), a
list, or a single number; the positive class's probability is the ``score`` key named in the
check, else the only score, else the key equal to the positive class, else the second item of
a two-item list. Without any score the prediction itself (1 or 0) stands in, which makes
threshold-free metrics such as ROC-AUC degenerate (documented in the README).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from driftpilot._typing import BoolArray, FloatArray

__all__ = ["is_positive", "positive_scores", "top_scores"]


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
        return float(value) if isinstance(value, int | float) else None
    if isinstance(scores, list) and len(scores) == 2:
        value = scores[1]
        return float(value) if isinstance(value, int | float) else None
    return None


def positive_scores(
    scores: Sequence[Any], predictions: Sequence[Any], *, name: str | None, positive: object
) -> FloatArray:
    """Return each event's positive-class probability (the prediction as 0/1 where none)."""
    predicted = is_positive(predictions, positive)
    out = np.empty(len(scores), dtype=np.float64)
    for i, item in enumerate(scores):
        value = _score_of(item, name, positive)
        out[i] = float(predicted[i]) if value is None or not 0 <= value <= 1 else value
    return out


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
