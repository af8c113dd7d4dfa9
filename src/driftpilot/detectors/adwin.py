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
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from driftpilot.detectors import _adwin_kernel
from driftpilot.detectors._state import check_state, state_error
from driftpilot.detectors._stream import STATE_FORMAT, no_drifts
from driftpilot.detectors._validation import (
    check_finite_value,
    check_finite_values,
    check_int,
    check_real,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["ADWIN"]

#: Batches at least this long run in the compiled loop when numba is installed.
_COMPILED_FROM = 64


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
        self._batch_drifts = no_drifts()
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
    def batch_drifts(self) -> np.ndarray:
        """Positions in the last ``update_many`` batch whose update flagged a change."""
        return self._batch_drifts

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
        self._step(check_finite_value(x, owner=type(self).__name__))
        return self

    def _step(self, value: float) -> bool:
        if self._drift_detected:
            self._restart()
        self.n_seen += 1
        self._insert(value)
        self._drift_detected = self._check()
        if self._drift_detected:
            self.n_detections += 1
        return self._drift_detected

    def update_many(self, xs: Iterable[float]) -> Self:
        """Add values in order, exactly as ``update`` would one by one.

        With numba installed (the ``fast`` extra) a batch runs in a compiled loop; without it,
        in Python. Both give the same state and flags as ``update``. ``batch_drifts`` holds
        the positions in ``xs`` that flagged a change.

        Parameters
        ----------
        xs
            The next values of the stream; all must be finite (checked before any is fed).

        Returns
        -------
        Self
            The detector, so calls can be chained.
        """
        values = check_finite_values(xs, owner=type(self).__name__)
        kernel = _adwin_kernel.compiled() if values.size >= _COMPILED_FROM else None
        if kernel is None:
            step = self._step
            flags = [step(v) for v in values.tolist()]
            self._batch_drifts = np.flatnonzero(np.array(flags, dtype=np.bool_))
            return self
        self._run_compiled(kernel, values)
        return self

    def _run_compiled(self, kernel: Any, values: np.ndarray) -> None:
        shape = (_adwin_kernel.MAX_LEVELS, self.max_buckets + 1)
        totals, variances = np.zeros(shape), np.zeros(shape)
        counts = np.zeros(_adwin_kernel.MAX_LEVELS, dtype=np.int64)
        for i, level in enumerate(self._levels):
            counts[i] = len(level.totals)
            totals[i, : counts[i]] = level.totals
            variances[i, : counts[i]] = level.variances
        scalars = np.array([self._width, self._total, self._variance])
        ints = np.array([len(self._levels), self._tick, int(self._drift_detected)], dtype=np.int64)
        flags = np.zeros(values.size, dtype=np.bool_)
        found = kernel(
            values, totals, variances, counts, scalars, ints, self.delta, self.clock,
            self.max_buckets, self.min_window_length, self.grace_period, flags,
        )  # fmt: skip
        self._levels = []
        for i in range(int(ints[0])):
            level = _Level()
            level.totals = totals[i, : counts[i]].tolist()
            level.variances = variances[i, : counts[i]].tolist()
            self._levels.append(level)
        self._width, self._total, self._variance = (float(v) for v in scalars)
        self._tick = int(ints[1])
        self._drift_detected = bool(ints[2])
        self.n_seen += int(values.size)
        self.n_detections += int(found)
        self._batch_drifts = np.flatnonzero(flags)

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

    def to_dict(self) -> dict[str, Any]:
        """Return the parameters and the whole state (buckets included), JSON-serialisable."""
        return {
            "type": "ADWIN",
            "format": STATE_FORMAT,
            "params": {
                "delta": self.delta, "clock": self.clock, "max_buckets": self.max_buckets,
                "min_window_length": self.min_window_length, "grace_period": self.grace_period,
            },
            "state": {
                "n_seen": self.n_seen, "n_detections": self.n_detections,
                "drift_detected": self._drift_detected, "width": self._width,
                "total": self._total, "variance": self._variance, "tick": self._tick,
                "totals": [list(level.totals) for level in self._levels],
                "variances": [list(level.variances) for level in self._levels],
            },
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild a detector from :meth:`to_dict`'s output, exactly."""
        params, state = check_state(data, cls.__name__)
        try:
            detector = cls(**params)
            detector.n_seen = int(state["n_seen"])
            detector.n_detections = int(state["n_detections"])
            detector._drift_detected = bool(state["drift_detected"])
            detector._width = float(state["width"])
            detector._total = float(state["total"])
            detector._variance = float(state["variance"])
            detector._tick = int(state["tick"])
            detector._levels = []
            for totals, variances in zip(state["totals"], state["variances"], strict=True):
                level = _Level()
                level.totals = [float(v) for v in totals]
                level.variances = [float(v) for v in variances]
                detector._levels.append(level)
        except (KeyError, TypeError, ValueError) as err:
            raise state_error(cls.__name__, err) from err
        return detector

    def __repr__(self) -> str:
        return (
            f"ADWIN(delta={self.delta!r}, clock={self.clock!r}, max_buckets={self.max_buckets!r}, "
            f"min_window_length={self.min_window_length!r}, grace_period={self.grace_period!r})"
        )
