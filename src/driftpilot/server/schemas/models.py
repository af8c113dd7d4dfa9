"""Bodies of the model, version and baseline routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from driftpilot.store.records import Task

__all__ = [
    "BaselineOut",
    "FeatureSchemaBody",
    "FeatureSpecBody",
    "ModelCreate",
    "ModelList",
    "ModelOut",
    "VersionCreate",
    "VersionList",
    "VersionOut",
]

ColumnKind = Literal["numeric", "categorical", "boolean", "datetime", "text"]


class FeatureSpecBody(BaseModel):
    """One declared feature: its kind, inclusive bounds (numeric only), whether null is ok."""

    model_config = ConfigDict(extra="forbid")

    type: ColumnKind
    min: float | None = None
    max: float | None = None
    nullable: bool = True


class FeatureSchemaBody(BaseModel):
    """The declared features of a model: ``{"features": {"age": {"type": "numeric"}}}``."""

    model_config = ConfigDict(extra="forbid")

    features: dict[str, FeatureSpecBody]


class ModelCreate(BaseModel):
    """A model to create."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$", examples=["churn"])
    task: Task
    feature_schema: FeatureSchemaBody | None = None


class ModelOut(BaseModel):
    """A model."""

    name: str
    task: Task
    feature_schema: FeatureSchemaBody | None
    created_at: datetime


class ModelList(BaseModel):
    """Every model, by name."""

    items: list[ModelOut]


class VersionCreate(BaseModel):
    """A version to register."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=200, pattern=r"^[^/]+$", examples=["3"])


class VersionOut(BaseModel):
    """A model version; ``baseline_id`` is its current baseline, if any."""

    version: str
    created_at: datetime
    baseline_id: int | None


class VersionList(BaseModel):
    """A model's versions, oldest first."""

    items: list[VersionOut]


class BaselineOut(BaseModel):
    """A stored baseline (the document itself is at ``GET .../baseline``)."""

    id: int
    model: str
    version: str
    kind: Literal["baseline", "profile"]
    fingerprint: str | None
    n_rows: int
    created_at: datetime
