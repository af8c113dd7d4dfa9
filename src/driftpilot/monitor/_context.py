"""What the checks of one (monitor, window) evaluation share, read lazily and once.

A backfill evaluates hundreds of windows; ``EventCache`` lets it read the raw events of the
whole span once and slice them per window (timestamps are sorted, so a slice is two binary
searches), and ``Memo`` keeps what depends only on the reference (a fitted estimator, a
calibrated band) across windows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from driftpilot.monitor._data import WindowEvents, WindowProfile
from driftpilot.monitor.source import DetectorStateLog, MonitorSource, Reference
from driftpilot.monitor.spec import MonitorSpec
from driftpilot.monitor.windows import Window, reference_span
from driftpilot.profile import Baseline, ColumnSummary, Profile

__all__ = ["EventCache", "Memo", "WindowContext"]

T = TypeVar("T")


class EventCache:
    """Raw events of one model, read in one span and sliced per window."""

    def __init__(self, source: MonitorSource, model: str) -> None:
        self._source = source
        self._model = model
        self._span: tuple[int, int] | None = None
        self._events = WindowEvents.empty()

    def preload(self, start: int, end: int, *, features: bool = True) -> None:
        """Read ``[start, end)`` now, so windows inside it are slices.

        ``features=False`` when no check of the monitor reads features or segments.
        """
        self._events = self._source.window_events(
            self._model, start=start, end=end, features=features
        )
        self._span = (start, end)

    def events(self, start: int, end: int) -> WindowEvents:
        """Return the events in ``[start, end)``."""
        if self._span is None or start < self._span[0] or end > self._span[1]:
            return self._source.window_events(self._model, start=start, end=end)
        return self._events.between(start, end)


class Memo:
    """Values computed once per key and kept across windows."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}

    def get(self, key: Any, compute: Callable[[], T]) -> T:
        """Return the value of ``key``, computing it the first time."""
        if key not in self._values:
            self._values[key] = compute()
        value: T = self._values[key]
        return value


@dataclass(slots=True)
class WindowContext:
    """One (monitor, window) evaluation: the spec, the window, and lazily read data.

    ``states``: where detector checks keep their state across windows (``None``: each window
    starts fresh detectors and nothing is saved, as in a preview).
    """

    spec: MonitorSpec
    window: Window
    source: MonitorSource
    events_cache: EventCache
    memo: Memo
    task: str
    states: DetectorStateLog | None = None
    _profile: WindowProfile | None = None
    _events: WindowEvents | None = None
    _reference: Reference | bool | None = False
    _reference_profile: WindowProfile | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def current(self) -> WindowProfile:
        """The window's merged bucket profiles."""
        if self._profile is None:
            self._profile = self.source.window_profile(
                self.spec.model, start=self.window.start, end=self.window.end,
                version=self.spec.version,
            )  # fmt: skip
        return self._profile

    @property
    def events(self) -> WindowEvents:
        """The window's raw events with their labels (only ``version``'s, if it names one)."""
        if self._events is None:
            self._events = self._only_version(
                self.events_cache.events(self.window.start, self.window.end)
            )
        return self._events

    def _only_version(self, events: WindowEvents) -> WindowEvents:
        if self.spec.version is None:
            return events
        keep = np.fromiter((v == self.spec.version for v in events.versions), dtype=np.bool_,
                           count=len(events))  # fmt: skip
        return events.select(keep)

    @property
    def baseline(self) -> Reference | None:
        """The stored baseline this monitor's reference names (also used for bin edges)."""
        if self._reference is False:
            name = self.spec.reference.baseline
            version = None if name in (None, "latest") else name
            if version is None and self.spec.version is not None:
                version = self.spec.version
            self._reference = self.memo.get(
                ("baseline", version), lambda: self.source.reference(self.spec.model, version)
            )
        assert self._reference is not True
        return self._reference or None

    @property
    def reference_span(self) -> tuple[int, int] | None:
        """The reference's time range, for time-range and trailing references."""
        return reference_span(self.spec, self.window)

    @property
    def reference_window(self) -> WindowProfile | None:
        """The reference range's merged profiles (``None`` for a baseline reference)."""
        span = self.reference_span
        if span is None:
            return None
        if self._reference_profile is None:
            self._reference_profile = self.memo.get(
                ("reference_profile", span),
                lambda: self.source.window_profile(
                    self.spec.model, start=span[0], end=span[1], version=self.spec.version
                ),
            )
        return self._reference_profile

    def reference_events(self) -> WindowEvents | None:
        """Return the reference range's raw events (``None`` for a baseline reference)."""
        span = self.reference_span
        if span is None:
            return None
        return self.memo.get(
            ("reference_events", span),
            lambda: self._only_version(self.events_cache.events(*span)),
        )

    def reference_features(self) -> Profile | Baseline | None:
        """Return the reference of the features: the baseline, or the reference range's profile."""
        window = self.reference_window
        if window is not None:
            return window.features
        baseline = self.baseline
        return None if baseline is None else baseline.document

    def reference_output(self, role: str) -> Profile | None:
        """Return the reference profile of ``prediction`` or ``labels`` (one column each)."""
        window = self.reference_window
        if window is not None:
            return window.prediction if role == "prediction" else window.labels
        baseline = self.baseline
        if baseline is None or not isinstance(baseline.document, Baseline):
            return None
        summary: ColumnSummary | None = (
            baseline.document.prediction_summary if role == "prediction"
            else baseline.document.target_summary
        )  # fmt: skip
        if summary is None:
            return None
        column = "prediction" if role == "prediction" else "label"
        return Profile(columns={column: summary}, n_rows=summary.n,
                       config=baseline.document.profile.config)  # fmt: skip

    def reference_description(self) -> Mapping[str, Any]:
        """How the reference is described in the report."""
        span = self.reference_span
        if span is not None:
            return {"kind": self.spec.reference.kind, "start": span[0], "end": span[1]}
        baseline = self.baseline
        return {"kind": "baseline", "version": None if baseline is None else baseline.version}
