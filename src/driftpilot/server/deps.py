"""Dependencies of the routes: the settings, the store, and API-key checks by scope.

Tests replace any of them with ``app.dependency_overrides[get_store] = ...``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from driftpilot.server.settings import Settings
from driftpilot.store import ApiKeyRecord, Scope, Store

__all__ = ["SettingsDep", "StoreDep", "caller_key_id", "get_settings", "get_store", "require"]

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


def caller_key_id(request: Request) -> str | None:
    """Return the key id of the API key the request was admitted with (``None``: auth off)."""
    record: ApiKeyRecord | None = getattr(request.state, "api_key", None)
    return None if record is None else record.key_id


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
_Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def require(scope: Scope) -> Any:
    """Return a dependency that admits requests with a key allowing ``scope`` (401/403 else).

    With ``auth`` off (``--no-auth``) every request is admitted. The key's record is left in
    ``request.state.api_key`` (``None`` with auth off) for routes that record who called.
    """

    def check(
        request: Request, settings: SettingsDep, store: StoreDep, credentials: _Credentials
    ) -> ApiKeyRecord | None:
        record = None
        if settings.auth:
            secret = None if credentials is None else credentials.credentials
            record = store.keys.verify(secret, scope)
        request.state.api_key = record
        return record

    return Depends(check)
