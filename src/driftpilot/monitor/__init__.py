"""Monitors: windowed, scheduled checks of drift, data quality, performance and SLOs."""

from __future__ import annotations

from driftpilot.monitor._data import WindowEvents, WindowProfile
from driftpilot.monitor.results import SEVERITIES, CheckResult, MonitorReport, Severity, worst
from driftpilot.monitor.source import (
    MonitorSource,
    Reference,
    RunLog,
    RunSummary,
    SeriesPoint,
)

__all__ = [
    "SEVERITIES",
    "CheckResult",
    "MonitorReport",
    "MonitorSource",
    "Reference",
    "RunLog",
    "RunSummary",
    "SeriesPoint",
    "Severity",
    "WindowEvents",
    "WindowProfile",
    "worst",
]
