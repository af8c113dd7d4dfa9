"""The terminal table of a drift report, checked against a golden file.

To regenerate the golden file after an intended change of the output, run

    DRIFTPILOT_REGEN_GOLDEN=1 .venv/bin/pytest tests/drift/test_table.py

then review the diff of ``tests/drift/golden/table.txt`` before committing it.
"""

import io
import os
from pathlib import Path

import pytest
from rich.console import Console, Group

from driftpilot.drift._table import _FittedTable, render_table
from driftpilot.drift.report import BinnedDistribution, ColumnDrift, DriftReport, SchemaFinding

GOLDEN = Path(__file__).parent / "golden" / "table.txt"
REGEN = os.environ.get("DRIFTPILOT_REGEN_GOLDEN") == "1"
MARKUP_NAME = "[red]x[/red]"


def _column(name: str, **overrides: object) -> ColumnDrift:
    values: dict[str, object] = {
        "name": name,
        "type": "numeric",
        "test": "ks",
        "statistic": 0.0312,
        "p_value": 0.4127,
        "p_value_adjusted": 0.8254,
        "threshold": 0.05,
        "drifted": False,
        "severity": "none",
        "psi": 0.004,
        "n_reference": 1000,
        "n_current": 1000,
    }
    values.update(overrides)
    return ColumnDrift(**values)  # type: ignore[arg-type]


def make_report() -> DriftReport:
    """Numeric (10 bins), categorical (30 categories), no distribution, p-value and distances."""
    numeric = BinnedDistribution(
        labels=tuple(f"bin {i}" for i in range(10)),
        reference=(20, 120, 150, 190, 200, 150, 100, 50, 15, 5),
        current=(5, 40, 90, 150, 210, 200, 160, 100, 35, 10),
        edges=(float("-inf"), *range(1, 10), float("inf")),
    )
    categorical = BinnedDistribution(
        labels=tuple(f"city_{i:02d}" for i in range(30)),
        reference=tuple(100 - 3 * i for i in range(30)),
        current=tuple(90 - 2 * i for i in range(30)),
    )
    columns = [
        _column("score"),
        _column(
            "age",
            statistic=0.1534,
            p_value=3.2e-7,
            p_value_adjusted=9.6e-7,
            drifted=True,
            severity="critical",
            psi=0.2712,
            distribution=numeric,
        ),
        _column(
            MARKUP_NAME,
            type="categorical",
            test="jensenshannon",
            statistic=0.04213,
            p_value=None,
            p_value_adjusted=None,
            threshold=0.1,
            psi=0.01234,
            distribution=categorical,
        ),
        _column(
            "income",
            test="wasserstein_norm",
            statistic=0.1312,
            p_value=None,
            p_value_adjusted=None,
            threshold=0.1,
            drifted=True,
            severity="warning",
            psi=None,
            approximate=True,
            error_bound=0.002,
        ),
        _column(
            "a_rather_long_column_name_that_keeps_going_and_going_to_test_folding_in_the_table",
            type="categorical",
            test="chi2",
            statistic=12345.678,
            p_value=0.03,
            p_value_adjusted=0.12,
        ),
    ]
    return DriftReport(
        dataset_drift=False,
        share_drifted=0.4,
        n_reference=1000,
        n_current=1000,
        columns={column.name: column for column in columns},
        findings=(
            SchemaFinding(
                column="zip_code",
                kind="missing_in_current",
                message="Column 'zip_code' is in the reference but not in the current data.",
            ),
            SchemaFinding(
                column="notes",
                kind="unsupported_type",
                message="Column 'notes' holds binary values, which cannot be tested.",
            ),
        ),
        options={"drift_share": 0.5, "correction": "holm", "alpha": 0.05},
    )


def _text(renderable: object) -> str:
    # A pinned terminal (120 wide, no colours); a StringIO keeps the real terminal clean.
    console = Console(
        width=120, record=True, color_system=None, force_terminal=True, file=io.StringIO()
    )
    console.print(renderable)
    # Trailing spaces are padding, not content; dropping them keeps editors from breaking the file.
    return "".join(f"{line.rstrip()}\n" for line in console.export_text().splitlines())


def test_matches_golden() -> None:
    text = _text(render_table(make_report()))
    if REGEN:
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_rich_protocol_renders_the_same() -> None:
    report = make_report()
    assert _text(report) == _text(render_table(report))


def test_structure() -> None:
    group = render_table(make_report())
    assert isinstance(group, Group)
    tables = [part for part in group.renderables if isinstance(part, _FittedTable)]
    assert len(tables) == 1
    assert len(tables[0].rows) == 5


