"""Bodies of the registry routes: registered versions, statuses, reports, aliases and moves."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from driftpilot.lifecycle import ALIAS_PATTERN, VersionStatus
from driftpilot.server.schemas.times import Time

#: A finite number (JSON has no NaN or infinity).
Finite = Annotated[float, Field(allow_inf_nan=False)]

__all__ = [
    "AliasList",
    "AliasMoveList",
    "AliasMoveOut",
    "AliasOut",
    "AliasSet",
    "ArchiveBody",
    "ArtifactOut",
    "LineageBody",
    "MetricsBody",
    "ModelVersionOut",
    "RegisterBody",
    "RegisterManifest",
    "ReportIn",
    "ReportOut",
    "RollbackBody",
    "SignatureBody",
    "StatusChange",
]

_SHA256 = r"^[0-9a-fA-F]{64}$"
_Reason = Field(min_length=1, max_length=2000, description="Why: recorded with the change.")
_Actor = Field(
    default=None, min_length=1, max_length=120,
    description="Who or what acts (a person, a policy); recorded beside the API key's id.",
)  # fmt: skip


class SignatureBody(BaseModel):
    """Inputs and outputs of the model, ``{name: type}`` in order."""

    model_config = ConfigDict(extra="forbid")

    inputs: dict[str, str] = Field(default_factory=dict)
    outputs: dict[str, str] = Field(default_factory=dict)


class LineageBody(BaseModel):
    """Where the version came from."""

    model_config = ConfigDict(extra="forbid")

    data_fingerprint: str | None = Field(default=None, max_length=200)
    data_start: Time | None = None
    data_end: Time | None = None
    code_version: str | None = Field(default=None, max_length=200)
    parameters: dict[str, Any] = Field(default_factory=dict)
    run_id: str | None = Field(default=None, max_length=200)
    baseline_id: int | None = Field(default=None, ge=1, le=2**63 - 1)


class MetricsBody(BaseModel):
    """Metrics measured at training time."""

    model_config = ConfigDict(extra="forbid")

    validation: dict[str, Finite] = Field(default_factory=dict)
    training: dict[str, Finite] = Field(default_factory=dict)


class RegisterManifest(BaseModel):
    """What is registered with an uploaded artifact (the ``manifest`` part, as JSON)."""

    model_config = ConfigDict(extra="forbid")

    flavor: str = Field(examples=["sklearn"], description="sklearn, pickle or python.")
    sha256: str = Field(pattern=_SHA256, description="SHA-256 of the artifact; checked.")
    options: dict[str, str] = Field(default_factory=dict, description="Flavor options.")
    signature: SignatureBody = Field(default_factory=SignatureBody)
    lineage: LineageBody = Field(default_factory=LineageBody)
    metrics: MetricsBody = Field(default_factory=MetricsBody)
    description: str | None = Field(default=None, max_length=10_000)
    tags: dict[str, str] = Field(default_factory=dict)
    actor: str | None = _Actor


class RegisterBody(RegisterManifest):
    """A version whose artifact is already in the artifact store, by URI."""

    uri: str = Field(min_length=1, max_length=2000, description="Under the artifact store.")


class ArtifactOut(BaseModel):
    """A stored artifact."""

    uri: str
    flavor: str
    size: int
    sha256: str
    options: dict[str, str]


class ReportOut(BaseModel):
    """A report attached to a version."""

    id: int
    name: str
    document: dict[str, Any]
    created_by: str | None
    created_at: datetime


class ModelVersionOut(BaseModel):
    """A model version; ``status`` is null until an artifact is registered for it."""

    model: str
    version: str
    status: VersionStatus | None
    revision: int
    artifact: ArtifactOut | None
    signature: SignatureBody
    lineage: LineageBody
    metrics: MetricsBody
    description: str | None
    tags: dict[str, str]
    aliases: list[str]
    reports: list[ReportOut]
    created_by: str | None
    created_at: datetime
    registered_at: datetime | None


class StatusChange(BaseModel):
    """A new status for a version."""

    model_config = ConfigDict(extra="forbid")

    status: VersionStatus
    reason: str = _Reason
    actor: str | None = _Actor


class ArchiveBody(BaseModel):
    """Why a version is archived."""

    model_config = ConfigDict(extra="forbid")

    reason: str = _Reason
    actor: str | None = _Actor


class ReportIn(BaseModel):
    """A report to attach (an evaluation, a gate's verdict)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["holdout-2026-12"])
    document: dict[str, Any]
    actor: str | None = _Actor


class AliasSet(BaseModel):
    """Point an alias at a version."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=200)
    reason: str = _Reason
    actor: str | None = _Actor


class RollbackBody(BaseModel):
    """Move an alias back: to the version before its newest move, or to ``to``."""

    model_config = ConfigDict(extra="forbid")

    reason: str = _Reason
    to: str | None = Field(default=None, min_length=1, max_length=200)
    actor: str | None = _Actor


class AliasOut(BaseModel):
    """An alias; ``version`` is null once removed. ``revision`` is its ETag."""

    alias: str = Field(pattern=ALIAS_PATTERN)
    version: str | None
    revision: int
    updated_at: datetime


class AliasList(BaseModel):
    """The aliases that point at a version, by name."""

    items: list[AliasOut]


class AliasMoveOut(BaseModel):
    """One move of an alias (``version`` null: removed)."""

    id: int
    alias: str
    version: str | None
    previous: str | None
    actor: str
    reason: str
    revision: int
    rollback: bool
    moved_at: datetime


class AliasMoveList(BaseModel):
    """An alias's moves, newest first."""

    items: list[AliasMoveOut]
