"""Bodies of the deployment routes: the state, the actions that change it, its history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from driftpilot.server.schemas.models import VersionName

__all__ = [
    "CanaryOut",
    "DeploymentAction",
    "DeploymentChangeOut",
    "DeploymentHistory",
    "DeploymentOut",
    "RoutingKeyBody",
]

Weight = Annotated[float, Field(ge=0, le=100, description="Percent of traffic, in [0, 100].")]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class RoutingKeyBody(BaseModel):
    """What a request is hashed on: a row's feature, a request header, or the request id."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["feature", "header", "request_id"] = "request_id"
    name: str | None = Field(
        default=None, max_length=200, description="The feature or header name (not for request_id)."
    )


class CanaryOut(BaseModel):
    """The running canary: its version, weight and owner (a rollout id or a person)."""

    version: str
    weight: float
    owner: str


class DeploymentOut(BaseModel):
    """Which version serves which traffic; ``revision`` is also the response's ETag."""

    model: str
    revision: int
    champion: str | None
    canary: CanaryOut | None
    shadows: list[str]
    routing_key: RoutingKeyBody
    sticky: bool
    previous_champion: str | None


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="Why (recorded).")
    actor: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="Who or what asks (recorded); default: the API key's id.",
    )  # fmt: skip


class SetChampionBody(_Action):
    """Make ``version`` the champion (refused while a canary runs)."""

    action: Literal["set_champion"]
    version: VersionName


class StartCanaryBody(_Action):
    """Put ``version`` on ``weight`` percent of traffic, owned by ``owner``."""

    action: Literal["start_canary"]
    version: VersionName
    weight: Weight
    owner: Text = Field(description="The rollout id or the person that holds the canary.")


class SetWeightBody(_Action):
    """Change the canary's weight."""

    action: Literal["set_weight"]
    weight: Weight


class StopCanaryBody(_Action):
    """End the canary; its traffic goes back to the champion."""

    action: Literal["stop_canary"]


class PromoteCanaryBody(_Action):
    """Make the canary the champion."""

    action: Literal["promote_canary"]


class AddShadowBody(_Action):
    """Mirror traffic to ``version``."""

    action: Literal["add_shadow"]
    version: VersionName


class RemoveShadowBody(_Action):
    """Stop mirroring traffic to ``version``."""

    action: Literal["remove_shadow"]
    version: VersionName


class RollbackBody(_Action):
    """End the canary, else restore the previous champion (or ``to``). Always allowed."""

    action: Literal["rollback"]
    to: VersionName | None = None


class SetRoutingBody(_Action):
    """Change the routing key and stickiness (refused while a canary runs)."""

    action: Literal["set_routing"]
    routing_key: RoutingKeyBody
    sticky: bool = True


DeploymentAction = Annotated[
    SetChampionBody | StartCanaryBody | SetWeightBody | StopCanaryBody | PromoteCanaryBody
    | AddShadowBody | RemoveShadowBody | RollbackBody | SetRoutingBody,
    Field(discriminator="action"),
]  # fmt: skip


class DeploymentChangeOut(BaseModel):
    """One recorded change: the action and its parameters, who, why, when, the state after."""

    revision: int
    action: str
    params: dict[str, Any]
    actor: str
    reason: str
    at: datetime
    state: DeploymentOut


class DeploymentHistory(BaseModel):
    """Changes, newest first; ``next_before`` pages further back (``?before=``)."""

    items: list[DeploymentChangeOut]
    next_before: int | None
