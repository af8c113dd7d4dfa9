"""The model registry over the database: ``lifecycle.Registry``, implemented.

A registered version is a ``dp_model_versions`` row with its artifact columns filled (the
same row events and baselines create on first sight). Optimistic concurrency: each write
reads the row ``FOR UPDATE`` (PostgreSQL; SQLite's write transactions exclude each other)
and compares the caller's ``expected_revision`` with the stored one. Alias moves are
appended to ``dp_alias_moves``, whose unique ``(model_id, alias, revision)`` also stops two
replicas that both created a new alias at once (the second gets ``StaleRevisionError``).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import sqlalchemy as sa

from driftpilot.errors import (
    ConflictError,
    InvalidParameterError,
    NotFoundError,
    PreconditionRequiredError,
    StaleRevisionError,
)
from driftpilot.lifecycle import (
    Alias,
    AliasMove,
    Artifact,
    EvaluationReport,
    Lineage,
    ModelVersion,
    Signature,
    VersionMetrics,
    VersionPage,
    VersionStatus,
    VersionSummary,
    check_alias,
    check_alias_target,
    check_transition,
    rollback_target,
)
from driftpilot.store import _tables as t
from driftpilot.store._conflicts import violates
from driftpilot.store._engine import read, write
from driftpilot.store._sql import model_row
from driftpilot.store._time import now_us
from driftpilot.store.models import ensure_versions
from driftpilot.store.records import check_version

__all__ = ["RegistryRepository"]

MAX_PAGE = 1000
_V, _A, _M = t.model_versions, t.model_aliases, t.alias_moves
_SUMMARY = (_V.c.id, _V.c.version, _V.c.status, _V.c.revision, _V.c.artifact_flavor,
            _V.c.artifact_sha256, _V.c.created_at, _V.c.registered_at)  # fmt: skip
_BASELINE = (
    sa.select(sa.func.max(t.baselines.c.id))
    .where(t.baselines.c.version_id == _V.c.id)
    .scalar_subquery()
    .label("baseline_id")
)
# Built once: a listing is one call of the hot path, and building a statement costs more
# than running it.
_MODEL_ID = (
    sa.select(t.models.c.id).where(t.models.c.name == sa.bindparam("model")).scalar_subquery()
)
_LIST = (
    sa.select(*_SUMMARY, _BASELINE)
    .where(_V.c.model_id == _MODEL_ID, _V.c.id > sa.bindparam("after"))
    .order_by(_V.c.id)
    .limit(sa.bindparam("limit"))
)
_LIST_STATUS = _LIST.where(_V.c.status == sa.bindparam("status"))
_MODEL_ALIASES = (
    sa.select(_A.c.version_id, _A.c.alias)
    .where(_A.c.model_id == _MODEL_ID, _A.c.version_id.is_not(None))
    .order_by(_A.c.alias)
)
_MOVE_REVISION = next(c for c in _M.constraints if isinstance(c, sa.UniqueConstraint))


class RegistryRepository:
    """Registered versions, statuses, reports and aliases (``lifecycle.Registry``)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    # -- versions ---------------------------------------------------------------------------

    def register_version(
        self, model: str, version: str, *, artifact: Artifact, signature: Signature,
        lineage: Lineage, metrics: VersionMetrics, description: str | None,
        tags: dict[str, str], created_by: str | None,
    ) -> ModelVersion:  # fmt: skip
        """Register ``version`` with its artifact; ``ConflictError`` if it has one already."""
        check_version(version, field_name="version")
        now = now_us()
        with write(self._engine) as connection:
            model_id = model_row(connection, model, share=True).id
            ensure_versions(connection, model_id, [version])
            row = _version_row(connection, model_id, model, version, lock=True)
            if row.status is not None:
                raise ConflictError(
                    f"Version {version!r} of model {model!r} is registered already (artifact "
                    f"SHA-256 {row.artifact_sha256}); an artifact never changes. Register a "
                    "new version instead."
                )
            connection.execute(
                _V.update().where(_V.c.id == row.id).values(
                    status=VersionStatus.REGISTERED.value, revision=row.revision + 1,
                    artifact_uri=artifact.uri, artifact_flavor=artifact.flavor,
                    artifact_size=artifact.size, artifact_sha256=artifact.sha256,
                    artifact_options=_json(artifact.options, "options"),
                    signature=_json(signature.to_dict(), "signature"),
                    lineage=_json(lineage.to_dict(), "lineage"),
                    metrics=_json(metrics.to_dict(), "metrics"), description=description,
                    tags=_json(tags, "tags"), created_by=created_by, registered_at=now,
                )
            )  # fmt: skip
            _record_change(connection, row.id, row.revision + 1, None, VersionStatus.REGISTERED,
                           created_by or "unknown", "registered", now)  # fmt: skip
            return _full_version(connection, model_id, model, version)

    def get_version(self, model: str, version: str) -> ModelVersion:
        """Return one version with its aliases and reports; ``NotFoundError`` if none."""
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            return _full_version(connection, model_id, model, version)

    def list_versions(
        self, model: str, *, status: VersionStatus | None = None, limit: int = 100,
        cursor: str | None = None,
    ) -> VersionPage:  # fmt: skip
        """Return a page of version summaries, oldest first (the full record: ``get``)."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidParameterError(
                f"The 'limit' must be in [1, {MAX_PAGE}]. Got {limit} instead."
            )
        after = _decode(cursor)
        params: dict[str, Any] = {"model": model, "after": after, "limit": limit + 1}
        statement = _LIST
        if status is not None:
            statement, params["status"] = _LIST_STATUS, VersionStatus(status).value
        with read(self._engine) as connection:
            rows = connection.execute(statement, params).all()
            page = rows[:limit]
            if page:
                aliases = _model_aliases(connection, model)
            else:
                model_row(connection, model)  # NotFoundError for a model that does not exist
                aliases = {}
        items = tuple(
            VersionSummary(
                model=model,
                version=r.version,
                status=None if r.status is None else VersionStatus(r.status),
                revision=r.revision,
                flavor=r.artifact_flavor,
                sha256=r.artifact_sha256,
                aliases=aliases.get(r.id, ()),
                baseline_id=r.baseline_id,
                created_at=r.created_at,
                registered_at=r.registered_at,
            )
            for r in page
        )
        more = len(rows) > limit
        return VersionPage(items=items, next_cursor=_encode(page[-1].id) if more else None)

    def set_status(
        self, model: str, version: str, status: VersionStatus, *, expected_revision: int,
        actor: str, reason: str,
    ) -> ModelVersion:  # fmt: skip
        """Change a version's status along ``lifecycle.TRANSITIONS``."""
        new = VersionStatus(status)
        _require_text(actor=actor, reason=reason)
        now = now_us()
        with write(self._engine) as connection:
            model_id = model_row(connection, model, share=True).id
            row = _version_row(connection, model_id, model, version, lock=True)
            current = _registered(model, version, row)
            _check_revision(f"version {version!r} of model {model!r}", expected_revision,
                            row.revision)  # fmt: skip
            check_transition(model, version, current, new)
            if new is VersionStatus.ARCHIVED:
                pointing = _aliases_of(connection, model_id, [row.id]).get(row.id, ())
                if pointing:
                    raise ConflictError(
                        f"Version {version!r} of model {model!r} cannot be archived while "
                        f"alias {', '.join(pointing)} points at it; move the alias first."
                    )
            connection.execute(
                _V.update().where(_V.c.id == row.id)
                .values(status=new.value, revision=row.revision + 1)
            )  # fmt: skip
            _record_change(connection, row.id, row.revision + 1, current, new, actor, reason, now)
            return _full_version(connection, model_id, model, version)

    def attach_report(
        self, model: str, version: str, *, name: str, document: dict[str, Any],
        created_by: str | None, expected_revision: int | None = None,
    ) -> ModelVersion:  # fmt: skip
        """Attach a report to a version (appended; ``expected_revision`` checked if given)."""
        if not isinstance(name, str) or not 0 < len(name) <= 200:
            raise InvalidParameterError(
                f"The report's 'name' must be 1-200 characters. Got {name!r} instead."
            )
        text = _json(document, "document")
        with write(self._engine) as connection:
            model_id = model_row(connection, model, share=True).id
            row = _version_row(connection, model_id, model, version, lock=True)
            _registered(model, version, row)
            if expected_revision is not None:
                _check_revision(f"version {version!r} of model {model!r}", expected_revision,
                                row.revision)  # fmt: skip
            connection.execute(
                t.version_reports.insert().values(
                    version_id=row.id, name=name, document=text, created_by=created_by,
                    created_at=now_us(),
                )
            )  # fmt: skip
            connection.execute(
                _V.update().where(_V.c.id == row.id).values(revision=row.revision + 1)
            )
            return _full_version(connection, model_id, model, version)

    # -- aliases ----------------------------------------------------------------------------

    def get_alias(self, model: str, alias: str) -> Alias:
        """Return an alias (a removed one has ``version=None``); ``NotFoundError`` if never set."""
        check_alias(alias)
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            found = _alias_rows(connection, model_id, alias)
        if not found:
            raise NotFoundError(f"Model {model!r} has no alias {alias!r}.")
        return _alias(model, found[0])

    def list_aliases(self, model: str) -> list[Alias]:
        """Return the aliases that point at a version, by name."""
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            rows = _alias_rows(connection, model_id, None)
        return [_alias(model, row) for row in rows if row.version is not None]

    def move_alias(
        self, model: str, alias: str, version: str | None, *, expected_revision: int | None,
        actor: str, reason: str,
    ) -> AliasMove:  # fmt: skip
        """Point ``alias`` at ``version`` (``None``: remove it) and record the move."""
        check_alias(alias)
        _require_text(actor=actor, reason=reason)
        with write(self._engine) as connection:
            model_id = model_row(connection, model, share=True).id
            current = _locked_alias(connection, model_id, alias)
            revision = 0 if current is None else current.revision
            what = f"alias {alias!r} of model {model!r}"
            if current is not None and expected_revision is None:
                raise PreconditionRequiredError(
                    f"The {what} exists (revision {revision}): say which revision the move is "
                    f'based on (If-Match: "{revision}", or --revision {revision}).'
                )
            if expected_revision is not None:
                _check_revision(what, expected_revision, revision)
            previous = None if current is None else current.version
            target = None
            if version is not None:
                target = _version_row(connection, model_id, model, version, lock=False)
                status = None if target.status is None else VersionStatus(target.status)
                check_alias_target(model, alias, version, status)
                if version == previous:
                    raise ConflictError(f"The {what} already points at version {version!r}.")
            elif previous is None:
                raise ConflictError(f"The {what} points at no version: nothing to remove.")
            return _record_move(connection, model_id, model, alias, current, target, previous,
                                actor=actor, reason=reason, rollback=False)  # fmt: skip

    def rollback_alias(
        self, model: str, alias: str, *, expected_revision: int, actor: str, reason: str,
        to: str | None = None,
    ) -> AliasMove:  # fmt: skip
        """Move ``alias`` back to the version it pointed at before its newest move (or ``to``)."""
        check_alias(alias)
        _require_text(actor=actor, reason=reason)
        with write(self._engine) as connection:
            model_id = model_row(connection, model, share=True).id
            current = _locked_alias(connection, model_id, alias)
            what = f"alias {alias!r} of model {model!r}"
            _check_revision(what, expected_revision, 0 if current is None else current.revision)
            history = _moves(connection, model, model_id, alias, limit=None)
            version = rollback_target(model, alias, history, to=to)
            target = _version_row(connection, model_id, model, version, lock=False)
            previous = None if current is None else current.version
            return _record_move(connection, model_id, model, alias, current, target, previous,
                                actor=actor, reason=reason, rollback=True)  # fmt: skip

    def alias_history(self, model: str, alias: str, *, limit: int = 100) -> list[AliasMove]:
        """Return the alias's moves, newest first."""
        check_alias(alias)
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidParameterError(
                f"The 'limit' must be in [1, {MAX_PAGE}]. Got {limit} instead."
            )
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            return _moves(connection, model, model_id, alias, limit=limit)


