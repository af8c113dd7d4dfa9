"""The model registry over HTTP: register versions with artifacts, statuses, aliases.

Concurrency: every record that can change has a ``revision``, returned as its ``ETag``
(``"3"``). A write that changes an existing record sends it back as ``If-Match: "3"``; a
stale one is answered 409 ``stale_revision`` (``details``: expected and current), a missing
one 428 ``precondition_required``. Exceptions: setting an alias never set before needs no
``If-Match`` (two racing creators: one wins, the other gets 409), and attaching a report is
an append, so its ``If-Match`` is optional (checked when sent).

Registering (``PUT .../versions/{version}/artifact``) takes either ``multipart/form-data``
with the ``file`` and a ``manifest`` part (JSON: flavor, sha256, signature, lineage, ...), or
JSON with the ``uri`` of a file already under the artifact store. Either way the bytes are
hashed and must match ``sha256`` (422 ``checksum_mismatch`` otherwise). Downloads are
checked against the recorded SHA-256 before the first byte is sent.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from driftpilot.errors import InvalidParameterError, PreconditionRequiredError, RequestFormatError
from driftpilot.lifecycle import (
    Alias,
    AliasMove,
    Artifact,
    ArtifactStore,
    Lineage,
    ModelVersion,
    Signature,
    VersionMetrics,
    VersionStatus,
    check_flavor,
    check_sha256,
)
from driftpilot.server.deps import ArtifactsDep, KeyFirstRoute, StoreDep, caller_key_id, require
from driftpilot.server.routers._common import error_responses, to_micros
from driftpilot.server.schemas import (
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
from driftpilot.store import Scope, from_us

__all__ = ["router"]

router = APIRouter(route_class=KeyFirstRoute, tags=["registry"])
ADMIN, READ = require(Scope.ADMIN), require(Scope.READ)
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description='The ETag (revision) the change is based on: "3".'),
]
_WRITE = error_responses(
    409, 428,
    s409="The change is not allowed in the record's state, or the revision is stale "
    "(code stale_revision).",
)  # fmt: skip
_VERSION = "/models/{model}/versions/{version}"
_ALIAS = "/models/{model}/aliases/{alias}"
_REGISTER_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/RegisterBody"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "manifest": {
                            "type": "string",
                            "contentMediaType": "application/json",
                            "description": "A RegisterManifest (see its schema) as JSON text.",
                        },
                    },
                    "required": ["file", "manifest"],
                }
            },
        },
    }
}


def parse_if_match(value: str | None) -> int | None:
    """Return the revision in an ``If-Match`` header (``"3"``, ``W/"3"`` or ``3``)."""
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 18:
        raise InvalidParameterError(
            "The 'If-Match' header must be the ETag of the record, a revision like \"3\". "
            f"Got {value[:60]!r} instead."
        )
    return int(text)


def _required(value: str | None, what: str) -> int:
    revision = parse_if_match(value)
    if revision is None:
        raise PreconditionRequiredError(
            f"Changing {what} needs the revision it is based on: send If-Match with the ETag "
            'of a GET (If-Match: "3").'
        )
    return revision


def _actor(request: Request, given: str | None) -> str:
    key = caller_key_id(request)
    caller = f"key:{key}" if key else "anonymous"
    return f"{given} ({caller})" if given else caller


def _tagged(body: Any, revision: int, status: int = 200) -> JSONResponse:
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, headers={"ETag": f'"{revision}"'}
    )


def _time(value: int | None) -> Any:
    return None if value is None else from_us(value)


def version_out(record: ModelVersion) -> ModelVersionOut:
    """Return a registered version as its response body."""
    lineage = record.lineage
    artifact = record.artifact
    return ModelVersionOut(
        model=record.model, version=record.version, status=record.status,
        revision=record.revision,
        artifact=None if artifact is None else ArtifactOut(**artifact.to_dict()),
        signature=SignatureBody(**record.signature.to_dict()),
        lineage=LineageBody(
            data_fingerprint=lineage.data_fingerprint, data_start=_time(lineage.data_start),
            data_end=_time(lineage.data_end), code_version=lineage.code_version,
            parameters=lineage.parameters, run_id=lineage.run_id,
            baseline_id=lineage.baseline_id,
        ),
        metrics=MetricsBody(**record.metrics.to_dict()), description=record.description,
        tags=record.tags, aliases=list(record.aliases),
        reports=[
            ReportOut(id=r.id, name=r.name, document=r.document, created_by=r.created_by,
                      created_at=from_us(r.created_at))
            for r in record.reports
        ],
        created_by=record.created_by, created_at=from_us(record.created_at),
        registered_at=_time(record.registered_at),
    )  # fmt: skip


def alias_out(record: Alias) -> AliasOut:
    """Return an alias as its response body."""
    return AliasOut(alias=record.alias, version=record.version, revision=record.revision,
                    updated_at=from_us(record.updated_at))  # fmt: skip


def move_out(record: AliasMove) -> AliasMoveOut:
    """Return an alias move as its response body."""
    return AliasMoveOut(
        id=record.id, alias=record.alias, version=record.version, previous=record.previous,
        actor=record.actor, reason=record.reason, revision=record.revision,
        rollback=record.rollback, moved_at=from_us(record.moved_at),
    )  # fmt: skip


def _manifest_parts(manifest: RegisterManifest) -> dict[str, Any]:
    lineage = manifest.lineage
    return {
        "signature": Signature(**manifest.signature.model_dump()),
        "lineage": Lineage(
            data_fingerprint=lineage.data_fingerprint, data_start=to_micros(lineage.data_start),
            data_end=to_micros(lineage.data_end), code_version=lineage.code_version,
            parameters=lineage.parameters, run_id=lineage.run_id,
            baseline_id=lineage.baseline_id,
        ),
        "metrics": VersionMetrics(**manifest.metrics.model_dump()),
        "description": manifest.description,
        "tags": manifest.tags,
    }  # fmt: skip


async def _upload(
    request: Request, model: str, artifacts: ArtifactStore
) -> tuple[RegisterManifest, Artifact]:
    try:
        form = await request.form(max_files=1, max_fields=5)
    except MultiPartException as err:
        raise RequestFormatError(f"The multipart body cannot be read: {err.message}") from None
    try:
        upload, text = form.get("file"), form.get("manifest")
        if not isinstance(upload, UploadFile):
            raise _missing("file", "the artifact file is required")
        if not isinstance(text, str):
            raise _missing("manifest", "the manifest (JSON text) is required")
        try:
            manifest = RegisterManifest.model_validate_json(text)
        except ValidationError as err:
            raise RequestValidationError(
                [{**e, "loc": ("body", "manifest", *e["loc"])} for e in err.errors()]
            ) from None
        check_flavor(manifest.flavor, manifest.options)
        stored = await run_in_threadpool(
            artifacts.put, model, upload.file, filename=upload.filename or "model.bin",
            sha256=manifest.sha256,
        )  # fmt: skip
    finally:
        await form.close()
    artifact = Artifact(uri=stored.uri, flavor=manifest.flavor, size=stored.size,
                        sha256=stored.sha256, options=manifest.options)  # fmt: skip
    return manifest, artifact


def _missing(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": "missing"}])


async def _by_uri(request: Request, artifacts: ArtifactStore) -> tuple[RegisterManifest, Artifact]:
    raw = await request.body()
    try:
        body = RegisterBody.model_validate_json(raw)
    except ValidationError as err:
        if any(e["type"] == "json_invalid" for e in err.errors()):
            raise RequestFormatError("The request body is not valid JSON.") from None
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in err.errors()]
        ) from None
    check_flavor(body.flavor, body.options)
    stored = await run_in_threadpool(
        artifacts.check_existing, body.uri, sha256=check_sha256(body.sha256)
    )
    artifact = Artifact(uri=stored.uri, flavor=body.flavor, size=stored.size,
                        sha256=stored.sha256, options=body.options)  # fmt: skip
    return body, artifact


@router.put(
    _VERSION + "/artifact", status_code=201, response_model=ModelVersionOut,
    openapi_extra=_REGISTER_BODY, dependencies=[ADMIN],
    responses=error_responses(409, s409="The version has a registered artifact already."),
)  # fmt: skip
async def register_version(
    model: str, version: str, request: Request, store: StoreDep, artifacts: ArtifactsDep
) -> Any:
    """Register a version with its artifact (an upload, or a URI under the artifact store)."""
    await run_in_threadpool(store.models.get_model, model)  # 404 before reading an upload
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        manifest, artifact = await _upload(request, model, artifacts)
    else:
        manifest, artifact = await _by_uri(request, artifacts)
    record = await run_in_threadpool(
        lambda: store.registry.register_version(
            model, version, artifact=artifact, created_by=_actor(request, manifest.actor),
            **_manifest_parts(manifest),
        )
    )  # fmt: skip
    return _tagged(version_out(record), record.revision, 201)


@router.get(_VERSION, response_model=ModelVersionOut, dependencies=[READ])
async def get_version(model: str, version: str, store: StoreDep) -> Any:
    """Return a version with its artifact, lineage, metrics, status, aliases and reports."""
    record = await run_in_threadpool(store.registry.get_version, model, version)
    return _tagged(version_out(record), record.revision)


@router.get(_VERSION + "/artifact", dependencies=[READ],
            response_class=FileResponse,
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "The artifact's bytes, checked."}})  # fmt: skip
async def download_artifact(
    model: str, version: str, store: StoreDep, artifacts: ArtifactsDep, tasks: BackgroundTasks
) -> Any:
    """Download a version's artifact, checked against its SHA-256 (422 if it was altered)."""
    record = await run_in_threadpool(store.registry.get_version, model, version)
    if record.artifact is None:
        raise InvalidParameterError(
            f"Version {version!r} of model {model!r} has no registered artifact."
        )
    folder = Path(tempfile.mkdtemp(prefix="driftpilot-download-"))
    name = record.artifact.uri.rsplit("/", 1)[-1] or "model.bin"
    try:
        path = await run_in_threadpool(artifacts.fetch, record.artifact, folder / name)
    except BaseException:
        _remove(folder)
        raise
    tasks.add_task(_remove, folder)
    return FileResponse(
        path, media_type="application/octet-stream", filename=name,
        headers={"ETag": f'"{record.artifact.sha256}"',
                 "X-Checksum-SHA256": record.artifact.sha256},
    )  # fmt: skip


