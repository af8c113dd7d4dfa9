"""Commands of the ``driftpilot`` CLI: ``profile``, ``compare``, ``demo``."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from driftpilot.cli import _output
from driftpilot.cli._output import (
    Column,
    FormatOption,
    Listing,
    ListingFormat,
    info_console,
    print_wide,
)
from driftpilot.errors import DriftpilotError, InvalidParameterError

if TYPE_CHECKING:
    from driftpilot.profile import Profile

# The data modules (numpy, pyarrow, scipy) load inside the commands that use them, so
# `driftpilot --help` and the service's commands start without them.

__all__ = ["app", "main"]

EXIT_OK, EXIT_DRIFT, EXIT_USAGE = 0, 1, 2
#: The consoles every command module prints on (defined in ``cli._output``).
stdout, stderr = _output.stdout, _output.stderr

app = typer.Typer(
    name="driftpilot",
    help="Profile data, detect drift, and keep models healthy in production.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _show_version(value: bool) -> None:
    if value:
        from driftpilot import __version__

        sys.stdout.write(f"driftpilot {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Profile data, detect drift, and keep models healthy in production."""


F = TypeVar("F", bound=Callable[..., Any])


def _user_errors(func: F) -> F:
    """Turn our errors and file errors into one clear line on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (DriftpilotError, OSError) as err:
            stderr.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_USAGE) from None

    return wrapper  # type: ignore[return-value]


class OutputFormat(StrEnum):
    """How ``compare`` prints its report."""

    table = "table"
    json = "json"
    html = "html"


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values or []:
        column, sep, value = item.partition("=")
        if not sep or not column or not value:
            raise InvalidParameterError(
                f"The '{option}' option takes COLUMN=VALUE. Got {item!r} instead."
            )
        pairs[column] = value
    return pairs


def _kinds(values: list[str] | None) -> dict[str, str]:
    from driftpilot._columns import parse_column_type

    kinds = _pairs(values, "--schema")
    for column, kind in kinds.items():
        parse_column_type(kind, column=column)
    return kinds


def _thresholds(values: list[str] | None) -> dict[str, float]:
    parsed: dict[str, float] = {}
    for column, value in _pairs(values, "--threshold").items():
        try:
            parsed[column] = float(value)
        except ValueError:
            raise InvalidParameterError(
                f"The '--threshold' option for column {column!r} must be a number. "
                f"Got {value!r} instead."
            ) from None
    return parsed


@app.command()
@_user_errors
def profile(
    data: Annotated[Path, typer.Argument(help="CSV, Parquet or JSON-lines file to profile.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to save the baseline.")],
    target: Annotated[str | None, typer.Option(help="Column holding the label.")] = None,
    prediction: Annotated[str | None, typer.Option(help="Column holding the prediction.")] = None,
    model_name: Annotated[str | None, typer.Option(help="Model name to record.")] = None,
    model_version: Annotated[str | None, typer.Option(help="Model version to record.")] = None,
    bins: Annotated[int, typer.Option(help="Quantile bins per numeric column.")] = 10,
    output_format: FormatOption = ListingFormat.table,
) -> None:
    """Profile DATA into a baseline file that `compare` accepts as its reference."""
    from driftpilot.cli._readers import read_input
    from driftpilot.profile import Baseline, Profile, ProfileConfig
    from driftpilot.profile import baseline as make_baseline

    table = read_input(data, console=stderr)
    if isinstance(table, Profile | Baseline):
        raise InvalidParameterError(f"{data} is already a saved profile; give a data file.")
    with stderr.status("profiling"):
        result = make_baseline(
            table,
            target=target,
            prediction=prediction,
            model_name=model_name,
            model_version=model_version,
            config=ProfileConfig(bins=bins),
        )
    result.save(output)
    _profile_listing(result.profile).emit(output_format)
    info_console(output_format).print(
        f"Saved the baseline of {result.profile.n_rows:,} rows to [bold]{escape(str(output))}[/]"
    )


def _count(value: int) -> str:
    return f"{value:,}"


def _profile_listing(summary: Profile) -> Listing:
    listing = Listing("Profile", [
        Column("column"), Column("type"), Column("rows", justify="right", show=_count),
        Column("missing", justify="right", show=_count), Column("summary"),
    ])  # fmt: skip
    for name, column in summary.columns.items():
        listing.add(
            column=name,
            type=str(column.kind),
            rows=column.n,
            missing=column.n - _valid(column),
            summary=_describe(column),
        )
    return listing


def _valid(column: Any) -> int:
    return int(getattr(column, "n_valid", column.n - column.n_missing))


def _describe(column: Any) -> str:
    mean = getattr(column, "mean", None)
    if mean is not None:
        return f"mean {mean:.4g}, std {column.std:.4g}, range [{column.min:.4g}, {column.max:.4g}]"
    if hasattr(column, "categories"):
        top = list(column.categories())[:3]
        return f"{column.n_distinct:,.0f} distinct; top: " + ", ".join(map(str, top))
    return ""


@app.command()
@_user_errors
def compare(
    reference: Annotated[Path, typer.Argument(help="Reference data file or saved profile.")],
    current: Annotated[Path, typer.Argument(help="Current data file or saved profile.")],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="How to show the report.")
    ] = OutputFormat.table,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the report to this file.")
    ] = None,
    test: Annotated[
        list[str] | None, typer.Option("--test", help="COLUMN=TEST, repeatable.")
    ] = None,
    threshold: Annotated[
        list[str] | None, typer.Option("--threshold", help="COLUMN=VALUE, repeatable.")
    ] = None,
    schema: Annotated[
        list[str] | None,
        typer.Option(
            "--schema",
            help="COLUMN=KIND (numeric, categorical, boolean, datetime, text), repeatable: "
            "overrides the inferred kind.",
        ),
    ] = None,
    bins: Annotated[int, typer.Option(help="Quantile bins per numeric column.")] = 10,
    correction: Annotated[str, typer.Option(help="fdr_bh, holm, bonferroni or none.")] = "fdr_bh",
    multivariate: Annotated[
        str | None,
        typer.Option(help="Also test these numeric columns jointly (MMD): COL,COL,... or all."),
    ] = None,
    fail_on_drift: Annotated[
        bool, typer.Option("--fail-on-drift", help="Exit with code 1 when the dataset drifts.")
    ] = False,
) -> None:
    """Compare CURRENT with REFERENCE and report drift per column."""
    from driftpilot.cli._misfits import unfit_tests, with_findings, without_columns
    from driftpilot.cli._readers import read_input
    from driftpilot.drift import compare as compare_data

    tests = _pairs(test, "--test")
    thresholds = _thresholds(threshold)
    kinds = _kinds(schema)
    ref = read_input(reference, console=stderr)
    cur = read_input(current, console=stderr)
    misfits = unfit_tests(ref, tests, kinds)
    ref, cur = without_columns(ref, misfits), without_columns(cur, misfits)
    with stderr.status("comparing"):
        report = compare_data(
            ref,
            cur,
            tests={c: t for c, t in tests.items() if c not in misfits},
            thresholds=thresholds,
            schema=kinds or None,
            bins=bins,
            correction=None if correction.lower() == "none" else correction,
            multivariate=_multivariate(multivariate),
        )
    report = with_findings(report, misfits)
    if output_format is OutputFormat.json:
        _emit(report.to_json(), output)
    elif output_format is OutputFormat.html:
        _emit(report.to_html(), output)
    else:
        if output is not None:
            with output.open("w", encoding="utf-8") as handle:
                print_wide(report, Console(file=handle, width=120))
        else:
            print_wide(report)
    if output is not None:
        stderr.print(f"Wrote the {output_format.value} report to [bold]{output}[/]")
    if fail_on_drift and report.dataset_drift:
        raise typer.Exit(EXIT_DRIFT)


def _multivariate(value: str | None) -> list[str] | bool:
    if value is None:
        return False
    if value.strip().lower() == "all":
        return True
    columns = [c.strip() for c in value.split(",") if c.strip()]
    if not columns:
        raise InvalidParameterError(
            f"The '--multivariate' option takes COL,COL,... or 'all'. Got {value!r} instead."
        )
    return columns


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
    else:
        output.write_text(text, encoding="utf-8")


@app.command()
@_user_errors
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo's files.")] = Path(
        "driftpilot-demo"
    ),
    rows: Annotated[int, typer.Option(help="Rows in each synthetic data set.")] = 50_000,
    service: Annotated[
        bool, typer.Option(help="Also run the service part (serve, SDK, middleware).")
    ] = True,
    keep_serving: Annotated[
        bool, typer.Option(help="Keep the demo's service running at the end (Ctrl-C stops it).")
    ] = False,
) -> None:
    """Profile, compare and report on synthetic loan data; then log live traffic to the service."""
    from driftpilot.cli.demo import run_demo

    run_demo(out, rows=rows, console=stdout, service=service, keep_serving=keep_serving)


def main() -> None:
    """Entry point of the ``driftpilot`` script (and of ``python -m driftpilot``)."""
    app(prog_name="driftpilot")


# The service's commands (serve, db, keys) live in their own module and register on `app`.
from driftpilot.cli import alerts as _alerts  # noqa: E402, F401
from driftpilot.cli import models as _models  # noqa: E402, F401
from driftpilot.cli import monitor as _monitor  # noqa: E402, F401
from driftpilot.cli import service as _service  # noqa: E402, F401
from driftpilot.cli import serving as _serving  # noqa: E402, F401
from driftpilot.cli import store as _store_commands  # noqa: E402, F401
