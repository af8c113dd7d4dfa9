"""Monitors: windowed, scheduled checks of drift, data quality, performance and SLOs."""

from __future__ import annotations

from driftpilot.monitor._data import Unread, WindowEvents, WindowProfile
from driftpilot.monitor.results import SEVERITIES, CheckResult, MonitorReport, Severity, worst
from driftpilot.monitor.runner import Runner, RunOutcome, evaluate
from driftpilot.monitor.slo import SLOStatus, evaluate_slo, evaluate_slos
from driftpilot.monitor.source import (
    DetectorState,
    DetectorStateLog,
    MonitorSource,
    Reference,
    RunLog,
    RunSummary,
    SeriesPoint,
)
from driftpilot.monitor.spec import (
    MonitorDefinitionError,
    MonitorSpec,
    load_monitors,
    parse_monitors,
)
from driftpilot.monitor.windows import Window, check_alignment, windows_between

__all__ = [
    "SEVERITIES",
    "CheckResult",
    "DetectorState",
    "DetectorStateLog",
    "MonitorDefinitionError",
    "MonitorReport",
    "MonitorSource",
    "MonitorSpec",
    "Reference",
    "RunLog",
    "RunOutcome",
    "RunSummary",
    "Runner",
    "SLOStatus",
    "SeriesPoint",
    "Severity",
    "Unread",
    "Window",
    "WindowEvents",
    "WindowProfile",
    "check_alignment",
    "evaluate",
    "evaluate_slo",
    "evaluate_slos",
    "load_monitors",
    "parse_monitors",
    "windows_between",
    "worst",
]
