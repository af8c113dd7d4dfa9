"""Dependencies of the routes: the settings, the store, and API-key checks by scope.

Tests replace any of them with ``app.dependency_overrides[get_store] = ...``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from driftpilot.server.settings import Settings
from driftpilot.store import ApiKeyRecord, Scope, Store

__all__ = ["SettingsDep", "StoreDep", "get_settings", "get_store", "refuse_nul", "require"]

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


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
_Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def require(scope: Scope) -> Any:
    """Return a dependency that admits requests with a key allowing ``scope`` (401/403 else).

    With ``auth`` off (``--no-auth``) every request is admitted.
    """

    def check(
        settings: SettingsDep, store: StoreDep, credentials: _Credentials
    ) -> ApiKeyRecord | None:
        if not settings.auth:
            return None
        return store.keys.verify(None if credentials is None else credentials.credentials, scope)

    return Depends(check)


def refuse_nul(request: Request) -> None:
    """Refuse a NUL character in the path or a query parameter (a 422 naming where).

    No name or value the service keeps or looks up may hold one (PostgreSQL text cannot), so
    it is refused once for every route rather than failing in the database.
    """
    where: tuple[str, ...] | None = None
    if "\x00" in request.url.path:
        where = ("path",)
    for name, value in request.query_params.multi_items():
        if where is None and ("\x00" in name or "\x00" in value):
            where = ("query", name.replace("\x00", "\\x00"))
    if where is not None:
        raise RequestValidationError(
            [{"loc": where, "msg": "must not contain a NUL character", "type": "string_nul"}]
        )
