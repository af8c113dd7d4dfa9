"""The serving router's cost, and how fast a weight change reaches its processes.

1. **Overhead.** A scikit-learn logistic regression behind ``Predictor``, called directly
   (``predict`` + ``predict_proba``, what the router calls) and through ``Router.predict``
   (feature-key hashing, grouping, the SDK log call) in the same process, interleaved so
   both see the same load: single rows with a 50 % canary, batches of 100 rows on one
   version (canary weight 0), and batches of 100 split 50/50 (two model calls of 50 rows
   each, against one call of 100 directly: the split's own price). p50 and p99 of each,
   and the added latency (router minus direct) at each percentile. With ``--log`` the
   router logs through a real SDK client to a real ``driftpilot serve`` (SQLite).
2. **Propagation.** A real ``driftpilot serve`` and 4 ``driftpilot serve-model`` processes
   polling every ``--interval`` seconds; after each ``PATCH`` of the weight, the time until
   each router's ``/status`` shows the new revision (goal: within the interval).

    python benchmarks/bench_router.py [--iterations 5000] [--interval 1] [--changes 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sklearn.linear_model import LogisticRegression

from _machine import cpu_model as _cpu
from driftpilot.lifecycle import RoutingKey, SetChampion, SetRouting, SetWeight, StartCanary
from driftpilot.serving import Router, StoreDeploymentSource
from driftpilot.store import Store, create_engine

FEATURES = ("x1", "x2", "x3", "x4")


class SklearnPredictor:
    """A fitted classifier as a ``driftpilot.lifecycle.Predictor``."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def _matrix(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        return np.array([[row[f] for f in FEATURES] for row in rows], dtype=float)

    def predict(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        return self.model.predict(self._matrix(rows)).tolist()  # type: ignore[no-any-return]

    def predict_proba(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, float]] | None:
        probabilities = self.model.predict_proba(self._matrix(rows))
        return [{"0": float(p[0]), "1": float(p[1])} for p in probabilities]


