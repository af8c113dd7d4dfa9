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


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrading_fills_the_check_states_from_recorded_results(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """/metrics' last judged values read ``dp_check_states``: an upgraded service must not
    lose the series it exported before."""
    from driftpilot.store import _tables as t

    engine = create_engine(empty_database(kind, tmp_path, request))
    request.addfinalizer(engine.dispose)
    migrate.upgrade(engine, "0004")
    hour = 3_600_000_000
    with engine.begin() as connection:
        connection.execute(t.models.insert().values(id=1, name="m", task="binary", created_at=0))
        connection.execute(t.monitors.insert().values(
            id=1, model_id=1, name="hourly", definition="{}", origin="api", created_at=0,
            updated_at=0))  # fmt: skip
        for i, value in enumerate((0.5, None)):  # judged, then an empty window
            connection.execute(t.monitor_runs.insert().values(
                id=i + 1, monitor_id=1, model_id=1, window_start=i * hour,
                window_end=(i + 1) * hour, revision=1, n_events=0, n_labels=0,
                severity="none", evaluated_at=0, report="{}"))  # fmt: skip
            connection.execute(t.check_results.insert().values(
                run_id=i + 1, monitor_id=1, model_id=1, window_start=i * hour,
                window_end=(i + 1) * hour, revision=1, check="feature_drift", kind="drift",
                metric="psi", value=value, severity="none", n=0, current=True))  # fmt: skip
    migrate.upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(t.check_states)).all()
    assert [tuple(r) for r in rows] == [(1, "feature_drift", 2 * hour, "no_data", hour)]
