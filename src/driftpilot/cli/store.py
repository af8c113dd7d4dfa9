"""``driftpilot store check|repair``: find and move rows an older driftpilot stored unreadable.

``check`` scans events, labels and profiles (a progress bar on a terminal) and prints the
problem rows counted per table, model and problem (a rich table, or ``--format json``); it
exits 1 when it found any, 0 when every row reads back. ``repair`` moves them in one
transaction (``driftpilot.store.legacy``: events and labels to the quarantine, profiles of
unreadable buckets deleted) and prints what it moved. Both work on the service's database
directly (``--db`` or ``--data-dir``), like the other service commands, and may run while
the service does.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from driftpilot.cli._output import Column, FormatOption, Listing, ListingFormat, info_console
from driftpilot.cli.app import _user_errors, app
from driftpilot.cli.service import DataDir, Db, _store

if TYPE_CHECKING:
    from driftpilot.store import StoreCheckResult

__all__ = ["store_app"]

EXIT_PROBLEMS = 1

store_app = typer.Typer(
    help="The stored rows: check that every one reads back, repair those that do not.",
    no_args_is_help=True,
)
app.add_typer(store_app, name="store")

Details = Annotated[
    bool, typer.Option("--details", help="Also list every problem row (table output).")
]


def _listing(result: StoreCheckResult, title: str) -> Listing:
    listing = Listing(title, ["table", "model", "code", Column("rows", justify="right")])
    for (table, model, code), n in result.counts().items():
        listing.add(table=table, model=model, code=code, rows=n)
    return listing


def _rows(result: StoreCheckResult) -> Listing:
    listing = Listing("Problem rows", [
        "table", Column("row_id", "id", justify="right"), "model", "event_id", "code", "field",
        "message",
    ])  # fmt: skip
    for p in result.problems:
        listing.add(table=p.table, row_id=p.row_id, model=p.model, event_id=p.event_id,
                    code=p.code, field=p.field, message=p.message)  # fmt: skip
    return listing


def _with_progress(console: Console, work: Callable[[Callable[[int, int], None]], object]) -> None:
    columns = (TextColumn("scanning rows"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("scan", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        work(advance)


@store_app.command("check")
@_user_errors
def check(
    db: Db = None,
    data_dir: DataDir = None,
    details: Details = False,
    output_format: FormatOption = ListingFormat.table,
) -> None:
    """Scan every event, label and profile for rows a read path cannot return (exit 1 if any)."""
    from driftpilot.store import check_store

    say = info_console(output_format)
    found: list[StoreCheckResult] = []
    with _store(db, data_dir) as store:
        _with_progress(
            say, lambda advance: found.append(check_store(store.engine, progress=advance))
        )
    result = found[0]
    if output_format is ListingFormat.json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
    else:
        scanned = ", ".join(f"{n:,} {table}" for table, n in result.scanned.items())
        if result.ok:
            say.print(f"Scanned {scanned}: every row reads back.", highlight=False)
        else:
            _listing(result, "Rows that cannot be read back").emit(output_format)
            if details:
                _rows(result).emit(output_format)
            say.print(
                f"Scanned {scanned}: {len(result.problems):,} rows cannot be read back. "
                "Move them out of the way with 'driftpilot store repair'.",
                highlight=False,
            )
    if not result.ok:
        raise typer.Exit(EXIT_PROBLEMS)


@store_app.command("repair")
@_user_errors
def repair(
    db: Db = None,
    data_dir: DataDir = None,
    output_format: FormatOption = ListingFormat.table,
) -> None:
    """Quarantine the events and labels that cannot be read back; delete their lone profiles.

    One transaction: on any failure nothing changes. Quarantined rows are listed by
    ``GET /v1/models/{model}/rejected`` with the reason and their full text.
    """
    from driftpilot.store import StoreRepairResult, repair_store

    say = info_console(output_format)
    done: list[StoreRepairResult] = []
    with _store(db, data_dir) as store:
        _with_progress(
            say, lambda advance: done.append(repair_store(store.engine, progress=advance))
        )
    result = done[0]
    if output_format is ListingFormat.json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
        return
    if result.check.ok:
        say.print("Nothing to repair: every row reads back.", highlight=False)
        return
    _listing(result.check, "Rows moved").emit(output_format)
    say.print(
        f"Quarantined {result.quarantined:,} events and labels (listed by GET "
        f"/v1/models/<model>/rejected); deleted {result.deleted:,} profiles of buckets outside "
        "the years 0002-9998.",
        highlight=False,
    )
