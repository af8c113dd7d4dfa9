"""Optional dependencies: import one, or raise an error that names the extra installing it.

Every optional back end (``brokers``: FastStream; ``postgres``: psycopg; ``pandas``,
``polars``) is imported through :func:`require` where it is first needed, never when
``driftpilot`` is imported, so a missing extra fails with one sentence
(:class:`~driftpilot.errors.MissingDependencyError`) that the CLI prints as one line (exit 2)
and the service as its startup error.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from driftpilot.errors import MissingDependencyError

__all__ = ["EXTRAS", "require"]

#: The optional extras and the top-level module each one installs.
EXTRAS: dict[str, str] = {
    "brokers": "faststream",
    "pandas": "pandas",
    "polars": "polars",
    "postgres": "psycopg",
    "sklearn": "skops",
}


def require(module: str, *, extra: str, purpose: str) -> ModuleType:
    """Import ``module``, which the ``extra`` installs, for ``purpose``.

    Parameters
    ----------
    module
        The dotted module name to import (``"faststream.nats"``).
    extra
        The extra of driftpilot that installs it (a key of :data:`EXTRAS`).
    purpose
        What needs it, as the start of a sentence ("Publishing events to nats").

    Raises
    ------
    MissingDependencyError
        The module (or a module it imports) is not installed.
    """
    if extra not in EXTRAS:
        raise ValueError(f"Unknown extra {extra!r}; the extras are {sorted(EXTRAS)}.")
    try:
        return importlib.import_module(module)
    except ImportError as err:
        missing = (err.name or module).partition(".")[0]
        raise MissingDependencyError(
            f"{purpose} needs the '{extra}' extra ({missing} is not installed): "
            f"pip install 'driftpilot[{extra}]'",
            extra=extra,
            module=missing,
        ) from err
