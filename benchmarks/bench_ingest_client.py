"""Cost of the ingest SDK on the caller's side, in one run.

Usage: python benchmarks/bench_ingest_client.py [--calls 200000] [--requests 5000]
       [--url URL --api-key KEY --model NAME]   # a real `driftpilot serve` instead of the fake

Without ``--url``, the ingest service is the fake of ``tests/ingest/_fake_service.py`` (the
HTTP contract, events kept in a dict) in a separate process. Printed:

1. ``log_prediction`` call time on the caller's thread (p50, p99, p99.9, max; each call
   timed with ``perf_counter_ns``) while the background thread sends: a burst (one thread,
   a tight loop of ``--calls``/4 calls, within ``max_queue``); a steady 20,000 calls/s from
   one thread; 5,000 calls/s from each of four threads; and an overload (``--calls``/2
   calls in a tight loop with ``max_queue`` = ``--calls``/8, so most go to the spool on the
   caller's thread).
2. End-to-end events/s through the SDK: ``--calls`` events logged as fast as one thread can,
   until ``flush()`` returns (every event acknowledged by the service).
3. The middleware's added latency: a trivial FastAPI model endpoint under uvicorn, served
   three times in separate processes (no middleware; ``PredictionLogger`` with a ``Client``;
   with an ``AsyncClient``), ``--requests`` sequential requests to each on a keep-alive
   connection, interleaved round robin; added = percentile with middleware minus the same
   percentile without.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FEATURES = {"age": 41, "income": 52_000.0, "plan": "pro", "country": "FR", "score_a": 0.13}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, __file__, *args], cwd=ROOT)


def _percentiles(ns: np.ndarray) -> str:
    p50, p99, p999 = np.percentile(ns, [50, 99, 99.9]) / 1000
    worst = ns.max() / 1000
    return f"p50 {p50:6.2f} µs   p99 {p99:6.2f} µs   p99.9 {p999:7.2f} µs   max {worst:8.1f} µs"


# -- servers (run as subprocesses of this script) -------------------------------------------


def serve_fake(port: int) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "ingest"))
    from _fake_service import run_forever

    run_forever(port)


def serve_model(
    kind: str, port: int, ingest_url: str, api_key: str, model: str, spool: str
) -> None:
    import uvicorn
    from fastapi import FastAPI

    from driftpilot.ingest import AsyncClient, Client, PredictionLogger

    app = FastAPI()

    @app.post("/predict")
    async def predict(body: dict[str, Any]) -> dict[str, Any]:
        return {"prediction": int(body["features"]["age"] > 40), "scores": [0.3, 0.7]}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    if kind != "plain":
        factory = Client if kind == "sync" else AsyncClient
        client = factory(ingest_url, api_key, model=model, model_version="1", spool_dir=spool)
        app.add_middleware(PredictionLogger, client=client, paths=["/predict"])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# -- measurements ----------------------------------------------------------------------------


def _timed_calls(log: Any, n: int, rate: float | None, out: np.ndarray) -> None:
    """Call ``log`` ``n`` times (paced at ``rate`` calls/s if given); store each call's ns."""
    perf = time.perf_counter_ns
    start = perf()
    step = 0 if rate is None else int(1e9 / rate)
    for i in range(n):
        if step:
            while perf() - start < i * step:
                pass  # pace without sleeping: a sleep's wake-up is not the SDK's cost
        t0 = perf()
        log(FEATURES, 1, scores=[0.3, 0.7], latency_ms=2.5)
        out[i] = perf() - t0


def _threads(log: Any, threads: int, n: int, rate: float | None) -> np.ndarray:
    times = [np.empty(n, dtype=np.int64) for _ in range(threads)]
    workers = [threading.Thread(target=_timed_calls, args=(log, n, rate, t)) for t in times]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return np.concatenate(times)


