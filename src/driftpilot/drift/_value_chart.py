"""A numeric column's histogram on its real value axis, as inline SVG.

The report's bins are the reference's quantile edges, so their widths differ; they are drawn
at their true positions, with densities as heights, and ticks fall on round values (on month
starts for dates). Every label is escaped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from driftpilot.drift._charts import CURRENT_COLOUR, REFERENCE_COLOUR, attrs
from driftpilot.drift._format import format_count, format_share, format_value

if TYPE_CHECKING:
    from driftpilot.drift.report import BinnedDistribution

__all__ = ["date_ticks", "nice_ticks", "value_histogram_svg"]


def nice_ticks(low: float, high: float, *, target: int = 5) -> list[float]:
    """Return round tick values (1, 2 or 5 times a power of ten apart) inside ``[low, high]``."""
    span = high - low
    if not (math.isfinite(span) and span > 0):
        return [low]
    raw = span / target
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(s * power for s in (1.0, 2.0, 5.0, 10.0) if s * power >= raw * (1 - 1e-9))
    first = math.ceil(low / step - 1e-9)
    ticks = []
    k = first
    while k * step <= high + step * 1e-9:
        value = k * step
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        k += 1
    return ticks


def _density_label(value: float, kind: str) -> str:
    if kind == "datetime":
        value *= 86_400  # per day reads better than per second
    if value == 0:
        return "0"
    return f"{value:.2g}"


def date_ticks(low: float, high: float) -> list[float]:
    """Return ticks for a datetime axis (seconds since the epoch), at most 6 of them.

    Past 60 days: the first day of every 1, 2, 3, 6 or 12 months (or of every few years);
    shorter spans: round numbers of days or seconds (:func:`nice_ticks`).
    """
    span = high - low
    if not (math.isfinite(span) and span > 60 * 86_400):
        if math.isfinite(span) and span > 5 * 86_400:
            return [t * 86_400 for t in nice_ticks(low / 86_400, high / 86_400, target=5)]
        return nice_ticks(low, high, target=5)
    try:
        first = datetime.fromtimestamp(low, tz=UTC)
        datetime.fromtimestamp(high, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return nice_ticks(low, high, target=5)
    months = span / (30.44 * 86_400)
    step = next((k for k in (1, 2, 3, 6, 12) if months / k <= 6), 12 * math.ceil(months / 72))
    index = first.year * 12 + first.month - 1
    index = -(-index // step) * step  # the first multiple of step at or after low's month
    ticks: list[float] = []
    while True:
        moment = datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC).timestamp()
        if moment > high:
            return ticks
        if moment >= low:
            ticks.append(moment)
        index += step


@dataclass(frozen=True, slots=True)
class _Bin:
    lo: float
    hi: float
    reference: int
    current: int


def _value_bins(distribution: BinnedDistribution, low: float, high: float) -> list[_Bin] | None:
    """Return the bins with the outer infinite edges clipped to the data's range.

    ``None`` when the bins cannot be drawn on a value axis (no edges, an empty or infinite
    range).
    """
    edges = distribution.edges
    span = high - low
    if edges is None or not (math.isfinite(span) and span > 0):
        return None
    bins = []
    for i, (ref, cur) in enumerate(zip(distribution.reference, distribution.current, strict=True)):
        lo, hi = max(edges[i], low), min(edges[i + 1], high)
        if hi < lo:  # an empty outer bin lying outside the data
            if ref or cur:
                return None
            continue
        bins.append(_Bin(lo, hi, ref, cur))
    return bins or None


def value_histogram_svg(
    distribution: BinnedDistribution,
    *,
    low: float,
    high: float,
    kind: str,
    medians: tuple[float | None, float | None] = (None, None),
) -> Markup | None:
    """Return a histogram of both sides on the column's real value axis, or ``None``.

    The bins are the reference's (quantile) edges, so they differ in width: bar heights are
    densities (share of rows divided by bin width) and each bar's area is its share of rows,
    so neither side is distorted by wide bins. The outer bins, open-ended in the report,
    end at ``low`` and ``high``, the smallest and largest value of either side. The
    reference is drawn as filled bars, the current side as a step line over them; dashed
    lines mark each side's median. A bin narrower than 1/200 of the range is drawn that
    wide (ties at one value), so it stays visible. ``None`` when there is no finite range
    to draw on; the caller then draws :func:`histogram_svg`.
    """
    bins = _value_bins(distribution, low, high)
    if bins is None:
        return None
    n_ref, n_cur = sum(distribution.reference), sum(distribution.current)
    span = high - low
    min_width = span / 200

    def density(count: int, total: int, b: _Bin) -> float:
        return count / total / max(b.hi - b.lo, min_width) if total else 0.0

    heights = [(density(b.reference, n_ref, b), density(b.current, n_cur, b)) for b in bins]
    y_max = max((max(pair) for pair in heights), default=0.0) or 1.0
    width, height, left, right, top, plot_h = 640.0, 250.0, 72.0, 16.0, 34.0, 160.0
    plot_w = width - left - right

    def x(value: float) -> float:
        return left + plot_w * (value - low) / span

    def y(value: float) -> float:
        return top + plot_h * (1 - value / y_max)

    base = top + plot_h
    parts = [
        f'<svg class="hist values" role="img" {attrs(viewBox=f"0 0 {width:.0f} {height:.0f}")} '
        f'width="{width:.0f}" height="{height:.0f}">',
        "<title>Density of values, reference vs current, on the value axis</title>",
    ]
    for i in range(5):
        yy = top + plot_h * i / 4
        parts.append(
            f"<line {attrs(x1=left, x2=f'{left + plot_w:.1f}', y1=f'{yy:.1f}', y2=f'{yy:.1f}')} "
            f'class="{"axis" if i == 4 else "grid"}"/>'
        )
        parts.append(
            f'<text {attrs(x=left - 6, y=f"{yy + 4:.1f}")} class="tick" text-anchor="end">'
            f"{escape(_density_label(y_max * (4 - i) / 4, kind))}</text>"
        )
    # Reference: filled bars; current: a step outline; one transparent hit area per bin.
    step = [f"M{x(bins[0].lo):.1f},{base:.1f}"]
    for b, (ref_h, cur_h) in zip(bins, heights, strict=True):
        x0, x1 = x(b.lo), max(x(b.hi), x(b.lo) + plot_w / 200)
        parts.append(
            f"<rect {attrs(x=f'{x0:.1f}', y=f'{y(ref_h):.1f}', width=f'{x1 - x0:.1f}')} "
            f'height="{base - y(ref_h):.1f}" class="ref" fill="{REFERENCE_COLOUR}"/>'
        )
        step.append(f"L{x0:.1f},{y(cur_h):.1f}L{x1:.1f},{y(cur_h):.1f}")
    step.append(f"L{x(bins[-1].hi):.1f},{base:.1f}")
    parts.append(
        f'<path d="{"".join(step)}" class="cur" fill="none" stroke="{CURRENT_COLOUR}" '
        'stroke-width="2"/>'
    )
    for b in bins:
        x0, x1 = x(b.lo), max(x(b.hi), x(b.lo) + plot_w / 200)
        ref_share = b.reference / n_ref if n_ref else 0.0
        cur_share = b.current / n_cur if n_cur else 0.0
        label = f"[{format_value(b.lo, kind, span=span)}, {format_value(b.hi, kind, span=span)}]"
        parts.append(
            f"<rect {attrs(x=f'{x0:.1f}', y=top, width=f'{x1 - x0:.1f}', height=plot_h)} "
            f'class="hit" fill="transparent"><title>{escape(label)} \u2014 reference '
            f"{escape(format_share(ref_share))} ({escape(format_count(b.reference))} rows), "
            f"current {escape(format_share(cur_share))} ({escape(format_count(b.current))} rows)"
            "</title></rect>"
        )
    for median, colour, side in (
        (medians[0], REFERENCE_COLOUR, "Reference"),
        (medians[1], CURRENT_COLOUR, "Current"),
    ):
        if median is not None and low <= median <= high:
            mx = f"{x(median):.1f}"
            parts.append(
                f'<line {attrs(x1=mx, x2=mx, y1=top, y2=f"{base:.1f}")} class="median" '
                f'stroke="{colour}"><title>{side} median: '
                f"{escape(format_value(median, kind, span=span))}</title></line>"
            )
    for tick in date_ticks(low, high) if kind == "datetime" else nice_ticks(low, high, target=6):
        tx = x(tick)
        parts.append(
            f"<line {attrs(x1=f'{tx:.1f}', x2=f'{tx:.1f}', y1=f'{base:.1f}')} "
            f'y2="{base + 4:.1f}" class="axis"/>'
        )
        parts.append(
            f'<text {attrs(x=f"{tx:.1f}", y=f"{base + 17:.1f}")} class="tick" '
            f'text-anchor="middle">{escape(format_value(tick, kind, span=span))}</text>'
        )
    mid_y = top + plot_h / 2
    parts.append(
        f'<text {attrs(x=14, y=f"{mid_y:.1f}")} class="axis-title" text-anchor="middle" '
        f'transform="rotate(-90 14 {mid_y:.1f})">'
        f"{'Density (per day)' if kind == 'datetime' else 'Density'}</text>"
    )
    axis = "Value (UTC)" if kind == "datetime" else "Value"
    parts.append(
        f"<text {attrs(x=f'{left + plot_w / 2:.1f}', y=f'{height - 12:.1f}')} "
        f'class="axis-title" text-anchor="middle">{axis}</text>'
    )
    parts.append(f'<rect {attrs(x=left, y=10, width=12, height=12, rx=2)} '
                 f'fill="{REFERENCE_COLOUR}"/>')  # fmt: skip
    parts.append(f'<text {attrs(x=left + 17, y=20)} class="legend">Reference</text>')
    parts.append(
        f'<line {attrs(x1=left + 96, x2=left + 110, y1=16, y2=16)} stroke="{CURRENT_COLOUR}" '
        'stroke-width="2"/>'
    )
    parts.append(f'<text {attrs(x=left + 115, y=20)} class="legend">Current</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
