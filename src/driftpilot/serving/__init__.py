"""Serve a model's deployment: route traffic between versions, mirror shadows, log cohorts.

* :class:`Router` loads the champion, canary and shadow versions a deployment names
  (through a loader, ``loader(model, version) -> Predictor``), splits traffic by a stable
  hash of the routing key, mirrors rows to shadows off the request path, logs every
  prediction with its version and cohort, and hot-swaps when the deployment changes.
* :func:`create_serving_app` is an ASGI app on a router (``driftpilot serve-model``).
* :class:`TrafficController` and its registry (``router``, ``command``, ``webhook``) apply a
  deployment to platforms that own the traffic (KServe, Seldon, SageMaker).
"""

from __future__ import annotations

from driftpilot.serving.app import create_serving_app
from driftpilot.serving.controllers import (
    CONTROLLERS,
    CommandController,
    ControllerResult,
    RouterController,
    TrafficController,
    WebhookController,
    controller_from_config,
)
from driftpilot.serving.router import (
    Cohort,
    Loader,
    NotServingError,
    RoutedPrediction,
    Router,
    RouterStats,
)
from driftpilot.serving.sources import (
    DeploymentSource,
    DeploymentSourceError,
    HttpDeploymentSource,
    StoreDeploymentSource,
)

__all__ = [
    "CONTROLLERS",
    "Cohort",
    "CommandController",
    "ControllerResult",
    "DeploymentSource",
    "DeploymentSourceError",
    "HttpDeploymentSource",
    "Loader",
    "NotServingError",
    "RoutedPrediction",
    "Router",
    "RouterController",
    "RouterStats",
    "StoreDeploymentSource",
    "TrafficController",
    "WebhookController",
    "controller_from_config",
    "create_serving_app",
]
