"""A real Prometheus scrapes a real ``driftpilot serve`` and sees the monitor's PSI.

Prometheus is Debian's ``prometheus`` package (``.ci/run`` installs it); the test runs its own
server on a free loopback port with a temporary database, scraping the service every second and
loading ``deploy/prometheus/rules.yml``. Without the binary it is skipped, except in CI (``CI``
set), where it fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest

import driftpilot as dp
from driftpilot.datasets import Traffic, make_traffic

pytestmark = pytest.mark.slow

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "rules.yml"
MONITOR = {
    "window": {"size": "1h"},
    "reference": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T06:00:00Z"},
    "checks": [{"type": "feature_drift"}],
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _start(command: list[str], log: Path, ready: str, env: dict[str, str] | None = None) -> Any:
    """Start ``command`` and wait until ``ready`` answers 200; return the process."""
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise AssertionError(f"{command[0]} stopped:\n{log.read_text()}")
        try:
            if httpx.get(ready, timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            _stop(process)
            raise AssertionError(f"{command[0]} did not start:\n{log.read_text()}")
        time.sleep(0.1)


def _stop(process: Any) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


@pytest.fixture
def prometheus_binary() -> str:
    found = shutil.which("prometheus")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("prometheus is missing; .ci/run installs Debian's 'prometheus' package")
        pytest.skip("prometheus is not installed (apt-get install prometheus)")
    return found


@pytest.fixture
def service(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    command = [
        sys.executable, "-m", "driftpilot", "serve", "--no-auth", "--port", str(port),
        "--data-dir", str(tmp_path / "service"), "--monitor-tick", "0", "--log-level", "warning",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    process = _start(command, tmp_path / "serve.log", f"{url}/readyz")
    try:
        yield url
    finally:
        _stop(process)


def _prometheus(binary: str, folder: Path, target: str) -> tuple[Any, str]:
    port = _free_port()
    config = folder / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n  - {RULES}\n"
        "scrape_configs:\n  - job_name: driftpilot\n"
        f"    static_configs:\n      - targets: ['{target}']\n"
    )
    command = [
        binary, f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    return _start(command, folder / "prometheus.log", f"{url}/-/ready"), url


def _query(prometheus: str, query: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": query}, timeout=10)
    answer.raise_for_status()
    result: list[dict[str, Any]] = answer.json()["data"]["result"]
    return result


def _wait_for(prometheus: str, query: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = _query(prometheus, query)
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"Prometheus found nothing for {query}")


def _register(client: httpx.Client, traffic: Traffic) -> None:
    """Create model ``loans`` and its version's baseline from the reference hours: the events'
    partial profiles are binned on its edges, which PSI over a time range needs."""
    client.post("/v1/models", json={"name": "loans", "task": "binary"}).raise_for_status()
    version = traffic.events[0]["model_version"]
    client.post("/v1/models/loans/versions", json={"version": version}).raise_for_status()
    reference = traffic.events[: traffic.reference_hours * traffic.per_hour]
    names = list(reference[0]["features"])  # type: ignore[arg-type]
    table = pa.table({
        **{name: [e["features"][name] for e in reference] for name in names},  # type: ignore[index]
        "prediction": [e["prediction"] for e in reference],
    })  # fmt: skip
    baseline = dp.baseline(table, prediction="prediction")
    client.put(
        f"/v1/models/loans/versions/{version}/baseline",
        content=baseline.to_json(),
        headers={"content-type": "application/json"},
    ).raise_for_status()


def test_prometheus_scrapes_the_monitor_psi(
    prometheus_binary: str, service: str, tmp_path: Path
) -> None:
    traffic = make_traffic(hours=10, per_hour=400, reference_hours=6, drift_at=8, seed=5)
    with httpx.Client(base_url=service, timeout=120) as client:
        _register(client, traffic)
        for i in range(0, len(traffic.events), 5_000):
            batch = traffic.events[i : i + 5_000]
            answer = client.post("/v1/models/loans/events", json={"events": batch})
            answer.raise_for_status()
            assert answer.json()["stored"] == len(batch)
        client.put(
            "/v1/monitors/loans-hourly", json={"model": "loans", **MONITOR}
        ).raise_for_status()
        window = {"start": "2026-01-01T06:00:00Z", "end": "2026-01-01T10:00:00Z"}
        client.post("/v1/monitors/loans-hourly/backfill", params=window).raise_for_status()
        newest = client.get("/v1/monitors/loans-hourly/runs").json()["items"][0]
        assert newest["window_end"] == "2026-01-01T10:00:00Z"
        report = client.get(f"/v1/runs/{newest['run_id']}").json()
    (psi,) = [
        r["value"] for r in report["results"]
        if r["metric"] == "psi" and r["feature"] == "credit_score" and r["segment"] is None
    ]  # fmt: skip
    assert psi > 0.1  # the credit score drifted from hour 8

    process, prometheus = _prometheus(prometheus_binary, tmp_path, service.removeprefix("http://"))
    try:
        (series,) = _wait_for(prometheus, 'driftpilot_feature_psi{feature="credit_score"}')
        assert float(series["value"][1]) == psi
        labels = series["metric"]
        assert labels["model"] == "loans"
        assert labels["monitor"] == "loans-hourly"
        assert labels["version"] == traffic.events[0]["model_version"]
        assert "segment" not in labels  # empty: all traffic
        (stored,) = _query(prometheus, "sum(driftpilot_predictions_ingested_total)")
        assert float(stored["value"][1]) == len(traffic.events)
        (up,) = _query(prometheus, 'up{job="driftpilot"}')
        assert up["value"][1] == "1"
        rules = httpx.get(f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
        loaded = {rule["name"] for group in rules for rule in group["rules"]}
        assert {"DriftpilotFeatureDrift", "DriftpilotMonitorStale"} <= loaded
    finally:
        _stop(process)