# -- rows to records -------------------------------------------------------------------------


def _json(value: Any, field: str) -> str:
    try:
        return json.dumps(value, allow_nan=False)
    except (ValueError, TypeError, RecursionError) as err:
        raise InvalidParameterError(
            f"The {field!r} must be plain JSON (finite numbers, not nested too deeply): {err}"
        ) from None


_TEXT_LIMITS = {"actor": 200, "reason": 2000}


def _require_text(**values: str) -> None:
    for name, value in values.items():
        limit = _TEXT_LIMITS[name]
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise InvalidParameterError(
                f"The {name!r} must be a non-empty text of at most {limit} characters (every "
                f"change records who made it and why). Got {value[:80]!r} instead."
            )


def _check_revision(what: str, expected: int, current: int) -> None:
    if expected != current:
        raise StaleRevisionError(
            f"The {what} changed since revision {expected}: it is at revision {current}. "
            "Read it again and retry.",
            expected=expected, current=current,
        )  # fmt: skip


def _version_row(
    connection: sa.Connection, model_id: int, model: str, version: str, *, lock: bool
) -> sa.Row[Any]:
    query = sa.select(_V).where(_V.c.model_id == model_id, _V.c.version == version)
    if lock:
        query = query.with_for_update()
    row = connection.execute(query).first()
    if row is None:
        raise NotFoundError(f"Model {model!r} has no version {version!r}.")
    return row


