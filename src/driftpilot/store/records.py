"""What the store returns: frozen dataclasses, never database rows.

Times are integers, microseconds since the Unix epoch in UTC (``driftpilot.store._time``
converts); JSON values (features, predictions, labels) are the parsed Python values.
"""

from __future__ import annotations

import math
import re
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal

from driftpilot._columns import ColumnType
from driftpilot.errors import InvalidParameterError

__all__ = [
    "MONITOR_ORIGINS",
    "REJECTION_CODES",
    "ApiKeyRecord",
    "BaselineRecord",
    "ErrorInfo",
    "EventRecord",
    "EventResult",
    "FeatureSchema",
    "FeatureSpec",
    "IngestResult",
    "LabelIngestResult",
    "LabelRecord",
    "LabelResult",
    "ModelRecord",
    "MonitorOrigin",
    "MonitorRecord",
    "NewApiKey",
    "Page",
    "RejectedRecord",
    "Scope",
    "Task",
    "VersionRecord",
    "check_model_name",
    "check_monitor_name",
    "check_version",
]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
MAX_VERSION_LENGTH = 200

MonitorOrigin = Literal["file", "api"]
MONITOR_ORIGINS: tuple[MonitorOrigin, ...] = ("file", "api")


class Task(StrEnum):
    """What a model predicts, which decides how its predictions and labels are profiled."""

    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"


class Scope(StrEnum):
    """What an API key may do; ``admin`` includes ``read`` and ``ingest``."""

    INGEST = "ingest"
    READ = "read"
    ADMIN = "admin"


def check_model_name(name: object) -> str:
    """Return ``name`` if it is a valid model name, else raise ``InvalidParameterError``."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidParameterError(
            "A model name must be 1-200 letters, digits, '.', '_' or '-', starting with a "
            f"letter or digit. Got {name!r} instead."
        )
    return name


def check_monitor_name(name: object) -> str:
    """Return ``name`` if it is a valid monitor name, else raise ``InvalidParameterError``."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidParameterError(
            "A monitor name must be 1-200 letters, digits, '.', '_' or '-', starting with a "
            f"letter or digit. Got {name!r} instead."
        )
    return name


def check_version(version: object, *, field_name: str = "model_version") -> str:
    """Return ``version`` if it is a valid model version, else raise ``InvalidParameterError``."""
    if (
        not isinstance(version, str)
        or not 0 < len(version) <= MAX_VERSION_LENGTH
        or "/" in version
        or version in (".", "..")
        or not version.isprintable()
    ):
        raise InvalidParameterError(
            f"The {field_name!r} must be a string of 1-{MAX_VERSION_LENGTH} printable "
            f"characters without '/', and not '.' or '..'. Got {_describe(version)} instead."
        )
    return version


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureSpec:
    """What one declared feature must look like.

    ``min`` and ``max`` (inclusive) apply to numeric features only; ``nullable=False``
    flags events where the feature is ``null``.
    """

    type: ColumnType
    min: float | None = None
    max: float | None = None
    nullable: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "type": self.type.value,
            "min": self.min,
            "max": self.max,
            "nullable": self.nullable,
        }


@dataclass(frozen=True, slots=True)
class FeatureSchema:
    """The declared features of a model, by name."""

    features: Mapping[str, FeatureSpec]

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", MappingProxyType(dict(self.features)))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form ``{"features": {name: spec}}``."""
        return {"features": {name: spec.to_dict() for name, spec in self.features.items()}}

    @classmethod
    def from_dict(cls, data: object) -> FeatureSchema:
        """Read ``{"features": {"age": {"type": "numeric", "min": 0, ...}}}``.

        Raises
        ------
        InvalidParameterError
            A field is missing or invalid; the message names it.
        """
        if not isinstance(data, Mapping) or set(data) != {"features"}:
            raise InvalidParameterError(
                'A feature schema must be an object with one key, "features". '
                f"Got {_describe(data)} instead."
            )
        features = data["features"]
        if not isinstance(features, Mapping):
            raise InvalidParameterError(
                f"feature_schema.features must be an object. Got {_describe(features)} instead."
            )
        return cls({str(name): _spec(str(name), spec) for name, spec in features.items()})


def _spec(name: str, data: object) -> FeatureSpec:
    where = f"feature_schema.features.{name}"
    if not isinstance(data, Mapping):
        raise InvalidParameterError(f"{where} must be an object. Got {_describe(data)} instead.")
    unknown = sorted(set(data) - {"type", "min", "max", "nullable"})
    if unknown:
        raise InvalidParameterError(
            f"{where} has unknown fields {unknown}; the fields are type, min, max, nullable."
        )
    try:
        kind = ColumnType(str(data.get("type")))
    except ValueError:
        allowed = ", ".join(repr(t.value) for t in ColumnType)
        raise InvalidParameterError(
            f"{where}.type must be one of {allowed}. Got {data.get('type')!r} instead."
        ) from None
    bounds = {}
    for key in ("min", "max"):
        value = data.get(key)
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InvalidParameterError(
                f"{where}.{key} must be a finite number or null. Got {value!r} instead."
            )
        if value is not None and kind is not ColumnType.NUMERIC:
            raise InvalidParameterError(
                f"{where}.{key} applies to numeric features only; this one is {kind.value}."
            )
        bounds[key] = None if value is None else float(value)
    low, high = bounds["min"], bounds["max"]
    if low is not None and high is not None and low > high:
        raise InvalidParameterError(f"{where}: min ({low}) must not exceed max ({high}).")
    nullable = data.get("nullable", True)
    if not isinstance(nullable, bool):
        raise InvalidParameterError(
            f"{where}.nullable must be true or false. Got {nullable!r} instead."
        )
    return FeatureSpec(type=kind, min=low, max=high, nullable=nullable)


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 3, 40, 40, 40


