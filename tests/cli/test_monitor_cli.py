"""``driftpilot monitor validate|apply|list|run|backfill|slo|report`` on a SQLite database in a
temporary folder, prepared by logging simulated traffic through the store (one day of clean
reference traffic, then a day whose inputs drift from noon)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from typer.testing import CliRunner

import driftpilot as dp
from driftpilot.cli import app
from driftpilot.datasets import make_traffic
from driftpilot.monitor import evaluate_slos, load_monitors
from driftpilot.store import Store

runner = CliRunner()

MONITORS = """\
model: loans
monitors:
  - name: loans-6h
    reference: {start: "2026-01-01T00:00:00Z", end: "2026-01-02T00:00:00Z"}
    window: {size: 6h}
    checks:
      - type: feature_drift
        severity: critical
      - type: performance
        metrics: [accuracy]
        thresholds: {accuracy: {min: 0.5}}
    slos:
      - {name: acc, metric: accuracy, objective: ">= 0.6", target: 0.9, period: 1d}
  - name: loans-1d
    window: {size: 1d}
    checks:
      - type: missing_values
"""

BAD = """\
model: loans
monitors:
  - name: loans-6h
    window: {size: 6h}
    checks:
      - type: feature_drift
        treshold: 0.2
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose database holds model ``loans`` (v1, with a baseline of the first
    day) and two days of its traffic with labels; inputs drift from 2026-01-02T12:00Z."""
    folder = tmp_path_factory.mktemp("monitor-cli") / "data"
    traffic = make_traffic(hours=48, per_hour=100, reference_hours=24, drift_at=36, seed=3)
    store = Store.from_url(data_dir=folder)
    store.upgrade()
    store.models.create_model("loans", "binary")
    reference = traffic.events[: 24 * 100]
    truth = {label["event_id"]: label["value"] for label in traffic.labels}
    features: list[dict[str, Any]] = [e["features"] for e in reference]  # type: ignore[misc]
    table = pa.table({
        **{name: [f[name] for f in features] for name in features[0]},
        "prediction": [e["prediction"] for e in reference],
        "label": [truth.get(str(e["event_id"])) for e in reference],
    })  # fmt: skip
    store.models.put_baseline(
        "loans", "v1", dp.baseline(table, target="label", prediction="prediction")
    )
    store.events.ingest("loans", traffic.events)
    store.labels.ingest("loans", traffic.labels)
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return folder


@pytest.fixture
def data(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the prepared data folder."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copyfile(template / "driftpilot.db", folder / "driftpilot.db")
    return folder


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    good, bad = tmp_path / "monitors.yaml", tmp_path / "bad.yaml"
    good.write_text(MONITORS)
    bad.write_text(BAD)
    return {"good": good, "bad": bad}


def _run(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def _words(text: str) -> str:
    """The text with every run of white space made one space (tables wrap)."""
    return " ".join(text.split())


def _assert_one_line_error(result: Any, *parts: str) -> None:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert message.startswith("error: ")
    for part in parts:
        assert part in message, (part, message)
    assert "Traceback" not in result.output + result.stderr


# -- validate ----------------------------------------------------------------------------------


def test_validate_lists_the_monitors_of_a_good_file(files: dict[str, Path]) -> None:
    result = _run("monitor", "validate", files["good"])
    assert result.exit_code == 0, result.output
    text = _words(result.stdout)
    assert "loans-6h" in text
    assert "loans-1d" in text
    assert "range" in text
    assert "6h every 6h" in text
    assert "1d every 1d" in text


def test_validate_a_folder(files: dict[str, Path], tmp_path: Path) -> None:
    files["bad"].unlink()
    result = _run("monitor", "validate", tmp_path)
    assert result.exit_code == 0, result.output
    assert "loans-6h" in result.stdout


def test_validate_a_bad_file_names_file_line_and_field(files: dict[str, Path]) -> None:
    result = _run("monitor", "validate", files["good"], files["bad"])
    _assert_one_line_error(
        result, str(files["bad"]), "line 7", "field 'monitors.0.checks.0.treshold'", "misspelt"
    )
    assert result.stdout == ""


def test_validate_a_bad_file_in_a_real_process(files: dict[str, Path]) -> None:
    command = [sys.executable, "-m", "driftpilot", "monitor", "validate", str(files["bad"])]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().startswith(f"error: {files['bad']}, line 7, field '")
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_validate_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: a\nmodel: m\n  checks: x\n")
    _assert_one_line_error(_run("monitor", "validate", broken), str(broken), "line 3",
                           "not valid YAML")  # fmt: skip


def test_validate_a_missing_path(tmp_path: Path) -> None:
    _assert_one_line_error(_run("monitor", "validate", tmp_path / "nope.yaml"), "does not exist")


# -- apply, list, backfill, run, slo, report ---------------------------------------------------


def test_apply_list_backfill_run_slo_report(files: dict[str, Path], data: Path) -> None:
    applied = _run("monitor", "apply", files["good"], "--data-dir", data)
    assert applied.exit_code == 0, applied.output
    assert "stored 2 monitor(s): loans-6h, loans-1d" in applied.stdout

    listed = _run("monitor", "list", "--db", f"sqlite:///{data / 'driftpilot.db'}")
    assert listed.exit_code == 0, listed.output
    rows = [line for line in listed.stdout.splitlines() if "loans-" in line]
    assert len(rows) == 2
    assert all("never" in row and "file" in row for row in rows)

    filled = _run("monitor", "backfill", "--from", "2026-01-02T00:00:00Z", "--to", "2026-01-03",
                  "--monitor", "loans-6h", "--data-dir", data)  # fmt: skip
    assert filled.exit_code == 0, filled.output
    assert "4 windows: 4 evaluated, 0 already up to date" in filled.stdout
    assert "Windows with findings" in filled.stdout
    # The inputs drift from noon: the 12:00 and 18:00 windows have findings.
    assert "2026-01-02T12" in filled.stdout
    assert "2026-01-02T18" in filled.stdout
    assert "2026-01-02T06" not in filled.stdout

    again = _run("monitor", "backfill", "--from", "2026-01-02", "--to", "2026-01-03", "--all",
                 "--monitor", "loans-6h", "--data-dir", data)  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "4 windows: 0 evaluated, 4 already up to date" in again.stdout
    assert _words(again.stdout).count("skipped") == 4

    ran = _run("monitor", "run", "--at", "2026-01-03T07:00:00Z", "--monitor", "loans-6h",
               "--data-dir", data)  # fmt: skip
    assert ran.exit_code == 0, ran.output
    assert "Monitor runs as of 2026-01-03 07:00" in ran.stdout
    assert "2026-01-03T00:00:00Z" in ran.stdout  # the newest complete window, 00:00-06:00
    assert _words(ran.stdout).count(" ran ") == 1
    nothing = _run("monitor", "run", "--at", "2026-01-03T07:00:00Z", "--monitor", "loans-6h",
                   "--data-dir", data)  # fmt: skip
    assert nothing.exit_code == 0, nothing.output
    assert "nothing due" in nothing.stdout

    listed = _run("monitor", "list", "--model", "loans", "--data-dir", data)
    (row,) = [line for line in listed.stdout.splitlines() if "loans-6h" in line]
    assert "2026-01-03 00:00" in row

    at = "2026-01-03T07:00:00Z"
    slo = _run("monitor", "slo", "--at", at, "--data-dir", data)
    assert slo.exit_code == 0, slo.output
    store = Store.from_url(data_dir=data)
    try:
        spec = load_monitors(files["good"])[0]
        (status,) = evaluate_slos(spec, store.runs, at=1_767_423_600_000_000)  # 07:00
        runs = store.runs.runs("loans-6h", limit=10)
        expected = store.runs.report(runs[-1].run_id)
    finally:
        store.close()
    assert status.status == "met"
    assert status.n_windows == 2  # 12:00 and 18:00 in the day before 07:00; 00:00 has no labels
    text = _words(slo.stdout)
    assert "acc" in text
    assert "met" in text
    assert f"{status.attained:.3f}" in text
    assert f"{status.budget_left:.3f}" in text

    report = _run("monitor", "report", str(runs[-1].run_id), "--data-dir", data)
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout) == expected.to_dict()


def test_run_stores_monitor_files_given_with_monitors(files: dict[str, Path], data: Path) -> None:
    result = _run("monitor", "run", "--monitors", files["good"], "--model", "loans",
                  "--at", "2026-01-02T18:30:00Z", "--data-dir", data)  # fmt: skip
    assert result.exit_code == 0, result.output
    text = _words(result.stdout)
    assert "loans-6h" in text
    assert "loans-1d" in text  # its newest complete window is 2026-01-01
    listed = _run("monitor", "list", "--data-dir", data)
    assert "2026-01-02 12:00" in listed.stdout


def test_fail_on_critical_exit_code(files: dict[str, Path], data: Path) -> None:
    assert _run("monitor", "apply", files["good"], "--data-dir", data).exit_code == 0
    calm = _run("monitor", "backfill", "--from", "2026-01-02T00:00:00Z",
                "--to", "2026-01-02T12:00:00Z", "--monitor", "loans-6h", "--fail-on-critical",
                "--data-dir", data)  # fmt: skip
    assert calm.exit_code == 0, calm.output
    assert "2 windows: 2 evaluated" in calm.stdout

    critical = _run("monitor", "backfill", "--from", "2026-01-02T00:00:00Z",
                    "--to", "2026-01-03T00:00:00Z", "--monitor", "loans-6h",
                    "--fail-on-critical", "--data-dir", data)  # fmt: skip
    assert critical.exit_code == 1, critical.output
    assert "4 windows: 2 evaluated, 2 already up to date" in critical.stdout

    run = _run("monitor", "run", "--at", "2026-01-03T06:30:00Z", "--monitor", "loans-6h",
               "--fail-on-critical", "--data-dir", data)  # fmt: skip
    assert run.exit_code == 0, run.output  # the new window (2026-01-03 00:00) has no events
    assert "2026-01-03T00:00:00Z" in run.stdout


def test_run_fail_on_critical_on_a_drifted_window(files: dict[str, Path], data: Path) -> None:
    assert _run("monitor", "apply", files["good"], "--data-dir", data).exit_code == 0
    args = ["monitor", "run", "--at", "2026-01-02T18:10:00Z", "--monitor", "loans-6h",
            "--data-dir", data]  # fmt: skip
    assert _run(*args, "--fail-on-critical").exit_code == 1
    store = Store.from_url(data_dir=data)
    try:
        (latest,) = store.runs.runs("loans-6h", limit=1)
    finally:
        store.close()
    assert (latest.window_start, latest.severity) == (1_767_355_200_000_000, "critical")  # 12:00


@pytest.mark.parametrize(
    ("args", "parts"),
    [(["backfill", "--from", "yesterday", "--to", "2026-01-03"],
      ["Option --from", "expected an ISO 8601 time", "'yesterday'"]),
     (["backfill", "--from", "2026-01-02", "--to", "soon"], ["Option --to", "'soon'"]),
     (["backfill", "--from", "2026-01-03", "--to", "2026-01-02"],
      ["--from (2026-01-03) must be before --to (2026-01-02)"]),
     (["run", "--at", "noon"], ["Option --at", "'noon'"]),
     (["run"], ["No monitors stored"]),
     (["run", "--model", "churn"], ["There is no model named 'churn'"]),
     (["report", "999"], ["There is no monitor run with id 999"])],
)  # fmt: skip
def test_user_mistakes_exit_2_with_one_line(data: Path, args: list[str], parts: list[str]) -> None:
    _assert_one_line_error(_run("monitor", *args, "--data-dir", data), *parts)


def test_apply_stores_nothing_when_a_file_is_bad(files: dict[str, Path], data: Path) -> None:
    result = _run("monitor", "apply", files["good"], files["bad"], "--data-dir", data)
    _assert_one_line_error(result, str(files["bad"]), "treshold")
    listed = _run("monitor", "list", "--data-dir", data)
    assert "loans-" not in listed.stdout


def test_apply_rejects_windows_off_the_bucket_grid(tmp_path: Path, data: Path) -> None:
    odd = tmp_path / "odd.yaml"
    odd.write_text("name: odd\nmodel: loans\nwindow: {size: 90m}\n")
    result = _run("monitor", "apply", odd, "--data-dir", data)
    _assert_one_line_error(result, "window 'size' (5400 s)", "bucket length (3600 s)")


def test_run_pushes_the_monitor_series_to_a_pushgateway(files: dict[str, Path], data: Path) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    pushed: list[tuple[str, str, bytes]] = []

    class Gateway(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            pushed.append(("PUT", self.path, body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            del args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        result = _run("monitor", "run", "--monitors", files["good"], "--monitor", "loans-6h",
                      "--at", "2026-01-02T18:30:00Z", "--pushgateway", url,
                      "--data-dir", data)  # fmt: skip
        assert result.exit_code == 0, result.output
        [(_, path, body)] = pushed
        assert path == "/metrics/job/driftpilot_monitor"
        assert b'driftpilot_monitor_last_window_end_timestamp_seconds{model="loans"' in body
        assert b"driftpilot_check_severity{" in body
        refused = _run("monitor", "run", "--monitor", "loans-6h", "--at",
                       "2026-01-02T18:30:00Z", "--pushgateway", "http://127.0.0.1:9",
                       "--data-dir", data)  # fmt: skip
        _assert_one_line_error(refused, "--pushgateway")
    finally:
        server.shutdown()
        server.server_close()


# -- backfills page no one unless asked (issue 11 §3) -------------------------------------------

ALERTED = MONITORS.replace(
    "    slos:\n      - {name: acc",
    "    alerts:\n      - {name: drift, when: {check: feature_drift}, tier: critical}\n"
    "    slos:\n      - {name: acc",
)


def test_a_backfill_records_alerts_without_notifying_and_says_so(
    data: Path, tmp_path: Path
) -> None:
    monitors, alerting = tmp_path / "alerted.yaml", tmp_path / "alerting.yaml"
    monitors.write_text(ALERTED)
    alerting.write_text("channels:\n  hook: {type: webhook, url: 'http://127.0.0.1:9/'}\n"
                        "routes:\n  - {channels: [hook]}\n")  # fmt: skip
    filled = _run("monitor", "backfill", "--from", "2026-01-02T00:00:00Z", "--to", "2026-01-03",
                  "--monitor", "loans-6h", "--monitors", monitors, "--alerting", alerting,
                  "--data-dir", data)  # fmt: skip
    assert filled.exit_code == 0, filled.output
    assert "alerts were recorded without notifying anyone" in _words(filled.stdout)
    assert "--notify" in filled.stdout
    assert "notifications:" not in filled.stdout  # nothing was sent
    store = Store.from_url(data_dir=data)
    try:
        assert [a.rule for a in store.alerts.list_alerts(state="firing")] == ["drift"]
        [note] = store.alerts.notifications()
        assert note.status == "suppressed"
        assert note.payload["suppressed_reason"].startswith("backfill")
    finally:
        store.close()
