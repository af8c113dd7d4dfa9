"""Issue 11 §5: the CLI never shows a traceback for a user mistake; listings print as JSON too.

A missing extra is simulated in a subprocess (``sys.modules[name] = None`` before driftpilot is
imported makes every import of that package fail, as if it were not installed), never by
uninstalling it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from driftpilot.cli import app
from driftpilot.datasets import make_loans, make_traffic
from driftpilot.errors import DriftpilotError, MissingDependencyError
from driftpilot.store import Store

runner = CliRunner()
README = Path(__file__).parents[2] / "README.md"

MONITOR = """\
model: loans
monitors:
  - name: loans-6h
    reference: {start: "2026-01-01T00:00:00Z", end: "2026-01-01T12:00:00Z"}
    window: {size: 6h}
    checks:
      - {type: missing_values, tolerance: 0.02}
    slos:
      - {name: complete, metric: missing_rate, feature: income, kind: mean, objective: "< 0.5"}
"""


def _run(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def _assert_one_line_error(result: Any, *parts: str) -> str:
    assert result.exit_code == 2, result.output
    message: str = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert message.startswith("error: ")
    for part in parts:
        assert part in message, (part, message)
    assert "Traceback" not in result.output
    return message


def _without(module: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess where ``module`` cannot be imported."""
    code = (
        f"import sys; sys.modules[{module!r}] = None; "
        "from driftpilot.cli import main; sys.argv = ['driftpilot', *sys.argv[1:]]; main()"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True, text=True, timeout=120, check=False, cwd=cwd,
    )  # fmt: skip


def _readme_alerting_file(folder: Path) -> Path:
    """The alerting file of the README, as a user pastes it (channels, routes, four buses)."""
    text = README.read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "buses:" in b)
    path = folder / "alerting.yaml"
    path.write_text(block, encoding="utf-8")
    return path


# -- missing extras -------------------------------------------------------------------------


def test_missing_dependency_error_is_ours_and_an_import_error() -> None:
    from driftpilot._optional import require

    with pytest.raises(MissingDependencyError) as caught:
        require("driftpilot_no_such_module.sub", extra="pandas", purpose="Reading a frame")
    err = caught.value
    assert isinstance(err, ImportError)
    assert isinstance(err, DriftpilotError)
    assert err.code == "missing_dependency"
    assert err.extra == "pandas"
    assert err.module == "driftpilot_no_such_module"
    assert "pip install 'driftpilot[pandas]'" in str(err)


