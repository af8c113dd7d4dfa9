"""Ranking metrics of a binary score: ROC-AUC with DeLong's standard error, and average precision.

Both are written here on numpy/scipy rather than taken from scikit-learn so the core keeps
numpy and scipy as its only numeric dependencies; the tests hold them to
``sklearn.metrics.roc_auc_score`` and ``sklearn.metrics.average_precision_score`` to 1e-9.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

if TYPE_CHECKING:
    from driftpilot._typing import BoolArray, FloatArray

__all__ = ["average_precision", "roc_auc"]


def roc_auc(positive: BoolArray, score: FloatArray) -> tuple[float | None, float | None]:
    """Return the ROC-AUC and DeLong's standard error of ``score`` for ``positive`` events.

    The AUC is the Mann-Whitney statistic on mid-ranks (a tie between a positive and a
    negative counts one half), which equals the trapezoidal area under the ROC curve. It is
    ``None`` unless both classes occur. The standard error is DeLong's, from the variance of
    the placement values (Sun and Xu's mid-rank algorithm); it is ``None`` unless each class
    has at least two events.
    """
    n_pos = int(np.count_nonzero(positive))
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None, None
    ranks = stats.rankdata(score)
    pos_ranks = ranks[positive]
    auc = (float(pos_ranks.sum()) - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)
    if n_pos < 2 or n_neg < 2:
        return auc, None
    # Placement of each positive: the share of negatives it outranks (ties count one half).
    pos_placement = (pos_ranks - stats.rankdata(score[positive])) / n_neg
    neg_ranks = ranks[~positive]
    neg_placement = 1.0 - (neg_ranks - stats.rankdata(score[~positive])) / n_pos
    variance = (
        float(np.var(pos_placement, ddof=1)) / n_pos + float(np.var(neg_placement, ddof=1)) / n_neg
    )
    return auc, math.sqrt(max(variance, 0.0))


def average_precision(positive: BoolArray, score: FloatArray) -> float | None:
    """Return the average precision ``sum_k (R_k - R_{k-1}) P_k`` over distinct thresholds.

    The step-wise area under the precision-recall curve, without interpolation, as
    ``sklearn.metrics.average_precision_score``; ``None`` when there is no positive event.
    """
    n_pos = int(np.count_nonzero(positive))
    if n_pos == 0:
        return None
    order = np.argsort(-score, kind="stable")
    sorted_score = score[order]
    last_of_value = np.r_[np.flatnonzero(np.diff(sorted_score)), score.size - 1]
    true_pos = np.cumsum(positive[order], dtype=np.float64)[last_of_value]
    predicted_pos = (last_of_value + 1).astype(np.float64)
    precision = true_pos / predicted_pos
    recall = true_pos / n_pos
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))
