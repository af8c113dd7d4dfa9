"""The ``Registry`` port: what the closed loop needs from wherever versions and aliases live.

``driftpilot.store`` implements it over the service's database (``Store.registry``); the
HTTP client (``driftpilot.ingest.RegistryClient``) implements the same calls against a
running service. Writes that change an existing record take ``expected_revision``: the
revision the caller read. A stale one raises ``StaleRevisionError`` and changes nothing.
"""

from __future__ import annotations

from typing import Any, Protocol

from driftpilot.lifecycle._records import (
    Alias,
    AliasMove,
    Artifact,
    Lineage,
    ModelVersion,
    Signature,
    VersionMetrics,
    VersionPage,
    VersionStatus,
)

__all__ = ["Registry"]


class Registry(Protocol):
    """Model versions with artifacts, statuses and reports, and aliases with their history."""

    def register_version(
        self,
        model: str,
        version: str,
        *,
        artifact: Artifact,
        signature: Signature,
        lineage: Lineage,
        metrics: VersionMetrics,
        description: str | None,
        tags: dict[str, str],
        created_by: str | None,
    ) -> ModelVersion:
        """Register ``version`` (created if events have not named it yet) with its artifact.

        Raises ``ConflictError`` if it already has an artifact: an artifact never changes.
        """
        ...

    def get_version(self, model: str, version: str) -> ModelVersion:
        """Return one version with its aliases and reports; ``NotFoundError`` if none."""
        ...

    def list_versions(
        self,
        model: str,
        *,
        status: VersionStatus | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> VersionPage:
        """Return a page of a model's version summaries, oldest first."""
        ...

    def set_status(
        self,
        model: str,
        version: str,
        status: VersionStatus,
        *,
        expected_revision: int,
        actor: str,
        reason: str,
    ) -> ModelVersion:
        """Change a version's status along ``TRANSITIONS``; ``ConflictError`` otherwise."""
        ...

    def attach_report(
        self,
        model: str,
        version: str,
        *,
        name: str,
        document: dict[str, Any],
        created_by: str | None,
        expected_revision: int | None = None,
    ) -> ModelVersion:
        """Attach an evaluation report (appended; ``expected_revision`` checked if given)."""
        ...

    def get_alias(self, model: str, alias: str) -> Alias:
        """Return an alias (``version=None`` once removed); ``NotFoundError`` if never set."""
        ...

    def list_aliases(self, model: str) -> list[Alias]:
        """Return the model's aliases that point at a version, by name."""
        ...

    def move_alias(
        self,
        model: str,
        alias: str,
        version: str | None,
        *,
        expected_revision: int | None,
        actor: str,
        reason: str,
    ) -> AliasMove:
        """Point ``alias`` at ``version`` (``None``: remove it) and record the move.

        ``expected_revision`` ``None`` means "the alias was never set"; a set alias with
        ``None`` raises ``PreconditionRequiredError``.
        """
        ...

    def rollback_alias(
        self,
        model: str,
        alias: str,
        *,
        expected_revision: int,
        actor: str,
        reason: str,
        to: str | None = None,
    ) -> AliasMove:
        """Move ``alias`` back to the version it pointed at before (or to ``to``)."""
        ...

    def alias_history(self, model: str, alias: str, *, limit: int = 100) -> list[AliasMove]:
        """Return the alias's moves, newest first."""
        ...
