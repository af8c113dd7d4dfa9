"""How numbers, p-values, shares, counts and values read in the report, its table and charts.

Shared by the HTML page (``_html``), its charts (``_charts``), the rich table (``_table``)
and the monitor's run page, so that a value reads the same everywhere.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

__all__ = [
    "EM_DASH",
    "format_count",
    "format_number",
    "format_p_value",
    "format_share",
    "format_value",
]

#: Shown in place of a missing value.
EM_DASH = "\u2014"


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


def format_value(value: float | None, kind: str, *, span: float | None = None) -> str:
    """Return a column value as its kind reads it.

    A datetime (seconds since the epoch) in ISO form, a date alone when ``span`` (the range
    shown) is at least two days; anything else with :func:`format_number`.
    """
    if value is None or kind != "datetime" or not math.isfinite(value):
        return format_number(value)
    try:
        moment = datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return format_number(value)
    if span is not None and span >= 2 * 86_400:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M:%S")
