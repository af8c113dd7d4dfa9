"""ADWIN: adaptive windowing (Bifet & Gavaldà, 2007), with the ADWIN2 bucket compression.

Written from the paper, with the conventions of River's ``river.drift.ADWIN`` (0.26) so that
the same parameters on the same stream flag the same indices: the window is only examined
every ``clock`` updates once it holds more than ``grace_period`` values; both sub-windows of
a cut must hold at least ``min_window_length`` values; and the update after a detection
starts again from an empty window. The arithmetic follows the same order of operations, so
the floating-point results agree bit for bit.
"""

from __future__ import annotations

import math
from typing import Self

from driftpilot.detectors._validation import check_finite_value, check_int, check_real

__all__ = ["ADWIN"]


class _Level:
    """The summaries of buckets of ``2**i`` values at one level, oldest first."""

    __slots__ = ("totals", "variances")

    def __init__(self) -> None:
        self.totals: list[float] = []
        self.variances: list[float] = []


class ADWIN:
    r"""Adaptive windowing change detector for the mean of a real-valued stream.

    ADWIN keeps a window of recent values, summarised in exponentially growing buckets (at most
    ``max_buckets + 1`` buckets of each size ``2**i`` before the two oldest merge). Every
    ``clock`` updates it tries each bucket boundary as a cut into an older part :math:`W_0` and a
    newer part :math:`W_1` and flags drift when

    .. math:: |\hat\mu_{W_0} - \hat\mu_{W_1}| > \sqrt{2 m \sigma^2_W \delta'} + \tfrac23 \delta' m,

    with :math:`\delta' = \ln(2 \ln|W| / \delta)` and
    :math:`m = 1/(n_0 - l + 1) + 1/(n_1 - l + 1)` for the minimum sub-window length :math:`l`.

    Parameters
    ----------
    delta
        Confidence of the cut test, in (0, 1); smaller values flag fewer changes.
    clock
        Check for a change every ``clock`` updates (1 checks on every value).
    max_buckets
        Buckets of each size kept before the two oldest are merged; at least 2, so that a
        merge never empties a level (River 0.26 fails with 1).
    min_window_length
        Smallest number of values either side of a cut for it to be tested.
    grace_period
        No check happens until the window holds more than this many values.

    References
    ----------
    .. [1] Bifet, A. and Gavaldà, R. (2007). Learning from time-changing data with adaptive
       windowing. Proceedings of the 2007 SIAM International Conference on Data Mining,
       443-448.

    Examples
    --------
    >>> import numpy as np
    >>> from driftpilot.detectors import ADWIN, detect
    >>> rng = np.random.default_rng(0)
    >>> stream = np.concatenate([rng.normal(0.0, 1.0, 1000), rng.normal(2.0, 1.0, 1000)])
    >>> detect(ADWIN(), stream)
    [1023]
    """

    def __init__(
        self,
        *,
        delta: float = 0.002,
        clock: int = 32,
        max_buckets: int = 5,
        min_window_length: int = 5,
        grace_period: int = 10,
    ) -> None:
        owner = type(self).__name__
        self.delta = check_real(
            delta, name="delta", owner=owner, low=0, high=1, low_open=True, high_open=True
        )
        self.clock = check_int(clock, name="clock", owner=owner, minimum=1)
        self.max_buckets = check_int(max_buckets, name="max_buckets", owner=owner, minimum=2)
        self.min_window_length = check_int(
            min_window_length, name="min_window_length", owner=owner, minimum=1
        )
        self.grace_period = check_int(grace_period, name="grace_period", owner=owner, minimum=0)
        self.n_seen = 0
        self.n_detections = 0
        self._restart()

    def _restart(self) -> None:
        self._drift_detected = False
        self._levels: list[_Level] = [_Level()]
        self._width = 0.0
        self._total = 0.0
        self._variance = 0.0
        self._tick = 0

    def reset(self) -> None:
        """Forget everything seen, as if just constructed."""
        self.n_seen = 0
        self.n_detections = 0
        self._restart()

    @property
    def drift_detected(self) -> bool:
        """Whether the last update flagged a change."""
        return self._drift_detected

    @property
    def width(self) -> int:
        """Number of values in the current window."""
        return int(self._width)

    @property
    def estimation(self) -> float:
        """Mean of the values in the current window (0 when it is empty)."""
        return self._total / self._width if self._width else 0.0

    @property
    def variance(self) -> float:
        """Sum of squared deviations from the mean within the current window."""
        return self._variance

    def update(self, x: float) -> Self:
        """Add one value and test the window for a change.

        Parameters
        ----------
        x
            The next value of the stream; must be finite.

        Returns
        -------
        Self
            The detector, so calls can be chained.
        """
        value = check_finite_value(x, owner=type(self).__name__)
        if self._drift_detected:
            self._restart()
        self.n_seen += 1
        self._insert(value)
        self._drift_detected = self._check()
        if self._drift_detected:
            self.n_detections += 1
        return self

    def _insert(self, value: float) -> None:
        first = self._levels[0]
        first.totals.append(value)
        first.variances.append(0.0)
        self._width += 1.0
        if self._width > 1.0:
            delta_v = value - self._total / (self._width - 1.0)
            self._variance += (self._width - 1.0) * delta_v * delta_v / self._width
        self._total += value
        self._compress()

    def _compress(self) -> None:
        # Merge the two oldest buckets of any level that overflowed into one bucket of the
        # next level (Bifet & Gavaldà's ADWIN2), cascading upwards.
        levels = self._levels
        i = 0
        while len(levels[i].totals) == self.max_buckets + 1:
            size = float(1 << i)
            level = levels[i]
            t0, t1 = level.totals[0], level.totals[1]
            mu0, mu1 = t0 / size, t1 / size
            merged_variance = (
                level.variances[0] + level.variances[1] + size * 0.5 * (mu0 - mu1) * (mu0 - mu1)
            )
            if i + 1 == len(levels):
                levels.append(_Level())
            levels[i + 1].totals.append(t0 + t1)
            levels[i + 1].variances.append(merged_variance)
            del level.totals[:2]
            del level.variances[:2]
            if len(levels[i + 1].totals) <= self.max_buckets:
                break
            i += 1

    def _drop_oldest(self) -> None:
        last = len(self._levels) - 1
        level = self._levels[last]
        size = float(1 << last)
        total, variance = level.totals[0], level.variances[0]
        mu = total / size
        self._width -= size
        self._total -= total
        mu_window = self._total / self._width
        self._variance -= variance + size * self._width * (mu - mu_window) * (mu - mu_window) / (
            size + self._width
        )
        del level.totals[0]
        del level.variances[0]
        if not level.totals:
            self._levels.pop()

    def _check(self) -> bool:
        self._tick += 1
        if self._tick % self.clock != 0 or self._width <= self.grace_period:
            return False
        detected = False
        shrinking = True
        while shrinking:
            shrinking = False
            if self._find_cut():
                detected = shrinking = True
                self._drop_oldest()
        return detected

    def _find_cut(self) -> bool:
        # Walk the bucket boundaries from the oldest value on; W1 always keeps the newest bucket.
        min_len = self.min_window_length
        n0, n1 = 0.0, self._width
        u0, u1 = 0.0, self._total
        for i in range(len(self._levels) - 1, -1, -1):
            size = float(1 << i)
            totals = self._levels[i].totals
            last = len(totals) - 1
            for k, total in enumerate(totals):
                n0 += size
                n1 -= size
                u0 += total
                u1 -= total
                if i == 0 and k == last:
                    return False
                if n1 >= min_len and n0 >= min_len and self._cut(n0, n1, u0 / n0 - u1 / n1):
                    return True
        return False

    def _cut(self, n0: float, n1: float, delta_mean: float) -> bool:
        delta_prime = math.log(2.0 * math.log(self._width) / self.delta)
        m_recip = 1.0 / (n0 - self.min_window_length + 1.0) + 1.0 / (
            n1 - self.min_window_length + 1.0
        )
        radicand = 2.0 * m_recip * (self._variance / self._width) * delta_prime
        if not radicand >= 0.0:  # rounding can leave a tiny negative variance: no cut
            return False
        epsilon = math.sqrt(radicand) + 2.0 / 3.0 * delta_prime * m_recip
        return abs(delta_mean) > epsilon

    def __repr__(self) -> str:
        return (
            f"ADWIN(delta={self.delta!r}, clock={self.clock!r}, max_buckets={self.max_buckets!r}, "
            f"min_window_length={self.min_window_length!r}, grace_period={self.grace_period!r})"
        )
