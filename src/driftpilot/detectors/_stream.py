"""What every streaming detector offers, and running one over a whole stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Self, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["StreamingDetector", "detect"]


@runtime_checkable
class StreamingDetector(Protocol):
    """A detector fed one value at a time: ``update(x)``, ``drift_detected``, ``reset()``."""

    n_seen: int

    @property
    def drift_detected(self) -> bool:
        """Whether the last update flagged drift."""
        ...

    def update(self, x: float) -> Self:
        """Feed one value."""
        ...

    def reset(self) -> None:
        """Forget everything seen."""
        ...


def detect(detector: StreamingDetector, stream: Iterable[float]) -> list[int]:
    """Feed ``stream`` to ``detector`` and return the indices where it flagged drift.

    The detector is updated in place and not reset first, so it can continue a stream; the
    indices count from the start of ``stream``.

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
    found = []
    for index, value in enumerate(stream):
        if detector.update(value).drift_detected:
            found.append(index)
    return found
