"""Alerts, silences and notifications: read them (``read``), acknowledge and silence (``admin``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.concurrency import run_in_threadpool

from driftpilot.server.dashboard import query
from driftpilot.server.deps import KeyFirstRoute, StoreDep, require
from driftpilot.server.routers._common import error_responses, to_micros
from driftpilot.server.schemas.alerts import (
    AckBody,
    AlertList,
    AlertOut,
    NotificationList,
    NotificationOut,
    SilenceBody,
    SilenceList,
    SilenceOut,
)
from driftpilot.store import Scope, now_us

__all__ = ["router"]

router = APIRouter(route_class=KeyFirstRoute, tags=["alerts"])
_read = [require(Scope.READ)]
_admin = [require(Scope.ADMIN)]
AlertId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The alert's id.")]
NotificationId = Annotated[
    int, Path(ge=1, le=2**63 - 1, description="The notification's outbox id.")
]
SilenceId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The silence's id.")]


@router.get(
    "/alerts", dependencies=_read,
    responses=error_responses(404, s404="No model named by 'model'."),
)  # fmt: skip
async def list_alerts(
    store: StoreDep,
    state: Annotated[str | None, Query(description="open, pending, firing, acknowledged, "
                                       "resolved, or silenced (open and matched by an "
                                       "active silence)")] = None,
    model: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AlertList:  # fmt: skip
    """List alerts, newest change first."""
    found = await run_in_threadpool(
        lambda: query.alerts(store, state=state, model=model, limit=limit)
    )
    return AlertList(items=[AlertOut.model_validate(v.alert.to_dict()) for v in found])


@router.get("/alerts/{alert_id}", dependencies=_read)
async def get_alert(alert_id: AlertId, store: StoreDep) -> AlertOut:
    """Return one alert with its findings."""
    return AlertOut.model_validate((await run_in_threadpool(store.alerts.get, alert_id)).to_dict())


@router.post(
    "/alerts/{alert_id}/ack", dependencies=_admin,
    responses=error_responses(409, s409="The alert is pending or resolved, not firing."),
)  # fmt: skip
async def acknowledge(alert_id: AlertId, store: StoreDep, body: AckBody | None = None) -> AlertOut:
    """Acknowledge a firing alert: no re-notification until it resolves."""
    by = body.by if body is not None else None
    alert = await run_in_threadpool(lambda: query.acknowledge(store, alert_id, by=by))
    return AlertOut.model_validate(alert.to_dict())


@router.get("/silences", dependencies=_read)
async def list_silences(
    store: StoreDep, active: Annotated[bool, Query(description="Only active now.")] = False
) -> SilenceList:
    """List silences, oldest first."""
    found = await run_in_threadpool(
        lambda: store.alerts.silences(active_at=now_us() if active else None)
    )
    return SilenceList(items=[SilenceOut.model_validate(s.to_dict()) for s in found])


@router.post("/silences", status_code=201, dependencies=_admin)
async def add_silence(body: SilenceBody, store: StoreDep) -> SilenceOut:
    """Silence matching notifications until ``ends_at`` (alerts still change state)."""
    ends = to_micros(body.ends_at)
    assert ends is not None
    silence = await run_in_threadpool(
        lambda: query.silence(
            store, dict(body.matchers), ends_at=ends, starts_at=to_micros(body.starts_at),
            created_by=body.created_by, comment=body.comment,
        )
    )  # fmt: skip
    return SilenceOut.model_validate(silence.to_dict())


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
) -> NotificationList:  # fmt: skip
    """List notifications, newest first; ``status=failed`` lists the dead letters."""
    found = await run_in_threadpool(lambda: store.alerts.notifications(status=status, limit=limit))
    return NotificationList(items=[NotificationOut.model_validate(n.to_dict()) for n in found])


@router.get("/notifications/dead-letters", dependencies=_admin)
async def list_dead_letters(
    store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> NotificationList:
    """List the dead letters (notifications given up on), newest first, with their last error."""
    found = await run_in_threadpool(
        lambda: store.alerts.notifications(status="failed", limit=limit)
    )
    return NotificationList(items=[NotificationOut.model_validate(n.to_dict()) for n in found])


@router.post("/notifications/dead-letters/retry", dependencies=_admin)
async def retry_all_dead_letters(store: StoreDep) -> dict[str, Any]:
    """Queue every dead letter to be sent again now, each with a fresh ``max_age``."""
    return {"queued": await run_in_threadpool(store.alerts.retry_dead_letters)}


@router.post("/notifications/{notification_id}/retry", dependencies=_admin)
async def retry_dead_letter(notification_id: NotificationId, store: StoreDep) -> dict[str, Any]:
    """Queue one dead letter (by its outbox id) to be sent again now."""
    return {"queued": await run_in_threadpool(store.alerts.retry_dead_letters, notification_id)}
