"""Commands of the service: ``serve``, ``db upgrade|compact``, ``keys create|list|revoke``.

They register themselves on the ``driftpilot`` app (``cli.app`` imports this module) and
import the server and store only when run, so ``driftpilot compare`` stays quick to start.
Options left out fall back to ``DRIFTPILOT_*`` variables, then to the defaults.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from driftpilot.cli._output import Column, FormatOption, Listing, ListingFormat
from driftpilot.cli.app import _user_errors, app, stderr, stdout
from driftpilot.errors import InvalidParameterError

if TYPE_CHECKING:
    from driftpilot.server import Settings
    from driftpilot.store import Store

__all__ = ["db_app", "keys_app"]

db_app = typer.Typer(
    help="The service's database: migrations and compaction.", no_args_is_help=True
)
keys_app = typer.Typer(help="API keys of the service.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")

Db = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (default: SQLite file in --data-dir).", show_default=False
    ),
]
DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Folder of the default SQLite database [.driftpilot].",
        show_default=False,
    ),
]


#: Plain text: no markup (scopes are in brackets), no highlighting, no wrapping.
_PLAIN: dict[str, Any] = {"markup": False, "highlight": False, "soft_wrap": True}


def _settings(**values: Any) -> Settings:
    """Build the settings from the options given (others from the environment)."""
    from pydantic import ValidationError

    from driftpilot.server import Settings

    try:
        return Settings(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as err:
        problem = err.errors()[0]
        field = ".".join(str(p) for p in problem["loc"])
        raise InvalidParameterError(
            f"Invalid setting {field!r} (option --{field.replace('_', '-')} or variable "
            f"DRIFTPILOT_{field.upper()}): {problem['msg']}."
        ) from None


@contextlib.contextmanager
def _store(db: str | None, data_dir: Path | None) -> Iterator[Store]:
    """Open the database, migrated to the newest schema; connection errors become one line."""
    import sqlalchemy as sa

    from driftpilot.server import store_for

    settings = _settings(db=db, data_dir=data_dir)
    store = store_for(settings)
    try:
        store.upgrade()
        yield store
    except sa.exc.OperationalError as err:
        raise InvalidParameterError(
            f"Cannot use the database {_shown(settings.database_url)}: {err.orig}"
        ) from None
    finally:
        store.close()


def _shown(url: str) -> str:
    import sqlalchemy as sa

    return repr(sa.make_url(url).render_as_string(hide_password=True))


@app.command()
@_user_errors
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind [127.0.0.1].", show_default=False)
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to bind [8000].", show_default=False)
    ] = None,
    db: Db = None,
    data_dir: DataDir = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="Accept requests without API keys (loopback only).")
    ] = False,
    log_level: Annotated[
        str | None, typer.Option(help="uvicorn log level [info].", show_default=False)
    ] = None,
    monitors: Annotated[
        Path | None,
        typer.Option(help="Monitor file or folder to store and schedule.", show_default=False),
    ] = None,
    monitor_tick: Annotated[
        float | None,
        typer.Option(help="Seconds between scheduler looks (0: off) [30].", show_default=False),
    ] = None,
    alerting: Annotated[
        Path | None,
        typer.Option(help="Alerting file: channels, routes, event buses.", show_default=False),
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(help="The service's public URL, for links in alerts.", show_default=False),
    ] = None,
    artifacts: Annotated[
        str | None,
        typer.Option(
            help="Model artifact store: a folder or fsspec URL [<data-dir>/artifacts].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the HTTP service: log predictions and labels, run monitors (FastAPI + uvicorn)."""
    from driftpilot.server import create_app, is_loopback

    settings = _settings(
        host=host, port=port, db=db, data_dir=data_dir, log_level=log_level,
        auth=False if no_auth else None, monitors=monitors, monitor_tick_seconds=monitor_tick,
        alerting=alerting, public_url=public_url, artifacts=artifacts,
    )  # fmt: skip
    if settings.alerting is not None:  # a bad alerting file fails here, in one line
        from driftpilot.alerts.config import load_alerting

        load_alerting(settings.alerting)
    if settings.monitors is not None:  # a bad file fails here, in one line
        from driftpilot.monitor import check_alignment, load_monitors
        from driftpilot.server.monitoring import monitor_files

        for file in monitor_files(settings.monitors):
            for spec in load_monitors(file):
                check_alignment(spec, settings.bucket_seconds)
    if not settings.auth and not is_loopback(settings.host):
        raise InvalidParameterError(
            f"Refusing to run without API keys on {settings.host!r}, which is not a loopback "
            "address: anyone on the network could write and read data. Drop --no-auth "
            "(create keys with 'driftpilot keys create'), or bind to 127.0.0.1."
        )
    import gc

    import uvicorn

    application = create_app(settings)
    if settings.migrate_on_start:  # fail here, in one line, rather than in uvicorn's startup
        import sqlalchemy as sa

        try:
            application.state.store.upgrade()
        except sa.exc.OperationalError as err:
            raise InvalidParameterError(
                f"Cannot use the database {_shown(settings.database_url)}: {err.orig}"
            ) from None
    # A long-lived server: move everything imported so far out of the collector's sight, and
    # collect the young generation less often (an ingest call allocates ~100k short-lived,
    # acyclic objects that reference counting frees anyway).
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    stderr.print(
        f"driftpilot serving on http://{settings.host}:{settings.port} "
        f"(database {_shown(settings.database_url)}, auth {'on' if settings.auth else 'OFF'})",
        **_PLAIN,
    )
    uvicorn.run(application, host=settings.host, port=settings.port, log_level=settings.log_level)


