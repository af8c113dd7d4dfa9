"""EDDM, the early drift detection method of Baena-García et al. (2006).

Written from the paper, with the conventions of River's ``river.drift.binary.EDDM`` (0.26) so
that the same parameters on the same stream flag the same indices: the statistics are updated
at each error; the maximum of :math:`p' + 2s'` is tracked once more than ``warm_start`` values
are in, the ratio is tested only once more than ``warm_start`` errors are in, and the update
after a detection starts again from scratch. The warning flag keeps its value between errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

import numpy as np

from driftpilot.detectors._state import check_state, state_error
from driftpilot.detectors._stream import STATE_FORMAT, no_drifts
from driftpilot.detectors._validation import (
    check_binary,
    check_binary_values,
    check_int,
    check_real,
)
from driftpilot.errors import InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["EDDM"]


class EDDM:
    r"""Early drift detection method for a stream of 0/1 errors (1 = the model was wrong).

    EDDM follows the distance between consecutive errors: with :math:`p'_i` and :math:`s'_i`
    the mean and standard deviation (``ddof=1``) of those distances, it records the largest
    :math:`p'_{max} + 2 s'_{max}` and, at each later error, warns when
    :math:`(p'_i + 2 s'_i) / (p'_{max} + 2 s'_{max}) < \alpha` and flags drift when the ratio
    is below :math:`\beta`.

    Parameters
    ----------
    warm_start
        Values, and errors, to see before the first test.
    alpha
        Warning level of the ratio, in (0, 1]; at least ``beta``.
    beta
        Drift level of the ratio, in (0, 1].

    References
    ----------
    .. [1] Baena-García, M., del Campo-Ávila, J., Fidalgo, R., Bifet, A., Gavaldà, R. and
       Morales-Bueno, R. (2006). Early drift detection method. Fourth International Workshop
       on Knowledge Discovery from Data Streams.

    Examples
    --------
    >>> import numpy as np
    >>> from driftpilot.detectors import EDDM, detect
    >>> rng = np.random.default_rng(0)
    >>> errors = np.concatenate([rng.random(2000) < 0.1, rng.random(1000) < 0.5])
    >>> detect(EDDM(alpha=0.8, beta=0.7), errors)
    [2177]
    """

    def __init__(self, *, warm_start: int = 30, alpha: float = 0.95, beta: float = 0.9) -> None:
        owner = type(self).__name__
        self.warm_start = check_int(warm_start, name="warm_start", owner=owner, minimum=0)
        self.alpha = check_real(alpha, name="alpha", owner=owner, low=0, high=1, low_open=True)
        self.beta = check_real(beta, name="beta", owner=owner, low=0, high=1, low_open=True)
        if self.alpha < self.beta:
            msg = (
                f"The 'alpha' parameter of {owner} must be >= beta ({self.beta!r}). "
                f"Got {alpha!r} instead."
            )
            raise InvalidParameterError(msg)
        self.n_seen = 0
        self._batch_drifts = no_drifts()
        self._restart()

    def _restart(self) -> None:
        self._drift_detected = False
        self._warning_detected = False
        self._n = 0
        self._n_errors = 0
        self._last_error = 0
        self._count = 0.0  # distances seen
        self._mean = 0.0  # their mean
        self._sum_squares = 0.0  # sum of squared deviations from the mean (Welford)
        self._p2s_max = -1.0

    def reset(self) -> None:
        """Forget everything seen, as if just constructed."""
        self.n_seen = 0
        self._restart()

    @property
    def drift_detected(self) -> bool:
        """Whether the last update flagged drift."""
        return self._drift_detected

    @property
    def warning_detected(self) -> bool:
        """Whether the detector is in the warning zone (updated at each error)."""
        return self._warning_detected

    @property
    def batch_drifts(self) -> np.ndarray:
        """Positions in the last ``update_many`` batch whose update flagged drift."""
        return self._batch_drifts

    def update(self, x: float) -> Self:
        """Add one outcome and, at an error, run the test.

        Parameters
        ----------
        x
            1 (or True) for an error, 0 (or False) for a correct prediction.

        Returns
        -------
        Self
            The detector, so calls can be chained.
        """
        error = check_binary(x, owner=type(self).__name__)
        if self._drift_detected:
            self._restart()
        self.n_seen += 1
        self._n += 1
        if not error:
            return self
        self._n_errors += 1
        distance = float(self._n - self._last_error)
        self._last_error = self._n
        old_mean = self._mean
        self._count += 1.0
        self._mean += (1.0 / self._count) * (distance - old_mean)
        self._sum_squares += (distance - old_mean) * (distance - self._mean)
        if self._n <= self.warm_start:
            return self
        variance = self._sum_squares / (self._count - 1.0) if self._count > 1.0 else 0.0
        p2s = self._mean + 2 * variance**0.5
        if p2s > self._p2s_max:
            self._p2s_max = p2s
        elif self._n_errors > self.warm_start:
            level = p2s / self._p2s_max
            if level < self.beta:
                self._drift_detected = True
            else:
                self._warning_detected = level < self.alpha
        return self

    def update_many(self, xs: Iterable[float]) -> Self:
        """Add outcomes in order, exactly as ``update`` would one by one.

        The loop keeps the running statistics in local variables (the same operations in the
        same order as ``update``, so the same bits); ``batch_drifts`` holds the positions in
        ``xs`` that flagged drift, and ``warning_detected`` is as after the last of them.

        Parameters
        ----------
        xs
            1 (or True) for an error, 0 (or False) for a correct prediction; all are checked
            before any is fed.

        Returns
        -------
        Self
            The detector, so calls can be chained.
        """
        errors = check_binary_values(xs, owner=type(self).__name__).tolist()
        warm_start, alpha, beta = self.warm_start, self.alpha, self.beta
        detected, warning = self._drift_detected, self._warning_detected
        n, n_errors, last_error = self._n, self._n_errors, self._last_error
        count, mean, sum_squares, p2s_max = (
            self._count,
            self._mean,
            self._sum_squares,
            self._p2s_max,
        )
        found = []
        for j, error in enumerate(errors):
            if detected:
                detected = warning = False
                n = n_errors = last_error = 0
                count = mean = sum_squares = 0.0
                p2s_max = -1.0
            n += 1
            if not error:
                continue
            n_errors += 1
            distance = float(n - last_error)
            last_error = n
            old_mean = mean
            count += 1.0
            mean += (1.0 / count) * (distance - old_mean)
            sum_squares += (distance - old_mean) * (distance - mean)
            if n <= warm_start:
                continue
            variance = sum_squares / (count - 1.0) if count > 1.0 else 0.0
            p2s = mean + 2 * variance**0.5
            if p2s > p2s_max:
                p2s_max = p2s
            elif n_errors > warm_start:
                level = p2s / p2s_max
                if level < beta:
                    detected = True
                    found.append(j)
                else:
                    warning = level < alpha
        self.n_seen += len(errors)
        self._drift_detected, self._warning_detected = detected, warning
        self._n, self._n_errors, self._last_error = n, n_errors, last_error
        self._count, self._mean, self._sum_squares, self._p2s_max = (
            count,
            mean,
            sum_squares,
            p2s_max,
        )
        self._batch_drifts = np.array(found, dtype=np.int64)
        return self

    def to_dict(self) -> dict[str, Any]:
        """Return the parameters and the whole state, JSON-serialisable."""
        return {
            "type": "EDDM",
            "format": STATE_FORMAT,
            "params": {"warm_start": self.warm_start, "alpha": self.alpha, "beta": self.beta},
            "state": {
                "n_seen": self.n_seen, "drift_detected": self._drift_detected,
                "warning_detected": self._warning_detected, "n": self._n,
                "n_errors": self._n_errors, "last_error": self._last_error,
                "count": self._count, "mean": self._mean, "sum_squares": self._sum_squares,
                "p2s_max": self._p2s_max,
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
            detector._warning_detected = bool(state["warning_detected"])
            for name in ("n", "n_errors", "last_error"):
                setattr(detector, f"_{name}", int(state[name]))
            for name in ("count", "mean", "sum_squares", "p2s_max"):
                setattr(detector, f"_{name}", float(state[name]))
        except (KeyError, TypeError, ValueError) as err:
            raise state_error(cls.__name__, err) from err
        return detector

    def __repr__(self) -> str:
        return f"EDDM(warm_start={self.warm_start!r}, alpha={self.alpha!r}, beta={self.beta!r})"
