"""Page-Hinkley test (Page, 1954; Mouss et al., 2004) for a change in the mean of a stream.

Written from the papers, with the conventions of River's ``river.drift.PageHinkley`` (0.26)
so that the same parameters on the same stream flag the same indices: a fading factor
``alpha`` on the cumulative sums, tests only once ``min_instances`` values are in, and the
update after a detection starts again from scratch.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal, Self

import numpy as np

from driftpilot.detectors._state import check_state, state_error
from driftpilot.detectors._stream import STATE_FORMAT, no_drifts
from driftpilot.detectors._validation import (
    check_finite_value,
    check_finite_values,
    check_int,
    check_real,
)
from driftpilot.errors import InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["PageHinkley"]

_MODES = ("up", "down", "both")


class PageHinkley:
    r"""Page-Hinkley change detector for increases and/or decreases of a stream's mean.

    With :math:`\bar x_t` the running mean, the detector keeps the faded cumulative sums
    :math:`U_t = \alpha U_{t-1} + (x_t - \bar x_t) - \delta` and
    :math:`L_t = \alpha L_{t-1} + (x_t - \bar x_t) + \delta`, and flags an increase when
    :math:`U_t - \min_{s \le t} U_s > \lambda` or a decrease when
    :math:`\max_{s \le t} L_s - L_t > \lambda` (:math:`\lambda` is ``threshold``; the running
    maximum of :math:`L` starts at -1, as in River).

    Parameters
    ----------
    min_instances
        Values to see before the first test.
    delta
        Magnitude of change tolerated per value.
    threshold
        Detection threshold :math:`\lambda`.
    alpha
        Fading factor of the cumulative sums, in (0, 1].
    mode
        ``"up"`` for increases, ``"down"`` for decreases, ``"both"`` for either.

    References
    ----------
    .. [1] Page, E. S. (1954). Continuous inspection schemes. Biometrika, 41(1/2), 100-115.
    .. [2] Mouss, H., Mouss, D., Mouss, N. and Sefouhi, L. (2004). Test of Page-Hinkley, an
       approach for fault detection in an agro-alimentary production system. 5th Asian Control
       Conference, 815-818.

    Examples
    --------
    >>> import numpy as np
    >>> from driftpilot.detectors import PageHinkley, detect
    >>> rng = np.random.default_rng(0)
    >>> stream = np.concatenate([rng.normal(0.0, 1.0, 1000), rng.normal(3.0, 1.0, 1000)])
    >>> detect(PageHinkley(mode="up"), stream)
    [1016]
    """

    def __init__(
        self,
        *,
        min_instances: int = 30,
        delta: float = 0.005,
        threshold: float = 50.0,
        alpha: float = 1 - 0.0001,
        mode: Literal["up", "down", "both"] = "both",
    ) -> None:
        owner = type(self).__name__
        self.min_instances = check_int(min_instances, name="min_instances", owner=owner, minimum=0)
        self.delta = check_real(
            delta, name="delta", owner=owner, low=0, high=math.inf, high_open=True
        )
        self.threshold = check_real(
            threshold, name="threshold", owner=owner, low=0, high=math.inf, high_open=True
        )
        self.alpha = check_real(alpha, name="alpha", owner=owner, low=0, high=1, low_open=True)
        if mode not in _MODES:
            msg = (
                f"The 'mode' parameter of {owner} must be one of 'up', 'down' or 'both'. "
                f"Got {mode!r} instead."
            )
            raise InvalidParameterError(msg)
        self.mode = mode
        self.n_seen = 0
        self._batch_drifts = no_drifts()
        self._restart()

    def _restart(self) -> None:
        self._drift_detected = False
        self._n = 0.0
        self._mean = 0.0
        self._sum_up = 0.0
        self._sum_down = 0.0
        self._min_up = math.inf
        self._max_down = -1.0

    def reset(self) -> None:
        """Forget everything seen, as if just constructed."""
        self.n_seen = 0
        self._restart()

    @property
    def drift_detected(self) -> bool:
        """Whether the last update flagged a change."""
        return self._drift_detected

    @property
    def batch_drifts(self) -> np.ndarray:
        """Positions in the last ``update_many`` batch whose update flagged a change."""
        return self._batch_drifts

    def update(self, x: float) -> Self:
        """Add one value and run the test.

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
        self._n += 1.0
        self._mean += (1.0 / self._n) * (value - self._mean)
        deviation = value - self._mean
        self._sum_up = self.alpha * self._sum_up + deviation - self.delta
        self._sum_down = self.alpha * self._sum_down + deviation + self.delta
        self._min_up = min(self._min_up, self._sum_up)
        self._max_down = max(self._max_down, self._sum_down)
        if self._n >= self.min_instances:
            up = self._sum_up - self._min_up > self.threshold
            down = self._max_down - self._sum_down > self.threshold
            if self.mode == "up":
                self._drift_detected = up
            elif self.mode == "down":
                self._drift_detected = down
            else:
                self._drift_detected = up or down
        return self

    def update_many(self, xs: Iterable[float]) -> Self:
        """Add values in order, exactly as ``update`` would one by one.

        The loop keeps the running sums in local variables (the same operations in the same
        order as ``update``, so the same bits); ``batch_drifts`` holds the positions in ``xs``
        that flagged a change.

        Parameters
        ----------
        xs
            The next values of the stream; all must be finite (checked before any is fed).

        Returns
        -------
        Self
            The detector, so calls can be chained.
        """
        values = check_finite_values(xs, owner=type(self).__name__).tolist()
        alpha, delta, threshold = self.alpha, self.delta, self.threshold
        min_instances = self.min_instances
        check_up, check_down = self.mode != "down", self.mode != "up"
        detected = self._drift_detected
        n, mean = self._n, self._mean
        sum_up, sum_down = self._sum_up, self._sum_down
        min_up, max_down = self._min_up, self._max_down
        inf = math.inf
        found = []
        for j, value in enumerate(values):
            if detected:
                detected = False
                n = mean = sum_up = sum_down = 0.0
                min_up, max_down = inf, -1.0
            n += 1.0
            mean += (1.0 / n) * (value - mean)
            deviation = value - mean
            sum_up = alpha * sum_up + deviation - delta
            sum_down = alpha * sum_down + deviation + delta
            if sum_up < min_up:
                min_up = sum_up
            if sum_down > max_down:
                max_down = sum_down
            if n >= min_instances and (
                (check_up and sum_up - min_up > threshold)
                or (check_down and max_down - sum_down > threshold)
            ):
                detected = True
                found.append(j)
        self.n_seen += len(values)
        self._drift_detected = detected
        self._n, self._mean = n, mean
        self._sum_up, self._sum_down = sum_up, sum_down
        self._min_up, self._max_down = min_up, max_down
        self._batch_drifts = np.array(found, dtype=np.int64)
        return self

    def to_dict(self) -> dict[str, Any]:
        """Return the parameters and the whole state, JSON-serialisable."""
        return {
            "type": "PageHinkley",
            "format": STATE_FORMAT,
            "params": {
                "min_instances": self.min_instances, "delta": self.delta,
                "threshold": self.threshold, "alpha": self.alpha, "mode": self.mode,
            },
            "state": {
                "n_seen": self.n_seen, "drift_detected": self._drift_detected, "n": self._n,
                "mean": self._mean, "sum_up": self._sum_up, "sum_down": self._sum_down,
                "min_up": self._min_up, "max_down": self._max_down,
            },
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild a detector from :meth:`to_dict`'s output, exactly."""
        params, state = check_state(data, cls.__name__)
        try:
            detector = cls(**params)
            detector.n_seen = int(state["n_seen"])
            detector._drift_detected = bool(state["drift_detected"])
            for name in ("n", "mean", "sum_up", "sum_down", "min_up", "max_down"):
                setattr(detector, f"_{name}", float(state[name]))
        except (KeyError, TypeError, ValueError) as err:
            raise state_error(cls.__name__, err) from err
        return detector

    def __repr__(self) -> str:
        return (
            f"PageHinkley(min_instances={self.min_instances!r}, delta={self.delta!r}, "
            f"threshold={self.threshold!r}, alpha={self.alpha!r}, mode={self.mode!r})"
        )
