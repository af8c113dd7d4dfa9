"""What a binary classifier's metrics may be on a window, given each event's probability.

* :func:`expected_roc_auc`: the trapezoidal area under the expected ROC curve, with at each
  distinct score ``t`` the points ``TPR(t) = sum_{s_i >= t} p_i / sum p_i`` and
  ``FPR(t) = sum_{s_i >= t} (1 - p_i) / sum (1 - p_i)``.
* :func:`simulate_metrics`: the realized accuracy, precision, recall, F1 and ROC-AUC on
  label vectors drawn ``y_i ~ Bernoulli(p_i)``, each draw optionally with its own
  probabilities (a calibration map drawn per simulation). Draws are made in chunks of at
  most ``CHUNK_VALUES`` uniforms, turned into 0/1 labels in place and reduced by one matrix
  product with the columns ``[predicted, ranks, 1]``: the true positives, the rank sum of
  the positives (ROC-AUC by the Mann-Whitney formula on mid-ranks, ties counting one half)
  and the number of positives.
* :func:`band`: the central interval and standard deviation of the draws.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

if TYPE_CHECKING:
    from driftpilot._typing import BoolArray, FloatArray, IntArray

__all__ = ["CHUNK_VALUES", "band", "expected_roc_auc", "simulate_metrics"]

#: Most random values held at once: 32 MiB of float64 (three times that with drawn maps).
CHUNK_VALUES = 1 << 22


def expected_roc_auc(score: FloatArray, p: FloatArray) -> float | None:
    """Return the area under the expected ROC curve; ``None`` if a class cannot occur."""
    positives = float(p.sum())
    negatives = float((1.0 - p).sum())
    if positives <= 0.0 or negatives <= 0.0:
        return None
    order = np.argsort(-score, kind="stable")
    sorted_score = score[order]
    last_of_value = np.r_[np.flatnonzero(np.diff(sorted_score)), score.size - 1]
    tpr = np.r_[0.0, np.cumsum(p[order])[last_of_value] / positives]
    fpr = np.r_[0.0, np.cumsum(1.0 - p[order])[last_of_value] / negatives]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1])) / 2.0)


def simulate_metrics(
    score: FloatArray,
    p: FloatArray,
    predicted: BoolArray,
    *,
    knots: FloatArray,
    maps: FloatArray | None,
    n_simulations: int,
    rng: np.random.Generator,
) -> dict[str, FloatArray]:
    """Return each metric's realized value on every simulated draw (NaN where undefined).

    Without ``maps`` every draw uses ``p``; with them, draw ``j`` uses the probabilities
    ``np.interp(score, knots, maps[j])``.
    """
    n, sims = score.size, n_simulations
    columns = np.stack([predicted.astype(np.float64), stats.rankdata(score), np.ones(n)], axis=1)
    sums = np.empty((sims, 3), dtype=np.float64)
    chunk = max(1, min(sims, CHUNK_VALUES // (n if maps is None else 3 * n)))
    if maps is not None:
        low, high, weight = _interpolation(score, knots)
    for start in range(0, sims, chunk):
        size = min(chunk, sims - start)
        probabilities = p
        if maps is not None:  # np.interp(score, knots, row) for each row, as two gathers
            rows = maps[start : start + size]
            probabilities = np.take(rows, low, axis=1)
            step = np.take(rows, high, axis=1)
            step -= probabilities
            step *= weight
            probabilities += step
        block = rng.random((size, n))
        np.less(block, probabilities, out=block, casting="unsafe")
        sums[start : start + size] = block @ columns
    tp, rank_sum, n_pos = sums[:, 0], sums[:, 1], sums[:, 2]
    n_pred = float(np.count_nonzero(predicted))
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "accuracy": (n - n_pred - n_pos + 2.0 * tp) / n,
            "precision": tp / n_pred if n_pred else np.full(sims, math.nan),
            "recall": tp / n_pos,
            "f1": 2.0 * tp / (n_pred + n_pos),
            "roc_auc": (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * (n - n_pos)),
        }


def _interpolation(score: FloatArray, knots: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Return the knots on each side of each score and the weight of the upper one."""
    high = np.clip(np.searchsorted(knots, score, side="right"), 1, knots.size - 1)
    low = high - 1
    gap = knots[high] - knots[low]
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(gap > 0.0, (score - knots[low]) / gap, 0.0)
    return low, high, np.clip(weight, 0.0, 1.0)


def band(draws: FloatArray, confidence: float) -> tuple[float | None, float | None, float | None]:
    """Return the central ``confidence`` interval and standard deviation of the finite draws."""
    finite = draws[np.isfinite(draws)]
    if finite.size == 0:
        return None, None, None
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    spread = float(np.std(finite, ddof=1)) if finite.size > 1 else 0.0
    return float(low), float(high), spread
