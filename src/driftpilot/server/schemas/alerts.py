"""Bodies of the alert routes: alerts, acknowledgements, silences and the notification outbox.

The store's objects keep times as microseconds since the epoch; these models take them as
such (``TimeOut``) and write them as RFC 3339 text, like every other time in a response.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from driftpilot.server.schemas.times import Time, TimeOut

__all__ = [
    "AckBody",
    "AlertList",
    "AlertOut",
    "NotificationList",
    "NotificationOut",
    "SilenceBody",
    "SilenceList",
    "SilenceOut",
]


#: Text that may be stored: no NUL character (PostgreSQL text cannot hold one).
NoNul = Annotated[str, Field(pattern=r"^[^\x00]*$")]


class AckBody(BaseModel):
    """Who acknowledges."""

    model_config = ConfigDict(extra="forbid")
    by: str | None = Field(None, max_length=200, pattern=r"^[^\x00]*$")


class SilenceBody(BaseModel):
    """A silence: matchers on notification labels (``~`` starts a regex) and an end."""

    model_config = ConfigDict(extra="forbid")
    matchers: dict[NoNul, NoNul] = Field(min_length=1, description="e.g. {'model': 'loans'}")
    ends_at: Time
    starts_at: Time | None = None
    created_by: str | None = Field(None, max_length=200, pattern=r"^[^\x00]*$")
    comment: str | None = Field(None, max_length=2000, pattern=r"^[^\x00]*$")


class AlertOut(BaseModel):
    """One alert: one problem (rule, model, group) from its first bad window until resolved."""

    id: int
    dedup_key: str
    monitor: str
    model: str
    rule: str
    group: dict[str, str]
    tier: str
    state: str = Field(description="pending, firing, acknowledged or resolved.")
    bad_windows: int
    clear_windows: int
    findings: list[dict[str, Any]] = Field(description="The results behind the alert.")
    first_window_start: TimeOut
    last_bad_window_end: TimeOut
    last_window_end: TimeOut
    fired_at: TimeOut | None
    last_notified_at: TimeOut | None
    resolved_at: TimeOut | None
    acknowledged_at: TimeOut | None
    acknowledged_by: str | None
    created_at: TimeOut | None
    updated_at: TimeOut | None


class AlertList(BaseModel):
    """Alerts, newest change first."""

    items: list[AlertOut]


class SilenceOut(BaseModel):
    """A stored silence."""

    id: int
    matchers: dict[str, str]
    starts_at: TimeOut
    ends_at: TimeOut
    created_by: str | None
    comment: str | None
    created_at: TimeOut


class SilenceList(BaseModel):
    """Silences, oldest first."""

    items: list[SilenceOut]


class NotificationOut(BaseModel):
    """One notification for one channel, as the outbox holds it."""

    id: int
    notification_id: str
    alert_id: int
    channel: str
    kind: str
    status: str = Field(description="pending, sent, failed (a dead letter) or suppressed.")
    attempts: int
    last_error: str | None
    last_status: int | None = Field(description="The receiver's last HTTP status, if any.")
    first_attempt_at: TimeOut | None
    next_attempt_at: TimeOut | None = Field(description="When a pending one is tried next.")
    created_at: TimeOut
    updated_at: TimeOut
    payload: dict[str, Any] = Field(description="The notification (its CloudEvent's data).")


class NotificationList(BaseModel):
    """Notifications, newest first."""

    items: list[NotificationOut]
