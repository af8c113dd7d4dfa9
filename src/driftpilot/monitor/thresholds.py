"""Thresholds: fixed limits, or a band calibrated on the reference the way NannyML does.

Calibration splits the reference period into chunks shaped like the monitored windows,
computes the checked value on each, and flags a window whose value lies outside
``mean ± k·std`` of the chunk values (the standard deviation with ``ddof=1``; ``k = 3`` by
default). A value is flagged only in its bad direction (a drop of accuracy, a rise of an
error or a distance); both band edges are still reported so a dashboard can draw the band.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Band", "calibrated_band", "judge"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Band:
    """Limits of a value; ``None`` for no limit on that side."""

    lower: float | None = None
    upper: float | None = None
    n_chunks: int = 0
    mean: float | None = None
    std: float | None = None

    def details(self) -> dict[str, float | int | None]:
        """Return the calibration figures, for a result's ``details``."""
        return {"band_chunks": self.n_chunks, "band_mean": self.mean, "band_std": self.std}


def calibrated_band(values: Sequence[float | None], *, k: float) -> Band | None:
    """Return ``mean ± k·std`` of the finite chunk values (``None`` with fewer than two)."""
    finite = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if finite.size < 2:
        return None
    mean, std = float(finite.mean()), float(finite.std(ddof=1))
    return Band(lower=mean - k * std, upper=mean + k * std, n_chunks=int(finite.size),
                mean=mean, std=std)  # fmt: skip


def judge(value: float | None, band: Band | None, *, higher_is_better: bool | None) -> bool:
    """Whether ``value`` breaks ``band`` in its bad direction (both ways when ``None``)."""
    if value is None or band is None or not math.isfinite(value):
        return False
    low = band.lower is not None and value < band.lower
    high = band.upper is not None and value > band.upper
    if higher_is_better is None:
        return low or high
    return low if higher_is_better else high
