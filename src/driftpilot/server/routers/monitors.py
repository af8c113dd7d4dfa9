"""Monitors: definitions (``admin`` to change), runs, reports, series and SLOs (``read``).

A definition is PUT as JSON (the same fields as one monitor of a YAML file) or as YAML text
(``Content-Type: application/yaml``); it is validated like a file, and a problem is a 422
naming the field. ``POST .../run`` evaluates the due windows now (or the window complete at
``at``, which must not be in the future: a window that has not ended has no verdict yet);
``POST .../backfill`` evaluates every window of a span, at most 2,000 per call, recording the
alerts it raises without notifying unless ``notify=true``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from driftpilot.errors import InvalidParameterError, RequestFormatError
from driftpilot.monitor import (
    MonitorSpec,
    Runner,
    RunOutcome,
    RunSummary,
    SeriesPoint,
    check_alignment,
    evaluate_slos,
    parse_monitors,
)
from driftpilot.monitor._yaml import load_yaml
from driftpilot.monitor.windows import count_windows_between, window_at
from driftpilot.server._errors import error_response
from driftpilot.server.dashboard import query
from driftpilot.server.deps import KeyFirstRoute, SettingsDep, StoreDep, require
from driftpilot.server.monitoring import check_against_model, spec_of
from driftpilot.server.routers._common import error_responses, to_datetime, to_micros
from driftpilot.server.schemas.monitors import (
    MonitorList,
    MonitorOut,
    RunList,
    RunOutcomeOut,
    RunOutcomes,
    RunSummaryOut,
    SeriesOut,
    SeriesPointOut,
    SLOList,
    SLOOut,
)
from driftpilot.server.schemas.times import Time, iso
from driftpilot.store import MonitorRecord, Scope, Store, now_us

__all__ = ["router"]

router = APIRouter(route_class=KeyFirstRoute, tags=["monitors"])
_read = [require(Scope.READ)]
_admin = [require(Scope.ADMIN)]
MAX_BACKFILL_WINDOWS = 2000
BACKFILL_NOTE = (
    "Alerts were recorded without notifying anyone: their notifications are stored as "
    "'suppressed' (reason 'backfill'). Pass notify=true to send them."
)

At = Annotated[Time | None, Query(description="Evaluate as of this time (default now).")]
Start = Annotated[Time | None, Query(description="Inclusive, ISO-8601 with timezone.")]
End = Annotated[Time | None, Query(description="Exclusive, ISO-8601 with timezone.")]


def _monitor(record: MonitorRecord) -> MonitorOut:
    return MonitorOut(
        name=record.name, model=record.model, origin=record.origin,
        definition=_definition(record.definition), created_at=to_datetime(record.created_at),  # type: ignore[arg-type]
        updated_at=to_datetime(record.updated_at),  # type: ignore[arg-type]
    )  # fmt: skip


def _with_iso_range(data: dict[str, Any], key: str) -> dict[str, Any]:
    """Return ``data`` with ``data[key]``'s ``start`` and ``end`` microseconds as ISO text."""
    span = data.get(key)
    if not isinstance(span, dict):
        return data
    times = {k: iso(v) for k in ("start", "end") if isinstance(v := span.get(k), int)}
    return {**data, key: {**span, **times}}


def _definition(definition: dict[str, Any]) -> dict[str, Any]:
    """Return a stored definition with the reference range's times as ISO-8601 text."""
    return _with_iso_range(definition, "reference")


def _report(report: dict[str, Any]) -> dict[str, Any]:
    """Return a run's report with its window, reference and evaluation times as ISO text."""
    report = _with_iso_range(_with_iso_range(report, "window"), "reference")
    return {**report, "evaluated_at": iso(report["evaluated_at"])}


def _summary(summary: RunSummary) -> RunSummaryOut:
    return RunSummaryOut(
        run_id=summary.run_id, monitor=summary.monitor, model=summary.model,
        window_start=to_datetime(summary.window_start),  # type: ignore[arg-type]
        window_end=to_datetime(summary.window_end),  # type: ignore[arg-type]
        revision=summary.revision, n_events=summary.n_events, n_labels=summary.n_labels,
        evaluated_at=to_datetime(summary.evaluated_at),  # type: ignore[arg-type]
        severity=summary.severity,
    )  # fmt: skip


def _outcome(outcome: RunOutcome) -> RunOutcomeOut:
    return RunOutcomeOut(
        monitor=outcome.monitor, window_start=to_datetime(outcome.window.start),  # type: ignore[arg-type]
        window_end=to_datetime(outcome.window.end),  # type: ignore[arg-type]
        status=outcome.status,
        run=None if outcome.summary is None else _summary(outcome.summary),
        flagged=[] if outcome.report is None else [r.to_dict() for r in outcome.report.flagged],
    )  # fmt: skip


def _runner(request: Request) -> Runner:
    runner: Runner = request.app.state.alerting.runner
    return runner


