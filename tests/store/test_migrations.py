"""Migrations: from an empty database to exactly the tables the code declares."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from driftpilot.store import Store, create_engine, migrate
from driftpilot.store._tables import VERSION_TABLE, metadata
from service_fixtures import empty_database


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrade_from_empty_creates_exactly_the_declared_tables(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine = create_engine(empty_database(kind, tmp_path, request))
    store = Store(engine)
    request.addfinalizer(store.close)
    assert not store.is_current()
    store.upgrade()
    store.upgrade()  # a second run is a no-op
    assert store.is_current()
    with engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.head_revision()
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        differences = [
            d
            for d in compare_metadata(context, metadata)
            if getattr(d[1], "name", "") != VERSION_TABLE
        ]
        tables = set(sa.inspect(connection).get_table_names())
    assert differences == []
    assert tables == {*metadata.tables, VERSION_TABLE}


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'deep' / 'folder' / 'x.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_unsupported_database_url_names_the_problem() -> None:
    from driftpilot.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="SQLite or PostgreSQL"):
        create_engine("mysql://user@localhost/db")
    with pytest.raises(InvalidParameterError, match="database URL"):
        create_engine("not a url")
