"""The dashboard's pages: Fleet, Model, Run report, Alerts, and the two alert actions.

Every page reads through ``dashboard.query`` (the layer the JSON API uses too) in a worker
thread. A page without a session sends the browser to sign in, except a run page opened with
the signed link's ``token`` (read-only, that one run). Actions are ``POST`` forms carrying the
session's CSRF token; they need a session of an admin key.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from driftpilot.alerts.report_links import ReportLinkError, ReportLinks
from driftpilot.errors import DriftpilotError
from driftpilot.monitor._html import result_status
from driftpilot.server.dashboard import query
from driftpilot.server.dashboard._charts import Line, bars_svg, lines_svg
from driftpilot.server.dashboard._session import Session
from driftpilot.server.dashboard._web import (
    base_path,
    error_page,
    page,
    session_of,
    signer,
    store_of,
)
from driftpilot.store import now_us

__all__ = ["router"]

router = APIRouter(prefix="/dashboard", include_in_schema=False)
_DAY = 86_400 * 1_000_000
PERIODS = (1, 7, 30, 90)
_SEVERITY = {"none": 0, "info": 0, "warning": 1, "critical": 2}


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    prefix = base_path(request)
    root = str(request.scope.get("root_path", ""))
    if root and target.startswith(root):
        target = target[len(root) :]
    return RedirectResponse(f"{prefix}/dashboard/login?next={prefix}{target}", status_code=303)


@router.get("/")
async def fleet_page(
    request: Request, q: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query(max_length=20)] = "alerts",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    alerting: bool = False, page_number: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> Response:  # fmt: skip
    """Every model's health at a glance: sortable, filterable, 50 to a page."""
    session = await session_of(request)
    if session is None:
        return _to_login(request)
    store = store_of(request)
    try:
        found = await run_in_threadpool(lambda: query.fleet(
            store, q=q, sort=sort, descending=order == "desc", only_alerts=alerting,
            page=page_number))  # fmt: skip
    except DriftpilotError as err:
        return error_page(request, err, session)
    return page(request, "fleet.html", session, fleet=found, q=q, sort=sort, order=order,
                alerting=alerting, sorts=query.FLEET_SORTS, now=now_us(), nav="fleet")  # fmt: skip


