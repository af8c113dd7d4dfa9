"""Tell which constraint an ``IntegrityError`` is about, on SQLite and PostgreSQL alike.

An ``except IntegrityError`` must handle only the conflict it means (the rollup another
replica wrote first) and let every other integrity failure (a NOT NULL column the code does
not know, a schema out of step with the code) surface. The two databases report the
constraint differently:

* PostgreSQL (psycopg 3) gives the SQLSTATE (``23505`` unique, ``23503`` foreign key) and
  the constraint's name in the error's diagnostics.
* SQLite names no constraint. Its extended error code says the kind
  (``SQLITE_CONSTRAINT_UNIQUE``, ``SQLITE_CONSTRAINT_FOREIGNKEY``), and a uniqueness message
  lists the columns (``UNIQUE constraint failed: t.a, t.b``), which identify the constraint;
  a foreign-key message names nothing, so it matches only a table with a single foreign key.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = ["violates"]

_SQLSTATE = {"unique": "23505", "foreign_key": "23503"}
_SQLITE_CODE = {"unique": "SQLITE_CONSTRAINT_UNIQUE", "foreign_key": "SQLITE_CONSTRAINT_FOREIGNKEY"}
_UNIQUE_PREFIX = "UNIQUE constraint failed: "


def violates(err: sa.exc.IntegrityError, constraint: sa.Constraint) -> bool:
    """Whether ``err`` reports a violation of ``constraint`` (a unique or foreign key)."""
    if isinstance(constraint, sa.UniqueConstraint):
        kind = "unique"
    elif isinstance(constraint, sa.ForeignKeyConstraint):
        kind = "foreign_key"
    else:
        raise TypeError(f"violates() takes a unique or foreign-key constraint, not {constraint!r}")
    orig: Any = err.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:  # PostgreSQL
        diag = getattr(orig, "diag", None)
        name = getattr(diag, "constraint_name", None)
        return bool(sqlstate == _SQLSTATE[kind] and name == constraint.name)
    if getattr(orig, "sqlite_errorname", None) != _SQLITE_CODE[kind]:
        return False
    table = constraint.table
    if kind == "foreign_key":
        keys = [c for c in table.constraints if isinstance(c, sa.ForeignKeyConstraint)]
        return len(keys) == 1
    message = str(orig)
    if not message.startswith(_UNIQUE_PREFIX):
        return False
    named = [part.strip() for part in message[len(_UNIQUE_PREFIX) :].split(",")]
    return named == [f"{table.name}.{column.name}" for column in constraint.columns]