def test_alerts_dispatch_without_the_brokers_extra_is_one_line(tmp_path: Path) -> None:
    alerting = _readme_alerting_file(tmp_path)
    done = _without("faststream", "alerts", "dispatch", "--alerting", str(alerting),
                    "--data-dir", str(tmp_path / "data"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "'brokers' extra" in lines[0]
    assert "pip install 'driftpilot[brokers]'" in lines[0]


def test_serve_without_the_brokers_extra_fails_at_start_in_one_line(tmp_path: Path) -> None:
    alerting = _readme_alerting_file(tmp_path)
    done = _without("faststream", "serve", "--alerting", str(alerting), "--port", "1",
                    "--data-dir", str(tmp_path / "data"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "pip install 'driftpilot[brokers]'" in done.stderr


def test_a_postgres_url_without_the_postgres_extra_is_one_line(tmp_path: Path) -> None:
    done = _without("psycopg", "db", "upgrade", "--db",
                    "postgresql+psycopg://postgres@127.0.0.1:5432/test", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "'postgres' extra" in done.stderr
    assert "pip install 'driftpilot[postgres]'" in done.stderr


# -- files that are not UTF-8, empty folders -------------------------------------------------


@pytest.fixture
def latin1(tmp_path: Path) -> Path:
    path = tmp_path / "monitors.yaml"
    path.write_bytes(MONITOR.replace("loans-6h", "pr\xe9ts-6h").encode("latin-1"))
    return path


def test_non_utf8_monitor_file_is_one_line(latin1: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    for args in (
        ["monitor", "validate", latin1],
        ["monitor", "apply", latin1, "--data-dir", data],
        ["serve", "--monitors", latin1, "--data-dir", data, "--port", "1"],
    ):
        _assert_one_line_error(_run(*args), str(latin1), "not UTF-8", "0xe9")


def test_non_utf8_alerting_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "alerting.yaml"
    path.write_bytes("channels: {caf\xe9: {type: webhook, url: 'http://x'}}\n".encode("latin-1"))
    data = tmp_path / "data"
    for args in (
        ["alerts", "dispatch", "--alerting", path, "--data-dir", data],
        ["serve", "--alerting", path, "--data-dir", data, "--port", "1"],
    ):
        _assert_one_line_error(_run(*args), str(path), "not UTF-8")


def test_a_folder_without_monitor_files_is_a_user_mistake(tmp_path: Path) -> None:
    empty = tmp_path / "monitors"
    empty.mkdir()
    (empty / "README.txt").write_text("not a monitor")
    _assert_one_line_error(_run("monitor", "validate", empty), f"no monitor files in {empty}")
    result = _run("monitor", "apply", empty, "--data-dir", tmp_path / "data")
    _assert_one_line_error(result, f"no monitor files in {empty}")
    assert not (tmp_path / "data").exists()  # refused before the database was created


# -- --version, completion ------------------------------------------------------------------


def test_version() -> None:
    from driftpilot import __version__

    result = _run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"driftpilot {__version__}\n"


def test_shell_completion_script(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "driftpilot", "--show-completion", "bash"],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
        env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "complete" in done.stdout
    assert "_DRIFTPILOT_COMPLETE=complete_bash" in done.stdout
    assert "complete -o default -F _driftpilot_completion driftpilot" in done.stdout
    assert "--install-completion" in _run("--help").stdout


# -- compare: a misfit test is a finding; --schema -------------------------------------------


@pytest.fixture(scope="module")
def loans(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("loans")
    ref, cur = folder / "ref.parquet", folder / "cur.parquet"
    pq.write_table(make_loans(3_000, seed=1), ref)
    pq.write_table(make_loans(3_000, drifted=True, seed=1), cur)
    return ref, cur


def test_a_test_that_does_not_fit_one_column_is_that_columns_finding(
    loans: tuple[Path, Path],
) -> None:
    result = _run("compare", *loans, "--test", "channel=ks", "--test", "age=ks", "-f", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert "channel" not in report["columns"]
    assert report["columns"]["age"]["test"] == "ks"
    assert {"region", "income", "credit_score"} <= set(report["columns"])
    (finding,) = [f for f in report["findings"] if f["column"] == "channel"]
    assert finding["kind"] == "not_tested"
    assert "'ks'" in finding["message"]
    assert "categorical" in finding["message"]
    assert "jensenshannon" in finding["message"]  # the tests that would fit


def test_a_misfit_test_is_also_a_finding_against_a_saved_baseline(
    loans: tuple[Path, Path], tmp_path: Path
) -> None:
    baseline = tmp_path / "baseline.json"
    assert _run("profile", loans[0], "-o", baseline).exit_code == 0
    result = _run("compare", baseline, loans[1], "--test", "region=wasserstein", "-f", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert "region" not in report["columns"]
    assert [f["kind"] for f in report["findings"] if f["column"] == "region"] == ["not_tested"]


def test_schema_overrides_the_inferred_kind(loans: tuple[Path, Path]) -> None:
    inferred = json.loads(_run("compare", *loans, "-f", "json").stdout)
    assert inferred["columns"]["employment_years"]["type"] == "numeric"
    result = _run("compare", *loans, "--schema", "employment_years=categorical", "-f", "json")
    assert result.exit_code == 0, result.output
    column = json.loads(result.stdout)["columns"]["employment_years"]
    assert column["type"] == "categorical"
    assert column["test"] == "chi2"  # the default test of a many-category column
    # the kind given by --schema decides whether a named test fits
    fits = _run("compare", *loans, "--schema", "region=numeric", "--test", "region=ks",
                "-f", "json")  # fmt: skip
    assert fits.exit_code == 2  # region's values are strings: the library says so in one line
    assert "Traceback" not in fits.output


def test_a_bad_schema_kind_is_a_user_mistake(loans: tuple[Path, Path]) -> None:
    _assert_one_line_error(_run("compare", *loans, "--schema", "age=number"), "'age'", "'number'")
    _assert_one_line_error(_run("compare", *loans, "--schema", "age"), "--schema")


# -- --format json on every listing; full tables in a pipe -----------------------------------


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A data folder with model ``loans``, 18 hours of its traffic, a key and a silence."""
    folder = tmp_path_factory.mktemp("listings")
    data = folder / "data"
    traffic = make_traffic(hours=18, per_hour=60, reference_hours=12, drift_at=None, seed=5)
    store = Store.from_url(data_dir=data)
    store.upgrade()
    store.models.create_model("loans", "binary")
    store.events.ingest("loans", traffic.events)
    store.close()
    monitors = folder / "monitors.yaml"
    monitors.write_text(MONITOR)
    assert _run("monitor", "apply", monitors, "--data-dir", data).exit_code == 0
    assert _run("keys", "create", "--scope", "read", "--name", "ci", "--data-dir",
                data).exit_code == 0  # fmt: skip
    assert _run("alerts", "silence", "--match", "model=loans", "--for", "1h", "--data-dir",
                data).exit_code == 0  # fmt: skip
    return {"data": data, "monitors": monitors}


def _json(*args: str | Path) -> list[dict[str, Any]]:
    result = _run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)  # stdout holds the JSON document and nothing else
    assert isinstance(rows, list)
    return rows


def test_every_listing_prints_json(service: dict[str, Path]) -> None:
    data = service["data"]
    (key,) = _json("keys", "list", "--data-dir", data)
    assert key["name"] == "ci"
    assert key["scopes"] == ["read"]
    assert key["revoked_at"] is None
    (spec,) = _json("monitor", "validate", service["monitors"])
    assert spec == {"file": str(service["monitors"]), "monitor": "loans-6h", "model": "loans",
                    "reference": "range", "window": "6h every 6h",
                    "checks": "missing_values"}  # fmt: skip
    (stored,) = _json("monitor", "list", "--data-dir", data)
    assert stored["monitor"] == "loans-6h"
    assert stored["checks"] == 1
    runs = _json("monitor", "run", "--at", "2026-01-01T18:00:00Z", "--data-dir", data)
    (newest,) = runs  # the newest complete window
    assert newest["window"] == "2026-01-01T12:00:00Z/2026-01-01T18:00:00Z"
    assert (newest["status"], newest["events"], newest["revision"]) == ("ran", 360, 1)
    assert isinstance(newest["findings"], list)
    again = _json("monitor", "run", "--at", "2026-01-01T18:00:00Z", "--data-dir", data)
    assert again == []  # nothing due: still one JSON document ("nothing due" on stderr)
    windows = _json("monitor", "backfill", "--from", "2026-01-01T00:00:00Z", "--to",
                    "2026-01-01T18:00:00Z", "--all", "--data-dir", data)  # fmt: skip
    assert [w["status"] for w in windows] == ["ran", "ran", "skipped"]
    (slo,) = _json("monitor", "slo", "--at", "2026-01-01T18:00:00Z", "--data-dir", data)
    assert slo["slo"] == "complete"
    assert slo["windows"] == 3
    assert _json("alerts", "list", "--data-dir", data) == []
    (silence,) = _json("alerts", "silences", "--data-dir", data)
    assert silence["matchers"] == {"model": "loans"}
    assert silence["ends_at"].endswith("+00:00")
    assert _json("alerts", "notifications", "--data-dir", data) == []


def test_profile_prints_json(loans: tuple[Path, Path], tmp_path: Path) -> None:
    rows = _json("profile", loans[0], "-o", tmp_path / "baseline.json")
    by_name = {r["column"]: r for r in rows}
    assert by_name["age"]["type"] == "numeric"
    assert by_name["age"]["rows"] == 3_000
    assert isinstance(by_name["employment_years"]["missing"], int)
    assert (tmp_path / "baseline.json").exists()


def test_tables_keep_every_column_whole_in_a_pipe(tmp_path: Path) -> None:
    folder = tmp_path / ("a-rather-long-folder-name-for-monitor-definitions" * 2)
    folder.mkdir()
    path = folder / "monitors.yaml"
    path.write_text(MONITOR)
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    done = subprocess.run(
        [sys.executable, "-m", "driftpilot", "monitor", "validate", str(path)],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout
    (row,) = [line for line in done.stdout.splitlines() if "loans-6h" in line]
    for cell in (str(path), "loans-6h", "loans", "range", "6h every 6h", "missing_values"):
        assert cell in row
