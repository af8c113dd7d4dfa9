"""A drift report as a table: one row per tested column, for pandas, polars or Arrow.

The Arrow table is built first with a fixed schema (so an empty report still has every
column, with its type), and pandas and polars frames are converted from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from driftpilot.drift.report import ColumnDrift, ColumnStats, DriftReport

__all__ = ["SCHEMA", "report_table"]

_STAT_FIELDS = ("missing_share", "min", "max", "mean", "q50")

#: The columns of :meth:`DriftReport.to_arrow`, in order.
SCHEMA = pa.schema(
    [
        ("column", pa.string()),
        ("type", pa.string()),
        ("test", pa.string()),
        ("statistic", pa.float64()),
        ("p_value", pa.float64()),
        ("p_value_adjusted", pa.float64()),
        ("threshold", pa.float64()),
        ("drifted", pa.bool_()),
        ("severity", pa.string()),
        ("psi", pa.float64()),
        ("effect_measure", pa.string()),
        ("effect_size", pa.float64()),
        ("effect_threshold", pa.float64()),
        ("n_reference", pa.int64()),
        ("n_current", pa.int64()),
        ("n_excluded_reference", pa.int64()),
        ("n_excluded_current", pa.int64()),
        ("approximate", pa.bool_()),
        *(
            (f"{stat}_{side}", pa.float64())
            for stat in _STAT_FIELDS
            for side in ("reference", "current")
        ),
        ("findings", pa.string()),
    ]
)


def _stat(stats: ColumnStats | None, name: str) -> float | None:
    if stats is None:
        return None
    value = stats.missing_share if name == "missing_share" else getattr(stats, name)
    return None if value is None else float(value)


def _row(column: ColumnDrift, findings: dict[str, list[str]]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "column": column.name,
        "type": column.type,
        "test": column.test,
        "statistic": column.statistic,
        "p_value": column.p_value,
        "p_value_adjusted": column.p_value_adjusted,
        "threshold": column.threshold,
        "drifted": column.drifted,
        "severity": column.severity,
        "psi": column.psi,
        "effect_measure": column.effect_measure,
        "effect_size": column.effect_size,
        "effect_threshold": column.effect_threshold,
        "n_reference": column.n_reference,
        "n_current": column.n_current,
        "n_excluded_reference": column.n_excluded_reference,
        "n_excluded_current": column.n_excluded_current,
        "approximate": column.approximate,
    }
    for stat in _STAT_FIELDS:
        row[f"{stat}_reference"] = _stat(column.reference_stats, stat)
        row[f"{stat}_current"] = _stat(column.current_stats, stat)
    kinds = findings.get(column.name)
    row["findings"] = None if not kinds else ", ".join(kinds)
    return row


def report_table(report: DriftReport) -> pa.Table:
    """Return one row per tested column, in the report's column order.

    ``findings`` lists the kinds of the findings about the column (comma separated), e.g.
    ``missing_rate_changed``; columns that were not tested appear only in
    ``report.findings``.
    """
    findings: dict[str, list[str]] = {}
    for finding in report.findings:
        findings.setdefault(finding.column, []).append(finding.kind)
    rows = [_row(column, findings) for column in report.columns.values()]
    return pa.Table.from_pylist(rows, schema=SCHEMA)
