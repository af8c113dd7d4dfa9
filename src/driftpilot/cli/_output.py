"""How commands print a listing: a rich table, or ``--format json``; full width in a pipe.

A command that lists things describes its columns once, adds rows of plain values, and calls
:meth:`Listing.emit` with the ``--format`` option's value (:data:`FormatOption`)::

    listing = Listing("Alerts", [Column("id", justify="right"), Column("state"),
                                 Column("tier", show=tier_colour)])
    for alert in alerts:
        listing.add(id=alert.id, state=alert.state, tier=alert.tier)
    listing.emit(output_format)

``table`` prints the rich table on standard output; ``json`` prints one JSON array with an
object per row (keys are the column keys, values as added: numbers stay numbers, ``None``
is ``null``), and nothing else, so ``| jq`` works; messages beside a listing go to standard
error in that mode (:func:`info_console`). When standard output is not a terminal, tables
are printed as wide as their content (:func:`print_wide`): a pipe or a file gets every
column whole, never an ellipsis.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

import typer
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from driftpilot.errors import InvalidParameterError

__all__ = [
    "Column",
    "FormatOption",
    "Listing",
    "ListingFormat",
    "info_console",
    "print_wide",
    "stderr",
    "stdout",
]

#: Widest line a pipe gets; a table is never wider than its content anyway.
_UNBOUNDED = 100_000

#: The CLI's consoles: results on standard output, messages and errors on standard error.
stdout = Console()
stderr = Console(stderr=True)


class ListingFormat(StrEnum):
    """How a command prints its listing (``--format``)."""

    table = "table"
    json = "json"


FormatOption = Annotated[
    ListingFormat,
    typer.Option(
        "--format", "-f", help="table, or json (one array of row objects on stdout, for scripts)."
    ),
]


def _plain(value: Any) -> str:
    return "" if value is None else escape(str(value))


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a listing.

    Parameters
    ----------
    key
        The JSON key of the column (and its header, with ``_`` as a space, unless ``header``).
    header
        The table's header for the column.
    justify
        ``"right"`` for numbers.
    show
        How the table shows a value (may return rich markup); default: the value as text,
        escaped, and ``None`` as an empty cell.
    """

    key: str
    header: str | None = None
    justify: Literal["left", "right"] = "left"
    show: Callable[[Any], str] = _plain


class Listing:
    """Rows of plain values with their columns, printed as a table or as JSON.

    Parameters
    ----------
    title
        The table's title (JSON has none).
    columns
        The columns, in order; a string is a column with that key and the defaults.
    """

    def __init__(self, title: str, columns: Sequence[Column | str]) -> None:
        self.title = title
        self.columns = [c if isinstance(c, Column) else Column(c) for c in columns]
        self.rows: list[dict[str, Any]] = []

    def add(self, **values: Any) -> None:
        """Add one row; every column's key must be given, and nothing else."""
        keys = [c.key for c in self.columns]
        if sorted(values) != sorted(keys):
            raise InvalidParameterError(
                f"A row of the {self.title!r} listing needs exactly the keys {keys}. "
                f"Got {sorted(values)} instead."
            )
        self.rows.append({key: values[key] for key in keys})

    def table(self) -> Table:
        """Return the rich table of the rows."""
        table = Table(title=self.title, title_justify="left")
        for column in self.columns:
            header = column.header if column.header is not None else column.key.replace("_", " ")
            table.add_column(header, justify=column.justify)
        for row in self.rows:
            table.add_row(*(c.show(row[c.key]) for c in self.columns))
        return table

    def to_json(self) -> str:
        """Return the rows as one JSON array of objects."""
        return json.dumps(self.rows, indent=2, default=str)

    def emit(self, output_format: ListingFormat, console: Console | None = None) -> None:
        """Print the listing on standard output (``console``, for a table) in the format."""
        if output_format is ListingFormat.json:
            sys.stdout.write(self.to_json() + "\n")
        else:
            print_wide(self.table(), console)


def print_wide(renderable: RenderableType, console: Console | None = None) -> None:
    """Print ``renderable``; outside a terminal as wide as its content needs (no ellipsis)."""
    console = console if console is not None else stdout
    if console.is_terminal:
        console.print(renderable)
        return
    options = console.options.update_width(_UNBOUNDED)
    needed = Measurement.get(console, options, renderable).maximum
    wide = Console(
        file=console.file,
        width=max(console.width, min(needed, _UNBOUNDED)),
        color_system=console.color_system,  # type: ignore[arg-type]
        no_color=console.no_color,
        highlight=False,
    )
    wide.print(renderable)


def info_console(output_format: ListingFormat) -> Console:
    """Return where a command's messages go: stdout for tables, stderr beside JSON."""
    return stderr if output_format is ListingFormat.json else stdout
