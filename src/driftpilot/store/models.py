"""Models, their versions and their baselines.

A version is created explicitly or on first sight (the first event that names it, or the
first baseline uploaded for it). A version's baseline is the last one stored for it; earlier
ones are kept (an audit trail), and partial profiles record which one they were binned on.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any, Literal

import sqlalchemy as sa

from driftpilot.errors import ConflictError, InvalidParameterError, NotFoundError
from driftpilot.profile import Baseline, Profile
from driftpilot.store import _tables as t
from driftpilot.store._engine import read, write
from driftpilot.store._partials import Reference
from driftpilot.store._sql import insert_ignore, model_row
from driftpilot.store._time import now_us
from driftpilot.store.records import (
    BaselineRecord,
    FeatureSchema,
    ModelRecord,
    Task,
    VersionRecord,
    check_model_name,
    check_version,
)

__all__ = ["ModelRepository", "ensure_versions", "model_record"]

_CACHED_REFERENCES = 64


def model_record(row: sa.Row[Any]) -> ModelRecord:
    """Return a ``dp_models`` row as a record."""
    schema = None if row.feature_schema is None else json.loads(row.feature_schema)
    return ModelRecord(
        id=row.id,
        name=row.name,
        task=Task(row.task),
        feature_schema=None if schema is None else FeatureSchema.from_dict(schema),
        created_at=row.created_at,
    )


class ModelRepository:
    """Create, read and delete models, versions and baselines."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._references: dict[int, Reference] = {}
        self._lock = threading.Lock()

    def create_model(
        self, name: str, task: Task | str, feature_schema: FeatureSchema | None = None
    ) -> ModelRecord:
        """Create a model; ``ConflictError`` if the name is taken."""
        check_model_name(name)
        try:
            task = Task(task)
        except ValueError:
            allowed = ", ".join(repr(k.value) for k in Task)
            raise InvalidParameterError(f"task must be one of {allowed}. Got {task!r}.") from None
        schema = None if feature_schema is None else json.dumps(feature_schema.to_dict())
        with write(self._engine) as connection:
            exists = connection.execute(
                sa.select(t.models.c.id).where(t.models.c.name == name)
            ).first()
            if exists is not None:
                raise ConflictError(f"A model named {name!r} already exists.")
            try:
                connection.execute(
                    t.models.insert().values(
                        name=name, task=task.value, feature_schema=schema, created_at=now_us()
                    )
                )
            except sa.exc.IntegrityError:  # created by another replica since the check
                raise ConflictError(f"A model named {name!r} already exists.") from None
            return model_record(model_row(connection, name))

    def list_models(self) -> list[ModelRecord]:
        """Return every model, by name."""
        with read(self._engine) as connection:
            rows = connection.execute(sa.select(t.models).order_by(t.models.c.name)).all()
        return [model_record(row) for row in rows]

    def get_model(self, name: str) -> ModelRecord:
        """Return model ``name``; ``NotFoundError`` if there is none."""
        with read(self._engine) as connection:
            return model_record(model_row(connection, name))

    def delete_model(self, name: str, *, confirm: str | None) -> None:
        """Delete a model and all its data; ``confirm`` must repeat its name."""
        if confirm != name:
            raise InvalidParameterError(
                f"Deleting model {name!r} removes all its events, labels, baselines and "
                f"profiles. Confirm with ?confirm={name}. Got confirm={confirm!r} instead."
            )
        with write(self._engine) as connection:
            model_id = model_row(connection, name).id
            versions = sa.select(t.model_versions.c.id).where(
                t.model_versions.c.model_id == model_id
            )
            for owned in (t.baselines, t.version_reports, t.version_changes, t.model_aliases):
                connection.execute(owned.delete().where(owned.c.version_id.in_(versions)))
            connection.execute(
                t.model_aliases.delete().where(t.model_aliases.c.model_id == model_id)
            )
            for table in (t.alias_moves, t.profile_rollups, t.profile_partials, t.labels,
                          t.events, t.model_versions):  # fmt: skip
                connection.execute(table.delete().where(table.c.model_id == model_id))
            connection.execute(t.models.delete().where(t.models.c.id == model_id))

    def create_version(self, model: str, version: str) -> VersionRecord:
        """Register a version; ``ConflictError`` if it exists."""
        check_version(version, field_name="version")
        with write(self._engine) as connection:
            model_id = model_row(connection, model, share=True).id
            if _version_id(connection, model_id, version) is not None:
                raise ConflictError(f"Model {model!r} already has a version {version!r}.")
            ensure_versions(connection, model_id, [version])
        return next(v for v in self.list_versions(model) if v.version == version)

    def list_versions(self, model: str) -> list[VersionRecord]:
        """Return a model's versions, oldest first, each with its current baseline's id."""
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            rows = connection.execute(
                sa.select(
                    t.model_versions.c.version,
                    t.model_versions.c.created_at,
                    sa.func.max(t.baselines.c.id).label("baseline_id"),
                )
                .select_from(t.model_versions.outerjoin(t.baselines))
                .where(t.model_versions.c.model_id == model_id)
                .group_by(t.model_versions.c.id, t.model_versions.c.version)
                .order_by(t.model_versions.c.id)
            ).all()
        return [
            VersionRecord(
                model=model, version=r.version, created_at=r.created_at, baseline_id=r.baseline_id
            )
            for r in rows
        ]

    def put_baseline(
        self, model: str, version: str, document: Baseline | Profile
    ) -> BaselineRecord:
        """Store ``document`` as the baseline of ``model``/``version`` (created if needed)."""
        check_version(version, field_name="version")
        kind: Literal["baseline", "profile"] = (
            "baseline" if isinstance(document, Baseline) else "profile"
        )
        n_rows = document.profile.n_rows if isinstance(document, Baseline) else document.n_rows
        fingerprint = document.fingerprint if isinstance(document, Baseline) else None
        text = document.to_json()
        created = now_us()
        with write(self._engine) as connection:
            model_id = model_row(connection, model, share=True).id
            ensure_versions(connection, model_id, [version])
            version_id = _version_id(connection, model_id, version)
            baseline_id = connection.execute(
                t.baselines.insert()
                .values(
                    version_id=version_id, kind=kind, fingerprint=fingerprint, n_rows=n_rows,
                    document=text, created_at=created,
                )
                .returning(t.baselines.c.id)
            ).scalar_one()  # fmt: skip
        return BaselineRecord(
            id=baseline_id, model=model, version=version, kind=kind, fingerprint=fingerprint,
            n_rows=n_rows, created_at=created,
        )  # fmt: skip

    def get_baseline(self, model: str, version: str) -> Baseline | Profile:
        """Return the current baseline of a version; ``NotFoundError`` if it has none."""
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            row = connection.execute(
                sa.select(t.baselines.c.kind, t.baselines.c.document)
                .join(t.model_versions)
                .where(
                    t.model_versions.c.model_id == model_id,
                    t.model_versions.c.version == version,
                )
                .order_by(t.baselines.c.id.desc())
                .limit(1)
            ).first()
        if row is None:
            raise NotFoundError(f"Model {model!r} has no baseline for version {version!r}.")
        return _parse(row.kind, row.document)

    def references(
        self, connection: sa.Connection, model_id: int, versions: Iterable[str]
    ) -> dict[str, Reference]:
        """Return the reference (current baseline, parsed and cached) of each version."""
        wanted = list(dict.fromkeys(versions))
        rows = connection.execute(
            sa.select(t.model_versions.c.version, sa.func.max(t.baselines.c.id).label("id"))
            .select_from(t.model_versions.join(t.baselines))
            .where(t.model_versions.c.model_id == model_id, t.model_versions.c.version.in_(wanted))
            .group_by(t.model_versions.c.version)
        ).all()
        found = {row.version: self._reference(connection, row.id) for row in rows}
        return {version: found.get(version, Reference()) for version in wanted}

    def _reference(self, connection: sa.Connection, baseline_id: int) -> Reference:
        with self._lock:
            cached = self._references.get(baseline_id)
        if cached is not None:
            return cached
        row = connection.execute(
            sa.select(t.baselines.c.kind, t.baselines.c.document).where(
                t.baselines.c.id == baseline_id
            )
        ).one()
        reference = Reference.of(baseline_id, _parse(row.kind, row.document))
        with self._lock:
            if len(self._references) >= _CACHED_REFERENCES:
                self._references.pop(next(iter(self._references)))
            self._references[baseline_id] = reference
        return reference


def _parse(kind: str, document: str) -> Baseline | Profile:
    return Baseline.from_json(document) if kind == "baseline" else Profile.from_json(document)


def _version_id(connection: sa.Connection, model_id: int, version: str) -> int | None:
    return connection.execute(
        sa.select(t.model_versions.c.id).where(
            t.model_versions.c.model_id == model_id, t.model_versions.c.version == version
        )
    ).scalar_one_or_none()


def ensure_versions(connection: sa.Connection, model_id: int, versions: Iterable[str]) -> None:
    """Register versions not seen before (a no-op for known ones, safe between replicas)."""
    wanted = set(versions)
    known = set(
        connection.execute(
            sa.select(t.model_versions.c.version).where(
                t.model_versions.c.model_id == model_id, t.model_versions.c.version.in_(wanted)
            )
        ).scalars()
    )
    now = now_us()
    rows = [{"model_id": model_id, "version": v, "created_at": now} for v in wanted - known]
    if rows:
        connection.execute(insert_ignore(connection, t.model_versions), rows)
