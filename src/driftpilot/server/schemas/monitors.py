"""Bodies of the monitor routes: definitions, runs, reports, series and SLOs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "MonitorList",
    "MonitorOut",
    "RunList",
    "RunOutcomeOut",
    "RunOutcomes",
    "RunSummaryOut",
    "SLOList",
    "SLOOut",
    "SeriesOut",
    "SeriesPointOut",
]


class MonitorOut(BaseModel):
    """A stored monitor: its normalized definition and where it came from."""

    name: str
    model: str
    origin: Literal["file", "api"]
    definition: dict[str, Any] = Field(
        description="The definition, normalized: durations in seconds, times as ISO-8601 text."
    )
    created_at: datetime
    updated_at: datetime


class MonitorList(BaseModel):
    """Every stored monitor (of a model, if asked)."""

    items: list[MonitorOut]


class RunSummaryOut(BaseModel):
    """The newest revision (or one revision) of one (monitor, window) run."""

    run_id: int
    monitor: str
    model: str
    window_start: datetime
    window_end: datetime
    revision: int
    n_events: int
    n_labels: int
    evaluated_at: datetime
    severity: Literal["none", "warning", "critical"]


class RunList(BaseModel):
    """Runs, newest window first."""

    items: list[RunSummaryOut]


class RunOutcomeOut(BaseModel):
    """What one (monitor, window) run did, with its findings."""

    monitor: str
    window_start: datetime
    window_end: datetime
    status: Literal["ran", "revised", "skipped", "leased"]
    run: RunSummaryOut | None
    flagged: list[dict[str, Any]] = Field(description="The results judged a problem.")


class RunOutcomes(BaseModel):
    """Outcomes of a run or backfill request.

    ``notify`` (backfills): whether the alerts it raised or resolved were notified; when not,
    ``note`` says so (their notifications are kept as ``suppressed``).
    """

    items: list[RunOutcomeOut]
    notify: bool | None = None
    note: str | None = None


class SeriesPointOut(BaseModel):
    """One window's value of one check (newest revision)."""

    window_start: datetime
    window_end: datetime
    value: float | None
    stderr: float | None
    lower: float | None
    upper: float | None
    severity: Literal["none", "warning", "critical"]
    revision: int
    n: int
    n_labels: int | None
    monitor: str = Field(description="The monitor whose run produced the value.")
    check: str = Field(description="The check's name in the monitor definition.")
    kind: str = Field(description="drift, quality, performance, estimated_performance, ...")


class SeriesOut(BaseModel):
    """A check's value over time for a model, feature and segment."""

    model: str
    metric: str
    feature: str | None
    segment: str | None
    points: list[SeriesPointOut]


class SLOOut(BaseModel):
    """Where one SLO stands."""

    name: str
    monitor: str
    metric: str
    objective: str
    kind: str
    target: float
    period_seconds: int
    status: Literal["met", "breached", "no_data"]
    attained: float | None
    n_windows: int
    n_bad: int
    budget_left: float | None
    burn_rate: float | None
    short_burn_rate: float | None


class SLOList(BaseModel):
    """The SLOs of a monitor."""

    items: list[SLOOut]
