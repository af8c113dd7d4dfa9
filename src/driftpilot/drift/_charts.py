"""The report's bar chart, as inline SVG drawn here in Python, and what the charts share.

Grouped bars of each side's share of rows per category (:func:`histogram_svg`), also the
fallback for numeric columns whose range is unknown; numeric columns are otherwise drawn on
their value axis by ``_value_chart``. The charts are hand-written rather than
drawn with a plotting library because a few dozen rectangles per column do not justify a
JavaScript runtime or a matplotlib dependency, and hand-written SVG stays small, crisp at any
zoom and deterministic (the same report always gives the same bytes). Every label is escaped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from driftpilot.drift._format import format_count, format_share

if TYPE_CHECKING:
    from driftpilot.drift.report import BinnedDistribution

__all__ = [
    "CURRENT_COLOUR",
    "MAX_CATEGORIES",
    "REFERENCE_COLOUR",
    "attrs",
    "histogram_svg",
]

#: Categorical plots show this many categories (by combined share), then one "other" bar.
MAX_CATEGORIES = 20
REFERENCE_COLOUR = "#4c78a8"
CURRENT_COLOUR = "#f58518"


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


def attrs(**values: object) -> str:
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
        f'<svg class="hist" role="img" {attrs(viewBox=f"0 0 {width:.0f} {height:.0f}")} '
        f'width="{width:.0f}" height="{height:.0f}">',
        f"<title>Share of rows per {'category' if categorical else 'bin'}, "
        f"reference vs current</title>",
    ]
    # Grid lines and y tick labels at fifths of the axis (y_max is 1, 2, 2.5 or 5 x 10^k).
    for i in range(6):
        share = y_max * i / 5
        yy = y(share)
        parts.append(
            f"<line {attrs(x1=left, x2=f'{left + plot_w:.1f}', y1=f'{yy:.1f}', y2=f'{yy:.1f}')} "
            f'class="{"axis" if i == 0 else "grid"}"/>'
        )
        parts.append(
            f'<text {attrs(x=left - 6, y=f"{yy + 4:.1f}")} class="tick" text-anchor="end">'
            f"{share * 100:.4g}%</text>"
        )
    bar_w = (slot - 6) / 2
    for index, bar in enumerate(bars):
        x0 = left + index * slot + 3
        for offset, share, count, colour, side in (
            (0.0, bar.reference_share, bar.reference_count, REFERENCE_COLOUR, "Reference"),
            (bar_w, bar.current_share, bar.current_count, CURRENT_COLOUR, "Current"),
        ):
            yy = y(share)
            parts.append(
                f"<rect {attrs(x=f'{x0 + offset:.1f}', y=f'{yy:.1f}', width=f'{bar_w:.1f}')} "
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
                f'<text {attrs(x=f"{cx:.1f}", y=f"{ty:.1f}")} class="tick" text-anchor="end" '
                f'transform="rotate(-40 {cx:.1f} {ty:.1f})"><title>{escape(bar.label)}</title>'
                f"{text}</text>"
            )
        else:
            parts.append(
                f'<text {attrs(x=f"{cx:.1f}", y=f"{ty:.1f}")} class="tick" '
                f'text-anchor="middle"><title>{escape(bar.label)}</title>{text}</text>'
            )
    # Axis titles and legend.
    mid_y = top + plot_h / 2
    parts.append(
        f'<text {attrs(x=14, y=f"{mid_y:.1f}")} class="axis-title" text-anchor="middle" '
        f'transform="rotate(-90 14 {mid_y:.1f})">Share of rows</text>'
    )
    parts.append(
        f"<text {attrs(x=f'{left + plot_w / 2:.1f}', y=f'{height - 8:.1f}')} "
        f'class="axis-title" text-anchor="middle">{"Category" if categorical else "Bin"}</text>'
    )
    for i, (name, colour) in enumerate(
        (("Reference", REFERENCE_COLOUR), ("Current", CURRENT_COLOUR))
    ):
        lx = left + i * 96
        parts.append(f'<rect {attrs(x=lx, y=10, width=12, height=12, rx=2)} fill="{colour}"/>')
        parts.append(f'<text {attrs(x=lx + 17, y=20)} class="legend">{name}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
