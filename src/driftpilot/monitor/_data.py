"""What a monitor reads: a window's merged profiles and its raw events.

These are the values the store hands to the monitor layer (``MonitorSource`` in
``driftpilot.monitor.source``); they live here, below the store, so the monitor never imports
the store. Times are integers: microseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

from driftpilot._typing import BoolArray, IntArray
from driftpilot.profile import Profile

__all__ = ["Unread", "WindowEvents", "WindowProfile"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowProfile:
    """The merged profiles of a model's events (and joined labels) in a time window.

    ``start``/``end`` are as asked (``None`` for open); ``covered_start``/``covered_end``
    span the buckets merged (``None`` when there were none). Each profile is ``None`` when the
    window holds no partial of its kind. ``quality`` counts each ingest quality flag.
    ``n_partials`` counts the bucket partials in the window; ``n_rollups`` how many daily
    rollups were read in place of some of them.
    """

    model: str
    version: str | None
    start: int | None
    end: int | None
    covered_start: int | None
    covered_end: int | None
    n_events: int
    n_labels: int
    n_partials: int
    n_buckets: int
    features: Profile | None
    prediction: Profile | None
    scores: Profile | None
    latency: Profile | None
    labels: Profile | None
    quality: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    n_rollups: int = 0


class Unread(Sequence[Any]):
    """A column of ``WindowEvents`` the reader left out: it has a length, and reading raises.

    ``window_events(..., features=False)`` leaves the features and segments unread for
    checks that need only predictions, scores and labels; a check that reads them anyway
    fails loudly instead of seeing empty features.
    """

    __slots__ = ("_column", "_n")

    def __init__(self, n: int, column: str) -> None:
        self._n = n
        self._column = column

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> Unread: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Unread(len(range(*index.indices(self._n))), self._column)
        raise RuntimeError(
            f"The events' {self._column} were not read (window_events(..., features=False)); "
            f"a check that needs them must have the events read with features=True."
        )

    def pick(self, n: int) -> Unread:
        """Return the unread column of ``n`` picked events."""
        return Unread(n, self._column)


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowEvents:
    """The raw events of a window, column by column, oldest first, with their labels.

    Every sequence has one item per event. ``features`` are the feature objects as logged,
    ``scores`` the logged scores (a mapping of class to probability, a list, or ``None``),
    ``segments`` the logged segment tags (a mapping, or ``None``), ``labels`` the joined
    ground truth (``None`` where no label has arrived).
    """

    timestamps: IntArray
    event_ids: Sequence[str]
    versions: Sequence[str]
    features: Sequence[Mapping[str, Any]]
    predictions: Sequence[Any]
    scores: Sequence[Any]
    latencies: Sequence[float | None]
    segments: Sequence[Mapping[str, Any] | None]
    flags: Sequence[tuple[str, ...]]
    labels: Sequence[Any]
    label_timestamps: Sequence[int | None]

    def __post_init__(self) -> None:
        n = len(self.timestamps)
        for name in (
            "event_ids", "versions", "features", "predictions", "scores", "latencies",
            "segments", "flags", "labels", "label_timestamps",
        ):  # fmt: skip
            if len(getattr(self, name)) != n:
                raise ValueError(f"WindowEvents.{name} has {len(getattr(self, name))} items, "
                                 f"not {n} like timestamps.")  # fmt: skip

    def __len__(self) -> int:
        return len(self.timestamps)

    @classmethod
    def empty(cls) -> WindowEvents:
        """Return a window without events."""
        return cls(
            timestamps=np.zeros(0, dtype=np.int64), event_ids=(), versions=(), features=(),
            predictions=(), scores=(), latencies=(), segments=(), flags=(), labels=(),
            label_timestamps=(),
        )  # fmt: skip

    @property
    def labelled(self) -> BoolArray:
        """Which events have a label."""
        return np.fromiter((v is not None for v in self.labels), dtype=np.bool_, count=len(self))

    def select(self, mask: BoolArray) -> WindowEvents:
        """Return the events where ``mask`` is true, in the same order."""
        index = np.flatnonzero(mask)

        def pick(items: Sequence[Any]) -> Sequence[Any]:
            if isinstance(items, Unread):
                return items.pick(len(index))
            return [items[int(i)] for i in index]

        return WindowEvents(
            timestamps=self.timestamps[index], event_ids=pick(self.event_ids),
            versions=pick(self.versions), features=pick(self.features),
            predictions=pick(self.predictions), scores=pick(self.scores),
            latencies=pick(self.latencies), segments=pick(self.segments),
            flags=pick(self.flags), labels=pick(self.labels),
            label_timestamps=pick(self.label_timestamps),
        )  # fmt: skip

    def between(self, start: int, end: int) -> WindowEvents:
        """Return the events with ``start <= timestamp < end`` (timestamps are sorted)."""
        lo, hi = (int(i) for i in np.searchsorted(self.timestamps, [start, end], side="left"))
        return WindowEvents(
            timestamps=self.timestamps[lo:hi], event_ids=self.event_ids[lo:hi],
            versions=self.versions[lo:hi], features=self.features[lo:hi],
            predictions=self.predictions[lo:hi], scores=self.scores[lo:hi],
            latencies=self.latencies[lo:hi], segments=self.segments[lo:hi],
            flags=self.flags[lo:hi], labels=self.labels[lo:hi],
            label_timestamps=self.label_timestamps[lo:hi],
        )  # fmt: skip

    def feature_columns(self, names: Sequence[str] | None = None) -> dict[str, list[Any]]:
        """Return the features as columns (``None`` where an event lacks one)."""
        if names is None:
            names = list(dict.fromkeys(k for f in self.features if f for k in f))
        return {name: [f.get(name) if f else None for f in self.features] for name in names}
