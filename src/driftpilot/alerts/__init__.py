"""Alerts: rules over check results, a lifecycle without fatigue, channels and event buses."""

from __future__ import annotations

from driftpilot.alerts.notification import EVENT_TYPES, Finding, Notification, Tier, cloudevent

__all__ = ["EVENT_TYPES", "Finding", "Notification", "Tier", "cloudevent"]
