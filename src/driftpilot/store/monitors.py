"""Monitor definitions: stored by name, one model each.

A monitor's definition is kept as normalized JSON (keys sorted, compact), so the same
definition loaded twice from a file is stored as the same text. Monitor names are unique
across models: ``put`` replaces the definition of a monitor of the same model and refuses one
of another model (``ConflictError``), because a monitor's runs and results belong to its
model. Deleting a monitor (or its model) deletes its runs, results and leases.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, cast

import sqlalchemy as sa

from driftpilot.errors import ConflictError, InvalidParameterError, NotFoundError
from driftpilot.store import _tables as t
from driftpilot.store._engine import read, write
from driftpilot.store._sql import insert_ignore, model_row
from driftpilot.store._time import now_us
from driftpilot.store.records import (
    MONITOR_ORIGINS,
    MonitorOrigin,
    MonitorRecord,
    check_monitor_name,
)

__all__ = ["MonitorRepository", "dump_definition", "monitor_row"]


def dump_definition(definition: Mapping[str, Any]) -> str:
    """Return a monitor definition as normalized JSON text (sorted keys, compact).

    Raises
    ------
    InvalidParameterError
        ``definition`` is not a mapping, or holds values JSON cannot represent.
    """
    if not isinstance(definition, Mapping):
        raise InvalidParameterError(
            f"A monitor's 'definition' must be a mapping. Got {type(definition).__name__}."
        )
    try:
        return json.dumps(
            definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as err:
        raise InvalidParameterError(
            f"A monitor's 'definition' must be JSON data (objects, lists, strings, finite "
            f"numbers, booleans, null). {err}"
        ) from err


def monitor_row(connection: sa.Connection, name: str, *, lock: str | None = None) -> sa.Row[Any]:
    """Return the ``dp_monitors`` row of monitor ``name`` (with its model's name), or raise.

    ``lock``: ``"key_share"`` keeps the row from being deleted until the transaction ends (for
    transactions that insert rows referring to it), ``"update"`` also serializes writers of
    the monitor's runs. Both are PostgreSQL row locks; SQLite's write transactions exclude
    each other anyway.

    Raises
    ------
    NotFoundError
        There is no monitor named ``name``.
    """
    m = t.monitors
    query = (
        sa.select(m, t.models.c.name.label("model"))
        .join(t.models, t.models.c.id == m.c.model_id)
        .where(m.c.name == name)
    )
    if lock == "key_share":
        query = query.with_for_update(read=True, key_share=True, of=m)
    elif lock == "update":
        query = query.with_for_update(key_share=True, of=m)
    row = connection.execute(query).first()
    if row is None:
        raise NotFoundError(f"There is no monitor named {name!r}.")
    return row


def _record(row: sa.Row[Any]) -> MonitorRecord:
    return MonitorRecord(
        name=row.name,
        model=row.model,
        definition=json.loads(row.definition),
        origin=cast(MonitorOrigin, row.origin),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class MonitorRepository:
    """Create, replace, read and delete monitor definitions.

    Parameters
    ----------
    engine
        The store's engine.
    clock
        Returns the current time in microseconds since the epoch (tests pass a fake one).
    """

    def __init__(self, engine: sa.Engine, *, clock: Callable[[], int] = now_us) -> None:
        self._engine = engine
        self._clock = clock

    def put(
        self, name: str, *, model: str, definition: Mapping[str, Any], origin: MonitorOrigin
    ) -> MonitorRecord:
        """Store monitor ``name`` of ``model``, replacing its definition if it exists.

        Raises
        ------
        InvalidParameterError
            The name, origin or definition is invalid.
        NotFoundError
            There is no model ``model``.
        ConflictError
            A monitor of that name belongs to another model.
        """
        check_monitor_name(name)
        if origin not in MONITOR_ORIGINS:
            raise InvalidParameterError(
                f"A monitor's 'origin' must be 'file' or 'api'. Got {origin!r} instead."
            )
        text = dump_definition(definition)
        now = self._clock()
        m = t.monitors
        with write(self._engine) as connection:
            model_id = model_row(connection, model, share=True).id
            existing = connection.execute(
                sa.select(m.c.id, m.c.model_id).where(m.c.name == name).with_for_update()
            ).first()
            if existing is None:
                inserted = connection.execute(
                    insert_ignore(connection, m)
                    .values(
                        name=name, model_id=model_id, definition=text, origin=origin,
                        created_at=now, updated_at=now,
                    )
                    .returning(m.c.id)
                ).first()  # fmt: skip
                if inserted is None:  # created by another replica since the check
                    existing = connection.execute(
                        sa.select(m.c.id, m.c.model_id).where(m.c.name == name).with_for_update()
                    ).one()
            if existing is not None:
                if existing.model_id != model_id:
                    owner = connection.execute(
                        sa.select(t.models.c.name).where(t.models.c.id == existing.model_id)
                    ).scalar_one()
                    raise ConflictError(
                        f"A monitor named {name!r} already exists for model {owner!r}; monitor "
                        f"names are unique across models. Choose another name for model "
                        f"{model!r} or delete the other monitor first."
                    )
                connection.execute(
                    m.update()
                    .where(m.c.id == existing.id)
                    .values(definition=text, origin=origin, updated_at=now)
                )
            return _record(monitor_row(connection, name))

    def get(self, name: str) -> MonitorRecord:
        """Return monitor ``name``; ``NotFoundError`` if there is none."""
        with read(self._engine) as connection:
            return _record(monitor_row(connection, name))

    def list_monitors(self, model: str | None = None) -> list[MonitorRecord]:
        """Return every monitor (of ``model`` only, if given), by name.

        Raises
        ------
        NotFoundError
            ``model`` is given and there is no such model.
        """
        m = t.monitors
        query = (
            sa.select(m, t.models.c.name.label("model"))
            .join(t.models, t.models.c.id == m.c.model_id)
            .order_by(m.c.name)
        )
        with read(self._engine) as connection:
            if model is not None:
                query = query.where(m.c.model_id == model_row(connection, model).id)
            rows = connection.execute(query).all()
        return [_record(row) for row in rows]

    def delete(self, name: str) -> None:
        """Delete monitor ``name`` with its runs, results and leases; ``NotFoundError`` if none."""
        with write(self._engine) as connection:
            deleted = connection.execute(t.monitors.delete().where(t.monitors.c.name == name))
            if not deleted.rowcount:
                raise NotFoundError(f"There is no monitor named {name!r}.")
