"""Issue 3's ingest figures in one command.

Usage: python benchmarks/bench_ingest.py [--quick]

1. ``bench_ingest_server.py``: events/s through ``POST /v1/models/{model}/events`` in
   batches of 1,000 on SQLite and on PostgreSQL, beside the raw INSERT rate of the same rows.
2. ``bench_ingest_client.py`` against a real ``driftpilot serve`` (SQLite, started here with
   an API key): ``log_prediction`` time on the caller's thread (p50/p99), end-to-end events/s
   through the SDK into the service, and the middleware's added latency (p50/p99) on a
   trivial FastAPI endpoint against the same endpoint without it.

Each part prints its own baseline measured in the same run; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer events, for a smoke run")
    args = parser.parse_args()
    server_args = ["--events", "20000"] if args.quick else []
    client_args = ["--calls", "40000", "--requests", "1000"] if args.quick else []

    print("== 1. the batch endpoint (bench_ingest_server.py)", flush=True)
    subprocess.run([sys.executable, str(HERE / "bench_ingest_server.py"), *server_args], check=True)

    print("\n== 2. the SDK and the middleware against a real driftpilot serve", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        driftpilot = [sys.executable, "-m", "driftpilot"]
        key = subprocess.run(
            [*driftpilot, "keys", "create", "--scope", "admin", "--data-dir", folder],
            capture_output=True, text=True, check=True,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [*driftpilot, "serve", "--port", str(port), "--data-dir", folder,
             "--log-level", "warning"],
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("driftpilot serve did not start")
                time.sleep(0.1)
            headers = {"authorization": f"Bearer {key}"}
            httpx.post(
                f"{url}/v1/models", json={"name": "bench", "task": "binary"}, headers=headers
            ).raise_for_status()
            subprocess.run(
                [sys.executable, str(HERE / "bench_ingest_client.py"), "--url", url,
                 "--api-key", key, "--model", "bench", *client_args],
                check=True,
            )  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
