"""What every dashboard route shares: templates, URL prefix, the session, HTML errors.

The prefix of every URL a page writes is the path of ``--public-url`` (the service behind a
proxy at ``https://host/driftpilot``), else the ASGI ``root_path``. Pages are sent with a
Content-Security-Policy that allows only the service's own scripts and styles.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from driftpilot import __version__
from driftpilot.errors import AuthError, DriftpilotError
from driftpilot.server._errors import STATUS
from driftpilot.server.alerting import Alerting
from driftpilot.server.dashboard._session import COOKIE, Session, SessionSigner
from driftpilot.server.dashboard.registry import sections
from driftpilot.server.settings import Settings
from driftpilot.store import Store

__all__ = [
    "HEADERS",
    "base_path",
    "error_page",
    "fmt_number",
    "fmt_time",
    "page",
    "render",
    "session_of",
    "signer",
    "store_of",
]

HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
}
_NO_AUTH_KEY = "0" * 16  # the session of a service run with --no-auth (loopback only)


def fmt_time(us: int | None) -> str:
    """Return a µs time as ``YYYY-MM-DD HH:MM`` UTC (an em dash for none)."""
    if us is None:
        return "—"
    return datetime.fromtimestamp(us / 1e6, tz=UTC).strftime("%Y-%m-%d %H:%M")


def fmt_number(value: float | int | None, digits: int = 3) -> str:
    """Return a number with ``digits`` significant digits (an em dash for none)."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}g}"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )  # fmt: skip
    env.filters["t"] = fmt_time
    env.filters["n"] = fmt_number
    env.globals["version"] = __version__
    env.globals["nav_sections"] = sections
    return env


def render(template: str, **context: Any) -> str:
    """Render ``template`` with ``context``."""
    return _environment().get_template(template).render(**context)


def base_path(request: Request) -> str:
    """Return the URL prefix of the service (no trailing slash)."""
    settings: Settings = request.app.state.settings
    if settings.public_url:
        return urlsplit(settings.public_url).path.rstrip("/")
    return str(request.scope.get("root_path", "")).rstrip("/")


def store_of(request: Request) -> Store:
    """Return the app's store."""
    store: Store = request.app.state.store
    return store


def signer(request: Request) -> SessionSigner:
    """Return the session signer of the app (made on first use, from the report secret)."""
    found: SessionSigner | None = getattr(request.app.state, "session_signer", None)
    if found is None:
        alerting: Alerting = request.app.state.alerting
        found = SessionSigner(alerting.links.secret(), ttl_seconds=12 * 3600)
        request.app.state.session_signer = found
    return found


def _check_key(store: Store, session: Session) -> None:
    for record in store.keys.list_keys():
        if record.key_id == session.key_id:
            if record.revoked_at is not None:
                raise AuthError("The API key of this session was revoked; sign in again.")
            return
    raise AuthError("The API key of this session no longer exists; sign in again.")


async def session_of(request: Request) -> Session | None:
    """Return the request's verified session, or ``None`` (not signed in)."""
    settings: Settings = request.app.state.settings
    sign = await run_in_threadpool(signer, request)
    if not settings.auth:
        return sign.issue(_NO_AUTH_KEY, "admin", now=0)  # CSRF still applies
    try:
        session = sign.verify(request.cookies.get(COOKIE), now=int(time.time()))
        await run_in_threadpool(_check_key, store_of(request), session)
    except AuthError:
        return None
    return session


def page(request: Request, template: str, session: Session | None, *, status: int = 200,
         **context: Any) -> HTMLResponse:  # fmt: skip
    """Return a full dashboard page, with the layout's navigation and the session's CSRF."""
    csrf = signer(request).csrf(session) if session is not None else ""
    context.setdefault("nav", None)
    html = render(template, base=base_path(request), session=session, csrf=csrf,
                  auth=request.app.state.settings.auth, **context)  # fmt: skip
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def error_page(request: Request, err: DriftpilotError, session: Session | None) -> Response:
    """Return ``err`` as an HTML page with its status (401 sends the browser to sign in)."""
    status = STATUS.get(err.code, 422)
    if status == 401:
        return RedirectResponse(f"{base_path(request)}/dashboard/login", status_code=303)
    return page(request, "error.html", session, status=status, message=str(err),
                code=err.code)  # fmt: skip
