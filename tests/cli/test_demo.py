"""`driftpilot demo` end to end: finite, writes its report, logs traffic to a real service."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_demo_runs_both_halves(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "driftpilot", "demo", "--out", str(out), "--rows", "5000"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "drift_report.json").read_text())
    assert report["dataset_drift"] is True
    assert (out / "drift_report.html").read_text().lstrip().lower().startswith("<!doctype html")
    text = " ".join(done.stdout.split())  # rich wraps lines
    assert "predictions stored │ 2,000" in text
    assert "labels joined │ 1,600" in text
    assert "null:features.employment_years" in text
    # the monitoring part: each incident is first flagged in the hour it was injected
    assert "missing: injected 01-03 10:00, first flagged 01-03 10:00" in text
    assert "drift: injected 01-03 18:00, first flagged 01-03 18:00" in text
    assert "concept: injected 01-04 08:00, first flagged 01-04 08:00" in text
    assert "SLO 'accuracy-95'" in text
    # alerts: deduplicated notifications reached the demo's webhook; /metrics has drift scores
    assert "fired │ [critical] broken-feed │ 01-03 10:00 │ income" in text
    assert "resolved │ [critical] broken-feed" in text
    assert "fired │ [warning] input-drift │ 01-03 18:00 │ channel, credit_score" in text
    assert 'driftpilot_feature_psi{model="loan-monitor"' in text


def test_demo_without_the_service(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "driftpilot", "demo", "--out", str(tmp_path), "--rows", "2000",
         "--no-service"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "driftpilot serve" not in done.stdout
