"""How profiles and baselines show themselves: a one-line ``repr`` and a notebook table.

The HTML is one ``<div class="dp-profile">`` whose style rules all sit under that class (so
it neither restyles a notebook nor is restyled by it), with one row per column: kind, rows,
missing share, distinct values or min / median / max and mean, and a small histogram of the
profile's counts drawn on the real value axis (inline SVG; the outer open-ended bins end at
the column's min and max). It loads nothing from outside. Every user string is escaped.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from markupsafe import escape

from driftpilot.profile.categorical import CategoricalSummary
from driftpilot.profile.numeric import NumericSummary
from driftpilot.profile.text import TextSummary

if TYPE_CHECKING:
    from driftpilot.profile._profile import Profile
    from driftpilot.profile._summary import ColumnSummary
    from driftpilot.profile.baseline import Baseline

__all__ = ["baseline_html", "baseline_repr", "profile_html", "profile_repr"]

_DASH = "\u2014"
_COLOUR = "#4c78a8"
_CSS = """
.dp-profile { font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: #1f2937; background: #fff; border: 1px solid #e5e7eb; border-radius: 8px;
  max-width: 100%; overflow-x: auto; text-align: left; }
.dp-profile * { box-sizing: border-box; text-align: inherit; }
.dp-profile .dp-head { background: #1e3a5f; color: #fff; padding: 8px 14px; }
.dp-profile .dp-head b { font-weight: 650; }
.dp-profile .dp-head span { opacity: .85; margin-left: 10px; }
.dp-profile .dp-meta { margin: 0; padding: 8px 14px; color: #6b7280; }
.dp-profile table { border-collapse: collapse; width: 100%; margin: 0; border: 0;
  font-size: 13px; table-layout: auto; background: transparent; }
.dp-profile th, .dp-profile td { padding: 4px 10px; text-align: left; vertical-align: middle;
  border: 0; border-bottom: 1px solid #e5e7eb; white-space: nowrap; color: #1f2937;
  line-height: 1.45; }
.dp-profile th { font-size: 11px; color: #6b7280; text-transform: uppercase;
  letter-spacing: .03em; background: #fafbfc; font-weight: 600; }
.dp-profile tbody tr:nth-child(n) { background: transparent; }
.dp-profile .dp-num { text-align: right; font-variant-numeric: tabular-nums; }
.dp-profile .dp-name { font-weight: 600; white-space: normal; word-break: break-word; }
.dp-profile svg { display: block; max-width: none; height: auto; }
"""


def _number(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return _DASH
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude < 1e-4 or magnitude >= 1e15:
        return f"{value:.3e}"
    return f"{value:,.0f}" if magnitude >= 1000 else f"{value:.4g}"


def _value(value: float | None, kind: str) -> str:
    """Return a datetime (seconds since the epoch) as its UTC date and time, else a number."""
    if value is None or kind != "datetime" or not math.isfinite(value):
        return _number(value)
    try:
        return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return _number(value)


def _share(value: float) -> str:
    return f"{value * 100:.1f}".removesuffix(".0") + "%"


def _kinds(columns: list[ColumnSummary]) -> str:
    counts = Counter(s.kind.value for s in columns)
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))


def profile_repr(p: Profile) -> str:
    """``Profile(n_rows=1000, 3 columns: 2 numeric, 1 categorical)``."""
    columns = list(p.columns.values())
    noun = "column" if len(columns) == 1 else "columns"
    kinds = f": {_kinds(columns)}" if columns else ""
    skipped = f", {len(p.skipped)} skipped" if p.skipped else ""
    return f"Profile(n_rows={p.n_rows}, {len(columns)} {noun}{kinds}{skipped})"


def baseline_repr(b: Baseline) -> str:
    """``Baseline(model='loan', version='3', n_rows=1000, 3 features, target='y', ...)``."""
    parts = []
    if b.model_name is not None:
        parts.append(f"model={b.model_name!r}")
    if b.model_version is not None:
        parts.append(f"version={b.model_version!r}")
    parts.append(f"n_rows={b.profile.n_rows}")
    n = len(b.profile.columns)
    parts.append(f"{n} feature{'' if n == 1 else 's'}")
    if b.target is not None:
        parts.append(f"target={b.target!r}")
    if b.prediction is not None:
        parts.append(f"prediction={b.prediction!r}")
    parts.append(f"created_at={b.created_at!r}")
    return f"Baseline({', '.join(parts)})"


def _numeric(summary: ColumnSummary) -> NumericSummary | None:
    if isinstance(summary, TextSummary):
        return summary.lengths
    return summary if isinstance(summary, NumericSummary) else None


def _spark(numeric: NumericSummary) -> str:
    histogram = numeric.histogram
    low, high = numeric.min, numeric.max
    if histogram is None or low is None or high is None or not high > low:
        return ""
    span = high - low
    if not math.isfinite(span):
        return ""
    width, height = 120.0, 28.0
    bars: list[tuple[float, float, int]] = []
    for lo, hi, count in zip(
        histogram.edges[:-1], histogram.edges[1:], histogram.counts, strict=False
    ):
        a, b = max(float(lo), low), min(float(hi), high)
        if b >= a:
            bars.append((a, b, int(count)))
    total = sum(c for _, _, c in bars) or 1
    densities = [c / total / max(b - a, span / 100) for a, b, c in bars]
    top = max(densities, default=0.0) or 1.0
    rects = []
    for (a, b, count), d in zip(bars, densities, strict=True):
        x0 = width * (a - low) / span
        w = max(width * (b - a) / span, 1.0)
        h = height * d / top
        rects.append(
            f'<rect x="{x0:.1f}" y="{height - h:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="{_COLOUR}"><title>[{escape(_number(a))}, {escape(_number(b))}]: '
            f"{count:,} rows</title></rect>"
        )
    return (
        f'<svg role="img" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}"><title>Histogram of values</title>{"".join(rects)}</svg>'
    )


def _row(name: str, summary: ColumnSummary) -> str:
    missing = summary.n_missing if isinstance(summary, CategoricalSummary) else None
    numeric = _numeric(summary)
    if numeric is not None:
        missing = numeric.n - numeric.n_valid
    share = (missing or 0) / summary.n if summary.n else 0.0
    if numeric is not None and not isinstance(summary, TextSummary):
        median = float(numeric.quantiles([0.5])[0]) if numeric.n_valid else None
        values = (numeric.min, median, numeric.max, numeric.mean)
        kind = summary.kind.value
        cells = "".join(f'<td class="dp-num">{escape(_value(v, kind))}</td>' for v in values)
        distinct = _DASH
    else:
        if isinstance(summary, TextSummary) and numeric is not None and numeric.n_valid:
            median = float(numeric.quantiles([0.5])[0])
            lengths = (numeric.min, median, numeric.max, numeric.mean)
            cells = "".join(f'<td class="dp-num">{escape(_number(v))}</td>' for v in lengths)
        else:
            cells = f'<td class="dp-num">{_DASH}</td>' * 4
        n_distinct = getattr(summary, "n_distinct", None)
        distinct = _DASH if n_distinct is None else f"{int(n_distinct):,}"
    spark = "" if numeric is None else _spark(numeric)
    return (
        f'<tr><td class="dp-name">{escape(name)}</td><td>{escape(summary.kind.value)}</td>'
        f'<td class="dp-num">{summary.n:,}</td>'
        f'<td class="dp-num">{escape(_share(share))}</td><td class="dp-num">{distinct}</td>'
        f"{cells}<td>{spark}</td></tr>"
    )


def _table(columns: dict[str, ColumnSummary]) -> str:
    head = "".join(
        f'<th class="{"dp-num" if i > 1 and i < 9 else ""}">{h}</th>'
        for i, h in enumerate(
            ("Column", "Kind", "Rows", "Missing", "Distinct", "Min", "Median", "Max", "Mean",
             "Histogram")
        )
    )  # fmt: skip
    body = "".join(_row(name, summary) for name, summary in columns.items())
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def profile_html(p: Profile, *, title: str = "Profile", meta: str = "") -> str:
    """Return the profile as one scoped ``<div class="dp-profile">`` for a notebook."""
    skipped = "".join(
        f"<li>{escape(name)}: {escape(reason)}</li>" for name, reason in p.skipped.items()
    )
    skipped_html = f'<ul class="dp-meta">Skipped: {skipped}</ul>' if skipped else ""
    text_note = (
        '<p class="dp-meta">Text columns show their lengths (min, median, max, mean).</p>'
        if any(isinstance(s, TextSummary) for s in p.columns.values())
        else ""
    )
    return (
        f'<div class="dp-profile"><style>{_CSS}</style>'
        f'<div class="dp-head"><b>{escape(title)}</b><span>{p.n_rows:,} rows, '
        f"{len(p.columns)} columns</span></div>{meta}{_table(dict(p.columns))}"
        f"{text_note}{skipped_html}</div>"
    )


def baseline_html(b: Baseline) -> str:
    """Return the baseline as one scoped ``<div class="dp-profile">``: metadata, then columns."""
    facts = [("Model", b.model_name), ("Version", b.model_version), ("Target", b.target),
             ("Prediction", b.prediction), ("Created", b.created_at),
             ("Fingerprint", b.fingerprint[:16])]  # fmt: skip
    text = " · ".join(f"{label}: {escape(value)}" for label, value in facts if value)
    performance = ", ".join(f"{escape(k)} = {escape(_number(v))}" for k, v in b.performance.items())
    meta = f'<p class="dp-meta">{text}</p>'
    if performance:
        meta += f'<p class="dp-meta">Performance: {performance}</p>'
    return profile_html(b.as_profile(), title="Baseline", meta=meta)
