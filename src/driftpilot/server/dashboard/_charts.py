"""Charts as inline SVG, written on the server: lines with bands, and paired bars.

Hand-written rather than a vendored chart library: the pages need two chart shapes, both
static once drawn, and SVG from the server needs no script, works with scripts off, prints,
and costs no bytes of assets. Every number is placed on a real axis (times in UTC, values
as measured). Colours come from presentation attributes, not ``style``, so the pages'
Content-Security-Policy needs no ``'unsafe-inline'``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from markupsafe import Markup

__all__ = ["Line", "bars_svg", "lines_svg"]

_W, _H, _L, _R, _T, _B = 640, 200, 56, 12, 12, 28
PALETTE = ("#1f6feb", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490")


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """One series: x in µs since the epoch, y values (``None``: a gap), optional band."""

    name: str
    xs: Sequence[int]
    ys: Sequence[float | None]
    lower: Sequence[float | None] | None = None
    upper: Sequence[float | None] | None = None
    dashed: bool = False
    revised: Sequence[bool] | None = None


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def _day(us: float) -> str:
    return datetime.fromtimestamp(us / 1e6, tz=UTC).strftime("%m-%d %H:%M")


def _ticks(low: float, high: float, n: int = 4) -> list[float]:
    return [low + (high - low) * i / n for i in range(n + 1)]


def lines_svg(lines: Sequence[Line], *, title: str, unit: str = "") -> Markup:
    """Return an SVG chart of ``lines`` over time with their bands, and a legend."""
    xs = [x for line in lines for x in line.xs]
    ys = [y for line in lines for y in (*line.ys, *(line.lower or ()), *(line.upper or ()))
          if y is not None and math.isfinite(y)]  # fmt: skip
    if not xs or not ys:
        return Markup(f'<p class="empty">{escape(title)}: no values in this period.</p>')
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y0, y1 = y0 - 0.5, y1 + 0.5

    def px(x: float) -> float:
        return _L + (x - x0) / (x1 - x0) * (_W - _L - _R)

    def py(y: float) -> float:
        return _T + (1 - (y - y0) / (y1 - y0)) * (_H - _T - _B)

    parts = [f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]  # fmt: skip
    for tick in _ticks(y0, y1):
        y = py(tick)
        parts.append(f'<line x1="{_L}" x2="{_W - _R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{_L - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" '
                     f'fill="#444">{_fmt(tick)}{escape(unit)}</text>')  # fmt: skip
    for tick in _ticks(x0, x1, 3):
        parts.append(f'<text x="{px(tick):.1f}" y="{_H - 8}" text-anchor="middle" '
                     f'font-size="10" fill="#444">{_day(tick)}</text>')  # fmt: skip
    for i, line in enumerate(lines):
        colour = PALETTE[i % len(PALETTE)]
        if line.lower is not None and line.upper is not None:
            top = [
                (px(x), py(u)) for x, u in zip(line.xs, line.upper, strict=True) if u is not None
            ]
            bottom = [(px(x), py(lo)) for x, lo in zip(line.xs, line.lower, strict=True)
                      if lo is not None]  # fmt: skip
            if top and bottom:
                points = " ".join(f"{a:.1f},{b:.1f}" for a, b in (*top, *reversed(bottom)))
                parts.append(f'<polygon points="{points}" fill="{colour}" fill-opacity="0.15"/>')
        segment: list[str] = []
        runs: list[list[str]] = [segment]
        for x, value in zip(line.xs, line.ys, strict=True):
            if value is None or not math.isfinite(value):
                segment = []
                runs.append(segment)
                continue
            segment.append(f"{px(x):.1f},{py(value):.1f}")
        dash = ' stroke-dasharray="5 3"' if line.dashed else ""
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                             f'stroke-width="1.5"{dash}/>')  # fmt: skip
            elif run:
                a, b = run[0].split(",")
                parts.append(f'<circle cx="{a}" cy="{b}" r="2.5" fill="{colour}"/>')
        for x, value, revised in zip(line.xs, line.ys, line.revised or (), strict=False):
            if revised and value is not None and math.isfinite(value):
                parts.append(f'<circle cx="{px(x):.1f}" cy="{py(value):.1f}" r="4" fill="none" '
                             f'stroke="{colour}" stroke-width="1.5"><title>revised by late '
                             f"labels</title></circle>")  # fmt: skip
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="swatch" data-colour="{i % len(PALETTE)}"></span>{escape(line.name)}'
        f"{' (dashed)' if line.dashed else ''}"
        f"{' (rings: windows revised by late labels)' if any(line.revised or ()) else ''}</li>"
        for i, line in enumerate(lines)
    )
    heading = f'<p class="chart-title">{escape(title)}</p>'
    return Markup(heading + "".join(parts) + f'<ul class="legend">{legend}</ul>')


def bars_svg(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, title: str,
    edges: Sequence[float] | None = None,
) -> Markup:  # fmt: skip
    """Return grouped bars (shares) per label; with ``edges``, an x axis of real values."""
    n = len(labels)
    if n == 0:
        return Markup(f'<p class="empty">{escape(title)}: nothing to plot.</p>')
    top = max((v for _, values in series for v in values), default=0.0) or 1.0
    width = (_W - _L - _R) / n
    bar = width * 0.8 / max(len(series), 1)
    parts = [f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]  # fmt: skip
    for tick in _ticks(0.0, top):
        y = _T + (1 - tick / top) * (_H - _T - _B)
        parts.append(f'<line x1="{_L}" x2="{_W - _R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{_L - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" '
                     f'fill="#444">{tick:.0%}</text>')  # fmt: skip
    for k, (name, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        for i, value in enumerate(values):
            h = value / top * (_H - _T - _B)
            x = _L + i * width + width * 0.1 + k * bar
            parts.append(f'<rect x="{x:.1f}" y="{_H - _B - h:.1f}" width="{bar:.1f}" '
                         f'height="{h:.1f}" fill="{colour}"><title>{escape(name)} '
                         f'{escape(labels[i])}: {value:.1%}</title></rect>')  # fmt: skip
    if edges is not None:
        for i in range(0, len(edges), max(1, len(edges) // 5)):
            x = _L + i * width
            parts.append(f'<text x="{x:.1f}" y="{_H - 8}" text-anchor="middle" font-size="10" '
                         f'fill="#444">{_fmt(edges[i])}</text>')  # fmt: skip
    else:
        for i, label in enumerate(labels):
            x = _L + (i + 0.5) * width
            parts.append(f'<text x="{x:.1f}" y="{_H - 8}" text-anchor="middle" font-size="10" '
                         f'fill="#444">{escape(label[:12])}</text>')  # fmt: skip
    parts.append("</svg>")
    legend = "".join(f'<li><span class="swatch" data-colour="{k}"></span>{escape(name)}</li>'
                     for k, (name, _) in enumerate(series))  # fmt: skip
    heading = f'<p class="chart-title">{escape(title)}</p>'
    return Markup(heading + "".join(parts) + f'<ul class="legend">{legend}</ul>')
