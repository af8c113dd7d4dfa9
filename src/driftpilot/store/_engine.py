"""Database engines: SQLite (the default, one file) and PostgreSQL, and their transactions.

SQLite decisions:

* WAL journal: readers never block the writer and the writer never blocks readers, so
  queries and exports run while events stream in.
* ``synchronous=FULL`` (the default here; ``NORMAL`` can be chosen): in WAL mode ``NORMAL``
  already survives a kill -9 of the server, because a committed transaction is in the WAL
  file (the operating system's page cache outlives the process), but a power cut or kernel
  crash can lose the last transactions. ``FULL`` syncs the WAL on every commit, so an
  acknowledged ingest call survives those too. We commit once per ingest call (a batch of
  up to thousands of events), so the one fsync per call costs little.
* Write transactions start with ``BEGIN IMMEDIATE``: they take the write lock before their
  first read, so a read-then-write transaction can never fail halfway with "database is
  locked" (SQLite's busy timeout, 30 s, makes writers queue instead). Read transactions use
  a plain ``BEGIN``. This needs the driver's own transaction handling off
  (``isolation_level = None``), SQLAlchemy's documented recipe.
* Within one process, writers queue on a lock before ``BEGIN IMMEDIATE``. SQLite's own busy
  handler makes a waiting writer sleep and poll (1 ms, 2 ms, ... up to 100 ms), which left
  two concurrent ingest calls several times slower than one; a lock hands over at once.
  Writers in other processes still meet the busy timeout.
* A WAL checkpoint every 10,000 pages (about 40 MB) instead of SQLite's 1,000: each
  checkpoint syncs the database file inside some unlucky commit, and an ingest call writes
  a few hundred pages, so the default checkpointed every few calls.
* Foreign keys on (SQLite leaves them off by default).

PostgreSQL needs nothing special: ``READ COMMITTED``, with the ingest and compaction code
written so that concurrent replicas stay correct (see ``events`` and ``partials``).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import event

from driftpilot._optional import require
from driftpilot.errors import InvalidParameterError

__all__ = ["SQLITE_FILE", "create_engine", "default_url", "read", "write"]

SQLITE_FILE = "driftpilot.db"
_BUSY_TIMEOUT_S = 30.0
_WRITE = "driftpilot_write"
_CHECKPOINT_PAGES = 10_000
_WRITERS: weakref.WeakKeyDictionary[sa.Engine, threading.Lock] = weakref.WeakKeyDictionary()

Synchronous = Literal["FULL", "NORMAL"]


def default_url(data_dir: str | Path) -> str:
    """Return the URL of the default SQLite database in ``data_dir``."""
    return f"sqlite:///{Path(data_dir) / SQLITE_FILE}"


def create_engine(url: str, *, sqlite_synchronous: Synchronous = "FULL") -> sa.Engine:
    """Return an engine for ``url`` (``sqlite:///...`` or ``postgresql+psycopg://...``).

    The folder of a SQLite file is created if needed.

    Raises
    ------
    InvalidParameterError
        The URL cannot be parsed, or names a database other than SQLite or PostgreSQL.
    MissingDependencyError
        A PostgreSQL URL without psycopg installed (the ``postgres`` extra).
    """
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as err:
        raise InvalidParameterError(
            f"The database URL must look like 'sqlite:///path/driftpilot.db' or "
            f"'postgresql+psycopg://user@host:5432/db'. Got {url!r} instead."
        ) from err
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, sqlite_synchronous)
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            parsed = parsed.set(drivername="postgresql+psycopg")
        require("psycopg", extra="postgres", purpose="A PostgreSQL database")
        return sa.create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)
    raise InvalidParameterError(
        f"driftpilot stores its data in SQLite or PostgreSQL. Got a {backend!r} database URL "
        f"({parsed.render_as_string(hide_password=True)!r}) instead."
    )


def _sqlite_engine(url: sa.URL, synchronous: Synchronous) -> sa.Engine:
    if synchronous not in ("FULL", "NORMAL"):
        raise InvalidParameterError(
            f"The SQLite 'synchronous' setting must be 'FULL' or 'NORMAL'. Got {synchronous!r}."
        )
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        connect_args={"timeout": _BUSY_TIMEOUT_S, "check_same_thread": False},
        pool_size=8,
        max_overflow=16,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (module docstring)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={_CHECKPOINT_PAGES}")
        cursor.close()

    _WRITERS[engine] = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def write(engine: sa.Engine) -> Iterator[sa.Connection]:
    """Yield a connection in a write transaction, committed when the block ends without error."""
    lock = _WRITERS.get(engine)
    with lock or contextlib.nullcontext(), engine.connect() as connection:
        connection.execution_options(**{_WRITE: True})
        with connection.begin():
            yield connection


@contextmanager
def read(engine: sa.Engine) -> Iterator[sa.Connection]:
    """Yield a connection in a read transaction (one consistent snapshot)."""
    with engine.connect() as connection, connection.begin():
        yield connection
