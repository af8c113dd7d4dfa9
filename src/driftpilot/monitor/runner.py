"""Run monitors: evaluate a window, record it once, revise it when late labels arrive.

``evaluate`` is pure given a ``MonitorSource``: the same window gives the same report.
``Runner`` adds the ``RunLog``: a run of one (monitor, window) takes a lease in the database
(so replicas never evaluate the same window twice at once), is skipped when the window
already ran and neither labels nor late events arrived since, and otherwise becomes the
window's next revision (revision 1 the first time; revision 2 when labels or late events
arrived for it afterwards, and so on). ``run_due`` is what the scheduler calls: every complete
window since the last one, plus revisions of windows within ``label_horizon`` whose label or
event count grew. ``backfill`` evaluates a past span, reading its raw events once.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from driftpilot.errors import DriftpilotError, InvalidParameterError
from driftpilot.monitor._context import EventCache, Memo, WindowContext
from driftpilot.monitor.checks import check_type
from driftpilot.monitor.results import CheckResult, MonitorReport
from driftpilot.monitor.source import DetectorStateLog, MonitorSource, RunLog, RunSummary
from driftpilot.monitor.spec import MonitorSpec
from driftpilot.monitor.windows import Window, complete_windows, window_at, windows_between

__all__ = ["RunOutcome", "Runner", "evaluate"]

_US = 1_000_000
_CATCH_UP = 1000


def _now() -> int:
    return time.time_ns() // 1000


def _results(ctx: WindowContext, check: object) -> list[CheckResult]:
    """Run one check through its registry entry; a check that fails says so (``error``)."""
    entry = check_type(check)
    try:
        return entry.run()(ctx, check)
    except DriftpilotError as err:
        name = str(getattr(check, "name", None) or entry.name)
        return [CheckResult(check=name, kind=entry.kind, metric=entry.name, value=None,
                            status="error", reason=str(err))]  # fmt: skip


def evaluate(
    spec: MonitorSpec,
    source: MonitorSource,
    window: Window,
    *,
    revision: int = 1,
    evaluated_at: int | None = None,
    events: EventCache | None = None,
    memo: Memo | None = None,
    n_labels: int | None = None,
    states: DetectorStateLog | None = None,
) -> MonitorReport:
    """Evaluate every check of ``spec`` on ``window`` and return the report.

    ``n_labels``, the window's label count, is the merged profile's unless the caller has
    just counted it (``source.label_count``, the same count). ``states``: detector checks
    continue from, and save, their state there (``Runner`` passes its log when it is one).
    """
    ctx = WindowContext(
        spec=spec, window=window, source=source,
        events_cache=events or EventCache(source, spec.model), memo=memo or Memo(),
        task=source.task(spec.model), states=states,
    )  # fmt: skip
    results: list[CheckResult] = []
    for check in spec.checks:
        results.extend(_results(ctx, check))
    if n_labels is None:
        n_labels = ctx.current.n_labels
    return MonitorReport(
        monitor=spec.name, model=spec.model, window_start=window.start, window_end=window.end,
        reference=ctx.reference_description(), revision=revision,
        evaluated_at=evaluated_at if evaluated_at is not None else _now(),
        n_events=ctx.current.n_events, n_labels=n_labels, results=results,
        notes=tuple(dict.fromkeys([*ctx.notes, *ctx.current.notes])),
    )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOutcome:
    """What happened to one (monitor, window): ran, revised, skipped, or leased elsewhere."""

    monitor: str
    window: Window
    status: Literal["ran", "revised", "skipped", "leased"]
    summary: RunSummary | None = None
    report: MonitorReport | None = None


class Runner:
    """Evaluate monitors and record their runs.

    Parameters
    ----------
    source
        Where traffic is read.
    log
        Where runs are recorded and leased.
    owner
        This process's name in leases (host and pid by default).
    lease_seconds
        How long a lease holds if its owner dies mid-run.
    clock
        Microseconds since the epoch (injectable for tests).
    on_report
        Called with each recorded report (the alert manager), inside the window's lease, and
        ``notify``: ``False`` in a backfill not asked to notify (alerts are recorded, their
        notifications suppressed), ``True`` when asked, ``None`` for scheduled runs.
    """

    def __init__(
        self,
        source: MonitorSource,
        log: RunLog,
        *,
        owner: str | None = None,
        lease_seconds: float = 600.0,
        clock: Callable[[], int] = _now,
        on_report: Callable[[MonitorSpec, MonitorReport, RunSummary, bool | None], object]
        | None = None,
    ) -> None:
        self.source = source
        self.log = log
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.on_report = on_report

    def run_window(
        self,
        spec: MonitorSpec,
        window: Window,
        *,
        force: bool = False,
        events: EventCache | None = None,
        memo: Memo | None = None,
        notify: bool | None = None,
    ) -> RunOutcome:
        """Evaluate ``window`` unless it ran and nothing arrived since (or ``force``).

        ``events`` and ``memo`` share raw events and reference computations between the
        windows of one call (a backfill, a scheduler look); a new call reads the reference
        afresh, so a new baseline counts from the next call on. ``notify`` goes to
        ``on_report``.

        Raises
        ------
        InvalidParameterError
            The window is not complete yet (it ends, plus the monitor's ``delay``, after now):
            its verdict would be about part of its traffic.
        """
        complete_at = window.end + spec.window.delay * _US
        if complete_at > self.clock():
            raise InvalidParameterError(
                f"The window {window.iso()} of monitor {spec.name!r} is not complete until "
                f"{Window(complete_at, complete_at).iso().partition('/')[0]}; evaluate it then."
            )
        if not self.log.acquire(spec.name, window.start, window.end, owner=self.owner,
                                ttl_seconds=self.lease_seconds):  # fmt: skip
            return RunOutcome(monitor=spec.name, window=window, status="leased")
        try:
            latest = self.log.latest(spec.name, window.start, window.end)
            n_labels = None
            if latest is not None and not force:
                # Counted once, before evaluating: labels arriving meanwhile make the next
                # look revise the window rather than go unnoticed.
                n_labels = self.source.label_count(
                    spec.model, start=window.start, end=window.end, version=spec.version
                )
                if not self._changed(spec, window, latest, n_labels):
                    return RunOutcome(monitor=spec.name, window=window, status="skipped",
                                      summary=latest)  # fmt: skip
            revision = 1 if latest is None else latest.revision + 1
            report = evaluate(
                spec,
                self.source,
                window,
                revision=revision,
                evaluated_at=self.clock(),
                events=events,
                memo=memo,
                n_labels=n_labels,
                states=self.log if isinstance(self.log, DetectorStateLog) else None,
            )
            summary = self.log.record(report)
            if self.on_report is not None:
                self.on_report(spec, report, summary, notify)
        finally:
            self.log.release(spec.name, window.start, window.end, owner=self.owner)
        status: Literal["ran", "revised"] = "ran" if revision == 1 else "revised"
        return RunOutcome(monitor=spec.name, window=window, status=status, summary=summary,
                          report=report)  # fmt: skip

    def _changed(
        self, spec: MonitorSpec, window: Window, latest: RunSummary, n_labels: int
    ) -> bool:
        """Whether labels (``n_labels`` now) or late events arrived since the newest revision."""
        if n_labels != latest.n_labels:
            return True
        if spec.version is not None:  # bucket counts span every version; labels decide alone
            return False
        counts = self.source.bucket_counts(spec.model, start=window.start, end=window.end)
        return sum(n for _, n in counts) != latest.n_events

    def due(self, spec: MonitorSpec, now: int) -> tuple[list[Window], list[Window]]:
        """Return the new windows to run and the evaluated windows to check for labels."""
        horizon = now - spec.label_horizon * _US
        evaluated: Sequence[RunSummary] = self.log.evaluated(spec.name, since=horizon)
        last_end = max((r.window_end for r in evaluated), default=None)
        if last_end is None:
            fresh = [window_at(spec, now)]
        else:
            fresh = complete_windows(spec, now, since=last_end, newest=_CATCH_UP)
        revisit = [Window(r.window_start, r.window_end) for r in evaluated]
        return fresh, sorted(set(revisit) - set(fresh))

    def run_due(self, spec: MonitorSpec, now: int | None = None) -> list[RunOutcome]:
        """Run every complete window not yet run, and revise windows with new labels."""
        now = self.clock() if now is None else now
        fresh, revisit = self.due(spec, now)
        memo = Memo()
        outcomes = [self.run_window(spec, w, memo=memo) for w in revisit]
        outcomes += [self.run_window(spec, w, memo=memo) for w in fresh]
        return [o for o in outcomes if o.status != "skipped"]

    def backfill(
        self,
        spec: MonitorSpec,
        start: int,
        end: int,
        *,
        force: bool = False,
        progress: Callable[[int, int], None] | None = None,
        notify: bool = False,
    ) -> list[RunOutcome]:
        """Evaluate every grid window inside ``[start, end)``, oldest first.

        A backfill records the alerts its windows raise or resolve, but their notifications
        are stored as ``suppressed`` (reason ``backfill``) unless ``notify``: a backfill of
        January must not page anyone in December.
        """
        windows = windows_between(spec, start, end)
        cache = EventCache(self.source, spec.model)
        if windows and _reads_events(spec):
            first = windows[0].start
            if spec.reference.kind == "trailing":
                assert spec.reference.trailing is not None
                first -= spec.reference.trailing * _US
            # a range reference is read once, memoized; features only if a check reads them
            cache.preload(first, windows[-1].end, features=_reads_features(spec))
        outcomes = []
        memo = Memo()
        for i, window in enumerate(windows):
            outcomes.append(self.run_window(spec, window, force=force, events=cache, memo=memo,
                                            notify=notify))  # fmt: skip
            if progress is not None:
                progress(i + 1, len(windows))
        return outcomes


def _reads_features(spec: MonitorSpec) -> bool:
    """Whether a check reads raw features or segments (exact mode, segments, a KPI).

    Feature drift against a time-range or trailing reference reads them too: without a
    baseline the bucket profiles keep no histograms, so it falls back to exact mode.
    """
    exact = any(getattr(c, "mode", "profile") == "exact" for c in spec.checks) or (
        spec.reference.kind != "baseline" and any(c.type == "feature_drift" for c in spec.checks)
    )
    return (
        exact or bool(spec.segments) or any(check_type(c).reads == "features" for c in spec.checks)
    )


def _reads_events(spec: MonitorSpec) -> bool:
    return _reads_features(spec) or any(check_type(c).reads == "events" for c in spec.checks)