def _describe(value: object) -> str:
    text = _REPR.repr(value)  # bounded: a value may be megabytes of nested JSON
    return text if len(text) <= 60 else f"{type(value).__name__} {text[:57]}..."


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelRecord:
    """A monitored model."""

    id: int
    name: str
    task: Task
    feature_schema: FeatureSchema | None
    created_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorRecord:
    """A stored monitor definition.

    ``definition`` is the monitor's definition as stored (normalized JSON, parsed back);
    ``origin`` says where it came from: a monitors file (``file``) or the HTTP API (``api``).
    """

    name: str
    model: str
    definition: dict[str, Any]
    origin: MonitorOrigin
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionRecord:
    """A version of a model, with the id of its current baseline if it has one."""

    model: str
    version: str
    created_at: int
    baseline_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BaselineRecord:
    """A stored baseline (or plain profile) of a model version, without its document."""

    id: int
    model: str
    version: str
    kind: Literal["baseline", "profile"]
    fingerprint: str | None
    n_rows: int
    created_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorInfo:
    """Why one event or label was rejected: the HTTP error object's fields."""

    code: str
    message: str
    details: Any = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"code": self.code, "message": self.message, "details": self.details}


#: The codes of a rejected event or label: the ``reason`` label of the rejection metrics and
#: the ``code`` of a quarantined item (a bounded set; anything else would be ``other``).
REJECTION_CODES = frozenset(
    {
        "missing_field",  # event_id, timestamp, model_version or a label's value absent
        "invalid_field",  # one of those present but invalid
        "invalid_event",  # an item of "events" that is not an object
        "invalid_label",  # an item of "labels" that is not an object
        "invalid_string",  # a string or key with a lone surrogate
        "invalid_number",  # an integer outside the 64-bit range
        "too_deep",  # objects and arrays nested past the limit
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectedRecord:
    """A quarantined event or label: what was sent (``body``, maybe cut), why it was refused.

    ``kind`` is ``event`` or ``label``; ``body_chars`` the length of the full text;
    ``key_id`` the id of the API key that sent it (``None`` with auth off).
    """

    kind: Literal["event", "label"]
    rejected_at: int
    key_id: str | None
    event_id: str | None
    code: str
    error: dict[str, Any]
    body: str
    body_chars: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EventResult:
    """What happened to one event of a batch."""

    event_id: str | None
    status: Literal["stored", "duplicate", "rejected"]
    quality_flags: Sequence[str] = ()
    error: ErrorInfo | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestResult:
    """What happened to a batch of events, in request order."""

    stored: int
    duplicates: int
    rejected: int
    results: Sequence[EventResult]


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelResult:
    """What happened to one label of a batch."""

    event_id: str | None
    status: Literal["joined", "pending", "duplicate", "rejected"]
    error: ErrorInfo | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelIngestResult:
    """What happened to a batch of labels, in request order."""

    joined: int
    pending: int
    duplicates: int
    rejected: int
    results: Sequence[LabelResult]


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRecord:
    """A stored prediction event, with its label once that has arrived."""

    event_id: str
    timestamp: int
    model_version: str
    features: Any
    prediction: Any
    scores: Any
    latency_ms: float | None
    segment: Any
    quality_flags: Sequence[str]
    received_at: int
    label: Any = None
    label_timestamp: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelRecord:
    """A stored label; ``joined_at`` is ``None`` while its event has not arrived."""

    event_id: str
    value: Any
    timestamp: int
    received_at: int
    joined_at: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """One page of a keyset-paged query; ``next_cursor`` is ``None`` on the last page."""

    items: Sequence[Any]
    next_cursor: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKeyRecord:
    """An API key's public part: never the key or its hash."""

    id: int
    key_id: str
    name: str | None
    scopes: frozenset[Scope]
    created_at: int
    revoked_at: int | None = None

    def allows(self, scope: Scope) -> bool:
        """Whether the key may act with ``scope`` (``admin`` may do everything)."""
        return self.revoked_at is None and (scope in self.scopes or Scope.ADMIN in self.scopes)


@dataclass(frozen=True, slots=True, kw_only=True)
class NewApiKey:
    """A key just created: the secret ``key`` is shown this once and stored only hashed."""

    record: ApiKeyRecord
    key: str = field(repr=False)
