"""``/docs``: Swagger UI served from the package, so the page works offline.

FastAPI's own ``/docs`` page loads Swagger UI's script and style sheet from a CDN, so it is
blank without Internet access. This module serves the copies vendored in
``server/static/swagger-ui/`` (swagger-ui-dist 5.35.0, Apache-2.0: ``LICENSE`` and ``NOTICE``
beside the files) under ``/static/swagger-ui/`` and writes the page with those URLs. Behind a
proxy that mounts the service under a path (``--public-url https://host/driftpilot``), every
URL of the page starts with that path (or with the ASGI ``root_path`` when no public URL is
set), so the page, its assets and ``openapi.json`` load through the proxy.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["SWAGGER_UI_VERSION", "install_docs"]

SWAGGER_UI_VERSION = "5.35.0"
_ASSETS = Path(__file__).parent / "static" / "swagger-ui"
_MOUNT = "/static/swagger-ui"


def install_docs(app: FastAPI, *, public_url: str | None) -> None:
    """Serve Swagger UI's files and the ``/docs`` page that uses them (app made without docs)."""
    prefix = urlsplit(public_url).path.rstrip("/") if public_url else None
    app.mount(_MOUNT, StaticFiles(directory=_ASSETS), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = prefix if prefix is not None else str(request.scope.get("root_path", "")).rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url=f"{root}{_MOUNT}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{_MOUNT}/swagger-ui.css",
            swagger_favicon_url=f"{root}{_MOUNT}/favicon-32x32.png",
        )
