"""The closed loop's ground: model versions, their artifacts, aliases and deployments.

``lifecycle`` sits above ``monitor`` and ``alerts`` and below ``store``: it holds the
domain objects and the ports (``Protocol``s) that ``store`` implements, never a database
row. The serving router (``driftpilot.serving``) loads what this package describes, through
:func:`load_version`.

* records: :class:`ModelVersion` (artifact, signature, lineage, metrics, status, revision),
  :class:`Alias` and :class:`AliasMove`;
* ports: :class:`Registry` (``Store.registry`` implements it);
* :class:`ArtifactStore`: model files in a folder or any fsspec URL, checked by SHA-256;
* :data:`FLAVORS`: ``sklearn`` (skops), ``pickle`` (opt-in), ``python`` (``module:Class``).
"""

from __future__ import annotations

from driftpilot.lifecycle._aliases import check_alias_target, rollback_target
from driftpilot.lifecycle._artifacts import ArtifactStore, StoredFile, sha256_of
from driftpilot.lifecycle._flavors import FLAVORS, Flavor, LoadOptions, check_flavor
from driftpilot.lifecycle._loading import ArtifactSource, load_version
from driftpilot.lifecycle._predictor import Predictor
from driftpilot.lifecycle._records import (
    ALIAS_PATTERN,
    TRANSITIONS,
    Alias,
    AliasMove,
    Artifact,
    EvaluationReport,
    Lineage,
    ModelVersion,
    Signature,
    VersionMetrics,
    VersionPage,
    VersionStatus,
    VersionSummary,
    check_alias,
    check_sha256,
    check_transition,
)
from driftpilot.lifecycle._registry import Registry
from driftpilot.lifecycle.deployments import (
    AddShadow,
    Canary,
    Deployment,
    DeploymentChange,
    DeploymentTransitionError,
    PromoteCanary,
    RemoveShadow,
    Rollback,
    RoutingKey,
    SetChampion,
    SetRouting,
    SetWeight,
    StartCanary,
    StopCanary,
    Transition,
    apply,
    empty_deployment,
)

__all__ = [
    "ALIAS_PATTERN",
    "FLAVORS",
    "TRANSITIONS",
    "AddShadow",
    "Alias",
    "AliasMove",
    "Artifact",
    "ArtifactSource",
    "ArtifactStore",
    "Canary",
    "Deployment",
    "DeploymentChange",
    "DeploymentTransitionError",
    "EvaluationReport",
    "Flavor",
    "Lineage",
    "LoadOptions",
    "ModelVersion",
    "Predictor",
    "PromoteCanary",
    "Registry",
    "RemoveShadow",
    "Rollback",
    "RoutingKey",
    "SetChampion",
    "SetRouting",
    "SetWeight",
    "Signature",
    "StartCanary",
    "StopCanary",
    "StoredFile",
    "Transition",
    "VersionMetrics",
    "VersionPage",
    "VersionStatus",
    "VersionSummary",
    "apply",
    "check_alias",
    "check_alias_target",
    "check_flavor",
    "check_sha256",
    "check_transition",
    "empty_deployment",
    "load_version",
    "rollback_target",
    "sha256_of",
]
