"""The driftpilot CLI: formats, exit codes, one-line errors for user mistakes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import driftpilot as dp
from driftpilot.cli import app
from driftpilot.datasets import make_loans

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    training = make_loans(3_000, seed=1)
    production = make_loans(3_000, drifted=True, seed=1)
    same = make_loans(3_000, seed=2)
    paths = {
        "train_csv": folder / "train.csv",
        "prod_parquet": folder / "prod.parquet",
        "same_csv": folder / "same.csv",
        "prod_jsonl": folder / "prod.jsonl",
    }
    pa_csv.write_csv(training, paths["train_csv"])
    pq.write_table(production, paths["prod_parquet"])
    pa_csv.write_csv(same, paths["same_csv"])
    with paths["prod_jsonl"].open("w") as handle:
        for row in production.slice(0, 500).to_pylist():
            handle.write(json.dumps(row) + "\n")
    return paths


def _run(*args: str | Path) -> object:
    return runner.invoke(app, [str(a) for a in args])


def test_json_format_prints_exactly_the_report(files: dict[str, Path]) -> None:
    result = _run("compare", files["train_csv"], files["prod_parquet"], "--format", "json")
    assert result.exit_code == 0, result.output
    expected = dp.compare(
        pa_csv.read_csv(files["train_csv"]), pq.read_table(files["prod_parquet"])
    ).to_json()
    assert result.stdout == expected + "\n"


def test_fail_on_drift_exit_codes(files: dict[str, Path]) -> None:
    drifted = _run("compare", files["train_csv"], files["prod_parquet"], "--fail-on-drift")
    assert drifted.exit_code == 1
    assert "Dataset drift" in drifted.stdout
    calm = _run("compare", files["train_csv"], files["same_csv"], "--fail-on-drift")
    assert calm.exit_code == 0, calm.output
    without_flag = _run("compare", files["train_csv"], files["prod_parquet"])
    assert without_flag.exit_code == 0


def test_html_to_file(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = _run("compare", files["train_csv"], files["prod_jsonl"], "-f", "html", "-o", out)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.lstrip().lower().startswith("<!doctype html")
    assert "income" in text


def test_profile_then_compare_against_the_baseline(files: dict[str, Path], tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    made = _run("profile", files["train_csv"], "-o", baseline, "--model-name", "loans")
    assert made.exit_code == 0, made.output
    assert "Saved the baseline" in made.stdout
    loaded = dp.load(baseline)
    assert isinstance(loaded, dp.Baseline)
    assert loaded.model_name == "loans"
    result = _run("compare", baseline, files["prod_parquet"], "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["dataset_drift"] is True
    assert report["columns"]["age"]["drifted"] is True


def test_overrides_reach_the_report(files: dict[str, Path]) -> None:
    result = _run(
        "compare",
        files["train_csv"],
        files["prod_parquet"],
        "-f",
        "json",
        "--test",
        "age=psi",
        "--threshold",
        "income=0.9",
        "--bins",
        "5",
    )
    assert result.exit_code == 0, result.output
    columns = json.loads(result.stdout)["columns"]
    assert columns["age"]["test"] == "psi"
    assert columns["income"]["threshold"] == 0.9
    assert len(columns["age"]["distribution"]["labels"]) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "missing.csv", "missing.csv"], "File not found"),
        (["compare", "{train}", "{prod}", "--test", "age=kss"], "Unknown drift test 'kss'"),
        (["compare", "{train}", "{prod}", "--test", "age"], "COLUMN=VALUE"),
        (["compare", "{train}", "{prod}", "--threshold", "age=high"], "must be a number"),
        (["compare", "{train}", "{prod}", "--correction", "bh"], "'correction'"),
        (["compare", "{train}", "{bad}"], "Cannot tell the format"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(
    files: dict[str, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    bad = tmp_path / "data.xlsx"
    bad.write_text("x")
    filled = [a.format(train=files["train_csv"], prod=files["prod_parquet"], bad=bad) for a in args]
    result = runner.invoke(app, filled)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3  # one line, maybe wrapped


def test_unreadable_csv_is_a_user_mistake(tmp_path: Path, files: dict[str, Path]) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("age,income\n1,2\n3,4,5\n")
    result = _run("compare", files["train_csv"], broken)
    assert result.exit_code == 2
    assert "Cannot read" in result.stderr


def test_console_script_runs(files: dict[str, Path]) -> None:
    command = [sys.executable, "-m", "driftpilot", "compare", str(files["train_csv"]), "nope.csv"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: File not found")
    assert "Traceback" not in done.stderr


def test_files_sharing_no_columns_are_a_user_mistake(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    other = tmp_path / "other.csv"
    other.write_text("x,y\n1,2\n3,4\n")
    result = _run("compare", files["train_csv"], other)
    assert result.exit_code == 2
    assert "share no columns" in result.stderr


@pytest.mark.parametrize("name", ["big.csv", "big.parquet", "big.jsonl"])
def test_large_files_are_read_whole_behind_a_progress_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    from rich.console import Console

    from driftpilot.cli import _readers

    table = make_loans(5_000, seed=3)
    path = tmp_path / name
    if name.endswith(".csv"):
        pa_csv.write_csv(table, path)
    elif name.endswith(".parquet"):
        pq.write_table(table, path, row_group_size=1_000)
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in table.to_pylist()))
    monkeypatch.setattr(_readers, "PROGRESS_BYTES", 1)
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    read = _readers.read_input(path, console=console)
    assert read.num_rows == 5_000
    assert read.column_names == table.column_names
    assert "reading big" in console.file.getvalue()


def test_multivariate_option(files: dict[str, Path]) -> None:
    result = _run(
        "compare", files["train_csv"], files["prod_parquet"], "-f", "json",
        "--multivariate", "age,income",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    joint = json.loads(result.stdout)["multivariate"]
    assert joint["columns"] == ["age", "income"]
    assert joint["drifted"] is True
    bad = _run("compare", files["train_csv"], files["prod_parquet"], "--multivariate", ",")
    assert bad.exit_code == 2
    assert "--multivariate" in bad.stderr
