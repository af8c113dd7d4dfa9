"""Alerts, silences and notifications: read them (``read``), acknowledge and silence (``admin``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from driftpilot.server.deps import KeyFirstRoute, StoreDep, require
from driftpilot.server.routers._common import ERRORS, to_micros
from driftpilot.store import Scope, now_us

__all__ = ["router"]

router = APIRouter(route_class=KeyFirstRoute, tags=["alerts"], responses=ERRORS)
_read = [require(Scope.READ)]
_admin = [require(Scope.ADMIN)]
AlertId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The alert's id.")]
NotificationId = Annotated[
    int, Path(ge=1, le=2**63 - 1, description="The notification's outbox id.")
]
SilenceId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The silence's id.")]


class AckBody(BaseModel):
    """Who acknowledges."""

    model_config = ConfigDict(extra="forbid")
    by: str | None = Field(None, max_length=200)


class SilenceBody(BaseModel):
    """A silence: matchers on notification labels (``~`` starts a regex) and an end."""

    model_config = ConfigDict(extra="forbid")
    matchers: dict[str, str] = Field(min_length=1, description="e.g. {'model': 'loans'}")
    ends_at: AwareDatetime
    starts_at: AwareDatetime | None = None
    created_by: str | None = Field(None, max_length=200)
    comment: str | None = Field(None, max_length=2000)


@router.get("/alerts", dependencies=_read)
async def list_alerts(
    store: StoreDep,
    state: Annotated[str | None, Query(description="open, pending, firing, acknowledged, "
                                       "resolved")] = None,
    model: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:  # fmt: skip
    """List alerts, newest change first."""
    found = await run_in_threadpool(
        lambda: store.alerts.list_alerts(state=state, model=model, limit=limit)
    )
    return {"items": [a.to_dict() for a in found]}


@router.get("/alerts/{alert_id}", dependencies=_read)
async def get_alert(alert_id: AlertId, store: StoreDep) -> dict[str, Any]:
    """Return one alert with its findings."""
    return (await run_in_threadpool(store.alerts.get, alert_id)).to_dict()


@router.post("/alerts/{alert_id}/ack", dependencies=_admin)
async def acknowledge(
    alert_id: int, store: StoreDep, body: AckBody | None = None
) -> dict[str, Any]:
    """Acknowledge a firing alert: no re-notification until it resolves."""
    by = body.by if body is not None else None
    return (await run_in_threadpool(lambda: store.alerts.acknowledge(alert_id, by=by))).to_dict()


@router.get("/silences", dependencies=_read)
async def list_silences(
    store: StoreDep, active: Annotated[bool, Query(description="Only active now.")] = False
) -> dict[str, Any]:
    """List silences."""
    found = await run_in_threadpool(
        lambda: store.alerts.silences(active_at=now_us() if active else None)
    )
    return {"items": [s.to_dict() for s in found]}


@router.post("/silences", status_code=201, dependencies=_admin)
async def add_silence(body: SilenceBody, store: StoreDep) -> dict[str, Any]:
    """Silence matching notifications until ``ends_at`` (alerts still change state)."""
    ends = to_micros(body.ends_at)
    assert ends is not None
    silence = await run_in_threadpool(
        lambda: store.alerts.add_silence(
            body.matchers, ends_at=ends, starts_at=to_micros(body.starts_at),
            created_by=body.created_by, comment=body.comment,
        )
    )  # fmt: skip
    return silence.to_dict()


@router.delete("/silences/{silence_id}", status_code=204, dependencies=_admin)
async def expire_silence(silence_id: SilenceId, store: StoreDep) -> Response:
    """End a silence now."""
    await run_in_threadpool(store.alerts.expire_silence, silence_id)
    return Response(status_code=204)


@router.get("/notifications", dependencies=_read)
async def list_notifications(
    store: StoreDep,
    status: Annotated[str | None, Query(description="pending, sent, failed (dead letters), "
                                        "suppressed")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:  # fmt: skip
    """List notifications, newest first; ``status=failed`` lists the dead letters."""
    found = await run_in_threadpool(lambda: store.alerts.notifications(status=status, limit=limit))
    return {"items": [n.to_dict() for n in found]}


@router.get("/notifications/dead-letters", dependencies=_admin)
async def list_dead_letters(
    store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    """List the dead letters (notifications given up on), newest first, with their last error."""
    found = await run_in_threadpool(
        lambda: store.alerts.notifications(status="failed", limit=limit)
    )
    return {"items": [n.to_dict() for n in found]}


@router.post("/notifications/dead-letters/retry", dependencies=_admin)
async def retry_all_dead_letters(store: StoreDep) -> dict[str, Any]:
    """Queue every dead letter to be sent again now, each with a fresh ``max_age``."""
    return {"queued": await run_in_threadpool(store.alerts.retry_dead_letters)}


@router.post("/notifications/{notification_id}/retry", dependencies=_admin)
async def retry_dead_letter(notification_id: NotificationId, store: StoreDep) -> dict[str, Any]:
    """Queue one dead letter (by its outbox id) to be sent again now."""
    return {"queued": await run_in_threadpool(store.alerts.retry_dead_letters, notification_id)}
