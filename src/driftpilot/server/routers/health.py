"""``/healthz`` (the process is alive) and ``/readyz`` (the database is reachable and current)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from driftpilot.server._errors import error_response
from driftpilot.server.deps import StoreDep
from driftpilot.store import migrate

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    """Answer 200 while the process serves requests."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness",
    responses={503: {"description": "Database unreachable or schema not at the newest revision."}},
)
async def readyz(store: StoreDep) -> Any:
    """Answer 200 when the database is reachable and its schema is current, else 503."""
    try:
        current = await run_in_threadpool(store.is_current)
    except sa.exc.SQLAlchemyError as err:
        return error_response(503, "not_ready", f"The database is unreachable: {err}")
    if not current:
        return error_response(
            503,
            "not_ready",
            "The database schema is not at the newest revision; run 'driftpilot db upgrade'.",
            {"head": migrate.head_revision()},
        )
    return JSONResponse({"status": "ready", "revision": migrate.head_revision()})
