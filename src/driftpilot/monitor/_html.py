"""One monitor run's report as a self-contained HTML page (the alert's "Open the report").

Rendered with Jinja2 from ``templates/run_report.html.j2`` with autoescaping on, so every
user string (check names, features, segments, reasons) is escaped; the CSS is inline and the
page loads nothing else (no CDN, fonts or scripts), so it opens offline and under a
``default-src 'none'`` content security policy. It shows the run (monitor, model, window,
reference, revision, counts), every check result with its value, band (thresholds),
severity and status, the drift results as their own table, and the notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from driftpilot.drift._format import EM_DASH, format_number, format_p_value

if TYPE_CHECKING:
    import jinja2

    from driftpilot.monitor.results import CheckResult, MonitorReport

__all__ = ["iso_time", "render_run_fragment", "render_run_html", "result_status"]


def iso_time(us: int | None) -> str:
    """Return microseconds since the epoch as ISO 8601 UTC to the second (``...Z``)."""
    if us is None:
        return EM_DASH
    moment = datetime.fromtimestamp(us / 1e6, tz=UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def result_status(result: CheckResult) -> str:
    """Return ``flagged``, ``ok``, ``not judged``, or the result's ``no_data``/``error``.

    A result that was judged (status ``ok``) shows its verdict: ``flagged`` or ``ok``.
    """
    own = getattr(result, "status", None)
    if isinstance(own, str) and own != "ok":
        return own
    if result.flagged:
        return "flagged"
    return "not judged" if result.value is None else "ok"


@dataclass(frozen=True, slots=True)
class _Row:
    result: CheckResult
    status: str
    threshold: str


def _threshold(result: CheckResult) -> str:
    if result.lower is not None and result.upper is not None:
        return f"{format_number(result.lower)} to {format_number(result.upper)}"
    if result.lower is not None:
        return f"≥ {format_number(result.lower)}"
    if result.upper is not None:
        return f"≤ {format_number(result.upper)}"
    raw = result.details.get("threshold") if result.details else None
    if result.p_value is not None:
        return "p < alpha"
    return format_number(raw) if isinstance(raw, int | float) else EM_DASH


def _reference(report: MonitorReport) -> str:
    reference = dict(report.reference)
    kind = reference.get("kind")
    if kind == "baseline":
        return f"baseline {reference.get('version') or EM_DASH}"
    start, end = reference.get("start"), reference.get("end")
    if isinstance(start, int) and isinstance(end, int):
        return f"{kind}: {iso_time(start)} to {iso_time(end)}"
    return str(kind or EM_DASH)


def render_run_html(report: MonitorReport, *, run_id: int, version: str | None = None) -> str:
    """Return the report of run ``run_id`` as a self-contained HTML page."""
    rows = [_Row(r, result_status(r), _threshold(r)) for r in report.results]
    drift = [row for row in rows if row.result.kind == "drift"]
    context: dict[str, Any] = {
        "title": f"{report.monitor} on {report.model}: {iso_time(report.window_start)} to "
                 f"{iso_time(report.window_end)}",
        "report": report, "run_id": run_id, "version": version, "rows": rows, "drift": drift,
        "window_start": iso_time(report.window_start), "window_end": iso_time(report.window_end),
        "evaluated_at": iso_time(report.evaluated_at), "reference": _reference(report),
        "n_flagged": len(report.flagged), "dash": EM_DASH,
    }  # fmt: skip
    return _environment().get_template("run_report.html.j2").render(context)


def render_run_fragment(report: MonitorReport) -> str:
    """Return the report as one ``<div class="dp-run">`` with scoped styles, for a notebook.

    The run's facts, then every check result (check, metric, feature, segment, value, band,
    severity, status, note), then the notes; the same content as the page, without the
    run id and the link text.
    """
    rows = [_Row(r, result_status(r), _threshold(r)) for r in report.results]
    context: dict[str, Any] = {
        "title": f"{report.monitor} on {report.model}",
        "report": report, "rows": rows,
        "window_start": iso_time(report.window_start), "window_end": iso_time(report.window_end),
        "evaluated_at": iso_time(report.evaluated_at), "reference": _reference(report),
        "n_flagged": len(report.flagged), "dash": EM_DASH,
    }  # fmt: skip
    return _environment().get_template("_run_fragment.html.j2").render(context)


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("driftpilot.monitor", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(number=format_number, p_value=format_p_value)
    return environment
