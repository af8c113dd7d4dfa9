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


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigterm_stops_the_kept_service(tmp_path: Path) -> None:
    import re
    import signal

    import httpx

    demo = subprocess.Popen(
        [sys.executable, "-m", "driftpilot", "demo", "--out", str(tmp_path), "--rows", "2000",
         "--keep-serving"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert demo.stdout is not None
    lines = []
    try:
        for line in demo.stdout:
            lines.append(line)
            if "The service keeps running" in line:
                break
        text = "".join(lines)
        assert "The service keeps running" in text, text
        assert "export DRIFTPILOT_API_KEY=dp_" in text  # the variable the SDK reads
        url = re.search(r"Started driftpilot serve at (http://127\.0\.0\.1:\d+)", text)
        assert url is not None, text
        assert httpx.get(f"{url[1]}/readyz", timeout=5).status_code == 200
        servers = [p for p in _children(demo.pid)
                   if "serve" in Path(f"/proc/{p}/cmdline").read_text()]  # fmt: skip
        assert len(servers) == 1
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        demo.stdout.close()
    assert not _alive(servers[0])
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url[1]}/readyz", timeout=2)
