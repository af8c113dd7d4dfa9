"""The two ports of the monitor layer: where it reads traffic and where it records runs.

``MonitorSource`` gives a window's merged profiles, its raw events, bucket counts and the
model's reference; ``RunLog`` records reports, hands out the once-per-window lease and answers
history queries; ``DetectorStateLog`` (which the store's ``RunLog`` also is) keeps streaming
detectors' state from one window to the next. The store implements them
(``driftpilot.store.StoreSource`` and ``driftpilot.store.RunRepository``); tests may
implement them in memory. All times are
microseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from driftpilot.monitor._data import WindowEvents, WindowProfile
from driftpilot.monitor.results import MonitorReport, Severity
from driftpilot.profile import Baseline, Profile

__all__ = [
    "DetectorState",
    "DetectorStateLog",
    "MonitorSource",
    "Reference",
    "RunLog",
    "RunSummary",
    "SeriesPoint",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reference:
    """A model version's stored baseline (or plain profile)."""

    version: str
    document: Baseline | Profile


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    """The newest revision of one (monitor, window) run."""

    run_id: int
    monitor: str
    model: str
    window_start: int
    window_end: int
    revision: int
    n_events: int
    n_labels: int
    evaluated_at: int
    severity: Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesPoint:
    """One window's value of one check (newest revision).

    ``monitor``, ``check`` and ``kind`` say which check of which monitor produced it (a
    realized and an estimated ``accuracy`` are two points of one window).
    """

    window_start: int
    window_end: int
    value: float | None
    stderr: float | None
    lower: float | None
    upper: float | None
    severity: Severity
    revision: int
    n: int
    n_labels: int | None
    monitor: str = ""
    check: str = ""
    kind: str = ""


class MonitorSource(Protocol):
    """Where a monitor reads a model's traffic."""

    def task(self, model: str) -> str:
        """Return the model's task: ``binary``, ``multiclass`` or ``regression``."""
        ...

    def reference(self, model: str, version: str | None = None) -> Reference | None:
        """Return ``version``'s baseline, or the newest version's that has one."""
        ...

    def window_profile(
        self, model: str, *, start: int, end: int, version: str | None = None
    ) -> WindowProfile:
        """Return the merge of the bucket profiles in ``[start, end)``."""
        ...

    def window_events(
        self, model: str, *, start: int, end: int, features: bool = True
    ) -> WindowEvents:
        """Return the raw events with ``start <= timestamp < end`` and their labels.

        ``features=False``: features and segments may be left ``Unread``.
        """
        ...

    def bucket_counts(self, model: str, *, start: int, end: int) -> Sequence[tuple[int, int]]:
        """Return ``(bucket_start, n_events)`` of each bucket in ``[start, end)`` with events."""
        ...

    def last_event_time(self, model: str, *, before: int) -> int | None:
        """Return the timestamp of the newest event before ``before``."""
        ...

    def label_count(self, model: str, *, start: int, end: int, version: str | None = None) -> int:
        """Return how many labels ``window_profile`` would count now (same buckets, version)."""
        ...


class RunLog(Protocol):
    """Where runs are recorded, leased and looked up."""

    def acquire(
        self, monitor: str, start: int, end: int, *, owner: str, ttl_seconds: float
    ) -> bool:
        """Take the lease of one (monitor, window); false if another owner holds it."""
        ...

    def release(self, monitor: str, start: int, end: int, *, owner: str) -> None:
        """Give the lease back."""
        ...

    def latest(self, monitor: str, start: int, end: int) -> RunSummary | None:
        """Return the newest revision of a window's run, if it ran."""
        ...

    def record(self, report: MonitorReport) -> RunSummary:
        """Store a report and its results; it becomes the window's newest revision."""
        ...

    def evaluated(self, monitor: str, *, since: int) -> Sequence[RunSummary]:
        """Return the newest revision of every window ending after ``since``."""
        ...

    def series(
        self,
        model: str,
        *,
        metric: str,
        monitor: str | None = None,
        check: str | None = None,
        feature: str | None = None,
        segment: str | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> Sequence[SeriesPoint]:
        """Return one check value per window over time (newest revisions), oldest first."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectorState:
    """A streaming detector's state after feeding one window's events.

    ``state`` is the detector's ``to_dict()``; ``fingerprint`` names what it was built for
    (detector, parameters, stream, watched version, reference), so a changed one starts a
    fresh detector; ``n_fed`` is how many events this window fed; ``model_version`` the model
    version that served most of them (another one in a later window is a new champion, and
    starts a fresh detector).
    """

    window_start: int
    window_end: int
    fingerprint: str
    state: Mapping[str, Any]
    n_fed: int
    model_version: str | None = None


@runtime_checkable
class DetectorStateLog(Protocol):
    """Where detector checks keep their state across windows (per monitor, check, segment)."""

    def detector_state(
        self, monitor: str, check: str, segment: str, *, at: int
    ) -> DetectorState | None:
        """Return the newest state saved for a window ending at or before ``at``."""
        ...

    def save_detector_state(
        self, monitor: str, check: str, segment: str, state: DetectorState, *, keep_from: int
    ) -> None:
        """Save ``state`` (replacing one saved for the same window end).

        States ending before ``keep_from`` may be dropped, except the newest of them.
        """
        ...
