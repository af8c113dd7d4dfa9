"""Databases for the store and server tests: SQLite files and PostgreSQL schemas.

Every test that takes ``db_url`` runs twice, on SQLite and on the PostgreSQL server of this
machine (``DRIFTPILOT_TEST_POSTGRES``, default database ``test`` on 127.0.0.1). Each pytest
worker gets its own PostgreSQL schema (selected with ``search_path`` in the URL), migrated once
and emptied before each test, so xdist workers and concurrent runs never see each other's
rows. SQLite tests copy a file migrated once per worker. Without a reachable PostgreSQL the
PostgreSQL half is skipped, except in CI (``CI`` set), where it fails.

Conftests import the fixtures with ``from service_fixtures import *``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from driftpilot.store import Store, create_engine
from driftpilot.store import _tables as tables

__all__ = [
    "db_url",
    "empty_database",
    "make_events",
    "pg_base",
    "pg_schema_url",
    "sqlite_template",
    "store",
]

PG_URL = os.environ.get(
    "DRIFTPILOT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def pg_base() -> str:
    """The PostgreSQL URL, after checking the server answers."""
    engine = sa.create_engine(PG_URL)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as err:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL at {PG_URL} is not reachable: {err.orig}")
    finally:
        engine.dispose()
    return PG_URL


def _schema_url(base: str, schema: str) -> str:
    return f"{base}?options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(scope="session")
def pg_schema_url(pg_base: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL schema for this worker, dropped at the end."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    schema = f"dp_test_{worker}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_base)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = _schema_url(pg_base, schema)
    engine = create_engine(url)
    Store(engine).upgrade()
    engine.dispose()
    yield url
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file to copy (WAL checkpointed, so the one file is the database)."""
    path = tmp_path_factory.mktemp("template") / "driftpilot.db"
    engine = create_engine(f"sqlite:///{path}")
    Store(engine).upgrade()
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def empty_database(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Return the URL of a database never migrated: a new SQLite file or PostgreSQL schema."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    base: str = request.getfixturevalue("pg_base")
    schema = f"dp_mig_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    request.addfinalizer(drop)
    return _schema_url(base, schema)


def _empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    names = ", ".join(table.name for table in tables.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a SQLite file, or this worker's PostgreSQL schema."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "db" / "driftpilot.db"
        target.parent.mkdir()
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("pg_schema_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A store on ``db_url`` with one-hour buckets."""
    opened = Store(create_engine(db_url))
    yield opened
    opened.close()


def make_events(
    n: int,
    *,
    seed: int = 0,
    version: str = "1",
    start: str = "2024-05-01T00:00:00+00:00",
    step_seconds: float = 60.0,
    shift: float = 0.0,
) -> list[dict[str, object]]:
    """Return ``n`` loan-like events, one every ``step_seconds`` from ``start``."""
    import datetime as dt

    import numpy as np

    rng = np.random.default_rng(seed)
    t0 = dt.datetime.fromisoformat(start)
    plans = ["basic", "plus", "pro"]
    events = []
    for i in range(n):
        age = float(np.round(rng.normal(40 + shift, 10), 2))
        p = float(rng.uniform())
        events.append(
            {
                "event_id": str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | i)),
                "timestamp": (t0 + dt.timedelta(seconds=i * step_seconds)).isoformat(),
                "model_version": version,
                "features": {
                    "age": age,
                    "income": float(np.round(rng.lognormal(10, 0.5), 2)),
                    "plan": plans[int(rng.integers(0, 3))],
                },
                "prediction": int(p > 0.5),
                "scores": {"0": 1 - p, "1": p},
                "latency_ms": float(np.round(rng.exponential(3.0), 3)),
                "segment": {"region": "eu" if i % 2 else "us"},
            }
        )
    return events
