"""Window arithmetic: the grid of monitored windows and when the schedule fires.

Windows end on multiples of the window step counted from the Unix epoch (UTC), so every
replica and every run names the same windows: a window is ``[end - size, end)``. A window is
complete ``delay`` after its end. Times are microseconds since the epoch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from croniter import croniter

from driftpilot.errors import InvalidParameterError
from driftpilot.monitor.spec import MonitorSpec

__all__ = [
    "Window",
    "check_alignment",
    "complete_windows",
    "count_windows_between",
    "next_fire",
    "reference_span",
    "window_at",
    "windows_between",
]

_US = 1_000_000


@dataclass(frozen=True, slots=True, order=True)
class Window:
    """A half-open time window ``[start, end)`` in microseconds."""

    start: int
    end: int

    def iso(self) -> str:
        """Return ``start/end`` as ISO 8601 text."""
        return f"{_iso(self.start)}/{_iso(self.end)}"


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / _US, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def windows_between(spec: MonitorSpec, start: int, end: int) -> list[Window]:
    """Return the grid windows lying entirely inside ``[start, end)``, oldest first."""
    step, size = spec.window.step * _US, spec.window.size * _US
    first_end = -(-(start + size) // step) * step
    return [Window(e - size, e) for e in range(first_end, end + 1, step)]


def count_windows_between(spec: MonitorSpec, start: int, end: int) -> int:
    """Return ``len(windows_between(spec, start, end))`` without making the windows."""
    step, size = spec.window.step * _US, spec.window.size * _US
    first_end = -(-(start + size) // step) * step
    return len(range(first_end, end + 1, step))


def complete_windows(
    spec: MonitorSpec, now: int, *, since: int, newest: int | None = None
) -> list[Window]:
    """Return grid windows complete at ``now`` (past their delay) that end after ``since``.

    With ``newest``, only the newest that many of them (the list is never built whole, so a
    ``now`` centuries after ``since`` costs nothing).
    """
    step, size = spec.window.step * _US, spec.window.size * _US
    last_end = (now - spec.window.delay * _US) // step * step
    first_end = (since // step + 1) * step
    if newest is not None:
        first_end = max(first_end, last_end - (newest - 1) * step)
    return [Window(e - size, e) for e in range(first_end, last_end + 1, step)]


def window_at(spec: MonitorSpec, at: int) -> Window:
    """Return the newest grid window complete at ``at``."""
    step, size = spec.window.step * _US, spec.window.size * _US
    end = (at - spec.window.delay * _US) // step * step
    return Window(end - size, end)


def reference_span(spec: MonitorSpec, window: Window) -> tuple[int, int] | None:
    """Return the reference time range for ``window`` (``None`` for a baseline reference)."""
    reference = spec.reference
    if reference.kind == "range":
        assert reference.start is not None
        assert reference.end is not None
        return reference.start, reference.end
    if reference.kind == "trailing":
        assert reference.trailing is not None
        return window.start - reference.trailing * _US, window.start
    return None


def next_fire(spec: MonitorSpec, after: int) -> int:
    """Return when the schedule next fires after ``after``."""
    schedule = spec.effective_schedule
    if schedule.interval is not None:
        step = schedule.interval * _US
        return (after // step + 1) * step
    assert schedule.cron is not None
    moment = datetime.fromtimestamp(after / _US, tz=UTC)
    fire: datetime = croniter(schedule.cron, moment).get_next(datetime)
    return int(fire.timestamp()) * _US


def check_alignment(spec: MonitorSpec, bucket_seconds: int) -> None:
    """Raise unless the window's size and step are whole multiples of the bucket length."""
    for field, seconds in (("size", spec.window.size), ("every", spec.window.step)):
        if seconds % bucket_seconds:
            raise InvalidParameterError(
                f"Monitor {spec.name!r}: window '{field}' ({seconds} s) must be a whole multiple "
                f"of the service's bucket length ({bucket_seconds} s), since windows merge "
                "whole bucket profiles."
            )