@router.get(
    "/monitors", response_model=MonitorList, dependencies=_read,
    responses=error_responses(404, s404="No model named by 'model'."),
)  # fmt: skip
async def list_monitors(store: StoreDep, model: str | None = None) -> MonitorList:
    """List the stored monitors (of ``model``, if given)."""
    records = await run_in_threadpool(store.monitors.list_monitors, model)
    return MonitorList(items=[_monitor(r) for r in records])


@router.get("/monitors/{name}", response_model=MonitorOut, dependencies=_read)
async def get_monitor(name: str, store: StoreDep) -> MonitorOut:
    """Return one monitor's definition."""
    return _monitor(await run_in_threadpool(store.monitors.get, name))


@router.put(
    "/monitors/{name}", response_model=MonitorOut, dependencies=_admin,
    responses=error_responses(409, s409="A monitor of that name exists for another model."),
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"type": "object"}},
        "application/yaml": {"schema": {"type": "string"}}}}},
)  # fmt: skip
async def put_monitor(
    name: str, request: Request, store: StoreDep, settings: SettingsDep
) -> MonitorOut:
    """Create or replace monitor ``name`` from a JSON or YAML definition."""
    body = await request.body()
    yaml_body = "yaml" in request.headers.get("content-type", "")
    # Parsed on a worker thread: a costly document must not stall every other request.
    spec = await run_in_threadpool(_parse_definition, name, body, yaml_body)
    check_alignment(spec, settings.bucket_seconds)

    def put() -> MonitorRecord:
        check_against_model(store, spec)
        return store.monitors.put(name, model=spec.model, definition=spec.to_dict(), origin="api")

    return _monitor(await run_in_threadpool(put))


def _parse_definition(name: str, body: bytes, yaml_body: bool) -> MonitorSpec:
    """Parse and validate one monitor's JSON or YAML body (bounded: ``monitor._yaml``)."""
    where = f"monitor {name!r}"
    if yaml_body:
        data, lines = load_yaml(body.decode("utf-8", "replace"), where=where)
    else:
        try:
            data, lines = json.loads(body), None
        except RecursionError:
            raise RequestFormatError("The body is nested too deeply to be read.") from None
        except ValueError as err:
            raise RequestFormatError(f"The body is not valid JSON: {err}.") from None
    if isinstance(data, dict) and "monitors" not in data:  # one monitor, not a whole file
        data.setdefault("name", name)
    specs = parse_monitors(data, where=where, lines=lines)
    if len(specs) != 1 or specs[0].name != name:
        raise InvalidParameterError(
            f"The body must define exactly one monitor named {name!r} (the path's name)."
        )
    return specs[0]


@router.delete("/monitors/{name}", status_code=204, dependencies=_admin)
async def delete_monitor(name: str, store: StoreDep) -> Response:
    """Delete a monitor with its runs and results."""
    await run_in_threadpool(store.monitors.delete, name)
    return Response(status_code=204)


async def _spec(store: Store, name: str) -> MonitorSpec:
    return spec_of(await run_in_threadpool(store.monitors.get, name))


@router.post("/monitors/{name}/run", response_model=RunOutcomes, dependencies=_admin)
async def run_monitor(
    name: str, store: StoreDep, request: Request, at: At = None,
    force: Annotated[bool, Query(description="Re-evaluate the window at 'at'.")] = False,
) -> RunOutcomes:  # fmt: skip
    """Run what is due as of ``at`` (default now).

    Due: new complete windows, and windows whose label count grew (a new revision). With
    ``force``, re-evaluate the window complete at ``at`` even if nothing changed.
    """
    spec = await _spec(store, name)
    runner = _runner(request)
    now = now_us()
    moment = to_micros(at) if at is not None else now
    assert moment is not None
    if moment > now:
        raise RequestValidationError([{
            "loc": ("query", "at"), "type": "value_error",
            "msg": f"'at' ({at}) is in the future: a window that has not ended cannot be "
                   "judged yet; give a time up to now",
        }])  # fmt: skip
    if force:
        window = window_at(spec, moment)
        outcomes = [await run_in_threadpool(lambda: runner.run_window(spec, window, force=True))]
    else:
        outcomes = await run_in_threadpool(runner.run_due, spec, moment)
    return RunOutcomes(items=[_outcome(o) for o in outcomes])


@router.post("/monitors/{name}/backfill", response_model=RunOutcomes, dependencies=_admin)
async def backfill_monitor(
    name: str, store: StoreDep, request: Request,
    start: Annotated[Time, Query(description="Inclusive, ISO-8601 with timezone.")],
    end: Annotated[Time, Query(description="Exclusive, ISO-8601 with timezone.")],
    force: Annotated[bool, Query(description="Re-evaluate windows that ran.")] = False,
    notify: Annotated[bool, Query(description="Send the notifications of the alerts the "
                                  "backfill raises or resolves (default: record them as "
                                  "suppressed).")] = False,
) -> RunOutcomes:  # fmt: skip
    """Evaluate every window inside ``[start, end)`` (at most 2,000).

    Alerts are recorded; their notifications are sent only with ``notify=true``.
    """
    spec = await _spec(store, name)
    low, high = to_micros(start), to_micros(end)
    assert low is not None
    assert high is not None
    n = count_windows_between(spec, low, high)
    if n > MAX_BACKFILL_WINDOWS:
        raise InvalidParameterError(
            f"The span holds {n:,} windows; a backfill call takes at most "
            f"{MAX_BACKFILL_WINDOWS:,}. Split it, or use 'driftpilot monitor backfill'."
        )
    runner = _runner(request)
    outcomes = await run_in_threadpool(
        lambda: runner.backfill(spec, low, high, force=force, notify=notify)
    )
    note = None if notify else BACKFILL_NOTE
    return RunOutcomes(items=[_outcome(o) for o in outcomes], notify=notify, note=note)


