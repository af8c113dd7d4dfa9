"""Alembic environment: run the migrations on the connection ``driftpilot.store`` passes in.

There is no ``alembic.ini``: ``driftpilot.store.migrate`` builds the configuration in code and
hands over an open connection in ``config.attributes["connection"]``. Imported outside an
Alembic run (by a doctest collector, say), the module does nothing.
"""

from __future__ import annotations

from alembic import context

from driftpilot.store._tables import VERSION_TABLE, metadata


def run() -> None:
    """Run the migrations Alembic asks for, on the connection given."""
    connection = context.config.attributes.get("connection")
    if connection is None:  # pragma: no cover - only reachable by running alembic by hand
        raise RuntimeError("Run driftpilot migrations through driftpilot.store.migrate.upgrade().")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if hasattr(context, "config"):
    run()
