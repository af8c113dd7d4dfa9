"""Body of the window-profile route."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

__all__ = ["WindowProfileOut"]


class WindowProfileOut(BaseModel):
    """The merged profiles of a window; each is a saved-profile document (``Profile.from_dict``).

    ``covered_start``/``covered_end`` span the whole buckets merged.
    """

    model: str
    version: str | None
    start: datetime | None
    end: datetime | None
    covered_start: datetime | None
    covered_end: datetime | None
    n_events: int
    n_labels: int
    n_partials: int
    n_rollups: int = Field(description="Daily rollups read in place of some of the partials.")
    n_buckets: int
    features: dict[str, Any] | None = Field(description="Profile of the features.")
    prediction: dict[str, Any] | None
    scores: dict[str, Any] | None
    latency: dict[str, Any] | None
    labels: dict[str, Any] | None = Field(description="Profile of the joined labels.")
    quality: dict[str, int] = Field(description="Count of each quality flag.")
    notes: list[str]
