"""A model's deployment (``read`` to look, ``admin`` to change) and its history.

Decisions:

* ``GET /v1/models/{model}/deployment`` answers the state with ``ETag: "<revision>"``; with
  ``If-None-Match`` naming the current revision it answers 304 and no body, which is what
  routers poll every few seconds. A model nothing was deployed for is revision 0, no
  champion.
* Every change is one ``PATCH`` whose body names the ``action`` (``set_champion``,
  ``start_canary``, ``set_weight``, ``stop_canary``, ``promote_canary``, ``add_shadow``,
  ``remove_shadow``, ``rollback``, ``set_routing``) with its fields and a ``reason``: one
  route for the one state machine. ``If-Match: "<revision>"`` makes it conditional (409 when
  stale); without it the action applies to the current state, still checked atomically.
  A transition the state does not allow is also a 409; a version the model lacks is a 404.
* The recorded ``actor`` is the body's ``actor``, else ``key:<key id>`` of the caller (or
  ``anonymous`` with auth off).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from driftpilot.errors import InvalidParameterError
from driftpilot.lifecycle import (
    AddShadow,
    Deployment,
    DeploymentChange,
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
)
from driftpilot.server.deps import KeyFirstRoute, StoreDep, caller_key_id, require
from driftpilot.server.routers._common import error_responses
from driftpilot.server.schemas.deployments import (
    AddShadowBody,
    CanaryOut,
    DeploymentAction,
    DeploymentChangeOut,
    DeploymentHistory,
    DeploymentOut,
    PromoteCanaryBody,
    RemoveShadowBody,
    RollbackBody,
    RoutingKeyBody,
    SetChampionBody,
    SetRoutingBody,
    SetWeightBody,
    StartCanaryBody,
    StopCanaryBody,
)
from driftpilot.store import Scope

__all__ = ["etag", "router"]

router = APIRouter(route_class=KeyFirstRoute, tags=["deployments"])
ADMIN, READ = require(Scope.ADMIN), require(Scope.READ)
_REVISION = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


def etag(revision: int) -> str:
    """Return the ETag of a deployment revision."""
    return f'"{revision}"'


def _revision(header: str | None, name: str) -> int | None:
    if header is None or header.strip() == "*":
        return None
    match = _REVISION.match(header)
    if match is None:
        raise InvalidParameterError(
            f'The {name} header must be a deployment revision as its ETag, e.g. "3". '
            f"Got {header!r} instead."
        )
    return int(match.group(1))


def deployment_out(state: Deployment) -> DeploymentOut:
    """Return a deployment as its response body."""
    canary = state.canary
    return DeploymentOut(
        model=state.model,
        revision=state.revision,
        champion=state.champion,
        canary=None
        if canary is None
        else CanaryOut(version=canary.version, weight=canary.weight, owner=canary.owner),
        shadows=list(state.shadows),
        routing_key=RoutingKeyBody(kind=state.routing_key.kind, name=state.routing_key.name),
        sticky=state.sticky,
        previous_champion=state.previous_champion,
    )


def _change_out(change: DeploymentChange) -> DeploymentChangeOut:
    return DeploymentChangeOut(
        revision=change.revision,
        action=change.action,
        params=dict(change.params),
        actor=change.actor,
        reason=change.reason,
        at=change.at,
        state=deployment_out(change.state),
    )


def transition_of(body: DeploymentAction) -> Transition:
    """Return the lifecycle transition a PATCH body asks for."""
    match body:
        case SetChampionBody(version=version):
            return SetChampion(version=version)
        case StartCanaryBody(version=version, weight=weight, owner=owner):
            return StartCanary(version=version, weight=weight, owner=owner)
        case SetWeightBody(weight=weight):
            return SetWeight(weight=weight)
        case StopCanaryBody():
            return StopCanary()
        case PromoteCanaryBody():
            return PromoteCanary()
        case AddShadowBody(version=version):
            return AddShadow(version=version)
        case RemoveShadowBody(version=version):
            return RemoveShadow(version=version)
        case RollbackBody(to=to):
            return Rollback(to=to)
        case SetRoutingBody(routing_key=key, sticky=sticky):
            return SetRouting(routing_key=RoutingKey(kind=key.kind, name=key.name), sticky=sticky)
    raise AssertionError(f"unhandled action {body!r}")  # pragma: no cover - the union is closed


@router.get(
    "/models/{model}/deployment",
    dependencies=[READ],
    response_model=DeploymentOut,
    responses={304: {"description": "Unchanged since the revision in If-None-Match."}},
)
async def get_deployment(
    model: str,
    store: StoreDep,
    response: Response,
    if_none_match: Annotated[str | None, Header(description='A revision, e.g. "3".')] = None,
) -> DeploymentOut | Response:
    """Return the model's deployment (revision 0 and no champion if never set), with its ETag."""
    known = _revision(if_none_match, "If-None-Match")
    if known is not None:
        revision = await run_in_threadpool(store.deployments.revision, model)
        if revision == known:
            return Response(status_code=304, headers={"ETag": etag(revision)})
    state = await run_in_threadpool(store.deployments.get, model)
    response.headers["ETag"] = etag(state.revision)
    return deployment_out(state)


@router.patch(
    "/models/{model}/deployment",
    dependencies=[ADMIN],
    responses=error_responses(
        409, s409="The revision in If-Match is stale, or the state does not allow the action."
    ),
)
async def change_deployment(
    model: str,
    body: Annotated[DeploymentAction, Body()],
    store: StoreDep,
    request: Request,
    response: Response,
    if_match: Annotated[str | None, Header(description='The revision read, e.g. "3".')] = None,
) -> DeploymentOut:
    """Change the deployment through one action of its state machine (recorded with the reason)."""
    expected = _revision(if_match, "If-Match")
    key_id = caller_key_id(request)
    actor = body.actor or ("anonymous" if key_id is None else f"key:{key_id}")
    state, _ = await run_in_threadpool(
        lambda: store.deployments.change(
            model,
            transition_of(body),
            actor=actor,
            reason=body.reason,
            expected_revision=expected,
        )
    )
    response.headers["ETag"] = etag(state.revision)
    return deployment_out(state)


@router.get("/models/{model}/deployment/history", dependencies=[READ])
async def deployment_history(
    model: str,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[
        int | None, Query(ge=1, le=2**62, description="Only revisions below this.")
    ] = None,
) -> DeploymentHistory:
    """List the deployment's changes, newest first."""
    changes = await run_in_threadpool(
        lambda: store.deployments.history(model, limit=limit, before=before)
    )
    more = len(changes) == limit and changes[-1].revision > 1
    return DeploymentHistory(
        items=[_change_out(c) for c in changes],
        next_before=changes[-1].revision if more else None,
    )
