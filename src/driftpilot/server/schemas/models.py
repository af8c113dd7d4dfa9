"""Bodies of the model, version and baseline routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from driftpilot.lifecycle import VersionStatus
from driftpilot.store.records import Task, check_version

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


_CHARACTER = r"[^/\x00-\x1f\x7f-\x9f]"
_NOT_DOT = r"[^./\x00-\x1f\x7f-\x9f]"
#: A model version: no '/', no control character, and not '.' or '..' (the store checks it
#: with ``check_version``; this pattern says the same in the OpenAPI document).
VERSION_PATTERN = rf"^(?:{_NOT_DOT}{_CHARACTER}*|\.{_NOT_DOT}{_CHARACTER}*|\.\.{_CHARACTER}+)$"
#: A version name in a body: checked by the store's rule, documented by the pattern.
VersionName = Annotated[
    str,
    AfterValidator(lambda v: check_version(v, field_name="version")),
    Field(
        min_length=1, max_length=200, json_schema_extra={"pattern": VERSION_PATTERN},
        description="Printable characters without '/', and not '.' or '..'.",
    ),
]  # fmt: skip


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

    version: VersionName = Field(examples=["3"])


class VersionOut(BaseModel):
    """A model version; ``baseline_id`` is its current baseline, if any.

    ``status`` is null until an artifact is registered (``PUT .../artifact``); the full
    record is at ``GET /v1/models/{model}/versions/{version}``.
    """

    version: str
    created_at: datetime
    baseline_id: int | None
    status: VersionStatus | None = None
    revision: int = 0
    flavor: str | None = None
    sha256: str | None = None
    aliases: list[str] = Field(default_factory=list)
    registered_at: datetime | None = None


class VersionList(BaseModel):
    """A page of a model's versions, oldest first; ``next_cursor`` fetches the next page."""

    items: list[VersionOut]
    next_cursor: str | None = None


class BaselineOut(BaseModel):
    """A stored baseline (the document itself is at ``GET .../baseline``)."""

    id: int
    model: str
    version: str
    kind: Literal["baseline", "profile"]
    fingerprint: str | None
    n_rows: int
    created_at: datetime