@router.get("/monitors/{name}/runs", response_model=RunList, dependencies=_read)
async def list_runs(
    name: str, store: StoreDep, start: Start = None, end: End = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    revisions: Annotated[bool, Query(description="Every revision, not only the newest.")] = False,
) -> RunList:  # fmt: skip
    """List a monitor's runs, newest window first."""
    runs = await run_in_threadpool(
        lambda: query.runs(
            store,
            name,
            start=to_micros(start),
            end=to_micros(end),
            limit=limit,
            revisions=revisions,
        )
    )
    return RunList(items=[_summary(r) for r in runs])


@router.get("/runs/{run_id}", dependencies=_read)
async def get_report(
    run_id: Annotated[int, Path(ge=1, le=2**63 - 1)], store: StoreDep
) -> dict[str, Any]:
    """Return the full report of one run (stable keys; times as ISO-8601 text)."""
    report = await run_in_threadpool(query.run_report, store, run_id)
    return _report(report.to_dict())


@router.get("/models/{model}/series", response_model=SeriesOut, dependencies=_read)
async def series(
    model: str, store: StoreDep,
    metric: Annotated[str, Query(description="e.g. psi, ks, missing_rate, accuracy.")],
    monitor: str | None = None, check: str | None = None,
    feature: Annotated[str | None, Query(description="Omit for model-wide values.")] = None,
    segment: Annotated[str | None, Query(description="'name=value'; omit for all.")] = None,
    start: Start = None, end: End = None,
) -> SeriesOut | JSONResponse:  # fmt: skip
    """Return one value per window over time (newest revisions), oldest first.

    Each point names the monitor, check and kind it comes from. When the metric is reported
    by more than one check (a realized and an estimated ``accuracy``) or monitor, ``check``
    (or ``monitor``) is required: a 422 names it and lists the candidates.
    """
    points = await run_in_threadpool(
        lambda: query.series(
            store,
            model,
            metric=metric,
            monitor=monitor,
            check=check,
            feature=feature,
            segment=segment,
            start=to_micros(start),
            end=to_micros(end),
        )
    )
    ambiguous = _ambiguity(points, metric, check=check, monitor=monitor)
    if ambiguous is not None:
        return ambiguous
    return SeriesOut(model=model, metric=metric, feature=feature, segment=segment, points=[
        SeriesPointOut(
            window_start=to_datetime(p.window_start),  # type: ignore[arg-type]
            window_end=to_datetime(p.window_end),  # type: ignore[arg-type]
            value=p.value, stderr=p.stderr, lower=p.lower, upper=p.upper, severity=p.severity,
            revision=p.revision, n=p.n, n_labels=p.n_labels, monitor=p.monitor, check=p.check,
            kind=p.kind,
        ) for p in points])  # fmt: skip


def _ambiguity(
    points: Sequence[SeriesPoint], metric: str, *, check: str | None, monitor: str | None
) -> JSONResponse | None:
    """Return the 422 for a series mixing checks (or monitors) the caller did not pick."""
    sources = sorted({(p.monitor, p.check, p.kind) for p in points})
    checks = sorted({c for _, c, _ in sources})
    monitors = sorted({m for m, _, _ in sources})
    if check is None and len(checks) > 1:
        field, choices = "check", checks
    elif monitor is None and len(monitors) > 1:
        field, choices = "monitor", monitors
    else:
        return None
    listed = ", ".join(f"check {c!r} (kind {k}) of monitor {m!r}" for m, c, k in sources)
    message = (f"The '{field}' parameter is required: metric {metric!r} is reported by more "
               f"than one {field} ({listed}); give {field}= one of {choices}.")  # fmt: skip
    candidates = [{"monitor": m, "check": c, "kind": k} for m, c, k in sources]
    return error_response(422, "invalid_parameter", message,
                          {"field": field, "candidates": candidates})  # fmt: skip


@router.get("/monitors/{name}/slos", response_model=SLOList, dependencies=_read)
async def slos(name: str, store: StoreDep, at: At = None) -> SLOList:
    """Return where each SLO of the monitor stands (status, budget left, burn rates)."""
    spec = await _spec(store, name)
    moment = to_micros(at) if at is not None else now_us()
    assert moment is not None
    found = await run_in_threadpool(lambda: evaluate_slos(spec, store.runs, at=moment))
    return SLOList(items=[SLOOut(**s.to_dict()) for s in found])
