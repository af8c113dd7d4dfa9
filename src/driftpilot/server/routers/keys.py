"""API keys over HTTP (``admin``); ``driftpilot keys`` does the same on the database."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from driftpilot.server.deps import KeyFirstRoute, StoreDep, require
from driftpilot.server.routers._common import to_datetime
from driftpilot.server.schemas import KeyCreate, KeyList, KeyOut, NewKeyOut
from driftpilot.store import ApiKeyRecord, Scope, from_us

__all__ = ["router"]

router = APIRouter(route_class=KeyFirstRoute, tags=["keys"], dependencies=[require(Scope.ADMIN)])


def key_out(record: ApiKeyRecord) -> KeyOut:
    """Return a key's public part as its response body."""
    return KeyOut(
        id=record.id, key_id=record.key_id, name=record.name, scopes=sorted(record.scopes),
        created_at=from_us(record.created_at), revoked_at=to_datetime(record.revoked_at),
    )  # fmt: skip


@router.post("/keys", status_code=201)
async def create_key(body: KeyCreate, store: StoreDep) -> NewKeyOut:
    """Create a key; the response is the only time its secret is shown."""
    new = await run_in_threadpool(lambda: store.keys.create(body.scopes, name=body.name))
    return NewKeyOut(**key_out(new.record).model_dump(), key=new.key)


@router.get("/keys")
async def list_keys(store: StoreDep) -> KeyList:
    """List every key (never the secrets)."""
    return KeyList(items=[key_out(k) for k in await run_in_threadpool(store.keys.list_keys)])


@router.delete("/keys/{key_id}")
async def revoke_key(key_id: str, store: StoreDep) -> KeyOut:
    """Revoke a key (by its key id or number); it stops working at once."""
    return key_out(await run_in_threadpool(store.keys.revoke, key_id))
