"""End to end: simulated traffic through a real ``driftpilot serve``, then monitors.

Each scenario logs 8 days of hourly traffic of one model with one incident at a known hour
(inputs drift; a feature's feed breaks; the labels' relation to the inputs changes while the
inputs stay the same), with labels arriving two hours late, through the HTTP API of a real
service started as a subprocess. A backfill over the monitored days (through the API) must flag
the window holding the incident first, and no window before it. A fourth test lets the
service's own scheduler find a monitor loaded from a file and run it, and a fifth checks that
labels arriving after a window ran give it a new revision.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest

import driftpilot as dp
from driftpilot.datasets import Traffic, make_traffic

pytestmark = pytest.mark.slow

HOUR = 3_600_000_000
DAYS = 8
PER_HOUR = 400
REFERENCE_HOURS = 72
MONITORED = {
    "window": {"size": "1h"},
    "reference": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-04T00:00:00Z"},
    "checks": [
        {"type": "feature_drift"},
        {"type": "prediction_drift"},
        {"type": "missing_values"},
        {"type": "out_of_range"},
        {"type": "unseen_categories"},
        {"type": "type_violations"},
        {"type": "performance", "metrics": ["accuracy", "roc_auc"], "severity": "critical"},
    ],
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class _Served:
    def __init__(self, process: subprocess.Popen[bytes], log: Any) -> None:
        self.process, self.log = process, log

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def _serve(folder: Path, *extra: str) -> tuple[_Served, str]:
    port = _free_port()
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "driftpilot", "serve", "--no-auth", "--port", str(port),
         "--data-dir", str(folder), "--log-level", "info", *extra],
        stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "DRIFTPILOT_MAINTENANCE_SECONDS": "1"},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    served = _Served(process, log)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            served.stop()
            raise AssertionError((folder / "serve.log").read_text())
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return served, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            served.stop()
            raise AssertionError("driftpilot serve did not start")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    folder = tmp_path_factory.mktemp("monitor-e2e")
    process, url = _serve(folder, "--monitor-tick", "0")
    try:
        with httpx.Client(base_url=url, timeout=120) as client:
            yield client
    finally:
        process.stop()


def _log(
    client: httpx.Client, model: str, traffic: Traffic, *, labels: bool = True, create: bool = True
) -> None:
    """Register the model with a baseline of its reference hours, then log all traffic."""
    if create:
        client.post("/v1/models", json={"name": model, "task": "binary"}).raise_for_status()
    client.post(f"/v1/models/{model}/versions", json={"version": "v1"}).raise_for_status()
    reference = traffic.events[: traffic.reference_hours * traffic.per_hour]
    truth = {label["event_id"]: label["value"] for label in traffic.labels}
    columns = {name: [e["features"][name] for e in reference]  # type: ignore[index]
               for name in reference[0]["features"]}  # type: ignore[union-attr]  # fmt: skip
    table = pa.table({**columns, "prediction": [e["prediction"] for e in reference],
                      "label": [truth.get(str(e["event_id"])) for e in reference]})  # fmt: skip
    baseline = dp.baseline(table, target="label", prediction="prediction")
    client.put(f"/v1/models/{model}/versions/v1/baseline", content=baseline.to_json(),
               headers={"content-type": "application/json"}).raise_for_status()  # fmt: skip
    for i in range(0, len(traffic.events), 10_000):
        answer = client.post(f"/v1/models/{model}/events",
                             json={"events": traffic.events[i : i + 10_000]})  # fmt: skip
        answer.raise_for_status()
        assert answer.json()["stored"] == len(traffic.events[i : i + 10_000])
    if labels:
        _labels(client, model, traffic.labels)


def _labels(client: httpx.Client, model: str, labels: list[dict[str, Any]]) -> None:
    for i in range(0, len(labels), 10_000):
        answer = client.post(f"/v1/models/{model}/labels", json={"labels": labels[i : i + 10_000]})
        answer.raise_for_status()
        assert answer.json()["rejected"] == 0


def _backfill(client: httpx.Client, model: str, traffic: Traffic) -> list[dict[str, Any]]:
    name = f"{model}-hourly"
    client.put(f"/v1/monitors/{name}", json={"model": model, **MONITORED}).raise_for_status()
    answer = client.post(f"/v1/monitors/{name}/backfill", params={
        "start": "2026-01-04T00:00:00Z", "end": f"2026-01-{1 + DAYS:02d}T00:00:00Z"})  # fmt: skip
    answer.raise_for_status()
    outcomes: list[dict[str, Any]] = answer.json()["items"]
    assert len(outcomes) == (DAYS - 3) * 24
    assert {o["status"] for o in outcomes} == {"ran"}
    return outcomes


def _hour(traffic: Traffic, outcome: dict[str, Any]) -> int:
    start = datetime.fromisoformat(outcome["window_start"].replace("Z", "+00:00"))
    return int(start.timestamp() * 1_000_000 - traffic.start) // HOUR


def _first_flagged(traffic: Traffic, outcomes: list[dict[str, Any]]) -> tuple[int, set[str]]:
    for outcome in outcomes:
        if outcome["flagged"]:
            return _hour(traffic, outcome), {
                f"{f['check']}:{f['feature'] or f['metric']}" for f in outcome["flagged"]
            }
    raise AssertionError("no window was flagged")


def test_input_drift_is_flagged_from_its_hour(service: httpx.Client) -> None:
    traffic = make_traffic(hours=DAYS * 24, per_hour=PER_HOUR, reference_hours=REFERENCE_HOURS,
                           drift_at=130, seed=11)  # fmt: skip
    _log(service, "drifting", traffic)
    hour, found = _first_flagged(traffic, _backfill(service, "drifting", traffic))
    assert hour == 130
    assert "feature_drift:credit_score" in found
    assert "feature_drift:channel" in found


def test_broken_feed_is_flagged_from_its_hour(service: httpx.Client) -> None:
    traffic = make_traffic(hours=DAYS * 24, per_hour=PER_HOUR, reference_hours=REFERENCE_HOURS,
                           missing_at=101, missing_hours=4, seed=12)  # fmt: skip
    _log(service, "broken", traffic)
    outcomes = _backfill(service, "broken", traffic)
    hour, found = _first_flagged(traffic, outcomes)
    assert hour == 101
    assert "missing_values:income" in found
    flagged = [_hour(traffic, o) for o in outcomes
               if any(f["check"] == "missing_values" for f in o["flagged"])]  # fmt: skip
    assert flagged == [101, 102, 103, 104]


def test_concept_drift_is_flagged_by_performance_only(service: httpx.Client) -> None:
    traffic = make_traffic(hours=DAYS * 24, per_hour=PER_HOUR, reference_hours=REFERENCE_HOURS,
                           concept_at=150, seed=13)  # fmt: skip
    _log(service, "concept", traffic)
    outcomes = _backfill(service, "concept", traffic)
    hour, found = _first_flagged(traffic, outcomes)
    assert hour == 150
    assert found <= {"performance:accuracy", "performance:roc_auc"}
    after = [o for o in outcomes if _hour(traffic, o) >= 150]
    share = sum(any(f["check"] == "performance" for f in o["flagged"]) for o in after) / len(after)
    assert share > 0.8
    assert not any(f["kind"] == "drift" for o in outcomes for f in o["flagged"])
    series = service.get("/v1/models/concept/series", params={
        "metric": "accuracy", "check": "performance"}).json()["points"]  # fmt: skip
    assert len(series) == len(outcomes)
    assert all(p["n_labels"] > 0.8 * PER_HOUR for p in series)


def test_late_labels_revise_the_window(service: httpx.Client) -> None:
    traffic = make_traffic(hours=80, per_hour=PER_HOUR, reference_hours=REFERENCE_HOURS, seed=14)
    _log(service, "late", traffic, labels=False)
    reference_labels = [lb for lb in traffic.labels
                        if lb["timestamp"] < "2026-01-04T00:00:00Z"]  # fmt: skip
    _labels(service, "late", reference_labels)
    name = "late-hourly"
    service.put(f"/v1/monitors/{name}", json={"model": "late", **MONITORED}).raise_for_status()
    at = {"at": "2026-01-04T01:00:00Z"}
    first = service.post(f"/v1/monitors/{name}/run", params=at).json()["items"][0]
    assert first["status"] == "ran"
    assert first["run"]["revision"] == 1
    assert first["run"]["n_labels"] == 0
    _labels(service, "late", [lb for lb in traffic.labels if lb not in reference_labels])
    second = service.post(f"/v1/monitors/{name}/run", params=at).json()["items"]
    revised = [o for o in second if o["window_start"] == "2026-01-04T00:00:00Z"]
    assert revised[0]["status"] == "revised"
    assert revised[0]["run"]["revision"] == 2
    expected = sum(1 for lb in traffic.labels
                   if "2026-01-04T00" <= str(lb["timestamp"]) < "2026-01-04T03")  # fmt: skip
    assert 0 < revised[0]["run"]["n_labels"] <= expected
    report = service.get(f"/v1/runs/{revised[0]['run']['run_id']}").json()
    accuracy = next(r for r in report["results"] if r["metric"] == "accuracy")
    assert accuracy["n_labels"] == revised[0]["run"]["n_labels"]
    assert accuracy["value"] is not None
    runs = service.get(f"/v1/monitors/{name}/runs", params={"revisions": True}).json()["items"]
    assert [r["revision"] for r in runs if r["window_start"] == "2026-01-04T00:00:00Z"] == [2, 1]


def test_the_scheduler_runs_a_monitor_from_a_file(tmp_path: Path) -> None:
    now = time.time_ns() // 1000
    start_hour = (now // HOUR - 6) * HOUR
    start = datetime.fromtimestamp(start_hour / 1e6, tz=UTC).isoformat()
    traffic = make_traffic(hours=6, per_hour=350, reference_hours=3, start=start, seed=15)
    (tmp_path / "monitors.yaml").write_text("""
