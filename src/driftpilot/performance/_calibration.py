"""Expected calibration error on equal-width bins.

Not in scikit-learn (which has ``calibration_curve`` but no ECE), so it is written here and
checked against a hand-computed worked example. The bins match
``sklearn.calibration.calibration_curve(strategy="uniform")``: ``n_bins`` equal-width bins
on ``[0, 1]``, each closed on the right, the first also containing 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from driftpilot._typing import FloatArray

__all__ = ["expected_calibration_error"]


def expected_calibration_error(confidence: FloatArray, outcome: FloatArray, n_bins: int) -> float:
    """Return ``sum_b (n_b / n) * |mean(outcome in b) - mean(confidence in b)|``.

    ``confidence`` are predicted probabilities in ``[0, 1]``; ``outcome`` are 1.0 where the
    event the probability is about happened, else 0.0. Empty bins contribute nothing. The
    bin-size weighting reduces the sum to ``sum_b |sum(outcome) - sum(confidence)| / n``.
    """
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], confidence)
    gap = np.bincount(bins, weights=outcome - confidence, minlength=n_bins)
    return float(np.sum(np.abs(gap)) / confidence.size)
