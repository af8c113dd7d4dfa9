"""The web dashboard of ``driftpilot serve``: server-rendered pages under ``/dashboard``.

``install_dashboard(app)`` adds the pages (``pages``), sign-in (``auth``), the page assets
(``server/static/dashboard``: one style sheet and one script, written for driftpilot) and
``GET /`` redirecting to the dashboard. Pages read the store through ``dashboard.query``,
the same layer the JSON API calls. New pages register in ``registry``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from driftpilot.server.dashboard import auth, pages
from driftpilot.server.dashboard._web import base_path

__all__ = ["install_dashboard"]

_STATIC = Path(__file__).resolve().parent.parent / "static" / "dashboard"


def install_dashboard(app: FastAPI) -> None:
    """Mount the dashboard's routes and assets on ``app``, and redirect ``/`` to it."""
    app.mount("/static/dashboard", StaticFiles(directory=_STATIC), name="dashboard-static")
    app.include_router(auth.router)
    app.include_router(pages.router)

    @app.get("/", include_in_schema=False)
    async def home(request: Request) -> RedirectResponse:
        return RedirectResponse(f"{base_path(request)}/dashboard/", status_code=307)