model: live
monitors:
  - name: live-hourly
    reference: {trailing: 3h}
    window: {size: 1h}
    schedule: {interval: 1h}
    checks:
      - type: feature_drift
        mode: exact
      - type: volume
        history: 2
""")
    options = ("--monitors", str(tmp_path / "monitors.yaml"), "--monitor-tick", "0.2")
    served, url = _serve(tmp_path, *options)
    newest = datetime.fromtimestamp((now // HOUR) * HOUR / 1e6, tz=UTC)
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            assert client.get("/v1/monitors").json()["items"] == []  # its model comes later
            client.post("/v1/models", json={"name": "live", "task": "binary"}).raise_for_status()
            runs = _wait_for_runs(client, tmp_path)
            monitors = client.get("/v1/monitors").json()["items"]
            assert [(m["name"], m["origin"]) for m in monitors] == [("live-hourly", "file")]
            assert runs[0]["window_end"] == newest.strftime("%Y-%m-%dT%H:%M:%SZ")
            assert runs[0]["n_events"] == 0  # it ran at once, before any traffic
            _log(client, "live", traffic, create=False)
    finally:
        served.stop()
    served, url = _serve(tmp_path, *options)  # the scheduler's first look revises the window
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            runs = _wait_for_runs(client, tmp_path, revision=2)
            assert runs[0]["window_end"] == newest.strftime("%Y-%m-%dT%H:%M:%SZ")
            assert runs[0]["n_events"] == 350
            report = client.get(f"/v1/runs/{runs[0]['run_id']}").json()
            volume = next(r for r in report["results"] if r["metric"] == "volume")
            assert volume["value"] == 350
    finally:
        served.stop()


def _wait_for_runs(client: httpx.Client, folder: Path, revision: int = 1) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = client.get("/v1/monitors/live-hourly/runs")
        runs: list[dict[str, Any]] = answer.json()["items"] if answer.status_code == 200 else []
        if runs and runs[0]["revision"] >= revision:
            return runs
        time.sleep(0.2)
    raise AssertionError((folder / "serve.log").read_text())
