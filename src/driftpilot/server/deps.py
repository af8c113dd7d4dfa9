"""Dependencies of the routes: the settings, the store, and API-key checks by scope.

Tests replace any of them with ``app.dependency_overrides[get_store] = ...``.

The key is checked before anything else of the request is looked at. FastAPI reads and
decodes a typed JSON body before it solves any dependency, so a route's ``require(scope)``
alone would answer a request with a bad key and a malformed body 400 instead of 401. Routers
therefore use :class:`KeyFirstRoute`, which checks the key of every route that requires one
before FastAPI's own handler starts (the dependency then reuses that result).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from driftpilot.lifecycle import ArtifactStore
from driftpilot.server.settings import Settings
from driftpilot.store import ApiKeyRecord, Scope, Store

__all__ = [
    "ArtifactsDep",
    "KeyFirstRoute",
    "SettingsDep",
    "StoreDep",
    "caller_key_id",
    "get_artifacts",
    "get_settings",
    "get_store",
    "require",
]

_bearer = HTTPBearer(
    auto_error=False,
    description="An API key from `driftpilot keys create`: `Authorization: Bearer dp_...`.",
)


def get_settings(request: Request) -> Settings:
    """Return the settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> Store:
    """Return the app's store."""
    store: Store = request.app.state.store
    return store


def get_artifacts(request: Request) -> ArtifactStore:
    """Return the app's artifact store (model files of the registry)."""
    artifacts: ArtifactStore = request.app.state.artifacts
    return artifacts


def caller_key_id(request: Request) -> str | None:
    """Return the key id of the API key the request was admitted with (``None``: auth off)."""
    record: ApiKeyRecord | None = getattr(request.state, "api_key", None)
    return None if record is None else record.key_id


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
ArtifactsDep = Annotated[ArtifactStore, Depends(get_artifacts)]
_Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


_CHECKED = "driftpilot_key"  # request.state attribute: the key KeyFirstRoute verified


def require(scope: Scope) -> Any:
    """Return a dependency that admits requests with a key allowing ``scope`` (401/403 else).

    With ``auth`` off (``--no-auth``) every request is admitted. The key's record is left in
    ``request.state.api_key`` (``None`` with auth off) for routes that record who called.
    """

    def check(
        request: Request, settings: SettingsDep, store: StoreDep, credentials: _Credentials
    ) -> ApiKeyRecord | None:
        record: ApiKeyRecord | None = None
        if settings.auth:
            checked = getattr(request.state, _CHECKED, None)
            if checked is not None and checked[0] is scope:
                record = checked[1]
            else:
                secret = None if credentials is None else credentials.credentials
                record = store.keys.verify(secret, scope)
        request.state.api_key = record
        return record

    check.required_scope = scope  # type: ignore[attr-defined]  # read by KeyFirstRoute
    return Depends(check)


def _provided(request: Request, dependency: Callable[[Request], Any]) -> Any:
    """Call ``dependency``, or the override a test gave for it (with or without a request)."""
    provider = request.app.dependency_overrides.get(dependency, dependency)
    if inspect.signature(provider).parameters:
        return provider(request)
    return provider()


def _verify_first(request: Request, scope: Scope) -> None:
    settings: Settings = _provided(request, get_settings)
    if not settings.auth:
        return
    store: Store = _provided(request, get_store)
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    given = key.strip() if scheme.lower() == "bearer" else None
    setattr(request.state, _CHECKED, (scope, store.keys.verify(given or None, scope)))


class KeyFirstRoute(APIRoute):
    """A route that checks its API key (``require``) before FastAPI reads the body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Return FastAPI's handler behind a key check, for routes that require a key."""
        handler = super().get_route_handler()
        scopes: list[Scope] = [
            getattr(d.call, "required_scope")  # noqa: B009 - set by require, untyped
            for d in self.dependant.dependencies
            if getattr(d.call, "required_scope", None) is not None
        ]
        if not scopes:
            return handler
        scope = scopes[0]

        async def key_first(request: Request) -> Response:
            await run_in_threadpool(_verify_first, request, scope)
            return await handler(request)

        return key_first