def test_narrow_console_keeps_the_column_names() -> None:
    console = Console(
        width=60, record=True, color_system=None, force_terminal=True, file=io.StringIO()
    )
    console.print(render_table(make_report()))
    text = console.export_text()
    assert "Column" in text
    assert "Type" not in text  # the first column left out when the table does not fit
    for name in ("age", "income", "score"):
        assert name in text


def test_verdict_line() -> None:
    first = _text(render_table(make_report())).splitlines()[0]
    assert first == "Dataset drift: NO \u2014 2 of 5 columns drifted (40%, threshold 50%)"


def test_drifted_first_and_markup_is_literal() -> None:
    text = _text(render_table(make_report()))
    assert MARKUP_NAME in text
    assert text.index("age") < text.index("income") < text.index("score")


def test_no_findings_no_correction() -> None:
    report = DriftReport(
        dataset_drift=True,
        share_drifted=1.0,
        n_reference=10,
        n_current=10,
        columns={"x": _column("x", p_value_adjusted=0.4127, drifted=True, severity="warning")},
        options={"drift_share": 0.5},
    )
    text = _text(render_table(report))
    assert text.startswith("Dataset drift: YES \u2014 1 of 1 column drifted (100%, threshold 50%)")
    assert "Findings" not in text
    assert "adj. p" not in text
    assert "\u2713" in text


@pytest.mark.skipif(REGEN, reason="the golden file is being regenerated")
def test_golden_file_exists() -> None:
    assert GOLDEN.is_file()


LONG_NAME = "a_rather_long_column_name_that_keeps_going_and_going_to_test_folding_in_the_table"
HEADERS = ("Column", "Type", "Test", "Statistic", "p-value", "adj. p", "PSI", "Severity")


def test_the_pinned_terminal_cuts_the_long_name() -> None:
    text = _text(render_table(make_report()))
    assert LONG_NAME not in text
    assert "a_rather_long_column_name_that_keeps_go\u2026" in text


@pytest.mark.parametrize("width", [40, 60, 120])
def test_a_console_that_is_no_terminal_keeps_every_column_and_the_full_names(width: int) -> None:
    """Piped or written to a file, whatever its width: every column, every cell whole."""
    from driftpilot.cli._output import print_wide

    report = make_report()
    for show in (
        lambda console: console.print(report, crop=False),
        lambda console: print_wide(report, console),  # what the CLI does
    ):
        out = io.StringIO()
        console = Console(width=width, color_system=None, force_terminal=False, file=out)
        show(console)
        text = out.getvalue()
        for header in HEADERS:
            assert header in text, (width, header)
        for name in (LONG_NAME, "age", "income", "score", MARKUP_NAME):
            assert name in text
        assert "\u2026" not in text  # nothing cut
        rows = [line for line in text.splitlines() if line.startswith(LONG_NAME)]
        assert len(rows) == 1
        assert rows[0].split()[1:4] == ["categorical", "chi2", "12,346"]


def test_a_pipe_gets_every_column_and_the_full_names(tmp_path: Path) -> None:
    """``driftpilot compare`` with its stdout a pipe, on a pinned 60-column width."""
    import subprocess
    import sys

    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    rng = np.random.default_rng(3)
    for name, shift in (("ref", 0.0), ("cur", 1.0)):
        values = {LONG_NAME: rng.normal(shift, 1, 400), "city": rng.choice(["a", "b"], 400)}
        table = pa.table(values)
        pa_csv.write_csv(table, tmp_path / f"{name}.csv")
    env = {**os.environ, "COLUMNS": "60", "TERM": "xterm-256color"}
    env.pop("FORCE_COLOR", None)
    done = subprocess.run(
        [sys.executable, "-m", "driftpilot", "compare", str(tmp_path / "ref.csv"),
         str(tmp_path / "cur.csv"), "--test", f"{LONG_NAME}=ks"],
        capture_output=True, env=env, check=False, text=True,  # stdout is a pipe
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in done.stdout  # no colour codes into a pipe
    (row,) = [line for line in done.stdout.splitlines() if line.startswith(LONG_NAME)]
    assert row.split()[1:3] == ["numeric", "ks"]
    header = next(line for line in done.stdout.splitlines() if line.startswith("Column"))
    for name in ("Column", "Type", "Test", "Statistic", "p-value", "PSI", "Severity", "Drifted"):
        assert name in header
    assert "\u2026" not in done.stdout
