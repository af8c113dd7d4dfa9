"""Events per second through ``POST /v1/models/{model}/events``, against raw INSERTs.

Usage: python benchmarks/bench_ingest_server.py [--events 60000] [--batch 1000]
       [--backends sqlite,postgresql] [--postgres URL]

For each database the script starts ``driftpilot serve --no-auth`` as a subprocess on a free
loopback port (SQLite: a new data folder; PostgreSQL: a new schema, dropped at the end),
creates a binary model with a baseline (so every batch is checked, binned and profiled
against it), and sends ``--events`` synthetic events (10 features: 8 numeric, 2
categorical; prediction, two scores, latency, a segment) in batches of ``--batch``:

* ``1 client``: one HTTP connection, batches one after another (the SDK's pattern);
* ``2 clients``: two connections sending at the same time.

Request bodies are encoded before the clock starts, so the figure is the service's rate; the
client and the server share this machine's two cores. Event ids are made the way the SDK
makes them (a random prefix and a counter, ``--ids sdk``); ``--ids uuid4`` sends independent
random UUIDs, which land on random pages of the ``(model, event_id)`` unique index and cost
more as the table grows. Each figure is the median batch time
turned into events/s, and the total wall-clock rate in brackets.

Baseline in the same run: the raw INSERT rate of the same rows (the columns the service
writes, with the event's JSON text) with SQLAlchemy Core ``executemany``, one transaction
per batch, on the same database settings (SQLite WAL + synchronous=FULL), no HTTP, no
checks, no profiles.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import sqlalchemy as sa

import driftpilot as dp
from driftpilot.store import Store, create_engine
from driftpilot.store import _tables as tables

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def make_events(n: int, seed: int = 0, ids: str = "sdk") -> list[dict[str, Any]]:
    """``ids="sdk"``: a random prefix and a counter, as ``driftpilot.ingest`` makes them;
    ``"uuid4"``: independent random UUIDs."""
    rng = np.random.default_rng(seed)
    prefix = f"{uuid.UUID(int=int(rng.integers(0, 2**62)) << 64)}"[:24]
    start = datetime(2024, 5, 1, tzinfo=UTC)
    numeric = rng.normal(size=(n, 8)).round(4)
    plans = rng.choice(["basic", "plus", "pro", "team"], size=n)
    regions = rng.choice(["eu", "us", "apac"], size=n)
    p = rng.uniform(size=n).round(4)
    latency = rng.exponential(3.0, size=n).round(3)
    events = []
    for i in range(n):
        features: dict[str, Any] = {f"x{j}": float(numeric[i, j]) for j in range(8)}
        features["plan"] = str(plans[i])
        features["region"] = str(regions[i])
        events.append(
            {
                "event_id": f"{prefix}{i:012x}" if ids == "sdk" else str(uuid.uuid4()),
                "timestamp": (start + timedelta(milliseconds=100 * i)).isoformat(),
                "model_version": "1",
                "features": features,
                "prediction": int(p[i] > 0.5),
                "scores": {"0": float(1 - p[i]), "1": float(p[i])},
                "latency_ms": float(latency[i]),
                "segment": {"region": str(regions[i])},
            }
        )
    return events


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


class Server:
    def __init__(self, db_url: str, log: Path) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = log.open("w")
        port = self.url.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "driftpilot", "serve", "--no-auth", "--port", port,
             "--db", db_url, "--log-level", "warning"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"the server did not start; see {log}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def send(url: str, bodies: list[bytes], times: list[float]) -> None:
    with httpx.Client(base_url=url, timeout=120) as client:
        for body in bodies:
            start = time.perf_counter()
            response = client.post(
                "/v1/models/bench/events", content=body,
                headers={"content-type": "application/json"},
            )  # fmt: skip
            times.append(time.perf_counter() - start)
            response.raise_for_status()
            if response.json()["stored"] == 0:
                raise RuntimeError("nothing stored: the events were sent before")


def through_http(
    db_url: str, events: list[dict[str, Any]], batch: int, folder: Path
) -> dict[str, Any]:
    server = Server(db_url, folder / "server.log")
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            client.post("/v1/models", json={"name": "bench", "task": "binary"}).raise_for_status()
            reference = make_events(20_000, seed=99)
            columns = {k: [e["features"][k] for e in reference] for k in reference[0]["features"]}
            columns["prediction"] = [e["prediction"] for e in reference]
            baseline = dp.baseline(columns, prediction="prediction")
            client.put(
                "/v1/models/bench/versions/1/baseline", content=baseline.to_json(),
                headers={"content-type": "application/json"},
            ).raise_for_status()  # fmt: skip
        bodies = [
            json.dumps({"events": events[i : i + batch]}).encode()
            for i in range(0, len(events), batch)
        ]
        warm, rest = bodies[:3], bodies[3:]
        send(server.url, warm, [])
        results: dict[str, Any] = {}
        half = len(rest) // 2
        plans = {"1 client": [rest[:half]], "2 clients": [rest[half::2], rest[half + 1 :: 2]]}
        for name, shares in plans.items():
            times: list[list[float]] = [[] for _ in shares]
            threads = [
                threading.Thread(target=send, args=(server.url, share, t))
                for share, t in zip(shares, times, strict=True)
            ]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - start
            n = sum(len(s) for s in shares) * batch
            median = statistics.median([x for t in times for x in t])
            results[name] = {"median": len(shares) * batch / median, "wall": n / wall}
        return results
    finally:
        server.stop()


def raw_inserts(db_url: str, events: list[dict[str, Any]], batch: int) -> dict[str, Any]:
    engine = create_engine(db_url)
    store = Store(engine)
    store.models.create_model("raw", "binary")
    with engine.connect() as connection:
        model_id = connection.execute(sa.select(tables.models.c.id)).scalar_one()
    received = int(time.time() * 1e6)
    rows = [
        {
            "model_id": model_id,
            "event_id": e["event_id"],
            "version": "1",
            "ts": i,
            "received_at": received,
            "latency_ms": e["latency_ms"],
            "payload": json.dumps(e),
            "quality_flags": None,
        }
        for i, e in enumerate(events)
    ]
    times = []
    start = time.perf_counter()
    for i in range(0, len(rows), batch):
        t0 = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(tables.events.insert(), rows[i : i + batch])
        times.append(time.perf_counter() - t0)
    wall = time.perf_counter() - start
    engine.dispose()
    return {"median": batch / statistics.median(times), "wall": len(rows) / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=os.environ.get("DRIFTPILOT_BENCH_POSTGRES", PG_URL))
    parser.add_argument(
        "--ids", choices=["sdk", "uuid4"], default="sdk",
        help="event ids as the SDK makes them (prefix + counter) or independent random UUIDs",
    )  # fmt: skip
    args = parser.parse_args()
    events = make_events(args.events + 3 * args.batch, ids=args.ids)
    print(f"{args.events:,} events in batches of {args.batch:,}, {args.ids} ids; 2-core machine, "
          f"client and server on it; load {os.getloadavg()[0]:.2f}\n")  # fmt: skip
    print(f"{'database':<11} {'case':<22} {'events/s (median batch)':>24} {'(wall)':>10}")
    for backend in args.backends.split(","):
        folder = Path(tempfile.mkdtemp(prefix="dp-bench-"))
        schemas = [f"dp_bench_{uuid.uuid4().hex[:8]}_{name}" for name in ("http", "raw")]
        admin = sa.create_engine(args.postgres) if backend == "postgresql" else None
        try:
            urls = [fresh_database(admin, args.postgres, folder, schema) for schema in schemas]
            served = through_http(urls[0], events, args.batch, folder)
            Store(create_engine(urls[1])).upgrade()
            raw = raw_inserts(urls[1], events[: args.events], args.batch)
        finally:
            if admin is not None:
                with admin.begin() as connection:
                    for schema in schemas:
                        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                admin.dispose()
            shutil.rmtree(folder, ignore_errors=True)
        for case, figures in [*served.items(), ("raw INSERT (baseline)", raw)]:
            print(f"{backend:<11} {case:<22} {figures['median']:>24,.0f} {figures['wall']:>10,.0f}")
        ratio = served["1 client"]["median"] / raw["median"]
        print(f"{backend:<11} {'service / raw INSERT':<22} {ratio:>24.2f}")


def fresh_database(admin: sa.Engine | None, postgres: str, folder: Path, schema: str) -> str:
    """A new SQLite file in ``folder``, or a new PostgreSQL schema (with ``admin``)."""
    if admin is None:
        return f"sqlite:///{folder / schema / 'driftpilot.db'}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    return f"{postgres}?options={quote(f'-csearch_path={schema}')}"


if __name__ == "__main__":
    main()
