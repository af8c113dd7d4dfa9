"""``GET /reports/runs/{run_id}?token=...``: one run's report as HTML, opened by a signed link.

Alerts link here ("Open the report"): the token (``driftpilot.alerts.report_links``) opens
this one run, read-only, until it expires, without an API key, so a browser opens it from
Slack or an e-mail. A missing, malformed, tampered or expired token is a 403, as an HTML page
for a browser (``Accept: text/html``) and as the JSON error object otherwise. The token is
checked before the run is looked up, so run ids cannot be probed. The same token also opens
the dashboard's page of the run (``/dashboard/runs/{run_id}?token=``); ``GET
/v1/runs/{run_id}`` is the JSON, with a key.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse

from driftpilot.alerts.report_links import ReportLinkError, ReportLinks
from driftpilot.monitor._html import render_run_html
from driftpilot.server._errors import error_response
from driftpilot.server.dashboard import query
from driftpilot.server.deps import StoreDep
from driftpilot.store import now_us

__all__ = ["router"]

router = APIRouter(tags=["reports"])

#: The page loads nothing: no scripts, no external styles, images or frames.
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _forbidden(request: Request, err: ReportLinkError) -> HTMLResponse | JSONResponse:
    if _wants_html(request):
        page = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            "<title>driftpilot: report link refused</title></head><body>"
            "<h1>This report link does not open</h1>"
            f"<p>{escape(str(err))}</p></body></html>"
        )
        return HTMLResponse(page, status_code=403, headers=_HEADERS)
    return error_response(403, err.code, str(err), headers=_HEADERS)


@router.get(
    "/reports/runs/{run_id}",
    response_class=HTMLResponse,
    response_model=None,
    summary="One run's report as HTML (signed link)",
    responses={
        status: {"description": text, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}},
            "text/html": {"schema": {"type": "string"}}}}
        for status, text in (
            (403, "Missing, malformed, tampered or expired token (an HTML page when the request "
                  "accepts text/html, else the error object)."),
            (404, "No such run."))
    },
)  # fmt: skip
async def run_report_page(
    request: Request,
    run_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    store: StoreDep,
    token: Annotated[str | None, Query(max_length=100,
                                       description="The signed link's token.")] = None,
) -> HTMLResponse | JSONResponse:  # fmt: skip
    """Return run ``run_id``'s report as a self-contained HTML page."""
    links: ReportLinks = request.app.state.alerting.links
    try:
        await run_in_threadpool(links.verify, run_id, token, now=now_us())
    except ReportLinkError as err:
        return _forbidden(request, err)
    report = await run_in_threadpool(query.run_report, store, run_id)
    return HTMLResponse(render_run_html(report, run_id=run_id), headers=_HEADERS)