def _registered(model: str, version: str, row: sa.Row[Any]) -> VersionStatus:
    if row.status is None:
        raise ConflictError(
            f"Version {version!r} of model {model!r} has no registered artifact; register it "
            "first (driftpilot models register)."
        )
    return VersionStatus(row.status)


def _loads(text: str | None) -> Any:
    return {} if text is None else json.loads(text)


def _version(
    model: str, row: sa.Row[Any], aliases: tuple[str, ...], reports: tuple[EvaluationReport, ...]
) -> ModelVersion:
    artifact = None
    if row.artifact_uri is not None:
        artifact = Artifact(
            uri=row.artifact_uri, flavor=row.artifact_flavor, size=row.artifact_size,
            sha256=row.artifact_sha256, options=_loads(row.artifact_options),
        )  # fmt: skip
    signature, metrics = _loads(row.signature), _loads(row.metrics)
    return ModelVersion(
        model=model, version=row.version,
        status=None if row.status is None else VersionStatus(row.status),
        revision=row.revision, artifact=artifact,
        signature=Signature(inputs=signature.get("inputs", {}),
                            outputs=signature.get("outputs", {})),
        lineage=Lineage.from_dict(_loads(row.lineage)),
        metrics=VersionMetrics(validation=metrics.get("validation", {}),
                               training=metrics.get("training", {})),
        description=row.description, tags=_loads(row.tags), created_by=row.created_by,
        created_at=row.created_at, registered_at=row.registered_at, aliases=aliases,
        reports=reports,
    )  # fmt: skip


