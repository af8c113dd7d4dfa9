"""The drift report as a rich renderable for the terminal: verdict, one row per column, findings.

Nothing here prints; the CLI (or ``rich.print(report)``) does. Every user string goes in as a
:class:`rich.text.Text`, never as console markup, so a column named ``[red]x`` prints as is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Group
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from driftpilot.drift._format import format_number, format_p_value
from driftpilot.drift._html import ordered_columns, verdict_detail

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, JustifyMethod, RenderableType, RenderResult

    from driftpilot.drift.report import DriftReport

__all__ = ["render_table"]

_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "none": "green"}


def _verdict(report: DriftReport) -> Text:
    answer = "YES" if report.dataset_drift else "NO"
    style = "bold red" if report.dataset_drift else "bold green"
    text = Text("Dataset drift: ", style="bold")
    text.append(answer, style=style)
    text.append(f" \u2014 {verdict_detail(report)}")
    return text


def _has_correction(report: DriftReport) -> bool:
    """Whether any adjusted p-value differs from its raw one, so both are worth showing."""
    return any(
        column.p_value_adjusted is not None and column.p_value_adjusted != column.p_value
        for column in report.columns.values()
    )


class _FittedTable:
    """A table that, on a terminal, drops its least useful columns until it fits.

    rich (15.0) shares out a narrow terminal badly: a wrappable column can shrink to nothing,
    and that was the column name. Here every cell is ``no_wrap`` and, on a terminal, the table
    leaves out, in order, the type, the adjusted p-value and the test name when the full table
    would not fit; the column name keeps at least 12 characters (then an ellipsis), at most 40.

    Anywhere else (a pipe, a file, a console not attached to a terminal, whatever its width)
    the output is read by a program or kept: the table keeps every column and the full text of
    every cell, rendered at its natural width even if that is wider than the console (print it
    with ``crop=False``, or through the CLI, which widens its console to the content).
    """

    _DROP_ORDER = ("Type", "adj. p", "Test")

    def __init__(self, headers: list[str], rows: list[list[Text]]) -> None:
        self.headers = headers
        self.rows = rows

    def _width(self, index: int) -> int:
        return max([len(self.headers[index]), *(len(row[index].plain) for row in self.rows)])

    def _natural(self, console: Console, options: ConsoleOptions) -> int:
        """Return the width of the full table with every cell whole."""
        table = self._table(list(range(len(self.headers))), fitted=False)
        return Measurement.get(console, options.update_width(10_000), table).maximum

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        if console.is_terminal:
            return Measurement.get(console, options, self._fitted(console, options))
        natural = self._natural(console, options)
        return Measurement(natural, natural)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if console.is_terminal:
            yield self._fitted(console, options)
            return
        natural = self._natural(console, options)
        table = self._table(list(range(len(self.headers))), fitted=False)
        yield from console.render(table, options.update(width=natural, max_width=natural))

    def _fitted(self, console: Console, options: ConsoleOptions) -> Table:
        keep = list(range(len(self.headers)))
        table = self._table(keep)
        for header in self._DROP_ORDER:
            unbounded = options.update_width(10_000)
            fits = Measurement.get(console, unbounded, table).maximum <= options.max_width
            if fits or header not in self.headers:
                continue
            keep.remove(self.headers.index(header))
            table = self._table(keep)
        return table

    def _table(self, keep: list[int], *, fitted: bool = True) -> Table:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for index in keep:
            header = self.headers[index]
            if not fitted:
                justify_: JustifyMethod = "right" if header in _NUMBERS else "left"
                table.add_column(header, justify="center" if header == "Drifted" else justify_,
                                 no_wrap=True, min_width=self._width(index))  # fmt: skip
            elif header == "Column":
                table.add_column(
                    header, no_wrap=True, overflow="ellipsis", min_width=12, max_width=40
                )
            elif header in ("Type", "Test"):
                table.add_column(header, no_wrap=True, overflow="ellipsis")
            else:
                justify: JustifyMethod = (
                    "center" if header == "Drifted" else "left" if header == "Severity" else "right"
                )
                table.add_column(
                    header, justify=justify, no_wrap=True, min_width=self._width(index)
                )
        for row in self.rows:
            table.add_row(*(row[i] for i in keep))
        return table


#: The headers of numeric columns, right-aligned.
_NUMBERS = frozenset(("Statistic", "p-value", "adj. p", "PSI"))


def render_table(report: DriftReport) -> RenderableType:
    """Return a rich ``Group``: the verdict line, a table of columns and the findings.

    Columns are listed drifted first, then by severity. The table shows an "adj. p" column
    only when a multiple-testing correction changed some p-value, since the verdict of a
    p-value test is taken on the adjusted value.
    """
    adjusted = _has_correction(report)
    headers = ["Column", "Type", "Test", "Statistic", "p-value"]
    headers += ["adj. p"] if adjusted else []
    headers += ["PSI", "Severity", "Drifted"]
    rows: list[list[Text]] = []
    for column in ordered_columns(report):
        cells: list[Text] = [
            Text(column.name, style="bold" if column.drifted else ""),
            Text(column.type),
            Text(column.test),
            Text(("\u2248" if column.approximate else "") + format_number(column.statistic)),
            Text(format_p_value(column.p_value)),
        ]
        if adjusted:
            cells.append(Text(format_p_value(column.p_value_adjusted)))
        cells += [
            Text(format_number(column.psi)),
            Text(column.severity, style=_SEVERITY_STYLE.get(column.severity, "")),
            Text("\u2713", style="bold red") if column.drifted else Text("\u2717", style="dim"),
        ]
        rows.append(cells)
    table = _FittedTable(headers, rows)
    parts: list[RenderableType] = [_verdict(report)]
    if report.multivariate is not None:
        joint = report.multivariate
        line = Text(f"Multivariate mmd over {len(joint.columns)} columns: p-value ")
        line.append(format_p_value(joint.p_value))
        line.append(" \u2014 ")
        if joint.drifted:
            line.append("drifted", style="bold red")
        else:
            line.append("stable", style="green")
        parts.append(line)
    parts += [Text(), table]
    if any(column.approximate for column in report.columns.values()):
        parts.append(Text("\u2248 approximate statistic (from a sketch)", style="dim"))
    if report.findings:
        findings = Text("\nFindings:", style="bold")
        for finding in report.findings:
            findings.append("\n  \u2022 ")
            findings.append(finding.column, style="bold")
            findings.append(f" ({finding.kind.replace('_', ' ')}): ", style="dim")
            findings.append(finding.message)
        parts.append(findings)
    return Group(*parts)
