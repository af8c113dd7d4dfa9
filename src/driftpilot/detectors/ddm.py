"""DDM, the drift detection method of Gama et al. (2004), for a stream of errors.

Written from the paper, with the conventions of River's ``river.drift.binary.DDM`` (0.26) so
that the same parameters on the same stream flag the same indices: no test until more than
``warm_start`` values are in, the minimum of :math:`p + s` is taken with ``<=`` (the latest
tie wins), and the update after a detection starts again from scratch.
"""

from __future__ import annotations

import math
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

__all__ = ["DDM"]


class DDM:
    r"""Drift detection method for a stream of 0/1 errors (1 = the model was wrong).

    With :math:`p_i` the error rate so far and :math:`s_i = \sqrt{p_i (1 - p_i) / i}`, DDM
    records :math:`p_{min}` and :math:`s_{min}` where :math:`p_i + s_i` is smallest, warns when
    :math:`p_i + s_i > p_{min} + w \, s_{min}` and flags drift when
    :math:`p_i + s_i > p_{min} + d \, s_{min}` (``warning_threshold`` :math:`w`,
    ``drift_threshold`` :math:`d`).

    Parameters
    ----------
    warm_start
        Values to see before the first test (tests start at value ``warm_start + 1``).
    warning_threshold
        Multiple of :math:`s_{min}` that opens the warning zone.
    drift_threshold
        Multiple of :math:`s_{min}` that flags drift; at least ``warning_threshold``.

    References
    ----------
    .. [1] Gama, J., Medas, P., Castillo, G. and Rodrigues, P. (2004). Learning with drift
       detection. Advances in Artificial Intelligence - SBIA 2004, LNCS 3171, 286-295.

    Examples
    --------
    >>> import numpy as np
    >>> from driftpilot.detectors import DDM, detect
    >>> rng = np.random.default_rng(0)
    >>> errors = np.concatenate([rng.random(1000) < 0.1, rng.random(1000) < 0.3])
    >>> detect(DDM(), errors)
    [1052]
    """

    def __init__(
        self,
        *,
        warm_start: int = 30,
        warning_threshold: float = 2.0,
        drift_threshold: float = 3.0,
    ) -> None:
        owner = type(self).__name__
        self.warm_start = check_int(warm_start, name="warm_start", owner=owner, minimum=0)
        self.warning_threshold = check_real(
            warning_threshold,
            name="warning_threshold",
            owner=owner,
            low=0,
            high=math.inf,
            high_open=True,
        )
        self.drift_threshold = check_real(
            drift_threshold,
            name="drift_threshold",
            owner=owner,
            low=0,
            high=math.inf,
            high_open=True,
        )
        if self.drift_threshold < self.warning_threshold:
            msg = (
                f"The 'drift_threshold' parameter of {owner} must be >= warning_threshold "
                f"({self.warning_threshold!r}). Got {drift_threshold!r} instead."
            )
            raise InvalidParameterError(msg)
        self.n_seen = 0
        self._batch_drifts = no_drifts()
        self._restart()

    def _restart(self) -> None:
        self._drift_detected = False
        self._warning_detected = False
        self._n = 0.0
        self._p = 0.0
        self._p_min = math.inf
        self._s_min = math.inf
        self._ps_min = math.inf

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
        """Whether the detector is in the warning zone after the last update."""
        return self._warning_detected

    @property
    def batch_drifts(self) -> np.ndarray:
        """Positions in the last ``update_many`` batch whose update flagged drift."""
        return self._batch_drifts

    def update(self, x: float) -> Self:
        """Add one outcome and run the test.

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
        self._n += 1.0
        self._p += (1.0 / self._n) * (error - self._p)
        p = self._p
        s = math.sqrt(p * (1 - p) / self._n)
        if self._n > self.warm_start:
            if p + s <= self._ps_min:
                self._p_min = p
                self._s_min = s
                self._ps_min = p + s
            self._warning_detected = p + s > self._p_min + self.warning_threshold * self._s_min
            if p + s > self._p_min + self.drift_threshold * self._s_min:
                self._drift_detected = True
                self._warning_detected = False
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
        warm_start, w, d = self.warm_start, self.warning_threshold, self.drift_threshold
        detected, warning = self._drift_detected, self._warning_detected
        n, p, p_min, s_min, ps_min = self._n, self._p, self._p_min, self._s_min, self._ps_min
        sqrt, inf = math.sqrt, math.inf
        found = []
        for j, error in enumerate(errors):
            if detected:
                detected = warning = False
                n = p = 0.0
                p_min = s_min = ps_min = inf
            n += 1.0
            p += (1.0 / n) * (error - p)
            s = sqrt(p * (1 - p) / n)
            if n > warm_start:
                if p + s <= ps_min:
                    p_min, s_min, ps_min = p, s, p + s
                warning = p + s > p_min + w * s_min
                if p + s > p_min + d * s_min:
                    detected = True
                    warning = False
                    found.append(j)
        self.n_seen += len(errors)
        self._drift_detected, self._warning_detected = detected, warning
        self._n, self._p, self._p_min, self._s_min, self._ps_min = n, p, p_min, s_min, ps_min
        self._batch_drifts = np.array(found, dtype=np.int64)
        return self

    def to_dict(self) -> dict[str, Any]:
        """Return the parameters and the whole state, JSON-serialisable (with infinities)."""
        return {
            "type": "DDM",
            "format": STATE_FORMAT,
            "params": {
                "warm_start": self.warm_start, "warning_threshold": self.warning_threshold,
                "drift_threshold": self.drift_threshold,
            },
            "state": {
                "n_seen": self.n_seen, "drift_detected": self._drift_detected,
                "warning_detected": self._warning_detected, "n": self._n, "p": self._p,
                "p_min": self._p_min, "s_min": self._s_min, "ps_min": self._ps_min,
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
            for name in ("n", "p", "p_min", "s_min", "ps_min"):
                setattr(detector, f"_{name}", float(state[name]))
        except (KeyError, TypeError, ValueError) as err:
            raise state_error(cls.__name__, err) from err
        return detector

    def __repr__(self) -> str:
        return (
            f"DDM(warm_start={self.warm_start!r}, warning_threshold={self.warning_threshold!r}, "
            f"drift_threshold={self.drift_threshold!r})"
        )
