"""driftpilot: keep machine-learning models healthy in production.

>>> import driftpilot as dp
>>> dp.compare({"x": [1.0, 2.0, 3.0]}, {"x": [1.0, 2.0, 3.5]}).dataset_drift
False

``import driftpilot`` loads nothing but this file: every public name (the version too, and
every subpackage, ``driftpilot.drift`` say) is imported on first use, so a CLI call, a
worker or a test that needs one part does not pay for numpy, pyarrow and scipy up front.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from driftpilot import datasets
    from driftpilot._columns import ColumnType
    from driftpilot._version import __version__
    from driftpilot.drift import ColumnDrift, DriftReport, SchemaFinding, compare
    from driftpilot.ingest import AsyncClient as AsyncClient
    from driftpilot.ingest import Client as Client
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

# Public name -> (module, attribute in it); None: the module itself.
_LAZY: dict[str, tuple[str, str | None]] = {
    "AsyncClient": ("driftpilot.ingest", "AsyncClient"),
    "Baseline": ("driftpilot.profile", "Baseline"),
    "Client": ("driftpilot.ingest", "Client"),
    "ColumnDrift": ("driftpilot.drift", "ColumnDrift"),
    "ColumnType": ("driftpilot._columns", "ColumnType"),
    "DriftReport": ("driftpilot.drift", "DriftReport"),
    "Profile": ("driftpilot.profile", "Profile"),
    "ProfileConfig": ("driftpilot.profile", "ProfileConfig"),
    "SchemaFinding": ("driftpilot.drift", "SchemaFinding"),
    "__version__": ("driftpilot._version", "__version__"),
    "baseline": ("driftpilot.profile", "baseline"),
    "compare": ("driftpilot.drift", "compare"),
    "datasets": ("driftpilot.datasets", None),
    "fingerprint": ("driftpilot.profile", "fingerprint"),
    "load": ("driftpilot.profile", "load_profile"),
}


def __getattr__(name: str) -> Any:
    """Import a public name, or a subpackage (``driftpilot.stats``), on first use."""
    target = _LAZY.get(name)
    if target is not None:
        module = importlib.import_module(target[0])
        value = module if target[1] is None else getattr(module, target[1])
    elif not name.startswith("_"):
        try:
            value = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module 'driftpilot' has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module 'driftpilot' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _Package(types.ModuleType):
    """The module type of ``driftpilot``, in which ``driftpilot.profile`` stays the function.

    Importing the subpackage of the same name binds it as an attribute of this package
    (import machinery), which would shadow the function ``profile`` it exports.
    """

    @property
    def profile(self) -> Any:
        from driftpilot.profile import profile

        return profile

    @profile.setter
    def profile(self, value: Any) -> None:
        if not isinstance(value, types.ModuleType):
            raise AttributeError("driftpilot.profile is the profile function; it cannot be set")


sys.modules[__name__].__class__ = _Package
