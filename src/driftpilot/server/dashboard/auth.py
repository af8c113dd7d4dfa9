"""Sign-in and sign-out: an API key exchanged for the session cookie (``_session``)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from driftpilot.errors import AuthError
from driftpilot.server.dashboard._session import COOKIE
from driftpilot.server.dashboard._web import base_path, page, session_of, signer, store_of
from driftpilot.server.settings import Settings
from driftpilot.store import Scope

__all__ = ["router"]

router = APIRouter(prefix="/dashboard", include_in_schema=False)


def _safe_next(request: Request, target: str | None) -> str:
    """Return ``target`` if it is a dashboard path, else the fleet page (no open redirect)."""
    home = f"{base_path(request)}/dashboard/"
    if target and target.startswith(f"{base_path(request)}/dashboard/") and "//" not in target[1:]:
        return target
    return home


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    """Return the sign-in form."""
    return page(request, "login.html", None, next=_safe_next(request, next), error=None)


@router.post("/login")
async def login(
    request: Request, key: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:  # fmt: skip
    """Check the key (admin, else read scope) and set the session cookie."""
    settings: Settings = request.app.state.settings
    store = store_of(request)
    target = _safe_next(request, next)
    scope = None
    message = None
    for wanted in (Scope.ADMIN, Scope.READ):
        try:
            record = await run_in_threadpool(store.keys.verify, key.strip() or None, wanted)
        except AuthError as err:  # ForbiddenError too: try the next scope
            message = str(err)
            continue
        scope = wanted
        break
    if scope is None:
        return page(request, "login.html", None, status=401, next=target, error=message)
    session = signer(request).issue(record.key_id, scope.value, now=int(time.time()))
    response = RedirectResponse(target, status_code=303)
    secure = (settings.public_url or "").lower().startswith("https://")
    response.set_cookie(COOKIE, session.token, max_age=signer(request).ttl_seconds,
                        path=f"{base_path(request)}/dashboard", httponly=True, secure=secure,
                        samesite="strict")  # fmt: skip
    return response


@router.post("/logout")
async def logout(
    request: Request, csrf: Annotated[str | None, Form(max_length=100)] = None
) -> Response:
    """End the session (the cookie is deleted); CSRF-checked like every action."""
    session = await session_of(request)
    if session is not None and not signer(request).check_csrf(session, csrf):
        message = "The form's CSRF token does not match this session; reload the page."
        return page(request, "error.html", session, status=403, code="forbidden",
                    message=message)  # fmt: skip
    response = RedirectResponse(f"{base_path(request)}/dashboard/login", status_code=303)
    response.delete_cookie(COOKIE, path=f"{base_path(request)}/dashboard", httponly=True,
                           samesite="strict")  # fmt: skip
    return response
