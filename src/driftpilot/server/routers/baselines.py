"""A version's baseline: upload a saved baseline or profile, or a data file to profile.

``PUT`` takes either ``application/json`` (a document written by ``Baseline.save`` or
``Profile.save``, checked like ``driftpilot.load``) or ``multipart/form-data`` with a
``file`` (Parquet, or CSV) and optional ``target`` and ``prediction`` column names, which
the service profiles with ``driftpilot.baseline``. The version is created if needed.
"""

from __future__ import annotations

import io
import json
from pathlib import PurePath
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from driftpilot.errors import ProfileFormatError, RequestFormatError, UnsupportedDataError
from driftpilot.profile import Baseline, Profile
from driftpilot.profile import baseline as make_baseline
from driftpilot.server.deps import KeyFirstRoute, StoreDep, require
from driftpilot.server.schemas import BaselineOut
from driftpilot.store import BaselineRecord, Scope, from_us

__all__ = ["router"]

router = APIRouter(route_class=KeyFirstRoute, tags=["baselines"])

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "A saved baseline or profile (Baseline.save, Profile.save).",
                    "properties": {
                        "schema_version": {"type": "integer"},
                        "kind": {"type": "string", "enum": ["baseline", "profile"]},
                    },
                    "required": ["schema_version", "kind"],
                }
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "target": {"type": "string"},
                        "prediction": {"type": "string"},
                    },
                    "required": ["file"],
                }
            },
        },
    }
}


def baseline_out(record: BaselineRecord) -> BaselineOut:
    """Return a stored baseline as its response body."""
    return BaselineOut(
        id=record.id, model=record.model, version=record.version, kind=record.kind,
        fingerprint=record.fingerprint, n_rows=record.n_rows, created_at=from_us(record.created_at),
    )  # fmt: skip


@router.put(
    "/models/{model}/versions/{version}/baseline",
    status_code=201,
    response_model=BaselineOut,
    openapi_extra=_UPLOAD_BODY,
    dependencies=[require(Scope.ADMIN)],
)
async def put_baseline(model: str, version: str, request: Request, store: StoreDep) -> Any:
    """Set the baseline of a version: a saved document, or a data file the service profiles."""
    content_type = request.headers.get("content-type", "")
    document: Baseline | Profile
    if content_type.startswith("multipart/form-data"):
        document = await _from_upload(request, model, version)
    else:
        body = await request.body()
        document = await run_in_threadpool(_from_json, body)
    record = await run_in_threadpool(store.models.put_baseline, model, version, document)
    return JSONResponse(baseline_out(record).model_dump(mode="json"), status_code=201)


@router.get("/models/{model}/versions/{version}/baseline", dependencies=[require(Scope.READ)])
async def get_baseline(model: str, version: str, store: StoreDep) -> dict[str, Any]:
    """Return the version's current baseline (or profile) document."""
    document = await run_in_threadpool(store.models.get_baseline, model, version)
    return document.to_dict()


def _from_json(body: bytes) -> Baseline | Profile:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise RequestFormatError(f"The request body is not valid JSON: {err}") from None
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind == "baseline":
        return Baseline.from_dict(data)
    if kind == "profile":
        return Profile.from_dict(data)
    raise ProfileFormatError(
        "The body must be a saved baseline or profile (its 'kind' is 'baseline' or 'profile'), "
        "or a multipart upload of a data file. Got kind "
        f"{kind!r}."
    )


async def _from_upload(request: Request, model: str, version: str) -> Baseline:
    try:
        form = await request.form(max_files=1, max_fields=10)
    except MultiPartException as err:
        raise RequestFormatError(f"The multipart body cannot be read: {err.message}") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise RequestValidationError(
                [{"loc": ("body", "file"), "msg": "a data file is required", "type": "missing"}]
            )
        data = await upload.read()
        columns = {}
        for role in ("target", "prediction"):
            value = form.get(role)
            columns[role] = value if isinstance(value, str) and value else None
        name = upload.filename or ""
    finally:
        await form.close()
    return await run_in_threadpool(_profile_file, data, name, model, version, columns)


def _profile_file(
    data: bytes, name: str, model: str, version: str, columns: dict[str, str | None]
) -> Baseline:
    table = _read_table(data, name)
    return make_baseline(
        table, target=columns["target"], prediction=columns["prediction"], model_name=model,
        model_version=version,
    )  # fmt: skip


def _read_table(data: bytes, name: str) -> pa.Table:
    suffix = PurePath(name).suffix.lower()
    is_parquet = data[:4] == b"PAR1" or suffix in (".parquet", ".pq")
    try:
        if is_parquet:
            table = pq.read_table(pa.BufferReader(data))
        else:
            delimiter = "\t" if suffix == ".tsv" else ","
            table = pa_csv.read_csv(
                io.BytesIO(data), parse_options=pa_csv.ParseOptions(delimiter=delimiter)
            )
        table.column_names  # noqa: B018 - column names that are not UTF-8 fail here
        return table
    except (
        pa.ArrowInvalid,
        pa.ArrowTypeError,
        pa.ArrowNotImplementedError,
        OSError,
        UnicodeDecodeError,
    ) as err:
        kind = "Parquet" if is_parquet else "CSV"
        raise UnsupportedDataError(
            f"The uploaded file {name!r} cannot be read as {kind}: {err}"
        ) from None