def _remove(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink(missing_ok=True)
    folder.rmdir()


@router.post(_VERSION + "/status", response_model=ModelVersionOut, dependencies=[ADMIN],
             responses=_WRITE)  # fmt: skip
async def set_status(
    model: str, version: str, body: StatusChange, request: Request, store: StoreDep,
    if_match: IfMatch = None,
) -> Any:  # fmt: skip
    """Change a version's status (registered → validated/rejected → archived)."""
    expected = _required(if_match, f"version {version!r}")
    record = await run_in_threadpool(
        lambda: store.registry.set_status(
            model, version, body.status, expected_revision=expected,
            actor=_actor(request, body.actor), reason=body.reason,
        )
    )  # fmt: skip
    return _tagged(version_out(record), record.revision)


@router.post(_VERSION + "/archive", response_model=ModelVersionOut, dependencies=[ADMIN],
             responses=_WRITE)  # fmt: skip
async def archive_version(
    model: str, version: str, body: ArchiveBody, request: Request, store: StoreDep,
    if_match: IfMatch = None,
) -> Any:  # fmt: skip
    """Archive a version (final; refused while an alias points at it)."""
    expected = _required(if_match, f"version {version!r}")
    record = await run_in_threadpool(
        lambda: store.registry.set_status(
            model, version, VersionStatus.ARCHIVED, expected_revision=expected,
            actor=_actor(request, body.actor), reason=body.reason,
        )
    )  # fmt: skip
    return _tagged(version_out(record), record.revision)


@router.post(_VERSION + "/reports", status_code=201, response_model=ModelVersionOut,
             dependencies=[ADMIN], responses=_WRITE)  # fmt: skip
async def attach_report(
    model: str, version: str, body: ReportIn, request: Request, store: StoreDep,
    if_match: IfMatch = None,
) -> Any:  # fmt: skip
    """Attach a report (an evaluation) to a version; If-Match is optional (an append)."""
    expected = parse_if_match(if_match)
    record = await run_in_threadpool(
        lambda: store.registry.attach_report(
            model, version, name=body.name, document=body.document,
            created_by=_actor(request, body.actor), expected_revision=expected,
        )
    )  # fmt: skip
    return _tagged(version_out(record), record.revision, 201)


@router.get("/models/{model}/aliases", dependencies=[READ])
async def list_aliases(model: str, store: StoreDep) -> AliasList:
    """List the model's aliases that point at a version."""
    found = await run_in_threadpool(store.registry.list_aliases, model)
    return AliasList(items=[alias_out(a) for a in found])


@router.get(_ALIAS, response_model=AliasOut, dependencies=[READ])
async def get_alias(model: str, alias: str, store: StoreDep) -> Any:
    """Return an alias and its revision (as ETag); a removed alias has a null version."""
    record = await run_in_threadpool(store.registry.get_alias, model, alias)
    return _tagged(alias_out(record), record.revision)


@router.put(_ALIAS, response_model=AliasMoveOut, dependencies=[ADMIN], responses=_WRITE)
async def set_alias(
    model: str, alias: str, body: AliasSet, request: Request, store: StoreDep,
    if_match: IfMatch = None,
) -> Any:  # fmt: skip
    """Point an alias at a version; If-Match is required unless the alias was never set."""
    expected = parse_if_match(if_match)
    move = await run_in_threadpool(
        lambda: store.registry.move_alias(
            model, alias, body.version, expected_revision=expected,
            actor=_actor(request, body.actor), reason=body.reason,
        )
    )  # fmt: skip
    return _tagged(move_out(move), move.revision)


@router.delete(_ALIAS, response_model=AliasMoveOut, dependencies=[ADMIN], responses=_WRITE)
async def remove_alias(
    model: str, alias: str, request: Request, store: StoreDep,
    reason: Annotated[str, Query(min_length=1, max_length=2000, description="Why.")],
    actor: Annotated[str | None, Query(min_length=1, max_length=120)] = None,
    if_match: IfMatch = None,
) -> Any:  # fmt: skip
    """Remove an alias (recorded: a rollback restores it)."""
    expected = _required(if_match, f"alias {alias!r}")
    move = await run_in_threadpool(
        lambda: store.registry.move_alias(
            model, alias, None, expected_revision=expected, actor=_actor(request, actor),
            reason=reason,
        )
    )  # fmt: skip
    return _tagged(move_out(move), move.revision)


@router.post(_ALIAS + "/rollback", response_model=AliasMoveOut, dependencies=[ADMIN],
             responses=_WRITE)  # fmt: skip
async def rollback_alias(
    model: str, alias: str, body: RollbackBody, request: Request, store: StoreDep,
    if_match: IfMatch = None,
) -> Any:  # fmt: skip
    """Move an alias back to the version it pointed at before (or to ``to``)."""
    expected = _required(if_match, f"alias {alias!r}")
    move = await run_in_threadpool(
        lambda: store.registry.rollback_alias(
            model, alias, expected_revision=expected, actor=_actor(request, body.actor),
            reason=body.reason, to=body.to,
        )
    )  # fmt: skip
    return _tagged(move_out(move), move.revision)


@router.get(_ALIAS + "/history", dependencies=[READ])
async def alias_history(
    model: str, alias: str, store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many moves.")] = 100,
) -> AliasMoveList:  # fmt: skip
    """Return an alias's moves, newest first."""
    moves = await run_in_threadpool(lambda: store.registry.alias_history(model, alias, limit=limit))
    return AliasMoveList(items=[move_out(m) for m in moves])
