"""A monitor report as a table: one row per check result, for pandas, polars or Arrow.

The Arrow table has a fixed schema (an empty report keeps every column and its type);
``details`` is the result's details as JSON text, since its shape differs between checks.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from driftpilot.monitor.results import CheckResult, MonitorReport

__all__ = ["SCHEMA", "results_table"]

#: The columns of :meth:`MonitorReport.to_arrow`, in order.
SCHEMA = pa.schema(
    [
        ("monitor", pa.string()),
        ("model", pa.string()),
        ("window_start", pa.timestamp("us", tz="UTC")),
        ("window_end", pa.timestamp("us", tz="UTC")),
        ("revision", pa.int64()),
        ("check", pa.string()),
        ("kind", pa.string()),
        ("metric", pa.string()),
        ("feature", pa.string()),
        ("segment", pa.string()),
        ("value", pa.float64()),
        ("stderr", pa.float64()),
        ("lower", pa.float64()),
        ("upper", pa.float64()),
        ("p_value", pa.float64()),
        ("severity", pa.string()),
        ("flagged", pa.bool_()),
        ("status", pa.string()),
        ("n", pa.int64()),
        ("n_labels", pa.int64()),
        ("reason", pa.string()),
        ("details", pa.string()),
    ]
)


def _row(report: MonitorReport, result: CheckResult) -> dict[str, Any]:
    data = result.to_dict()  # finite floats or None, plain details
    return {
        "monitor": report.monitor,
        "model": report.model,
        "window_start": report.window_start,
        "window_end": report.window_end,
        "revision": report.revision,
        **{name: data[name] for name in SCHEMA.names[5:-1]},
        "details": json.dumps(data["details"], sort_keys=True) if data["details"] else None,
    }


def results_table(report: MonitorReport) -> pa.Table:
    """Return one row per check result, in the report's order."""
    return pa.Table.from_pylist([_row(report, r) for r in report.results], schema=SCHEMA)
