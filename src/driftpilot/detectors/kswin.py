"""KSWIN, Kolmogorov-Smirnov windowing (Raab, Heusinger and Schleif, 2020).

Written from the paper, with the conventions of River's ``river.drift.KSWIN`` (0.26) so that
the same parameters, seed and stream flag the same indices: the ``stat_size`` values compared
with the newest ones are drawn from the older part of the window with Python's
:class:`random.Random` seeded with ``seed`` (``Random.sample``, as River does), a test needs
both a p-value ``<= alpha`` and a statistic above 0.1, and the update after a detection starts
again with an empty window and a re-seeded generator. The two-sample test is
:func:`scipy.stats.ks_2samp` with ``method="auto"``.

Speed: the statistic is computed here as scipy computes it (sorted samples, ``searchsorted``
on their union), and scipy is called only for a statistic this detector has not met before;
its p-value depends on the statistic and the two sample sizes alone, so it is kept and reused.
Two samples of ``stat_size`` values have few distinct statistics, so after a short warm-up a
test is a sort and two binary searches.
"""

from __future__ import annotations

import random
import warnings
from collections import deque
from itertools import islice
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from scipy import stats

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

__all__ = ["KSWIN"]

#: The Kolmogorov-Smirnov statistic must also exceed this to flag drift (as in River).
_MIN_STATISTIC = 0.1


