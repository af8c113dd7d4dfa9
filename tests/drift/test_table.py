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
    # The pinned console; writing to a StringIO keeps the terminal clean, recording keeps the text.
    console = Console(
        width=120, record=True, color_system=None, force_terminal=False, file=io.StringIO()
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
        width=60, record=True, color_system=None, force_terminal=False, file=io.StringIO()
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