def load(model: str, version: str) -> SklearnPredictor:
    """The loader ``serve-model`` is given in part 2 (``--loader bench_router:load``)."""
    rng = np.random.default_rng(sum(map(ord, version)))
    x = rng.normal(size=(2000, len(FEATURES)))
    y = (x @ rng.normal(size=len(FEATURES)) > 0).astype(int)
    return SklearnPredictor(LogisticRegression().fit(x, y))


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _wait(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def _store(folder: Path) -> Store:
    store = Store(create_engine(f"sqlite:///{folder / 'driftpilot.db'}"))
    store.upgrade()
    store.models.create_model("bench", "binary")
    for version in ("1", "2"):
        store.models.create_version("bench", version)
    return store


def overhead(folder: Path, iterations: int, log: bool) -> None:
    store = _store(folder)
    ks = {"actor": "bench", "reason": "bench"}
    store.deployments.change("bench", SetChampion(version="1"), **ks)
    store.deployments.change(
        "bench", SetRouting(routing_key=RoutingKey(kind="feature", name="user")), **ks
    )
    store.deployments.change("bench", StartCanary(version="2", weight=50, owner="bench"), **ks)
    server = client = None
    if log:
        from driftpilot.ingest import Client

        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "driftpilot", "serve", "--port", str(port), "--db",
             f"sqlite:///{folder / 'driftpilot.db'}", "--no-auth", "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(f"http://127.0.0.1:{port}/readyz")
        client = Client(f"http://127.0.0.1:{port}", model="bench", spool_dir=folder / "spool")
    predictors = {"1": load("bench", "1"), "2": load("bench", "2")}
    router = Router("bench", StoreDeploymentSource(store, "bench"),
                    lambda _m, v: predictors[v], client=client)  # fmt: skip
    router.refresh()
    rng = np.random.default_rng(0)

    def rows(n: int) -> list[dict[str, Any]]:
        x = rng.normal(size=(n, len(FEATURES)))
        return [{**dict(zip(FEATURES, map(float, r), strict=True)),
                 "user": f"u{rng.integers(1 << 30)}"} for r in x]  # fmt: skip

    print(f"\n## overhead ({'logging to a real serve' if log else 'no logging'}), "
          f"{iterations} iterations, load before {_load()}")  # fmt: skip
    print("| rows | canary weight | direct p50 ms | direct p99 ms | router p50 ms | router p99 ms "
          "| added p50 ms | added p99 ms |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, weight in ((1, 50.0), (100, 0.0), (100, 50.0)):
        store.deployments.change("bench", SetWeight(weight=weight), **ks)
        router.refresh()
        direct, routed = [], []
        batches = [rows(n) for _ in range(200)]
        for i in range(iterations + 200):  # the first 200 warm up
            batch = batches[i % len(batches)]
            started = time.perf_counter()
            version = predictors["1"]
            version.predict(batch)
            version.predict_proba(batch)
            middle = time.perf_counter()
            router.predict(batch)
            ended = time.perf_counter()
            if i >= 200:
                direct.append((middle - started) * 1000)
                routed.append((ended - middle) * 1000)
        d50, d99 = np.percentile(direct, [50, 99])
        r50, r99 = np.percentile(routed, [50, 99])
        print(f"| {n} | {weight:g} | {d50:.3f} | {d99:.3f} | {r50:.3f} | {r99:.3f} "
              f"| {r50 - d50:.3f} "
              f"| {r99 - d99:.3f} |")  # fmt: skip
    print(f"load after {_load()}")
    router.close()
    if client is not None:
        client.close()
    if server is not None:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    store.close()


def propagation(folder: Path, interval: float, changes: int, n_routers: int = 4) -> None:
    store = _store(folder)
    store.close()
    port = _free_port()
    api = f"http://127.0.0.1:{port}"
    processes = [subprocess.Popen(
        [sys.executable, "-m", "driftpilot", "serve", "--port", str(port), "--db",
         f"sqlite:///{folder / 'driftpilot.db'}", "--no-auth", "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )]  # fmt: skip
    try:
        _wait(f"{api}/readyz")
        url = f"{api}/v1/models/bench/deployment"
        httpx.patch(url, json={"action": "set_champion", "version": "1", "reason": "bench"})
        httpx.patch(url, json={"action": "start_canary", "version": "2", "weight": 1,
                               "owner": "bench", "reason": "bench"})  # fmt: skip
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}  # fmt: skip
        ports = [_free_port() for _ in range(n_routers)]
        for router_port in ports:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "driftpilot", "serve-model", "bench", "--loader",
                 "bench_router:load", "--url", api, "--port", str(router_port), "--interval",
                 str(interval), "--no-log-predictions", "--log-level", "warning"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
            ))  # fmt: skip
        for router_port in ports:
            _wait(f"http://127.0.0.1:{router_port}/healthz")
        print(f"\n## propagation: {n_routers} serve-model processes, --interval {interval:g} s, "
              f"load before {_load()}")  # fmt: skip
        print("| change | revision | slowest router s | all within the interval |")
        print("|---:|---:|---:|---|")
        worst = 0.0
        with httpx.Client() as http:
            for change in range(changes):
                weight = 10 + 10 * change
                reply = http.patch(url, json={"action": "set_weight", "weight": weight,
                                              "reason": "bench"})  # fmt: skip
                revision = reply.json()["revision"]
                changed = time.perf_counter()
                seen: dict[int, float] = {}
                while len(seen) < n_routers:
                    for router_port in ports:
                        if router_port in seen:
                            continue
                        status = http.get(f"http://127.0.0.1:{router_port}/status").json()
                        if status["revision"] == revision:
                            seen[router_port] = time.perf_counter() - changed
                    time.sleep(0.005)
                slowest = max(seen.values())
                worst = max(worst, slowest)
                print(f"| {change + 1} | {revision} | {slowest:.3f} | "
                      f"{'yes' if slowest <= interval else 'NO'} |")  # fmt: skip
        print(f"slowest of all: {worst:.3f} s (interval {interval:g} s); load after {_load()}")
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--skip-log", action="store_true", help="no run logging to a serve")
    parser.add_argument("--only-propagation", action="store_true", help="part 2 only")
    args = parser.parse_args()
    print(f"CPU: {_cpu()}; {os.cpu_count()} cores; Python {sys.version.split()[0]}; "
          f"load average {_load()}")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        if not args.only_propagation:
            overhead(Path(folder) / "a", args.iterations, log=False)
        if not args.skip_log and not args.only_propagation:
            overhead(Path(folder) / "b", args.iterations, log=True)
        propagation(Path(folder) / "c", args.interval, args.changes)


if __name__ == "__main__":
    main()
