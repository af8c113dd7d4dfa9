"""The closed loop's ground: model versions, their artifacts, aliases and deployments.

``lifecycle`` sits above ``monitor`` and ``alerts`` and below ``store``: it holds the
domain objects and the ports (``Protocol``s) that ``store`` implements, never a database
row. The serving router (``driftpilot.serving``) loads what this package describes.
"""

from __future__ import annotations

from driftpilot.lifecycle._predictor import Predictor
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
    "AddShadow",
    "Canary",
    "Deployment",
    "DeploymentChange",
    "DeploymentTransitionError",
    "Predictor",
    "PromoteCanary",
    "RemoveShadow",
    "Rollback",
    "RoutingKey",
    "SetChampion",
    "SetRouting",
    "SetWeight",
    "StartCanary",
    "StopCanary",
    "Transition",
    "apply",
    "empty_deployment",
]
