"""Errors raised by driftpilot.

One hierarchy, rooted at :class:`DriftpilotError`. Each error also inherits the builtin it
specialises, so ``except ValueError`` keeps working for callers that do not know ours::

    DriftpilotError (Exception)
    ├── InvalidParameterError (ValueError)     a parameter outside its allowed values
    ├── InsufficientDataError (ValueError)     too little data for a meaningful statistic
    ├── SchemaMismatchError (ValueError)       columns or types that do not fit together
    ├── IncompatibleProfilesError (ValueError) profiles built with different configurations
    ├── UnsupportedDataError (TypeError)       an input object of a kind we cannot read
    └── ProfileFormatError (ValueError)        a saved profile that cannot be read back

Messages name the parameter, the constraint and the value received, with a hint where one
helps: "The 'bins' parameter of psi must be an integer >= 1. Got 0 instead."
"""

from __future__ import annotations

__all__ = [
    "DriftpilotError",
    "IncompatibleProfilesError",
    "InsufficientDataError",
    "InvalidParameterError",
    "ProfileFormatError",
    "SchemaMismatchError",
    "UnsupportedDataError",
]


class DriftpilotError(Exception):
    """Root of every error driftpilot raises on purpose."""

    #: Stable machine-readable code, used by the CLI and (later) the HTTP error object.
    code: str = "driftpilot_error"


class InvalidParameterError(DriftpilotError, ValueError):
    """A parameter is outside the values it accepts."""

    code = "invalid_parameter"


class InsufficientDataError(DriftpilotError, ValueError):
    """There is too little data to compute a meaningful result."""

    code = "insufficient_data"


class SchemaMismatchError(DriftpilotError, ValueError):
    """Columns or column types do not fit together."""

    code = "schema_mismatch"


class IncompatibleProfilesError(DriftpilotError, ValueError):
    """Two profiles were built with different configurations and cannot be combined."""

    code = "incompatible_profiles"


class UnsupportedDataError(DriftpilotError, TypeError):
    """The input is of a kind driftpilot cannot read."""

    code = "unsupported_data"


class ProfileFormatError(DriftpilotError, ValueError):
    """A saved profile or baseline is malformed or of an unknown format version."""

    code = "profile_format"
