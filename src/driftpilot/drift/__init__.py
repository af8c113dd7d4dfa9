"""Batch drift detection: compare a reference with current data, get a ``DriftReport``."""

from driftpilot.drift._selection import TEST_SPECS
from driftpilot.drift.compare import compare
from driftpilot.drift.report import (
    BinnedDistribution,
    ColumnDrift,
    ColumnStats,
    DriftReport,
    MultivariateDrift,
    SchemaFinding,
)

__all__ = [
    "TEST_SPECS",
    "BinnedDistribution",
    "ColumnDrift",
    "ColumnStats",
    "DriftReport",
    "MultivariateDrift",
    "SchemaFinding",
    "compare",
]
