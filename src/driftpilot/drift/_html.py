"""The drift report as one self-contained HTML page, and the formatting it shares with the table.

The page is rendered with Jinja2 from ``templates/report.html.j2`` with autoescaping on, so
every user string (column names, category labels, option values) is escaped. It has no
external assets of any kind (no CDN, web fonts or scripts) and opens offline: the CSS is
inline and the histograms are inline SVG drawn here in Python. The charts are written by hand
rather than with a plotting library because a few dozen rectangles per column do not justify a
JavaScript runtime or a matplotlib dependency, and hand-written SVG stays small, crisp at any
zoom and deterministic (the same report always gives the same bytes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

if TYPE_CHECKING:
    import jinja2

    from driftpilot.drift.report import BinnedDistribution, ColumnDrift, DriftReport

__all__ = [
    "EM_DASH",
    "MAX_CATEGORIES",
    "format_count",
    "format_number",
    "format_p_value",
    "format_share",
    "histogram_svg",
    "ordered_columns",
    "render_html",
    "verdict_detail",
]

#: Shown in place of a missing value.
EM_DASH = "\u2014"
#: Categorical plots show this many categories (by combined share), then one "other" bar.
MAX_CATEGORIES = 20

_SEVERITY_RANK = {"critical": 0, "warning": 1, "none": 2}
_REFERENCE_COLOUR = "#4c78a8"
_CURRENT_COLOUR = "#f58518"


# --- formatting shared with ``_table`` -------------------------------------------------------


def format_number(value: float | None) -> str:
    """Return ``value`` with 4 significant digits, ``—`` for ``None``.

    Magnitudes from 1,000 up are written as grouped integers (``12,346``), tiny ones in
    scientific notation (``1.235e-05``), so that no cell needs decoding.
    """
    if value is None:
        return EM_DASH
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "\u221e" if value > 0 else "-\u221e"
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude < 1e-4 or magnitude >= 1e15:
        return f"{value:.3e}"
    if magnitude >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def format_p_value(value: float | None) -> str:
    """Return a p-value with 4 significant digits, in scientific notation below 1e-4."""
    if value is not None and 0 < value < 1e-4:
        return f"{value:.3e}"
    return format_number(value)


def format_share(value: float) -> str:
    """Return a share in [0, 1] as a percentage with at most one decimal (``28%``, ``33.3%``)."""
    return f"{value * 100:.1f}".removesuffix(".0") + "%"


def format_count(value: int) -> str:
    """Return a count with thousands separators."""
    return f"{value:,}"


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


# --- histograms --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Bar:
    label: str
    reference_share: float
    current_share: float
    reference_count: int
    current_count: int


def _bars(distribution: BinnedDistribution) -> list[_Bar]:
    """Return one bar pair per bin; many categories fold into the top ones plus "other"."""
    n_reference = sum(distribution.reference)
    n_current = sum(distribution.current)
    bars = [
        _Bar(
            label=label,
            reference_share=ref / n_reference if n_reference else 0.0,
            current_share=cur / n_current if n_current else 0.0,
            reference_count=ref,
            current_count=cur,
        )
        for label, ref, cur in zip(
            distribution.labels, distribution.reference, distribution.current, strict=True
        )
    ]
    if distribution.edges is not None or len(bars) <= MAX_CATEGORIES:
        return bars
    ranked = sorted(bars, key=lambda bar: bar.reference_share + bar.current_share, reverse=True)
    top, rest = ranked[:MAX_CATEGORIES], ranked[MAX_CATEGORIES:]
    other = _Bar(
        label=f"other ({len(rest)} more)",
        reference_share=math.fsum(bar.reference_share for bar in rest),
        current_share=math.fsum(bar.current_share for bar in rest),
        reference_count=sum(bar.reference_count for bar in rest),
        current_count=sum(bar.current_count for bar in rest),
    )
    return [*top, other]


def _nice_ceiling(value: float) -> float:
    """Return the smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``value``."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * power >= value * (1 - 1e-9):
            return min(step * power, 1.0)
    return 1.0  # pragma: no cover - the loop always returns


