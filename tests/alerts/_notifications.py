"""Notifications for the channel tests."""

from __future__ import annotations

from typing import Any

from driftpilot.alerts.notification import Finding, Notification

CREATED = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
DAY = 86_400_000_000


def finding(i: int = 0, **changes: Any) -> Finding:
    values: dict[str, Any] = {
        "check": "data_drift",
        "metric": "psi",
        "feature": f"feature_{i}",
        "segment": None,
        "value": 0.3 + i / 100,
        "severity": "critical",
    }
    values.update(changes)
    return Finding(**values)


def notification(**changes: Any) -> Notification:
    values: dict[str, Any] = {
        "id": "0f8d3a52-5d0c-4f57-9a43-1f0e8f0d2b11",
        "kind": "fired",
        "alert_id": 7,
        "dedup_key": "drift-critical/loan-default/-",
        "rule": "drift-critical",
        "tier": "critical",
        "model": "loan-default",
        "version": "3",
        "monitor": "daily-drift",
        "window_start": CREATED - DAY,
        "window_end": CREATED,
        "title": "Data drift on loan-default: 3 features drifted",
        "text": "PSI above 0.25 on income, age and term.",
        "findings": (finding(0), finding(1), finding(2)),
        "labels": {"team": "risk", "model": "loan-default"},
        "report_url": "https://driftpilot.example.com/reports/42",
        "revision": False,
        "context": {"share_drifted": 0.3},
        "created_at": CREATED,
    }
    values.update(changes)
    return Notification(**values)
