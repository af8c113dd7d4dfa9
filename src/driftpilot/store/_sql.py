"""Small SQL helpers shared by the repositories: insert-or-ignore, row lookups.

``insert_new`` inserts many rows, skips those whose unique key exists, and returns the keys
of the rows it inserted. On SQLite that is SQLAlchemy's multi-row ``INSERT ... ON CONFLICT
DO NOTHING RETURNING``. On PostgreSQL the same statement would carry 8,000 parameters per
thousand rows, which psycopg parses again on every call (the text is too long for its
cache); instead one ``INSERT ... SELECT * FROM unnest(<one array per column>)`` sends each
column as one array parameter, in psycopg's binary format: a single short statement,
several times faster. It runs on the driver's cursor, inside SQLAlchemy's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from driftpilot.errors import NotFoundError
from driftpilot.store import _tables as t

__all__ = ["insert_ignore", "insert_new", "model_row"]


def insert_ignore(connection: sa.Connection, table: sa.Table) -> Any:
    """Return ``INSERT ... ON CONFLICT DO NOTHING`` for the connection's database."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def model_row(connection: sa.Connection, name: str, *, share: bool = False) -> sa.Row[Any]:
    """Return the row of model ``name``, or raise ``NotFoundError``.

    ``share``: lock the row against deletion until the transaction ends (``FOR SHARE`` on
    PostgreSQL; SQLite's write transactions exclude each other anyway), for transactions that
    write rows referring to the model.
    """
    query = sa.select(t.models).where(t.models.c.name == name)
    if share:
        query = query.with_for_update(read=True)
    row = connection.execute(query).first()
    if row is None:
        raise NotFoundError(
            f"There is no model named {name!r}. Create it first with POST /v1/models."
        )
    return row


def insert_new(
    connection: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]], key: str
) -> set[Any]:
    """Insert ``rows`` but those that conflict with existing ones; return the inserted ``key``s."""
    if not rows:
        return set()
    if connection.dialect.name != "postgresql":
        statement = insert_ignore(connection, table).returning(table.c[key])
        return set(connection.execute(statement, list(rows)).scalars())
    names = list(rows[0])
    arrays = ", ".join(
        f"CAST(%({name})b AS {table.c[name].type.compile(dialect=connection.dialect)}[])"
        for name in names
    )
    statement = (
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT DO NOTHING RETURNING {key}"
    )
    # psycopg's binary format sends strings as they are; its text format escapes every quote
    # of every JSON payload in Python, which cost more than the insert itself.
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor(binary=True) as cursor:
        cursor.execute(statement, {n: [r[n] for r in rows] for n in names})
        return {row[0] for row in cursor.fetchall()}
