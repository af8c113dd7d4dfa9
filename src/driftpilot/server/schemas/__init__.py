"""The pydantic models of the HTTP API: request and response bodies, and nothing else.

Routers convert between these and the store's dataclasses; no other module imports pydantic
for the API.
"""

from __future__ import annotations

from driftpilot.server.schemas.errors import ErrorBody, ErrorResponse
from driftpilot.server.schemas.events import (
    EventIn,
    EventOut,
    EventPage,
    EventResultOut,
    EventsBatch,
    IngestResponse,
    RejectedOut,
    RejectedPage,
)
from driftpilot.server.schemas.keys import KeyCreate, KeyList, KeyOut, NewKeyOut
from driftpilot.server.schemas.labels import (
    LabelIn,
    LabelIngestResponse,
    LabelOut,
    LabelPage,
    LabelResultOut,
    LabelsBatch,
)
from driftpilot.server.schemas.models import (
    BaselineOut,
    FeatureSchemaBody,
    FeatureSpecBody,
    ModelCreate,
    ModelList,
    ModelOut,
    VersionCreate,
    VersionList,
    VersionOut,
)
from driftpilot.server.schemas.profiles import WindowProfileOut
from driftpilot.server.schemas.registry import (
    AliasList,
    AliasMoveList,
    AliasMoveOut,
    AliasOut,
    AliasSet,
    ArchiveBody,
    ArtifactOut,
    LineageBody,
    MetricsBody,
    ModelVersionOut,
    RegisterBody,
    RegisterManifest,
    ReportIn,
    ReportOut,
    RollbackBody,
    SignatureBody,
    StatusChange,
)

__all__ = [
    "AliasList",
    "AliasMoveList",
    "AliasMoveOut",
    "AliasOut",
    "AliasSet",
    "ArchiveBody",
    "ArtifactOut",
    "BaselineOut",
    "ErrorBody",
    "ErrorResponse",
    "EventIn",
    "EventOut",
    "EventPage",
    "EventResultOut",
    "EventsBatch",
    "FeatureSchemaBody",
    "FeatureSpecBody",
    "IngestResponse",
    "KeyCreate",
    "KeyList",
    "KeyOut",
    "LabelIn",
    "LabelIngestResponse",
    "LabelOut",
    "LabelPage",
    "LabelResultOut",
    "LabelsBatch",
    "LineageBody",
    "MetricsBody",
    "ModelCreate",
    "ModelList",
    "ModelOut",
    "ModelVersionOut",
    "NewKeyOut",
    "RegisterBody",
    "RegisterManifest",
    "RejectedOut",
    "RejectedPage",
    "ReportIn",
    "ReportOut",
    "RollbackBody",
    "SignatureBody",
    "StatusChange",
    "VersionCreate",
    "VersionList",
    "VersionOut",
    "WindowProfileOut",
]