@db_app.command("upgrade")
@_user_errors
def db_upgrade(db: Db = None, data_dir: DataDir = None) -> None:
    """Create the database or migrate it to the newest schema."""
    from driftpilot.store import migrate

    with _store(db, data_dir) as store:
        stdout.print(
            f"Database {_shown(str(store.engine.url))} is at revision {migrate.head_revision()}.",
            **_PLAIN,
        )


@db_app.command("compact")
@_user_errors
def db_compact(db: Db = None, data_dir: DataDir = None) -> None:
    """Merge each bucket's partials into one row and roll up ended days (as the service does)."""
    with _store(db, data_dir) as store:
        joined = store.labels.join_pending()
        removed = store.profiles.compact()
        rolled = store.profiles.roll_up()
    stdout.print(
        f"Joined {joined} pending labels; removed {removed} partial profiles; "
        f"wrote {rolled} daily rollups.",
        **_PLAIN,
    )


@keys_app.command("create")
@_user_errors
def keys_create(
    scope: Annotated[list[str], typer.Option("--scope", help="ingest, read or admin; repeatable.")],
    name: Annotated[str | None, typer.Option(help="A name to recognise the key by.")] = None,
    db: Db = None,
    data_dir: DataDir = None,
) -> None:
    """Create an API key and print it (the only time it is shown; only its hash is kept)."""
    with _store(db, data_dir) as store:
        new = store.keys.create(scope, name=name)
    scopes = ", ".join(sorted(new.record.scopes))
    stderr.print(f"Created key {new.record.id} ({new.record.key_id}) with scopes [{scopes}]. "
                 "Store it now: it cannot be shown again.", **_PLAIN)  # fmt: skip
    print(new.key)  # noqa: T201 - the key alone on stdout, for scripts


@keys_app.command("list")
@_user_errors
def keys_list(
    db: Db = None, data_dir: DataDir = None, output_format: FormatOption = ListingFormat.table
) -> None:
    """List API keys (never their secrets)."""
    from driftpilot.store import to_iso

    with _store(db, data_dir) as store:
        keys = store.keys.list_keys()
    listing = Listing("API keys", [
        Column("id", justify="right"), "key_id", "name",
        Column("scopes", show=lambda s: escape(", ".join(s))),
        Column("created_at", "created", show=lambda t: t[:19]),
        Column("revoked_at", "revoked", show=lambda t: "" if t is None else t[:19]),
    ])  # fmt: skip
    for key in keys:
        revoked = None if key.revoked_at is None else to_iso(key.revoked_at)
        listing.add(id=key.id, key_id=key.key_id, name=key.name, scopes=sorted(key.scopes),
                    created_at=to_iso(key.created_at), revoked_at=revoked)  # fmt: skip
    listing.emit(output_format)


@keys_app.command("revoke")
@_user_errors
def keys_revoke(
    key: Annotated[str, typer.Argument(help="The key's number or key id (from keys list).")],
    db: Db = None,
    data_dir: DataDir = None,
) -> None:
    """Revoke an API key; requests with it fail from now on."""
    with _store(db, data_dir) as store:
        record = store.keys.revoke(key)
    stdout.print(f"Revoked key {record.id} ({record.key_id}).", **_PLAIN)
