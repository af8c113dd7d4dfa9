"""The service half of ``driftpilot demo``: real traffic through the SDK's middleware.

It starts ``driftpilot serve`` on the embedded SQLite default (inside the demo folder), registers
the loan model with a declared schema and the baseline saved by the first half, serves a small
model app with :class:`~driftpilot.ingest.PredictionLogger` under uvicorn, sends it requests
(training-like first, drifted production rows from halfway), logs late labels for most of
them, then reads back what the service stored and compares the service's window profile with
the baseline. Everything runs on loopback and stops at the end, unless ``keep_serving``.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
from rich.console import Console
from rich.table import Table

from driftpilot.errors import DriftpilotError

__all__ = ["run_service_demo"]

MODEL = "loan-default"
_SCHEMA = {
    "features": {
        "age": {"type": "numeric", "min": 18, "max": 90, "nullable": False},
        "income": {"type": "numeric", "min": 0, "nullable": False},
        "credit_score": {"type": "numeric", "min": 300, "max": 850, "nullable": False},
        "loan_amount": {"type": "numeric", "min": 0, "nullable": False},
        "employment_years": {"type": "numeric", "min": 0, "nullable": False},
        "channel": {"type": "categorical"},
        "region": {"type": "categorical"},
        "product": {"type": "categorical"},
        "has_cosigner": {"type": "boolean"},
    }
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _driftpilot(*args: str) -> list[str]:
    return [sys.executable, "-m", "driftpilot", *args]


def _wait_ready(url: str, process: subprocess.Popen[bytes] | None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise DriftpilotError(f"the demo's server at {url} exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise DriftpilotError(f"the demo's server at {url} did not start in {timeout:.0f} s")


def _model_app(client: Any) -> Any:
    from fastapi import FastAPI

    from driftpilot.ingest import PredictionLogger

    app = FastAPI(title="loan model (demo)")

    @app.post("/predict")
    def predict(body: dict[str, Any]) -> dict[str, Any]:
        row = body["features"]
        score = 1.4 - 0.004 * float(row["credit_score"]) + 0.00002 * float(row["loan_amount"])
        score -= 0.000004 * float(row["income"])
        probability = 1 / (1 + math.exp(-score))
        return {"prediction": int(probability > 0.5), "scores": {"default": probability}}

    app.add_middleware(PredictionLogger, client=client, paths=["/predict"], model_version="1")
    return app


def _serve_in_thread(app: Any, port: int) -> tuple[Any, threading.Thread]:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="demo-model-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise DriftpilotError("the demo's model app did not start")
        time.sleep(0.02)
    return server, thread


def run_service_demo(
    out: Path,
    *,
    training: pa.Table,
    production: pa.Table,
    baseline_path: Path,
    console: Console,
    requests: int = 2_000,
    keep_serving: bool = False,
) -> None:
    """Run the service half of the demo (see the module docstring)."""
    from driftpilot.drift import compare
    from driftpilot.ingest import Client
    from driftpilot.profile import Profile, load_profile

    data_dir = out / "service"
    data_dir.mkdir(parents=True, exist_ok=True)
    created = subprocess.run(
        _driftpilot("keys", "create", "--scope", "admin", "--scope", "ingest", "--scope", "read",
                    "--name", "demo", "--data-dir", str(data_dir)),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if created.returncode != 0:
        raise DriftpilotError(f"could not create the demo's API key: {created.stderr.strip()}")
    key = created.stdout.strip().splitlines()[-1].strip()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (data_dir / "serve.log").open("a")
    from driftpilot.cli.demo_monitor import Receiver, write_alerting

    receiver = Receiver()
    alerting = write_alerting(data_dir, receiver.url)
    previous = signal.signal(signal.SIGTERM, _terminated)  # so `finally` stops the server
    server = subprocess.Popen(
        _driftpilot("serve", "--port", str(port), "--data-dir", str(data_dir),
                    "--log-level", "warning", "--alerting", str(alerting),
                    "--public-url", url),
        stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "DRIFTPILOT_DISPATCH_SECONDS": "0.3"},
    )  # fmt: skip
    model_server = None
    try:
        _wait_ready(url, server)
        console.print(f"6. Started [bold]driftpilot serve[/] at {url} (SQLite in {data_dir}/)")
        api = httpx.Client(base_url=url, headers={"authorization": f"Bearer {key}"}, timeout=30)
        existing = api.get(f"/v1/models/{MODEL}")
        if existing.status_code == 200:
            api.delete(f"/v1/models/{MODEL}", params={"confirm": MODEL}).raise_for_status()
        api.post(
            "/v1/models", json={"name": MODEL, "task": "binary", "feature_schema": _SCHEMA}
        ).raise_for_status()
        api.post(f"/v1/models/{MODEL}/versions", json={"version": "1"}).raise_for_status()
        api.put(
            f"/v1/models/{MODEL}/versions/1/baseline",
            content=baseline_path.read_bytes(),
            headers={"content-type": "application/json"},
        ).raise_for_status()
        console.print(f"7. Registered model [bold]{MODEL}[/] v1 with its schema and baseline")

        client = Client(url, key, model=MODEL, model_version="1", spool_dir=data_dir / "spool")
        app_port = _free_port()
        model_server, _ = _serve_in_thread(_model_app(client), app_port)
        rows = training.slice(0, requests // 2).to_pylist()
        rows += production.slice(0, requests - len(rows)).to_pylist()
        request_ids: list[str] = []
        started = time.perf_counter()
        with httpx.Client(base_url=f"http://127.0.0.1:{app_port}", timeout=30) as model:
            for row in rows:
                answer = model.post("/predict", json={"features": row})
                answer.raise_for_status()
                request_ids.append(answer.headers["x-request-id"])
        seconds = time.perf_counter() - started
        console.print(
            f"8. Sent {len(rows):,} requests to a model app with PredictionLogger "
            f"({len(rows) / seconds:,.0f} requests/s); production-like rows from halfway"
        )
        labelled = request_ids[: int(len(request_ids) * 0.8)]
        for index, request_id in enumerate(labelled):
            client.log_label(request_id, int(index % 5 == 0))
        client.flush(timeout=60)
        console.print(f"9. Logged {len(labelled):,} late labels (ground truth) by request id")
        stats = client.stats()
        client.close(timeout=30)

        window = api.get(f"/v1/models/{MODEL}/profile").json()
        summary = Table(title="What the service stored", title_justify="left")
        summary.add_column("what")
        summary.add_column("count", justify="right")
        summary.add_row("predictions stored", f"{window['n_events']:,}")
        summary.add_row("labels joined", f"{window['n_labels']:,}")
        summary.add_row("partial profiles (append-only)", f"{window['n_partials']:,}")
        for flag, count in sorted(window["quality"].items()):
            summary.add_row(f"quality flag {flag}", f"{count:,}")
        summary.add_row(
            "SDK: sent / retried / dropped",
            f"{stats['sent']:,} / {stats['retried']:,} / {stats['dropped']:,}",
        )
        console.print(summary)
        if window.get("features"):
            served = compare(load_profile(baseline_path), Profile.from_dict(window["features"]))
            drifted = ", ".join(served.drifted_columns) or "none"
            console.print(
                f"10. Drift of the service's window profile against the baseline (from "
                f"profiles alone): drifted columns: {drifted} "
                f"({served.share_drifted:.0%} of the columns; the window mixes training-like "
                f"and drifted traffic); dataset drift {'YES' if served.dataset_drift else 'NO'}"
            )
        from driftpilot.cli.demo_monitor import run_monitor_demo

        run_monitor_demo(api, console, step=11, receiver=receiver)
        plain: dict[str, Any] = {"markup": False, "highlight": False, "soft_wrap": True}
        where = (
            "while it runs"
            if keep_serving
            else "run `driftpilot demo --keep-serving` to keep the service up; it prints its "
            "own key and port"
        )
        console.print(f"\nLook at it yourself ({where}):", **plain)
        console.print(f"   export DRIFTPILOT_API_KEY={key}", **plain)
        auth = 'curl -H "Authorization: Bearer $DRIFTPILOT_API_KEY"'
        console.print(f"   {auth} '{url}/v1/models/{MODEL}/events?limit=3'", **plain)
        console.print(f"   {auth} '{url}/v1/models/{MODEL}/export?format=jsonl' | head", **plain)
        console.print(f"   {url}/docs shows the API", **plain)
        if keep_serving:
            console.print("\nThe service keeps running; press Ctrl-C (or send SIGTERM) to stop it.")
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how the user stops it
                server.wait()
    finally:
        if model_server is not None:
            model_server.should_exit = True
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        receiver.close()
        log.close()
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM: leave through the ``finally`` that stops the server child (exit 128 + 15)."""
    del frame
    raise SystemExit(128 + signum)
