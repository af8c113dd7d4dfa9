"""End to end: a real ``driftpilot serve`` (SQLite, PostgreSQL) holds the deployment; a real
``driftpilot serve-model`` routes, follows weight changes, and logs cohorts back to it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from driftpilot.store import Store, create_engine
from server.server_process import Server, free_port
from serving.sklearn_models import load

TESTS = Path(__file__).resolve().parents[1]
ROWS = [{"x1": i / 10, "x2": -i / 7, "x3": (i % 5) - 2.0} for i in range(40)]


@pytest.fixture
def service(db_url: str, tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    store = Store(create_engine(db_url))
    secret = store.keys.create(["admin"], name="tests").key
    store.close()
    server = Server(db_url, tmp_path)
    headers = {"Authorization": f"Bearer {secret}"}
    yield server, headers
    server.stop()


def _deploy(url: str, headers: dict[str, str], body: dict[str, object], revision: int) -> None:
    reply = httpx.patch(f"{url}/v1/models/churn/deployment", json=body,
                        headers={**headers, "If-Match": f'"{revision}"'})  # fmt: skip
    assert reply.status_code == 200, reply.text
    assert reply.headers["etag"] == f'"{revision + 1}"'


@pytest.mark.slow
def test_serve_model_routes_follows_weights_and_logs_cohorts(
    service: tuple[Server, dict[str, str]], tmp_path: Path
) -> None:
    server, headers = service
    api = server.url
    assert httpx.post(f"{api}/v1/models", json={"name": "churn", "task": "binary"},
                      headers=headers).status_code == 201  # fmt: skip
    for version in ("1", "2", "3"):
        assert httpx.post(f"{api}/v1/models/churn/versions", json={"version": version},
                          headers=headers).status_code == 201  # fmt: skip
    _deploy(api, headers, {"action": "set_champion", "version": "1", "reason": "go"}, 0)
    stale = httpx.patch(
        f"{api}/v1/models/churn/deployment", headers={**headers, "If-Match": '"0"'},
        json={"action": "set_champion", "version": "2", "reason": "late"},
    )  # fmt: skip
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"

    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.environ.get("PYTHONPATH", ""),
                                                         str(TESTS)])}  # fmt: skip
    log = (tmp_path / "serve-model.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "driftpilot", "serve-model", "churn", "--loader",
         "serving.sklearn_models:load", "--url", api, "--api-key",
         headers["Authorization"].split()[1], "--port", str(port), "--interval", "0.2",
         "--log-level", "warning"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: httpx.get(f"{base}/healthz", timeout=1).status_code == 200)
        single = httpx.post(f"{base}/predict", json={"features": ROWS[0]}).json()
        assert single["model_version"] == "1"
        assert single["cohort"] == "champion"
        assert single["prediction"] == load("churn", "1").predict(ROWS[:1])[0]
        _deploy(api, headers, {"action": "add_shadow", "version": "3", "reason": "watch"}, 1)
        _deploy(api, headers, {"action": "start_canary", "version": "2", "weight": 100,
                               "owner": "rollout-1", "reason": "ramp"}, 2)  # fmt: skip
        _wait(lambda: httpx.get(f"{base}/status").json()["revision"] == 3)
        batch = httpx.post(f"{base}/predict", json={"rows": ROWS}).json()["predictions"]
        assert {(p["model_version"], p["cohort"]) for p in batch} == {("2", "canary")}
        assert [p["prediction"] for p in batch] == load("churn", "2").predict(ROWS)
        bad = httpx.post(f"{base}/predict", json={"rows": [{"x1": 1}]})
        assert bad.status_code == 422
        assert bad.json()["error"]["code"] == "model_input"
        assert httpx.post(f"{base}/predict", content=b"{").status_code == 400
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log.close()
    # uvicorn shuts down gracefully, then re-raises the signal it caught: -SIGTERM.
    assert process.returncode in (0, -signal.SIGTERM), (tmp_path / "serve-model.log").read_text()

    def logged() -> list[dict[str, object]]:
        reply = httpx.get(f"{api}/v1/models/churn/events?limit=1000", headers=headers)
        items: list[dict[str, object]] = reply.json()["items"]
        return items

    _wait(lambda: len(logged()) == 1 + 2 * len(ROWS))  # closing the router flushed the SDK
    cohorts: dict[tuple[object, str], int] = {}
    for event in logged():
        segment = event["segment"]
        assert isinstance(segment, dict)
        key = (event["model_version"], segment["cohort"])
        cohorts[key] = cohorts.get(key, 0) + 1
    assert cohorts == {("1", "champion"): 1, ("2", "canary"): len(ROWS), ("3", "shadow"): len(ROWS)}


def _wait(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():  # type: ignore[operator]
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_serve_model_mistakes_are_one_line_and_exit_2() -> None:
    from server.server_process import run_cli

    bad_spec = run_cli("serve-model", "churn", "--loader", "no_colon")
    assert bad_spec.returncode == 2
    assert "--loader must look like 'package.module:function'" in bad_spec.stderr
    missing = run_cli("serve-model", "churn", "--loader", "no_such_module:load")
    assert missing.returncode == 2
    assert "cannot import 'no_such_module'" in missing.stderr
    down = run_cli("serve-model", "churn", "--loader", "json:loads", "--url",
                   f"http://127.0.0.1:{free_port()}")  # fmt: skip
    assert down.returncode == 2
    assert "Could not read the deployment" in down.stderr
    assert "Traceback" not in down.stderr + missing.stderr + bad_spec.stderr


@pytest.mark.slow
def test_serve_model_loads_the_registrys_artifacts_without_a_loader(
    service: tuple[Server, dict[str, str]], tmp_path: Path
) -> None:
    """The default: versions come from the registry (skops artifacts, SHA-256 checked)."""
    import skops.io as sio

    from driftpilot.ingest import RegistryClient
    from driftpilot.lifecycle import Signature
    from serving.sklearn_models import FEATURES, trained

    server, headers = service
    api = server.url
    key = headers["Authorization"].split()[1]
    assert httpx.post(f"{api}/v1/models", json={"name": "churn", "task": "binary"},
                      headers=headers).status_code == 201  # fmt: skip
    signature = Signature(inputs=dict.fromkeys(FEATURES, "float"))
    with RegistryClient(api, api_key=key) as registry:
        for version in ("1", "2"):
            path = tmp_path / f"churn-{version}.skops"
            sio.dump(trained(version), path)
            registry.register("churn", version, path, flavor="sklearn", signature=signature)
    _deploy(api, headers, {"action": "set_champion", "version": "1", "reason": "go"}, 0)
    port = free_port()
    log = (tmp_path / "serve-model.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "driftpilot", "serve-model", "churn", "--url", api,
         "--api-key", key, "--port", str(port), "--interval", "0.2", "--log-level", "warning",
         "--no-log-predictions"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: httpx.get(f"{base}/healthz", timeout=1).status_code == 200)
        first = httpx.post(f"{base}/predict", json={"rows": ROWS}).json()["predictions"]
        assert {p["model_version"] for p in first} == {"1"}
        assert [p["prediction"] for p in first] == load("churn", "1").predict(ROWS)
        _deploy(api, headers, {"action": "set_champion", "version": "2", "reason": "better"}, 1)
        _wait(lambda: httpx.get(f"{base}/status").json()["revision"] == 2)
        second = httpx.post(f"{base}/predict", json={"rows": ROWS}).json()["predictions"]
        assert {p["model_version"] for p in second} == {"2"}
        assert [p["prediction"] for p in second] == load("churn", "2").predict(ROWS)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log.close()
    assert process.returncode in (0, -signal.SIGTERM), (tmp_path / "serve-model.log").read_text()
