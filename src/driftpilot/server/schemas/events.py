"""Bodies of the event routes.

The ingest route reads its body itself (per-event results, not one 422 for the batch), so
``EventsBatch`` documents the body in the OpenAPI schema rather than validating it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from driftpilot.server.schemas.errors import ErrorBody
from driftpilot.server.schemas.models import VERSION_PATTERN

__all__ = [
    "EventIn",
    "EventOut",
    "EventPage",
    "EventResultOut",
    "EventsBatch",
    "IngestResponse",
    "RejectedOut",
    "RejectedPage",
]


class EventIn(BaseModel):
    """One prediction event."""

    event_id: UUID = Field(description="Made by the client; sending it again is a no-op.")
    timestamp: AwareDatetime
    model_version: str = Field(min_length=1, max_length=200, pattern=VERSION_PATTERN)
    features: dict[str, Any] = Field(examples=[{"age": 42, "plan": "pro"}])
    prediction: Any = None
    scores: dict[str, float] | list[float] | None = None
    latency_ms: float | None = Field(default=None, ge=0)
    segment: dict[str, str] | None = None


class EventsBatch(BaseModel):
    """A batch of events (at most ``DRIFTPILOT_MAX_BATCH``, 10,000 by default)."""

    events: list[EventIn]


class EventResultOut(BaseModel):
    """What happened to one event."""

    event_id: str | None
    status: Literal["stored", "duplicate", "rejected"]
    quality_flags: list[str]
    error: ErrorBody | None


class IngestResponse(BaseModel):
    """Counts, and one result per event in request order."""

    stored: int
    duplicates: int
    rejected: int
    results: list[EventResultOut]


class EventOut(BaseModel):
    """A stored event; non-finite numbers read ``"nan"``, ``"inf"``, ``"-inf"``."""

    event_id: str
    timestamp: datetime
    model_version: str
    features: Any
    prediction: Any
    scores: Any
    latency_ms: float | None
    segment: Any
    quality_flags: list[str]
    received_at: datetime
    label: Any
    label_timestamp: datetime | None


class EventPage(BaseModel):
    """A page of events; pass ``next_cursor`` as ``cursor`` for the next one."""

    items: list[EventOut]
    next_cursor: str | None


class RejectedOut(BaseModel):
    """A rejected (quarantined) event or label, as it was sent, and why it was refused."""

    kind: Literal["event", "label"]
    rejected_at: datetime
    key_id: str | None = Field(description="The API key that sent it (null with auth off).")
    event_id: str | None = Field(description="The event_id as sent, if it was a string.")
    code: str = Field(description="The error code (the reason label of the metrics).")
    error: ErrorBody
    body: str = Field(description="The item's JSON text as sent, cut at 65,536 characters.")
    body_chars: int = Field(description="The length of the full text.")
    truncated: bool


class RejectedPage(BaseModel):
    """A page of rejected items, oldest first; pass ``next_cursor`` as ``cursor``."""

    items: list[RejectedOut]
    next_cursor: str | None