def _truncate(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "\u2026"


def _attrs(**values: object) -> str:
    """Return SVG attributes; names use ``_`` for ``-`` and every value is escaped."""
    return " ".join(f'{name.replace("_", "-")}="{escape(str(v))}"' for name, v in values.items())


def histogram_svg(distribution: BinnedDistribution, *, categorical: bool) -> Markup:
    """Return an inline SVG of grouped bars: each side's share of rows per bin label.

    Shares are counts divided by each side's total, so samples of different sizes compare.
    Categorical distributions with more than :data:`MAX_CATEGORIES` categories show the top
    ones by combined share plus one "other" bar. Every label is escaped; each bar has a
    tooltip with its share and count.
    """
    bars = _bars(distribution)
    n = len(bars)
    slot = max(18.0, min(90.0, 960.0 / max(n, 1)))
    left, top, plot_h = 56.0, 34.0, 200.0
    plot_w = slot * n
    longest = max((len(bar.label) for bar in bars), default=0)
    limit = 22
    rotate = min(longest, limit) * 6.4 > slot - 4
    label_h = 12 + (min(longest, limit) * 4.4 if rotate else 6)
    width = left + plot_w + 16
    height = top + plot_h + label_h + 34
    y_max = _nice_ceiling(max((max(b.reference_share, b.current_share) for b in bars), default=0))
    every = max(1, math.ceil(n / 30))

    def y(share: float) -> float:
        return top + plot_h * (1 - share / y_max)

    parts: list[str] = [
        f'<svg class="hist" role="img" {_attrs(viewBox=f"0 0 {width:.0f} {height:.0f}")} '
        f'width="{width:.0f}" height="{height:.0f}">',
        f"<title>Share of rows per {'category' if categorical else 'bin'}, "
        f"reference vs current</title>",
    ]
    # Grid lines and y tick labels at fifths of the axis (y_max is 1, 2, 2.5 or 5 x 10^k).
    for i in range(6):
        share = y_max * i / 5
        yy = y(share)
        parts.append(
            f"<line {_attrs(x1=left, x2=f'{left + plot_w:.1f}', y1=f'{yy:.1f}', y2=f'{yy:.1f}')} "
            f'class="{"axis" if i == 0 else "grid"}"/>'
        )
        parts.append(
            f'<text {_attrs(x=left - 6, y=f"{yy + 4:.1f}")} class="tick" text-anchor="end">'
            f"{share * 100:.4g}%</text>"
        )
    bar_w = (slot - 6) / 2
    for index, bar in enumerate(bars):
        x0 = left + index * slot + 3
        for offset, share, count, colour, side in (
            (0.0, bar.reference_share, bar.reference_count, _REFERENCE_COLOUR, "Reference"),
            (bar_w, bar.current_share, bar.current_count, _CURRENT_COLOUR, "Current"),
        ):
            yy = y(share)
            parts.append(
                f"<rect {_attrs(x=f'{x0 + offset:.1f}', y=f'{yy:.1f}', width=f'{bar_w:.1f}')} "
                f'height="{top + plot_h - yy:.1f}" fill="{colour}">'
                f"<title>{escape(bar.label)} \u2014 {side}: {escape(format_share(share))} "
                f"({escape(format_count(count))} rows)</title></rect>"
            )
        if index % every:
            continue
        cx = left + index * slot + slot / 2
        ty = top + plot_h + 14
        text = escape(_truncate(bar.label, limit))
        if rotate:
            parts.append(
                f'<text {_attrs(x=f"{cx:.1f}", y=f"{ty:.1f}")} class="tick" text-anchor="end" '
                f'transform="rotate(-40 {cx:.1f} {ty:.1f})"><title>{escape(bar.label)}</title>'
                f"{text}</text>"
            )
        else:
            parts.append(
                f'<text {_attrs(x=f"{cx:.1f}", y=f"{ty:.1f}")} class="tick" '
                f'text-anchor="middle"><title>{escape(bar.label)}</title>{text}</text>'
            )
    # Axis titles and legend.
    mid_y = top + plot_h / 2
    parts.append(
        f'<text {_attrs(x=14, y=f"{mid_y:.1f}")} class="axis-title" text-anchor="middle" '
        f'transform="rotate(-90 14 {mid_y:.1f})">Share of rows</text>'
    )
    parts.append(
        f"<text {_attrs(x=f'{left + plot_w / 2:.1f}', y=f'{height - 8:.1f}')} "
        f'class="axis-title" text-anchor="middle">{"Category" if categorical else "Bin"}</text>'
    )
    for i, (name, colour) in enumerate(
        (("Reference", _REFERENCE_COLOUR), ("Current", _CURRENT_COLOUR))
    ):
        lx = left + i * 96
        parts.append(f'<rect {_attrs(x=lx, y=10, width=12, height=12, rx=2)} fill="{colour}"/>')
        parts.append(f'<text {_attrs(x=lx + 17, y=20)} class="legend">{name}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


# --- the page ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Card:
    anchor: str
    column: ColumnDrift
    chart: Markup | None


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


def render_html(report: DriftReport, *, title: str) -> str:
    """Return ``report`` as a self-contained HTML page titled ``title``.

    The page holds the verdict, a summary table of all columns, the schema findings and one
    card per column (drifted first, then by severity) with a reference-versus-current
    histogram for columns that carry a distribution.
    """
    columns = ordered_columns(report)
    correction = report.options.get("correction")
    drift_share = report.options.get("drift_share")
    anchors = {column.name: f"col-{index}" for index, column in enumerate(columns, start=1)}
    cards = [
        _Card(
            anchor=anchors[column.name],
            column=column,
            chart=None
            if column.distribution is None or not column.distribution.labels
            else histogram_svg(column.distribution, categorical=column.distribution.edges is None),
        )
        for column in columns
    ]
    context: dict[str, Any] = {
        "title": title,
        "report": report,
        "verdict_detail": verdict_detail(report),
        "n_drifted": len(report.drifted_columns),
        "drift_share": drift_share if isinstance(drift_share, int | float) else None,
        "correction": correction,
        "corrected": correction is not None and str(correction).lower() != "none",
        "options": [(str(key), _option_text(value)) for key, value in report.options.items()],
        "columns": columns,
        "anchors": anchors,
        "cards": cards,
        "reference_colour": _REFERENCE_COLOUR,
        "current_colour": _CURRENT_COLOUR,
        "dash": EM_DASH,
    }
    return _environment().get_template("report.html.j2").render(context)
