"""Migration 0005 repairs a database migrated with the first, since edited, version of 0004.

That version created ``dp_profile_rollups.n_rows`` NOT NULL; the code never writes it, so
every rollup insert failed, and ``roll_up`` swallowed the failure as "another replica won".
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from driftpilot.store import Store, create_engine, migrate
from driftpilot.store._tables import VERSION_TABLE, metadata
from service_fixtures import empty_database, make_events

FAR = 2**62  # a ``before`` after every day of the test's events


def _original_0004_rollups(connection: sa.Connection) -> None:
    """Replace the rollup table by the one the first version of 0004 created (git history)."""
    connection.execute(sa.text("DROP TABLE dp_profile_rollups"))
    old = sa.MetaData()
    sa.Table("dp_models", old, sa.Column("id", sa.Integer, primary_key=True))  # referred to
    table = sa.Table(
        "dp_profile_rollups",
        old,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("model_id", sa.Integer, nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("day_start", sa.BigInteger, nullable=False),
        sa.Column("partial_ids", sa.Text, nullable=False),
        sa.Column("n_partials", sa.Integer, nullable=False),
        sa.Column("max_partial_id", sa.BigInteger, nullable=False),
        sa.Column("n_rows", sa.BigInteger, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["dp_models.id"],
            name="fk_dp_profile_rollups_model_id_dp_models",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dp_profile_rollups"),
        sa.UniqueConstraint(
            "model_id",
            "version",
            "kind",
            "day_start",
            name="uq_dp_profile_rollups_model_id_version_kind_day_start",
        ),
    )
    sa.Index("ix_dp_profile_rollups_model_id_day_start", table.c.model_id, table.c.day_start)
    old.create_all(connection, tables=[table])


def _database_at_original_0004(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    engine = create_engine(empty_database(kind, tmp_path, request))
    migrate.upgrade(engine, "0004")
    with engine.begin() as connection:
        _original_0004_rollups(connection)
    store = Store(engine)
    request.addfinalizer(store.close)
    return store


def _two_partials_of_one_day(store: Store) -> None:
    store.models.create_model("loans", "binary")
    events = make_events(10)
    store.events.ingest("loans", events[:5])
    store.events.ingest("loans", events[5:])


def _differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return [
            d
            for d in compare_metadata(context, metadata)
            if getattr(d[1], "name", "") != VERSION_TABLE
        ]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_rollup_write_failing_on_the_schema_is_raised_and_logged_not_swallowed(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    store = _database_at_original_0004(kind, tmp_path, request)
    _two_partials_of_one_day(store)
    with (
        caplog.at_level(logging.ERROR, logger="driftpilot.store"),
        pytest.raises(sa.exc.IntegrityError),
    ):
        store.profiles.roll_up(before=FAR)
    assert any("driftpilot db upgrade" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrading_a_database_built_by_the_original_0004_repairs_rollups(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = _database_at_original_0004(kind, tmp_path, request)
    _two_partials_of_one_day(store)
    assert not store.is_current()
    store.upgrade()
    assert store.is_current()
    assert _differences(store.engine) == []
    assert store.profiles.roll_up(before=FAR) == 1
    window = store.profiles.window("loans")
    assert (window.n_events, window.n_rollups) == (10, 1)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_repair_is_a_no_op_on_a_database_built_by_the_edited_0004(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine = create_engine(empty_database(kind, tmp_path, request))
    migrate.upgrade(engine, "0004")
    store = Store(engine)
    request.addfinalizer(store.close)
    _two_partials_of_one_day(store)
    store.upgrade()
    assert _differences(engine) == []
    assert store.profiles.roll_up(before=FAR) == 1


def test_roll_up_still_ignores_the_rollup_another_replica_wrote_first(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one conflict the catch means: the day's unique key, written meanwhile."""
    store = Store(create_engine(db_url))
    try:
        _two_partials_of_one_day(store)
        assert store.profiles.roll_up(before=FAR) == 1
        from driftpilot.store import _tables as t

        # Replay a lost race: the rollup row is there, yet this writer does not delete it first.
        original = t.profile_rollups.delete

        def no_delete(*args: object, **kwargs: object) -> sa.Delete:
            return original(*args, **kwargs).where(sa.false())

        monkeypatch.setattr(t.profile_rollups, "delete", no_delete)
        with store.engine.begin() as connection:
            connection.execute(sa.text("UPDATE dp_profile_rollups SET n_partials = 99"))
        assert store.profiles.roll_up(before=FAR) == 0
    finally:
        store.close()