def _full_version(
    connection: sa.Connection, model_id: int, model: str, version: str
) -> ModelVersion:
    row = _version_row(connection, model_id, model, version, lock=False)
    aliases = _aliases_of(connection, model_id, [row.id]).get(row.id, ())
    reports = tuple(
        EvaluationReport(
            id=r.id,
            name=r.name,
            document=json.loads(r.document),
            created_by=r.created_by,
            created_at=r.created_at,
        )
        for r in connection.execute(
            sa.select(t.version_reports)
            .where(t.version_reports.c.version_id == row.id)
            .order_by(t.version_reports.c.id)
        )
    )
    return _version(model, row, aliases, reports)


def _aliases_of(
    connection: sa.Connection, model_id: int, version_ids: list[int]
) -> dict[int, tuple[str, ...]]:
    if not version_ids:
        return {}
    found: dict[int, list[str]] = {}
    for row in connection.execute(
        sa.select(_A.c.version_id, _A.c.alias)
        .where(_A.c.model_id == model_id, _A.c.version_id.in_(version_ids))
        .order_by(_A.c.alias)
    ):
        found.setdefault(row.version_id, []).append(row.alias)
    return {k: tuple(v) for k, v in found.items()}


def _model_aliases(connection: sa.Connection, model: str) -> dict[int, tuple[str, ...]]:
    """Return the aliases of every version of a model that has one (a model has few)."""
    found: dict[int, list[str]] = {}
    for row in connection.execute(_MODEL_ALIASES, {"model": model}):
        found.setdefault(row.version_id, []).append(row.alias)
    return {k: tuple(v) for k, v in found.items()}


