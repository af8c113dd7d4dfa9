"""Standard errors of the metrics, where they are cheap and meaningful.

* A proportion ``p`` of ``n`` independent events (accuracy; precision over the predicted
  positives; recall over the actual positives): the binomial ``sqrt(p (1 - p) / n)``.
* A mean of per-event losses (log-loss, Brier score, MAE, MAPE): the sample standard
  deviation of the losses over ``sqrt(n)``, with ``ddof=1``.
* A root of such a mean (RMSE): the delta method, ``se(MSE) / (2 RMSE)``.

Each is ``None`` where it is undefined: no events behind a proportion, fewer than two
losses, or an RMSE of zero.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from driftpilot._typing import FloatArray

__all__ = ["mean_se", "proportion_se", "root_mean_se"]


def proportion_se(share: float | None, n: int) -> float | None:
    """Return the binomial standard error of a proportion ``share`` of ``n`` events."""
    if share is None or n == 0:
        return None
    return math.sqrt(share * (1.0 - share) / n)


def mean_se(losses: FloatArray) -> float | None:
    """Return the standard error of the mean of ``losses`` (``ddof=1``)."""
    if losses.size < 2:
        return None
    return float(np.std(losses, ddof=1)) / math.sqrt(losses.size)


def root_mean_se(squared: FloatArray) -> float | None:
    """Return the delta-method standard error of ``sqrt(mean(squared))``."""
    root = math.sqrt(float(np.mean(squared)))
    se = mean_se(squared)
    if se is None or root == 0.0:
        return None
    return se / (2.0 * root)