class KSWIN:
    r"""Kolmogorov-Smirnov windowing change detector for the distribution of a stream.

    KSWIN keeps the last ``window_size`` values. Once the window is full, each update compares
    its newest ``stat_size`` values :math:`R` with ``stat_size`` values :math:`W` drawn without
    replacement from the older ``window_size - stat_size`` by a two-sample Kolmogorov-Smirnov
    test, and flags drift when the p-value is at most ``alpha`` and :math:`D(R, W) > 0.1`.

    Parameters
    ----------
    alpha
        Significance level of the test, in [0, 1]; keep it small (below 0.01), since a test
        runs on every value.
    window_size
        Length of the sliding window; at least ``2 * stat_size``.
    stat_size
        Number of newest values tested against an equal number of older ones.
    seed
        Seed of the :class:`random.Random` that draws the older sample; ``None`` for fresh
        entropy. An int (not a numpy generator) so that the draws match River's.
    window
        Values to start the window with, avoiding a cold start; only the last ``window_size``
        are kept. :meth:`reset` restores them; the restart after a detection does not (as in
        River).

    Attributes
    ----------
    p_value
        p-value of the last test (0 before the first).

    References
    ----------
    .. [1] Raab, C., Heusinger, M. and Schleif, F.-M. (2020). Reactive soft prototype computing
       for concept drift streams. Neurocomputing, 416, 340-351.

    Examples
    --------
    >>> import numpy as np
    >>> from driftpilot.detectors import KSWIN, detect
    >>> rng = np.random.default_rng(0)
    >>> stream = np.concatenate([rng.normal(0.0, 1.0, 500), rng.normal(3.0, 1.0, 500)])
    >>> detect(KSWIN(alpha=0.0001, seed=42), stream)
    [519]
    """

    def __init__(
        self,
        *,
        alpha: float = 0.005,
        window_size: int = 100,
        stat_size: int = 30,
        seed: int | None = None,
        window: Iterable[float] | None = None,
    ) -> None:
        owner = type(self).__name__
        self.alpha = check_real(alpha, name="alpha", owner=owner, low=0, high=1)
        self.stat_size = check_int(stat_size, name="stat_size", owner=owner, minimum=1)
        self.window_size = check_int(window_size, name="window_size", owner=owner, minimum=2)
        if self.window_size < 2 * self.stat_size:
            msg = (
                f"The 'window_size' parameter of {owner} must be >= 2 * stat_size "
                f"({2 * self.stat_size}), so the older part of the window can supply a sample "
                f"of stat_size values. Got {window_size!r} instead."
            )
            raise InvalidParameterError(msg)
        if seed is not None:
            seed = check_int(seed, name="seed", owner=owner, minimum=0)
        self.seed = seed
        initial = [] if window is None else list(window)
        try:
            self.window = tuple(check_finite_value(v, owner=owner) for v in initial)
        except InvalidParameterError as err:
            msg = f"The 'window' parameter of {owner} must hold only finite numbers. {err}"
            raise InvalidParameterError(msg) from err
        self.n_seen = 0
        self._batch_drifts = no_drifts()
        self._tests: dict[float, tuple[float, float]] = {}
        self._restart(self.window)

    def _restart(self, initial: Iterable[float] = ()) -> None:
        self._drift_detected = False
        self._window: deque[float] = deque(initial, maxlen=self.window_size)
        self._rng = random.Random(self.seed)
        self.p_value = 0.0

    def reset(self) -> None:
        """Forget everything seen, as if just constructed (the initial ``window`` included)."""
        self.n_seen = 0
        self._restart(self.window)

    @property
    def drift_detected(self) -> bool:
        """Whether the last update flagged a change."""
        return self._drift_detected

    @property
    def batch_drifts(self) -> np.ndarray:
        """Positions in the last ``update_many`` batch whose update flagged a change."""
        return self._batch_drifts

    def update(self, x: float) -> Self:
        """Add one value to the window and, once it is full, run the test.

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

    def update_many(self, xs: Iterable[float]) -> Self:
        """Add values in order, exactly as ``update`` would one by one.

        ``batch_drifts`` holds the positions in ``xs`` that flagged a change.

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
        step = self._step
        flags = [step(v) for v in values]
        self._batch_drifts = np.flatnonzero(np.array(flags, dtype=np.bool_))
        return self

    def _step(self, value: float) -> bool:
        if self._drift_detected:
            self._restart()
        self.n_seen += 1
        window = self._window
        window.append(value)
        if len(window) < self.window_size:
            return False
        n_old = self.window_size - self.stat_size
        older = [window[i] for i in self._rng.sample(range(n_old), self.stat_size)]
        newest = list(islice(window, n_old, self.window_size))
        statistic, self.p_value = self._test(older, newest)
        self._drift_detected = self.p_value <= self.alpha and statistic > _MIN_STATISTIC
        return self._drift_detected

    def _test(self, older: list[float], newest: list[float]) -> tuple[float, float]:
        # The two-sided statistic exactly as ks_2samp computes it before its p-value.
        first, second = np.sort(older), np.sort(newest)
        both = np.concatenate([first, second])
        cdf_diff = np.searchsorted(first, both, side="right") / first.size - (
            np.searchsorted(second, both, side="right") / second.size
        )
        min_s = float(np.clip(-cdf_diff[np.argmin(cdf_diff)], 0, 1))
        max_s = float(cdf_diff[np.argmax(cdf_diff)])
        statistic = min_s if min_s > max_s else max_s
        known = self._tests.get(statistic)
        if known is None:
            with warnings.catch_warnings():
                # method="auto" falls back from the exact to the asymptotic p-value with a
                # RuntimeWarning when the exact computation fails; River does the same silently.
                warnings.simplefilter("ignore", category=RuntimeWarning)
                result = stats.ks_2samp(older, newest, method="auto")
            known = (float(result.statistic), float(result.pvalue))
            self._tests[statistic] = known
        return known

    def to_dict(self) -> dict[str, Any]:
        """Return the parameters and the whole state (window, generator), JSON-serialisable."""
        version, internal, gauss = self._rng.getstate()
        return {
            "type": "KSWIN",
            "format": STATE_FORMAT,
            "params": {
                "alpha": self.alpha, "window_size": self.window_size,
                "stat_size": self.stat_size, "seed": self.seed, "window": list(self.window),
            },
            "state": {
                "n_seen": self.n_seen, "drift_detected": self._drift_detected,
                "p_value": self.p_value, "values": list(self._window),
                "rng": [version, list(internal), gauss],
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
            detector.p_value = float(state["p_value"])
            detector._window.clear()
            detector._window.extend(float(v) for v in state["values"][-detector.window_size :])
            version, internal, gauss = state["rng"]
            detector._rng.setstate((int(version), tuple(int(v) for v in internal), gauss))
        except (KeyError, TypeError, ValueError) as err:
            raise state_error(cls.__name__, err) from err
        return detector

    def __repr__(self) -> str:
        return (
            f"KSWIN(alpha={self.alpha!r}, window_size={self.window_size!r}, "
            f"stat_size={self.stat_size!r}, seed={self.seed!r})"
        )