def _alias_query(model_id: int) -> sa.Select[Any]:
    return (
        sa.select(_A.c.alias, _A.c.revision, _A.c.updated_at, _V.c.version)
        .select_from(_A.outerjoin(_V, _A.c.version_id == _V.c.id))
        .where(_A.c.model_id == model_id)
    )


def _alias_rows(connection: sa.Connection, model_id: int, alias: str | None) -> list[Any]:
    query = _alias_query(model_id)
    if alias is not None:
        query = query.where(_A.c.alias == alias)
    return list(connection.execute(query.order_by(_A.c.alias)).all())


def _locked_alias(connection: sa.Connection, model_id: int, alias: str) -> Any:
    connection.execute(
        sa.select(_A.c.alias).where(_A.c.model_id == model_id, _A.c.alias == alias)
        .with_for_update()
    )  # fmt: skip
    rows = _alias_rows(connection, model_id, alias)
    return rows[0] if rows else None


def _alias(model: str, row: Any) -> Alias:
    return Alias(model=model, alias=row.alias, version=row.version, revision=row.revision,
                 updated_at=row.updated_at)  # fmt: skip


def _move(model: str, row: Any) -> AliasMove:
    return AliasMove(
        id=row.id, model=model, alias=row.alias, version=row.version, previous=row.previous,
        actor=row.actor, reason=row.reason, revision=row.revision, rollback=bool(row.rollback),
        moved_at=row.moved_at,
    )  # fmt: skip


def _moves(
    connection: sa.Connection, model: str, model_id: int, alias: str, *, limit: int | None
) -> list[AliasMove]:
    query = (
        sa.select(_M).where(_M.c.model_id == model_id, _M.c.alias == alias)
        .order_by(_M.c.revision.desc())
    )  # fmt: skip
    if limit is not None:
        query = query.limit(limit)
    return [_move(model, row) for row in connection.execute(query)]


def _record_move(
    connection: sa.Connection, model_id: int, model: str, alias: str, current: Any,
    target: sa.Row[Any] | None, previous: str | None, *, actor: str, reason: str,
    rollback: bool,
) -> AliasMove:  # fmt: skip
    revision = (0 if current is None else current.revision) + 1
    now = now_us()
    values = {
        "model_id": model_id, "alias": alias, "version": None if target is None else target.version,
        "previous": previous, "actor": actor, "reason": reason, "revision": revision,
        "rollback": rollback, "moved_at": now,
    }  # fmt: skip
    try:
        move_id = connection.execute(_M.insert().values(**values).returning(_M.c.id)).scalar_one()
    except sa.exc.IntegrityError as err:
        if not violates(err, _MOVE_REVISION):
            raise
        raise StaleRevisionError(
            f"The alias {alias!r} of model {model!r} was moved by someone else at the same "
            "time. Read it again and retry.",
            expected=revision - 1, current=revision,
        ) from None  # fmt: skip
    target_id = None if target is None else target.id
    if current is None:
        connection.execute(_A.insert().values(model_id=model_id, alias=alias, version_id=target_id,
                                              revision=revision, updated_at=now))  # fmt: skip
    else:
        connection.execute(
            _A.update().where(_A.c.model_id == model_id, _A.c.alias == alias)
            .values(version_id=target_id, revision=revision, updated_at=now)
        )  # fmt: skip
    return _move(model, _Moved(id=move_id, **values))


class _Moved:
    """The values of a move just inserted, shaped like its row."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


def _record_change(
    connection: sa.Connection, version_id: int, revision: int, old: VersionStatus | None,
    new: VersionStatus, actor: str, reason: str, now: int,
) -> None:  # fmt: skip
    connection.execute(
        t.version_changes.insert().values(
            version_id=version_id, revision=revision,
            status_from=None if old is None else old.value, status_to=new.value, actor=actor,
            reason=reason, changed_at=now,
        )
    )  # fmt: skip


def _encode(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"v:{row_id}".encode()).decode("ascii").rstrip("=")


def _decode(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        kind, _, number = text.partition(":")
        if kind != "v":
            raise ValueError(kind)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidParameterError(
            "The 'cursor' parameter must be a next_cursor value returned by a previous page. "
            f"Got {cursor[:60]!r} instead."
        ) from None
