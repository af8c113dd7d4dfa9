"""Bodies of the label routes (the ingest body is read by the route, as for events)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel

from driftpilot.server.schemas.errors import ErrorBody

__all__ = [
    "LabelIn",
    "LabelIngestResponse",
    "LabelOut",
    "LabelPage",
    "LabelResultOut",
    "LabelsBatch",
]


class LabelIn(BaseModel):
    """The true value for an event, whenever it becomes known."""

    event_id: UUID
    value: Any
    timestamp: AwareDatetime


class LabelsBatch(BaseModel):
    """A batch of labels."""

    labels: list[LabelIn]


class LabelResultOut(BaseModel):
    """What happened to one label: joined to its event, pending, a duplicate, or rejected."""

    event_id: str | None
    status: Literal["joined", "pending", "duplicate", "rejected"]
    error: ErrorBody | None


class LabelIngestResponse(BaseModel):
    """Counts, and one result per label in request order."""

    joined: int
    pending: int
    duplicates: int
    rejected: int
    results: list[LabelResultOut]


class LabelOut(BaseModel):
    """A stored label; ``joined_at`` is null while its event has not arrived."""

    event_id: str
    value: Any
    timestamp: datetime
    received_at: datetime
    joined_at: datetime | None


class LabelPage(BaseModel):
    """A page of labels."""

    items: list[LabelOut]
    next_cursor: str | None