def bench_calls(url: str, api_key: str, model: str, calls: int, spool: str) -> None:
    from driftpilot.ingest import Client

    def client(**options: Any) -> Client:
        return Client(url, api_key, model=model, model_version="1", spool_dir=spool, **options)

    sdk = client()
    log = sdk.log_prediction
    _timed_calls(log, 2000, None, np.empty(2000, dtype=np.int64))  # warm up
    assert sdk.flush(timeout=300), sdk.stats()
    cases = [
        ("burst, 1 thread", 1, calls // 4, None),
        ("steady 20k/s, 1 thread", 1, calls // 4, 20_000.0),
        ("steady 4 x 5k/s, 4 threads", 4, calls // 16, 5_000.0),
    ]
    for name, threads, n, rate in cases:
        times = _threads(log, threads, n, rate)
        assert sdk.flush(timeout=300), sdk.stats()
        print(f"log_prediction, {name:<32}{_percentiles(times)}")
    sdk.close()
    stats = sdk.stats()
    assert stats["spooled"] == stats["dropped"] == 0, stats

    # Overload: more events than max_queue, faster than any service takes them; the rest
    # goes to the spool on the caller's thread (buffered writes).
    sdk = client(max_queue=calls // 8)
    times = _threads(sdk.log_prediction, 1, calls // 2, None)
    assert sdk.flush(timeout=600), sdk.stats()
    print(f"log_prediction, {'overload (queue full), 1 thread':<32}{_percentiles(times)}")
    stats = sdk.stats()
    print(f"  ({stats['spooled']:,} of {calls // 2:,} spooled, {stats['dropped']} dropped)")
    sdk.close()

    # End to end: a burst the queue holds, until the service has acknowledged all of it.
    sdk = client(max_queue=2 * calls)
    perf = time.perf_counter
    start = perf()
    for _ in range(calls):
        sdk.log_prediction(FEATURES, 1, scores=[0.3, 0.7], latency_ms=2.5)
    logged = perf()
    assert sdk.flush(timeout=600), sdk.stats()
    done = perf()
    sdk.close()
    print(
        f"end to end: {calls:,} events logged in {logged - start:.2f} s, all acknowledged after "
        f"{done - start:.2f} s: {calls / (done - start):,.0f} events/s"
    )


def bench_middleware(url: str, api_key: str, model: str, requests: int, spool: str) -> None:
    kinds = ("plain", "sync", "async")
    ports = {kind: _free_port() for kind in kinds}
    servers = [
        _spawn("--serve-model", kind, "--port", str(ports[kind]), "--url", url,
               "--api-key", api_key, "--model", model, "--spool", f"{spool}/{kind}")
        for kind in kinds
    ]  # fmt: skip
    try:
        for kind in kinds:
            _wait_for(f"http://127.0.0.1:{ports[kind]}/health")
        body = {"features": FEATURES}
        times: dict[str, list[int]] = {kind: [] for kind in kinds}
        with httpx.Client(timeout=10) as http:
            urls = {kind: f"http://127.0.0.1:{ports[kind]}/predict" for kind in kinds}
            for _ in range(200):  # warm up, open the keep-alive connections
                for kind in kinds:
                    http.post(urls[kind], json=body)
            for _ in range(requests):
                for kind in kinds:
                    t0 = time.perf_counter_ns()
                    http.post(urls[kind], json=body).raise_for_status()
                    times[kind].append(time.perf_counter_ns() - t0)
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    base = np.percentile(np.array(times["plain"]), [50, 99]) / 1000
    print(f"request, no middleware          p50 {base[0]:7.1f} µs   p99 {base[1]:7.1f} µs")
    for kind, name in (("sync", "Client"), ("async", "AsyncClient")):
        with_mw = np.percentile(np.array(times[kind]), [50, 99]) / 1000
        added = with_mw - base
        print(
            f"request, PredictionLogger+{name:<11} p50 {with_mw[0]:7.1f} µs   "
            f"p99 {with_mw[1]:7.1f} µs   added: p50 {added[0]:+6.1f} µs, p99 {added[1]:+6.1f} µs"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("--url")
    parser.add_argument("--api-key", default="test-key")
    parser.add_argument("--model", default="churn")
    parser.add_argument("--serve-fake", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-model", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--spool", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake:
        serve_fake(args.serve_fake)
        return
    if args.serve_model:
        serve_model(args.serve_model, args.port, args.url, args.api_key, args.model, args.spool)
        return

    fake = None
    url = args.url
    if url is None:
        port = _free_port()
        fake = _spawn("--serve-fake", str(port))
        url = f"http://127.0.0.1:{port}"
        _wait_for(url)
    print(f"ingest service: {url} ({'given' if fake is None else 'fake, separate process'}); "
          f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}")  # fmt: skip
    try:
        with tempfile.TemporaryDirectory() as spool:
            bench_calls(url, args.api_key, args.model, args.calls, f"{spool}/calls")
            bench_middleware(url, args.api_key, args.model, args.requests, spool)
    finally:
        if fake is not None:
            fake.terminate()
            fake.wait()


if __name__ == "__main__":
    main()
