"""The drift report as one self-contained HTML page, or as a notebook cell's fragment.

Both are rendered with Jinja2 from ``templates/`` with autoescaping on, so every user string
(column names, category labels, option values) is escaped. Neither has external assets of any
kind (no CDN, web fonts or scripts) and both open offline: the CSS is inline and the charts
are inline SVG (``_charts``). The page and the fragment share one body template whose style
rules all sit under the ``dp-report`` class, so the fragment neither restyles a notebook nor
is restyled by it, and one layout serves both: at 700 px wide the verdict, the summary table
(scrolling sideways if it must), the statistics table and the charts still fit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from driftpilot.drift._charts import (
    CURRENT_COLOUR,
    MAX_CATEGORIES,
    REFERENCE_COLOUR,
    histogram_svg,
)
from driftpilot.drift._format import (
    EM_DASH,
    format_count,
    format_number,
    format_p_value,
    format_share,
    format_value,
)
from driftpilot.drift._value_chart import value_histogram_svg

if TYPE_CHECKING:
    import jinja2

    from driftpilot.drift.report import ColumnDrift, ColumnStats, DriftReport, SchemaFinding

__all__ = [
    "EM_DASH",
    "MAX_CATEGORIES",
    "NOTEBOOK_CARDS",
    "format_count",
    "format_number",
    "format_p_value",
    "format_share",
    "histogram_svg",
    "ordered_columns",
    "render_fragment",
    "render_html",
    "verdict_detail",
]

_SEVERITY_RANK = {"critical": 0, "warning": 1, "none": 2}
#: A notebook cell shows the cards of this many columns (drifted first); the page shows all.
NOTEBOOK_CARDS = 40


def ordered_columns(report: DriftReport) -> list[ColumnDrift]:
    """Return the report's columns, drifted first, then by severity, else in column order."""
    return sorted(
        report.columns.values(),
        key=lambda column: (not column.drifted, _SEVERITY_RANK.get(column.severity, 3)),
    )


def verdict_detail(report: DriftReport) -> str:
    """Return the sentence behind the verdict: ``7 of 25 columns drifted (28%, threshold 50%)``.

    When ``options["critical_is_drift"]`` decided the verdict although the share stayed below
    the threshold, the sentence says so.
    """
    n_drifted = len(report.drifted_columns)
    n_columns = len(report.columns)
    noun = "column" if n_columns == 1 else "columns"
    share = format_share(report.share_drifted)
    drift_share = report.options.get("drift_share")
    if isinstance(drift_share, int | float):
        share = f"{share}, threshold {format_share(float(drift_share))}"
    text = f"{n_drifted} of {n_columns} {noun} drifted ({share})"
    critical = any(c.drifted and c.severity == "critical" for c in report.columns.values())
    below = isinstance(drift_share, int | float) and report.share_drifted < drift_share
    if report.dataset_drift and report.options.get("critical_is_drift") and critical and below:
        text += "; a critical column counts as drift"
    return text


# --- per-column statistics -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatRow:
    """One line of a column's statistics table: reference, current and their change."""

    label: str
    reference: str
    current: str
    change: str
    flagged: bool = False


_NUMERIC_STATS = (
    ("Min", "min"),
    ("5th pct.", "q05"),
    ("25th pct.", "q25"),
    ("Median", "q50"),
    ("75th pct.", "q75"),
    ("95th pct.", "q95"),
    ("Max", "max"),
    ("Mean", "mean"),
    ("Std. dev.", "std"),
)


def _change(reference: float | None, current: float | None, kind: str) -> str:
    if reference is None or current is None:
        return EM_DASH
    if kind == "datetime":
        days = (current - reference) / 86_400
        return f"{days:+.3g} d" if days else "0"
    delta = current - reference
    return ("+" if delta > 0 else "") + format_number(delta)


def stat_rows(column: ColumnDrift, flagged_missing: bool) -> list[StatRow]:
    """Return the rows of a column's statistics table (empty without stats)."""
    ref, cur = column.reference_stats, column.current_stats
    if ref is None or cur is None:
        return []
    points = (cur.missing_share - ref.missing_share) * 100
    rows = [
        StatRow("Rows", format_count(ref.n), format_count(cur.n), EM_DASH),
        StatRow(
            "Missing",
            f"{format_share(ref.missing_share)} ({format_count(ref.n_missing)})",
            f"{format_share(cur.missing_share)} ({format_count(cur.n_missing)})",
            f"{points:+.1f} pts" if points else "0",
            flagged_missing,
        ),
    ]
    if ref.n_categories is not None or cur.n_categories is not None:
        rows.append(
            StatRow(
                "Categories",
                _count_or_dash(ref.n_categories),
                _count_or_dash(cur.n_categories),
                EM_DASH,
            )
        )
        rows.append(StatRow("Most frequent", _top(ref), _top(cur), EM_DASH))
        return rows
    span = None if ref.min is None or ref.max is None else ref.max - ref.min
    for label, name in _NUMERIC_STATS:
        low, high = getattr(ref, name), getattr(cur, name)
        kind = column.type
        if name == "std" and kind == "datetime":
            rows.append(StatRow(label, _days(low), _days(high), _change(low, high, kind)))
            continue
        rows.append(
            StatRow(
                label,
                format_value(low, kind, span=span),
                format_value(high, kind, span=span),
                _change(low, high, kind),
            )
        )
    return rows


