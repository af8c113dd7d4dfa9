"""Errors raised by driftpilot.

One hierarchy, rooted at :class:`DriftpilotError`. Each error also inherits the builtin it
specialises, so ``except ValueError`` keeps working for callers that do not know ours::

    DriftpilotError (Exception)
    ├── InvalidParameterError (ValueError)     a parameter outside its allowed values
    │   └── MonitorDefinitionError             a monitor file or body that does not validate
    ├── InsufficientDataError (ValueError)     too little data for a meaningful statistic
    ├── SchemaMismatchError (ValueError)       columns or types that do not fit together
    ├── IncompatibleProfilesError (ValueError) profiles built with different configurations
    ├── NotFittedError (ValueError)            an estimator used before ``fit``
    ├── UnsupportedDataError (TypeError)       an input object of a kind we cannot read
    ├── ProfileFormatError (ValueError)        a saved profile that cannot be read back
    ├── RequestFormatError (ValueError)        an HTTP request body that is not JSON or not of
    │                                          the documented shape
    ├── PayloadTooLargeError (ValueError)      an HTTP request body over the size limit
    ├── ConflictError (ValueError)             a resource that already exists, or a change
    │   │                                      its state forbids
    │   └── StaleRevisionError                 a write based on a revision that changed since
    ├── PreconditionRequiredError (ValueError) a write to a versioned record without the
    │                                          revision it was based on (``If-Match``)
    ├── ChecksumMismatchError (ValueError)     an artifact whose bytes do not match its SHA-256
    ├── UntrustedArtifactError (ValueError)    an artifact that would run code not trusted to
    │                                          load (untrusted skops types, pickle not allowed)
    ├── NotFoundError (LookupError)            a model, version, key or baseline that does not
    │                                          exist
    ├── ServiceUnavailableError (ConnectionError) the service a client calls cannot be reached
    ├── MissingDependencyError (ImportError)   an optional extra that is not installed; the
    │                                          message names the extra to install
    └── AuthError (PermissionError)            a missing, unknown or revoked API key
        └── ForbiddenError                     a valid API key without the scope a route needs

The service maps each ``code`` to one HTTP status (``driftpilot.server``): 404 for
``not_found``, 409 for ``conflict`` and ``stale_revision``, 428 for
``precondition_required``, 401 for ``unauthorized``, 403 for ``forbidden``, 413 for
``payload_too_large``, 400 for ``malformed_request`` and 422 for every other error. The CLI
prints any of them as one line and exits with code 2 (a missing extra included).

Messages name the parameter, the constraint and the value received, with a hint where one
helps: "The 'bins' parameter of psi must be an integer >= 1. Got 0 instead."
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "ChecksumMismatchError",
    "ConflictError",
    "DriftpilotError",
    "ForbiddenError",
    "IncompatibleProfilesError",
    "InsufficientDataError",
    "InvalidParameterError",
    "MissingDependencyError",
    "MonitorDefinitionError",
    "NotFittedError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PreconditionRequiredError",
    "ProfileFormatError",
    "RequestFormatError",
    "SchemaMismatchError",
    "ServiceUnavailableError",
    "StaleRevisionError",
    "UnsupportedDataError",
    "UntrustedArtifactError",
]


class DriftpilotError(Exception):
    """Root of every error driftpilot raises on purpose."""

    #: Stable machine-readable code, used by the CLI and the HTTP error object.
    code: str = "driftpilot_error"


class InvalidParameterError(DriftpilotError, ValueError):
    """A parameter is outside the values it accepts."""

    code = "invalid_parameter"


class MonitorDefinitionError(InvalidParameterError):
    """A monitor definition that does not validate; the message names file, line and field."""

    code = "invalid_monitor"


class InsufficientDataError(DriftpilotError, ValueError):
    """There is too little data to compute a meaningful result."""

    code = "insufficient_data"


class SchemaMismatchError(DriftpilotError, ValueError):
    """Columns or column types do not fit together."""

    code = "schema_mismatch"


class IncompatibleProfilesError(DriftpilotError, ValueError):
    """Two profiles were built with different configurations and cannot be combined."""

    code = "incompatible_profiles"


class NotFittedError(DriftpilotError, ValueError):
    """An estimator or detector was asked for a result before ``fit`` was called."""

    code = "not_fitted"


class UnsupportedDataError(DriftpilotError, TypeError):
    """The input is of a kind driftpilot cannot read."""

    code = "unsupported_data"


class ProfileFormatError(DriftpilotError, ValueError):
    """A saved profile or baseline is malformed or of an unknown format version."""

    code = "profile_format"


class RequestFormatError(DriftpilotError, ValueError):
    """An HTTP request body is not valid JSON or not of the documented shape."""

    code = "malformed_request"


class PayloadTooLargeError(DriftpilotError, ValueError):
    """An HTTP request body is larger than the configured limit."""

    code = "payload_too_large"


class ConflictError(DriftpilotError, ValueError):
    """A resource (a model, a model version) already exists."""

    code = "conflict"


class StaleRevisionError(ConflictError):
    """A write based on a revision of a record that has changed since it was read.

    ``details`` carries the ``expected`` and ``current`` revisions.
    """

    code = "stale_revision"

    def __init__(self, message: str, *, expected: int | None, current: int) -> None:
        super().__init__(message)
        self.details = {"expected": expected, "current": current}


class PreconditionRequiredError(DriftpilotError, ValueError):
    """A write to a versioned record that does not say which revision it was based on."""

    code = "precondition_required"


class ChecksumMismatchError(DriftpilotError, ValueError):
    """An artifact's bytes do not match the SHA-256 recorded or declared for them."""

    code = "checksum_mismatch"


class UntrustedArtifactError(DriftpilotError, ValueError):
    """Loading an artifact would run code that was not trusted (see the message for how)."""

    code = "untrusted_artifact"


class NotFoundError(DriftpilotError, LookupError):
    """A model, model version, baseline or API key does not exist."""

    code = "not_found"


class ServiceUnavailableError(DriftpilotError, ConnectionError):
    """A client cannot reach the driftpilot service (not running, wrong URL, network)."""

    code = "service_unavailable"


class MissingDependencyError(DriftpilotError, ImportError):
    """An optional dependency is not installed; the message names the extra that installs it.

    Parameters
    ----------
    message
        What needed the dependency and how to install it.
    extra
        The name of the extra (``brokers``, ``postgres``, ``pandas``, ``polars``).
    module
        The module that could not be imported.
    """

    code = "missing_dependency"

    def __init__(self, message: str, *, extra: str, module: str) -> None:
        super().__init__(message, name=module)
        self.extra = extra
        self.module = module


class AuthError(DriftpilotError, PermissionError):
    """No API key, or one that is unknown or revoked."""

    code = "unauthorized"


class ForbiddenError(AuthError):
    """A valid API key that lacks the scope the action needs."""

    code = "forbidden"
