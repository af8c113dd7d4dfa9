"""What every streaming detector offers, and running one over a whole stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["STATE_FORMAT", "StreamingDetector", "detect", "no_drifts"]

#: Version of the ``to_dict`` layout; ``from_dict`` refuses any other.
STATE_FORMAT = 1


def no_drifts() -> np.ndarray:
    """Return the empty ``batch_drifts`` of a detector that has not run a batch."""
    return np.zeros(0, dtype=np.int64)


@runtime_checkable
class StreamingDetector(Protocol):
    """A detector fed one value at a time: ``update(x)``, ``drift_detected``, ``reset()``.

    ``update_many(xs)`` feeds a batch with the same result as ``update`` in a loop (the same
    state after it, the same flags), and leaves in ``batch_drifts`` the positions in ``xs``
    whose update flagged drift. It validates the whole batch first: a bad value raises before
    anything is fed. ``to_dict()`` / ``from_dict()`` save and restore the whole state (the
    configuration included) exactly.
    """

    n_seen: int

    @property
    def drift_detected(self) -> bool:
        """Whether the last update flagged drift."""
        ...

    @property
    def batch_drifts(self) -> np.ndarray:
        """Positions in the last ``update_many`` batch whose update flagged drift."""
        ...

    def update(self, x: float) -> Self:
        """Feed one value."""
        ...

    def update_many(self, xs: Iterable[float]) -> Self:
        """Feed values in order, as ``update`` would one by one."""
        ...

    def reset(self) -> None:
        """Forget everything seen."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration and state, JSON-serialisable (floats may be infinite)."""
        ...


def detect(detector: StreamingDetector, stream: Iterable[float]) -> list[int]:
    """Feed ``stream`` to ``detector`` and return the indices where it flagged drift.

    The detector is updated in place and not reset first, so it can continue a stream; the
    indices count from the start of ``stream``. The stream is fed with ``update_many``.

    Parameters
    ----------
    detector
        Any streaming detector, e.g. :class:`~driftpilot.detectors.ADWIN`.
    stream
        The values, in order.

    Returns
    -------
    list[int]
        Zero-based positions in ``stream`` of the updates that flagged drift.

    Examples
    --------
    >>> from driftpilot.detectors import PageHinkley, detect
    >>> detect(PageHinkley(min_instances=5, threshold=5.0), [0.0] * 20 + [5.0] * 5)
    [21]
    """
    return [int(i) for i in detector.update_many(stream).batch_drifts]