def _days(seconds: float | None) -> str:
    return EM_DASH if seconds is None else f"{seconds / 86_400:.3g} d"


def _count_or_dash(value: int | None) -> str:
    return EM_DASH if value is None else format_count(value)


def _top(stats: ColumnStats) -> str:
    if stats.top_category is None or stats.top_share is None:
        return EM_DASH
    return f"{stats.top_category} ({format_share(stats.top_share)})"


def _chart(column: ColumnDrift) -> Markup | None:
    distribution = column.distribution
    if distribution is None or not distribution.labels:
        return None
    if distribution.edges is None:
        return histogram_svg(distribution, categorical=True)
    ref, cur = column.reference_stats, column.current_stats
    lows = [s.min for s in (ref, cur) if s is not None and s.min is not None]
    highs = [s.max for s in (ref, cur) if s is not None and s.max is not None]
    if lows and highs:
        chart = value_histogram_svg(
            distribution,
            low=min(lows),
            high=max(highs),
            kind=column.type,
            medians=(
                None if ref is None else ref.q50,
                None if cur is None else cur.q50,
            ),
        )
        if chart is not None:
            return chart
    # No range known (a report built by hand, a constant column): bars per bin.
    return histogram_svg(distribution, categorical=False)


# --- the page ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Card:
    anchor: str
    column: ColumnDrift
    chart: Markup | None
    stats: list[StatRow]
    findings: list[SchemaFinding]


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("driftpilot.drift", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        number=format_number, p_value=format_p_value, share=format_share, thousands=format_count
    )
    return environment


def _option_text(value: object) -> str:
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_option_text(v)}" for k, v in value.items()) or EM_DASH
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ", ".join(_option_text(v) for v in value) or EM_DASH
    return EM_DASH if value is None else str(value)


def _context(report: DriftReport, *, title: str, compact: bool) -> dict[str, Any]:
    columns = ordered_columns(report)
    correction = report.options.get("correction")
    drift_share = report.options.get("drift_share")
    alpha = report.options.get("alpha")
    anchors = {column.name: f"col-{index}" for index, column in enumerate(columns, start=1)}
    by_column: dict[str, list[SchemaFinding]] = {}
    for finding in report.findings:
        by_column.setdefault(finding.column, []).append(finding)
    cards = []
    for column in columns[:NOTEBOOK_CARDS] if compact else columns:
        findings = by_column.get(column.name, [])
        missing = any(f.kind == "missing_rate_changed" for f in findings)
        cards.append(
            _Card(
                anchor=anchors[column.name],
                column=column,
                chart=_chart(column),
                stats=stat_rows(column, missing),
                findings=findings,
            )
        )
    return {
        "title": title,
        "compact": compact,
        "report": report,
        "verdict_detail": verdict_detail(report),
        "n_drifted": len(report.drifted_columns),
        "drift_share": drift_share if isinstance(drift_share, int | float) else None,
        "correction": correction,
        "corrected": correction is not None and str(correction).lower() != "none",
        "rule": report.options.get("rule"),
        "alpha": alpha if isinstance(alpha, int | float) else None,
        "options": [(str(key), _option_text(value)) for key, value in report.options.items()],
        "columns": columns,
        "anchors": anchors,
        "cards": cards,
        "n_hidden_cards": len(columns) - len(cards),
        "linked": {card.column.name for card in cards},
        "findings_of": {name: [f.kind for f in fs] for name, fs in by_column.items()},
        "reference_colour": REFERENCE_COLOUR,
        "current_colour": CURRENT_COLOUR,
        "dash": EM_DASH,
    }


def render_html(report: DriftReport, *, title: str) -> str:
    """Return ``report`` as a self-contained HTML page titled ``title``.

    The page holds the verdict, a summary table of all columns, the findings and one card
    per column (drifted first, then by severity) with its statistics beside the verdict
    and a reference-versus-current chart for columns that carry a distribution.
    """
    context = _context(report, title=title, compact=False)
    return _environment().get_template("report.html.j2").render(context)


def render_fragment(report: DriftReport, *, title: str, compact: bool = True) -> str:
    """Return ``report`` as one ``<div class="dp-report">`` with its own scoped styles.

    With ``compact`` (a notebook cell) the column cards are folded in a ``<details>`` and
    only the first :data:`NOTEBOOK_CARDS` (drifted first) are drawn, so that a report of
    hundreds of columns does not weigh down the notebook; the summary table lists them all.
    """
    context = _context(report, title=title, compact=compact)
    return _environment().get_template("_report_body.html.j2").render(context)
