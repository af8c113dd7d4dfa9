"""driftpilot: keep machine-learning models healthy in production.

>>> import driftpilot as dp
>>> dp.compare({"x": [1.0, 2.0, 3.0]}, {"x": [1.0, 2.0, 3.5]}).dataset_drift
False
"""

from typing import Any

from driftpilot import datasets
from driftpilot._columns import ColumnType
from driftpilot._version import __version__
from driftpilot.drift import ColumnDrift, DriftReport, SchemaFinding, compare
from driftpilot.profile import Baseline, Profile, ProfileConfig, baseline, fingerprint, profile
from driftpilot.profile import load_profile as load

__all__ = [
    "Baseline",
    "ColumnDrift",
    "ColumnType",
    "DriftReport",
    "Profile",
    "ProfileConfig",
    "SchemaFinding",
    "__version__",
    "baseline",
    "compare",
    "datasets",
    "fingerprint",
    "load",
    "profile",
]


def __getattr__(name: str) -> Any:
    """Load the SDK clients on first use: ``import driftpilot`` stays free of httpx."""
    if name in ("AsyncClient", "Client"):
        from driftpilot import ingest

        return getattr(ingest, name)
    raise AttributeError(f"module 'driftpilot' has no attribute {name!r}")
