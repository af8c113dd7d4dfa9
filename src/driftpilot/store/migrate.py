"""Schema migrations with Alembic's API, shipped inside the package (no ``alembic.ini``).

``upgrade(engine)`` brings a database (empty or older) to the newest schema; the service
runs it at start and ``driftpilot db upgrade`` runs it by hand. On PostgreSQL it holds an
advisory lock while it works, so replicas starting together migrate one after the other
(the second finds the schema current and does nothing).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from driftpilot.store._tables import VERSION_TABLE

__all__ = ["current_revision", "head_revision", "is_current", "revision", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_ID = 0x64726966  # an arbitrary constant: "drif"


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    """Return the newest migration's revision id."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None  # the package ships at least one migration
    return head


def current_revision(connection: sa.Connection) -> str | None:
    """Return the database's revision id, ``None`` for a database never migrated."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def is_current(engine: sa.Engine) -> bool:
    """Whether the database is reachable and its schema is at the newest revision."""
    with engine.connect() as connection:
        return current_revision(connection) == head_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (the newest by default)."""
    with engine.connect() as connection:
        locked = connection.dialect.name == "postgresql"
        if locked:
            connection.execute(sa.text("SELECT pg_advisory_lock(:id)"), {"id": _LOCK_ID})
            connection.commit()
        try:
            command.upgrade(_config(connection), revision)
            connection.commit()
        finally:
            if locked:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:id)"), {"id": _LOCK_ID})
                connection.commit()


def revision(message: str, url: str = "sqlite:///:memory:") -> None:  # pragma: no cover
    """Write a new migration comparing the tables with a database at the newest revision.

    For developers: ``revision("add alert table")`` writes the file under
    ``migrations/versions``; review and name it ``vNNNN_<what>.py``.
    """
    engine = sa.create_engine(url)
    upgrade(engine)
    with engine.connect() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)
