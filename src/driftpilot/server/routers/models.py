"""Models and their versions (``admin`` to change, ``read`` to look)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from driftpilot.lifecycle import VersionStatus
from driftpilot.server.deps import KeyFirstRoute, StoreDep, require
from driftpilot.server.routers._common import error_responses
from driftpilot.server.schemas import (
    FeatureSchemaBody,
    ModelCreate,
    ModelList,
    ModelOut,
    VersionCreate,
    VersionList,
    VersionOut,
)
from driftpilot.store import FeatureSchema, ModelRecord, Scope, VersionRecord, from_us

__all__ = ["router"]

router = APIRouter(route_class=KeyFirstRoute, tags=["models"])
ADMIN, READ = require(Scope.ADMIN), require(Scope.READ)


def model_out(record: ModelRecord) -> ModelOut:
    """Return a model as its response body."""
    schema = record.feature_schema
    return ModelOut(
        name=record.name,
        task=record.task,
        feature_schema=None
        if schema is None
        else FeatureSchemaBody.model_validate(schema.to_dict()),
        created_at=from_us(record.created_at),
    )


def version_out(record: VersionRecord) -> VersionOut:
    """Return a version as its response body."""
    return VersionOut(
        version=record.version,
        created_at=from_us(record.created_at),
        baseline_id=record.baseline_id,
    )


@router.post(
    "/models", status_code=201, dependencies=[ADMIN],
    responses=error_responses(409, s409="A model with that name exists."),
)  # fmt: skip
async def create_model(body: ModelCreate, store: StoreDep) -> ModelOut:
    """Create a model: its name, task and (optionally) the declared feature schema."""
    schema = (
        None if body.feature_schema is None
        else FeatureSchema.from_dict(body.feature_schema.model_dump())
    )  # fmt: skip
    record = await run_in_threadpool(store.models.create_model, body.name, body.task, schema)
    return model_out(record)


@router.get("/models", dependencies=[READ])
async def list_models(store: StoreDep) -> ModelList:
    """List every model."""
    return ModelList(
        items=[model_out(m) for m in await run_in_threadpool(store.models.list_models)]
    )


@router.get("/models/{model}", dependencies=[READ])
async def get_model(model: str, store: StoreDep) -> ModelOut:
    """Return one model."""
    return model_out(await run_in_threadpool(store.models.get_model, model))


@router.delete("/models/{model}", status_code=204, dependencies=[ADMIN])
async def delete_model(
    model: str,
    store: StoreDep,
    confirm: Annotated[str | None, Query(description="The model's name again.")] = None,
) -> Response:
    """Delete a model and all its data (events, labels, baselines, profiles)."""
    await run_in_threadpool(lambda: store.models.delete_model(model, confirm=confirm))
    return Response(status_code=204)


@router.post(
    "/models/{model}/versions", status_code=201, dependencies=[ADMIN],
    responses=error_responses(409, s409="The model already has that version."),
)  # fmt: skip
async def create_version(model: str, body: VersionCreate, store: StoreDep) -> VersionOut:
    """Register a model version (events also register the versions they name)."""
    return version_out(await run_in_threadpool(store.models.create_version, model, body.version))


@router.get("/models/{model}/versions", dependencies=[READ])
async def list_versions(
    model: str,
    store: StoreDep,
    status: Annotated[VersionStatus | None, Query(description="Only versions in it.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
) -> VersionList:
    """List a model's versions, oldest first, a page at a time (with registry status)."""

    def page() -> VersionList:
        found = store.registry.list_versions(model, status=status, limit=limit, cursor=cursor)
        items = [
            VersionOut(
                version=v.version,
                created_at=from_us(v.created_at),
                baseline_id=v.baseline_id,
                status=v.status,
                revision=v.revision,
                flavor=v.flavor,
                sha256=v.sha256,
                registered_at=None if v.registered_at is None else from_us(v.registered_at),
                aliases=list(v.aliases),
            )
            for v in found.items
        ]
        return VersionList(items=items, next_cursor=found.next_cursor)

    return await run_in_threadpool(page)