def _heatmap_json(heat: query.Heatmap) -> str:
    codes, runs, values = [], [], []
    for row in heat.cells:
        for cell in row:
            codes.append(-1 if cell is None else _SEVERITY.get(cell.severity, 0))
            runs.append(0 if cell is None else cell.run_id)
            values.append(None if cell is None else cell.value)
    return json.dumps({
        "features": list(heat.features), "windows": [w[0] // 1_000_000 for w in heat.windows],
        "codes": codes, "runs": runs, "values": values,
    }, separators=(",", ":")).replace("</", "<\\/")  # fmt: skip


def _charts(groups: dict[tuple[str, str], list[Any]], *, by_metric: bool) -> list[Any]:
    """One chart per metric; realized lines solid, estimated dashed, bands where given."""
    charts: dict[str, list[Line]] = {}
    for (check, metric), points in sorted(groups.items()):
        key = metric if by_metric else f"{check}: {metric}"
        estimated = points[0].kind == "estimated_performance"
        charts.setdefault(key, []).append(Line(
            name=f"{check} ({'estimated' if estimated else points[0].kind})",
            xs=[p.window_end for p in points], ys=[p.value for p in points],
            lower=[p.lower for p in points], upper=[p.upper for p in points],
            dashed=estimated, revised=[p.revision > 1 for p in points]))  # fmt: skip
    return [lines_svg(lines, title=title) for title, lines in charts.items()]


def _feature_charts(groups: dict[tuple[str, str], list[Any]]) -> list[Any]:
    """One chart per quality metric: the six features with the highest values, one line each."""
    by_metric: dict[str, list[tuple[float, Line]]] = {}
    for (check, metric), points in groups.items():
        peak = max((p.value for p in points if p.value is not None), default=0.0)
        line = Line(name=check, xs=[p.window_end for p in points], ys=[p.value for p in points])
        by_metric.setdefault(metric, []).append((peak, line))
    charts = []
    for metric, lines in sorted(by_metric.items()):
        top = [line for _, line in sorted(lines, key=lambda pair: -pair[0])[:6]]
        charts.append(lines_svg(top, title=f"{metric} per feature (the {len(top)} highest of "
                                f"{len(lines)})"))  # fmt: skip
    return charts


def _model_view(store: Any, model: str, days: int) -> dict[str, Any]:
    record = store.models.get_model(model)
    every = query.volume(store, model, start=None, end=None)
    end = every[-1].window_end if every else now_us()
    start = end - days * _DAY
    volume = [v for v in every if v.window_start >= start]
    heat = query.heatmap(store, model, start=start, end=end)
    perf = query.model_series(store, model, kinds=("performance", "estimated_performance"),
                              start=start, end=end)  # fmt: skip
    quality = query.model_series(store, model, kinds=("quality",), start=start, end=end)
    per_feature = query.model_series(store, model, kinds=("quality",), start=start, end=end,
                                     features=True)  # fmt: skip
    segments = query.model_series(store, model, kinds=("performance", "estimated_performance",
                                  "quality"), start=start, end=end, segments=True)  # fmt: skip
    period = store.profiles.window(model, start=start, end=end)
    lat = query.latency_of(period)
    outputs = [bars_svg(d.labels, [("reference", d.reference), ("current", d.current)],
                        title=f"{d.feature}: reference vs this period",
                        edges=d.edges if d.kind == "numeric" else None)
               for d in query.outputs(store, model, window=period)[:6]]  # fmt: skip
    worst: dict[str, tuple[int, float, int]] = {}
    for i, feature in enumerate(heat.features):
        for cell in heat.cells[i]:
            if cell is not None and cell.severity != "none":
                n, _, _ = worst.get(feature, (0, 0.0, 0))
                worst[feature] = (n + 1, cell.window_end, cell.run_id)
    drifted = sorted(worst.items(), key=lambda kv: (-kv[1][0], kv[0]))[:15]
    first = next((m for m in sorted({v.monitor for v in volume})), None)
    lines = [
        Line(
            name=f"events ({first})",
            xs=[v.window_end for v in volume if v.monitor == first],
            ys=[float(v.n_events) for v in volume if v.monitor == first],
        ),
        Line(
            name=f"labels ({first})",
            xs=[v.window_end for v in volume if v.monitor == first],
            ys=[float(v.n_labels) for v in volume if v.monitor == first],
            dashed=True,
        ),
    ]
    return {
        "record": record, "start": start, "end": end, "days": days, "heat": heat,
        "heat_json": _heatmap_json(heat), "performance": _charts(perf, by_metric=True),
        "quality": _charts(quality, by_metric=False) + _feature_charts(per_feature),
        "volume_chart": lines_svg(lines, title="Events and labels per window") if first else None,
        "latency": lat, "drifted": drifted, "outputs": outputs,
        "segments": [(k, pts[-1]) for k, pts in sorted(segments.items())],
        "runs": list(reversed(volume[-20:])),
    }  # fmt: skip


@router.get("/models/{model}")
async def model_page(
    request: Request, model: Annotated[str, Path(max_length=200)],
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> Response:  # fmt: skip
    """One model: drift heatmap, performance, quality, volume, latency, segments."""
    session = await session_of(request)
    if session is None:
        return _to_login(request)
    store = store_of(request)
    try:
        view = await run_in_threadpool(_model_view, store, model, days)
    except DriftpilotError as err:
        return error_page(request, err, session)
    return page(request, "model.html", session, model=model, periods=PERIODS, nav="fleet",
                **view)  # fmt: skip


@router.get("/models/{model}/distribution")
async def distribution_page(
    request: Request, model: Annotated[str, Path(max_length=200)],
    feature: Annotated[str, Query(max_length=500)], run: Annotated[int, Query(ge=1, le=2**63 - 1)],
    partial: bool = False,
) -> Response:  # fmt: skip
    """Show a feature's reference and current distributions in one run's window (a cell)."""
    session = await session_of(request)
    if session is None:
        return _to_login(request)
    store = store_of(request)
    try:
        found = await run_in_threadpool(query.distribution, store, model, feature, run)
    except DriftpilotError as err:
        return error_page(request, err, session)
    chart = bars_svg(found.labels, [("reference", found.reference), ("current", found.current)],
                     title=f"{feature}: reference vs current",
                     edges=found.edges if found.kind == "numeric" else None)  # fmt: skip
    template = "distribution_part.html" if partial else "distribution.html"
    return page(request, template, session, model=model, dist=found, chart=chart, run=run,
                nav="fleet")  # fmt: skip


@router.get("/runs/{run_id}")
async def run_page(
    request: Request, run_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    token: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:  # fmt: skip
    """One monitor run; opens with a session, or read-only with a signed link's token."""
    session = await session_of(request)
    if session is None:
        links: ReportLinks = request.app.state.alerting.links
        if token is None:
            return _to_login(request)
        try:
            await run_in_threadpool(links.verify, run_id, token, now=now_us())
        except ReportLinkError as err:
            return page(request, "error.html", None, status=403, code=err.code, message=str(err))
    store = store_of(request)
    try:
        report = await run_in_threadpool(query.run_report, store, run_id)
    except DriftpilotError as err:
        return error_page(request, err, session)
    rows = [(r, result_status(r)) for r in report.results]
    return page(request, "run.html", session, report=report, run_id=run_id, rows=rows,
                nav="fleet")  # fmt: skip


@router.get("/alerts")
async def alerts_page(
    request: Request, state: Annotated[str, Query(max_length=20)] = "open",
    model: Annotated[str | None, Query(max_length=200)] = None,
    done: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:  # fmt: skip
    """Alerts by state: open, firing, acknowledged, silenced, resolved."""
    session = await session_of(request)
    if session is None:
        return _to_login(request)
    store = store_of(request)
    try:
        found = await run_in_threadpool(lambda: query.alerts(
            store, state=state, model=model or None, limit=500))  # fmt: skip
    except DriftpilotError as err:
        return error_page(request, err, session)
    return page(request, "alerts.html", session, views=query.ALERT_VIEWS, state=state,
                items=found, model=model, done=done, nav="alerts")  # fmt: skip


def _refused(request: Request, session: Session | None, csrf: str | None) -> Response | None:
    if session is None:
        return _to_login(request)
    if not signer(request).check_csrf(session, csrf):
        return page(request, "error.html", session, status=403, code="forbidden",
                    message="The form's CSRF token does not match this session; reload the "
                    "page and try again.")  # fmt: skip
    if not session.can_act:
        return page(request, "error.html", session, status=403, code="forbidden",
                    message="This session signed in with a read key; acknowledging and "
                    "silencing need an admin key.")  # fmt: skip
    return None


def _back(request: Request, state: str, done: str) -> Response:
    target = f"{base_path(request)}/dashboard/alerts?state={state}&done={done}"
    return RedirectResponse(target, status_code=303)


@router.post("/alerts/{alert_id}/ack")
async def acknowledge(
    request: Request, alert_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    csrf: Annotated[str | None, Form(max_length=100)] = None,
    state: Annotated[str, Form(max_length=20)] = "open",
) -> Response:  # fmt: skip
    """Acknowledge a firing alert (the code ``POST /v1/alerts/{id}/ack`` runs)."""
    session = await session_of(request)
    refused = _refused(request, session, csrf)
    if refused is not None:
        return refused
    assert session is not None
    try:
        await run_in_threadpool(lambda: query.acknowledge(
            store_of(request), alert_id, by=f"dashboard:{session.key_id}"))  # fmt: skip
    except DriftpilotError as err:
        return error_page(request, err, session)
    return _back(request, state, f"Alert {alert_id} acknowledged.")


@router.post("/alerts/{alert_id}/silence")
async def silence(
    request: Request, alert_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    csrf: Annotated[str | None, Form(max_length=100)] = None,
    hours: Annotated[float, Form(gt=0, le=24 * 90)] = 4.0,
    comment: Annotated[str | None, Form(max_length=500)] = None,
    state: Annotated[str, Form(max_length=20)] = "open",
) -> Response:  # fmt: skip
    """Silence the alert's notifications (its model, monitor and rule) for ``hours``."""
    session = await session_of(request)
    refused = _refused(request, session, csrf)
    if refused is not None:
        return refused
    assert session is not None
    store = store_of(request)

    def run() -> None:
        alert = store.alerts.get(alert_id)
        ends = int(time.time() * 1e6 + hours * 3600e6)
        matchers = {"model": alert.model, "monitor": alert.monitor, "rule": alert.rule}
        query.silence(store, matchers, ends_at=ends, created_by=f"dashboard:{session.key_id}",
                      comment=comment or None)  # fmt: skip

    try:
        await run_in_threadpool(run)
    except DriftpilotError as err:
        return error_page(request, err, session)
    return _back(request, state, f"Alert {alert_id} silenced for {hours:g} h.")
