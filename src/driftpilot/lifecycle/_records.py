"""The registry's records: a model version with its artifact, lineage and status; aliases.

Every record is a frozen dataclass; times are microseconds since the Unix epoch (UTC), as
in the store. A version's ``revision`` grows by one on every change (a status change, an
attached report), an alias's on every move; writers pass the revision they read, so two
actors never overwrite each other (optimistic concurrency, checked by the store).

Statuses and the changes allowed between them::

    registered ──► validated ──► rejected ──► archived
        │   └──────────────────────►┘ ▲         ▲
        └──────────────────────────────┴─────────┘

``archived`` is final: an archived version keeps its artifact and history (audit) but no
alias may be set to it (a rollback may still restore it; see ``_aliases``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from driftpilot.errors import ConflictError, InvalidParameterError

__all__ = [
    "ALIAS_PATTERN",
    "TRANSITIONS",
    "Alias",
    "AliasMove",
    "Artifact",
    "EvaluationReport",
    "Lineage",
    "ModelVersion",
    "Signature",
    "VersionMetrics",
    "VersionPage",
    "VersionStatus",
    "VersionSummary",
    "check_alias",
    "check_sha256",
    "check_transition",
]


class VersionStatus(StrEnum):
    """Where a version stands: registered, validated (passed its gates), rejected, archived."""

    REGISTERED = "registered"
    VALIDATED = "validated"
    REJECTED = "rejected"
    ARCHIVED = "archived"


#: The statuses each status may change to.
TRANSITIONS: dict[VersionStatus, frozenset[VersionStatus]] = {
    VersionStatus.REGISTERED: frozenset(
        {VersionStatus.VALIDATED, VersionStatus.REJECTED, VersionStatus.ARCHIVED}
    ),
    VersionStatus.VALIDATED: frozenset({VersionStatus.REJECTED, VersionStatus.ARCHIVED}),
    VersionStatus.REJECTED: frozenset({VersionStatus.ARCHIVED}),
    VersionStatus.ARCHIVED: frozenset(),
}

#: An alias: lower-case letters, digits, '-' and '_', starting with a letter, 1-64 long.
ALIAS_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"
_ALIAS = re.compile(ALIAS_PATTERN)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_transition(model: str, version: str, current: VersionStatus, new: VersionStatus) -> None:
    """Raise ``ConflictError`` unless a version may change from ``current`` to ``new``."""
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none (final)"
        raise ConflictError(
            f"Version {version!r} of model {model!r} is {current.value}; it cannot become "
            f"{new.value}. Allowed from {current.value}: {allowed}."
        )


def check_alias(alias: object) -> str:
    """Return ``alias`` if it is a valid alias name, else raise ``InvalidParameterError``."""
    if not isinstance(alias, str) or not _ALIAS.fullmatch(alias):
        raise InvalidParameterError(
            "The 'alias' must be 1-64 lower-case letters, digits, '-' or '_', starting with a "
            f"letter (like 'champion'). Got {alias!r} instead."
        )
    return alias


def check_sha256(value: object, *, field_name: str = "sha256") -> str:
    """Return ``value`` lower-cased if it is a hex SHA-256 digest, else raise."""
    text = value.lower() if isinstance(value, str) else value
    if not isinstance(text, str) or not _SHA256.fullmatch(text):
        raise InvalidParameterError(
            f"The {field_name!r} must be a SHA-256 digest: 64 hexadecimal characters. "
            f"Got {value!r} instead."
        )
    return text


@dataclass(frozen=True, slots=True, kw_only=True)
class Artifact:
    """A stored model file: where it is, how to load it, its size and SHA-256.

    ``options`` are the flavor's settings (the ``python`` flavor's ``class``).
    """

    uri: str
    flavor: str
    size: int
    sha256: str
    options: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the artifact as JSON-ready values."""
        return {
            "uri": self.uri, "flavor": self.flavor, "size": self.size, "sha256": self.sha256,
            "options": dict(self.options),
        }  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Signature:
    """What the model takes and returns: ``{name: type}`` of inputs and outputs, in order."""

    inputs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the signature as JSON-ready values."""
        return {"inputs": dict(self.inputs), "outputs": dict(self.outputs)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Lineage:
    """Where a version came from.

    ``data_fingerprint`` identifies the training data (a baseline's fingerprint, a dataset
    hash); ``data_start``/``data_end`` its time window (µs); ``code_version`` the commit or
    package version; ``run_id`` the run that trained it; ``baseline_id`` its baseline.
    """

    data_fingerprint: str | None = None
    data_start: int | None = None
    data_end: int | None = None
    code_version: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    baseline_id: int | None = None

    def __post_init__(self) -> None:
        if (
            self.data_start is not None
            and self.data_end is not None
            and self.data_end < self.data_start
        ):
            raise InvalidParameterError(
                "The lineage's 'data_end' must not be before its 'data_start'. "
                f"Got {self.data_start} and {self.data_end}."
            )

    def to_dict(self) -> dict[str, Any]:
        """Return the lineage as JSON-ready values (times in µs)."""
        return {
            "data_fingerprint": self.data_fingerprint, "data_start": self.data_start,
            "data_end": self.data_end, "code_version": self.code_version,
            "parameters": dict(self.parameters), "run_id": self.run_id,
            "baseline_id": self.baseline_id,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lineage:
        """Return the lineage ``to_dict`` wrote."""
        return cls(**data)


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionMetrics:
    """Metrics measured when the version was trained: on validation and on training data."""

    validation: dict[str, float] = field(default_factory=dict)
    training: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the metrics as JSON-ready values."""
        return {"validation": dict(self.validation), "training": dict(self.training)}


@dataclass(frozen=True, slots=True, kw_only=True)
class EvaluationReport:
    """A report attached to a version after registration (an evaluation, a gate's verdict)."""

    id: int
    name: str
    document: dict[str, Any]
    created_by: str | None
    created_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelVersion:
    """A registered model version.

    ``status`` is ``None`` for a version only seen in events or baselines (no artifact
    registered yet); such a version has no ``artifact`` either.
    """

    model: str
    version: str
    status: VersionStatus | None
    revision: int
    artifact: Artifact | None
    signature: Signature
    lineage: Lineage
    metrics: VersionMetrics
    description: str | None
    tags: dict[str, str]
    created_by: str | None
    created_at: int
    registered_at: int | None
    aliases: tuple[str, ...] = ()
    reports: tuple[EvaluationReport, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionSummary:
    """One version in a listing: what a table shows (the full record: ``get_version``).

    ``baseline_id`` is the version's current baseline, if it has one.
    """

    model: str
    version: str
    status: VersionStatus | None
    revision: int
    flavor: str | None
    sha256: str | None
    aliases: tuple[str, ...]
    baseline_id: int | None
    created_at: int
    registered_at: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionPage:
    """One page of versions, oldest first; ``next_cursor`` fetches the next (``None``: last)."""

    items: tuple[VersionSummary, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Alias:
    """Where an alias points now (``version`` is ``None`` once removed) and its revision."""

    model: str
    alias: str
    version: str | None
    revision: int
    updated_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AliasMove:
    """One recorded move of an alias: from ``previous`` to ``version`` (``None``: removed).

    ``revision`` is the alias's revision after the move; ``rollback`` marks a move made by a
    rollback.
    """

    id: int
    model: str
    alias: str
    version: str | None
    previous: str | None
    actor: str
    reason: str
    revision: int
    rollback: bool
    moved_at: int
