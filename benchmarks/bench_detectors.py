"""Per-update speed of driftpilot's streaming detectors against River's, in one process.

Usage: python benchmarks/bench_detectors.py [--events 1000000] [--kswin-events 20000] [--repeat 3]

Each detector runs on the same seeded stream as River's (a real-valued stream with a mean
shift halfway for ADWIN, Page-Hinkley and KSWIN; a 0/1 error stream whose error rate goes
from 0.1 to 0.3 for DDM and EDDM), with default parameters (KSWIN: ``seed=0``). River is fed
one value at a time, as its API requires; driftpilot both one at a time (``update``) and in one
batch (``update_many``, which the monitor uses). The table prints the best of ``--repeat``
times in nanoseconds per update, driftpilot's speed as a multiple of River's (above 1 is
faster) and whether the change points are identical. ADWIN's batch runs in the numba loop
when numba is installed (the ``fast`` extra; its one-off compilation is done before timing),
else in Python: the "numba" column says which. KSWIN runs a test on every value, so it gets a
shorter stream.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from river import drift
from river.drift import binary

from _machine import cpu_model as _cpu
from driftpilot.detectors import ADWIN, DDM, EDDM, KSWIN, PageHinkley, _adwin_kernel


def _river_loop(make: Callable[[], Any], stream: list[Any]) -> tuple[float, list[int]]:
    detector = make()
    found = []
    start = time.perf_counter()
    for i, x in enumerate(stream):
        detector.update(x)
        if detector.drift_detected:
            found.append(i)
    return time.perf_counter() - start, found


def _our_loop(make: Callable[[], Any], stream: list[Any]) -> tuple[float, list[int]]:
    return _river_loop(make, stream)


def _our_batch(make: Callable[[], Any], stream: np.ndarray) -> tuple[float, list[int]]:
    detector = make()
    start = time.perf_counter()
    detector.update_many(stream)
    elapsed = time.perf_counter() - start
    return elapsed, detector.batch_drifts.tolist()


def _best(run: Callable[[], tuple[float, list[int]]], repeat: int) -> tuple[float, list[int]]:
    results = [run() for _ in range(repeat)]
    return min(r[0] for r in results), results[0][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--kswin-events", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    half = args.events // 2
    real = np.concatenate([rng.normal(0.0, 1.0, half), rng.normal(0.5, 1.0, args.events - half)])
    errors = np.concatenate([rng.random(half) < 0.1, rng.random(args.events - half) < 0.3]).astype(
        np.int64
    )
    k = args.kswin_events
    kswin = np.concatenate([rng.normal(0.0, 1.0, k // 2), rng.normal(1.0, 1.0, k - k // 2)])
    cases: list[tuple[str, Any, Any, np.ndarray]] = [
        ("ADWIN", ADWIN, drift.ADWIN, real),
        ("PageHinkley", PageHinkley, drift.PageHinkley, real),
        ("DDM", DDM, binary.DDM, errors),
        ("EDDM", EDDM, binary.EDDM, errors),
        ("KSWIN", lambda: KSWIN(seed=0), lambda: drift.KSWIN(seed=0), kswin),
    ]
    numba = _adwin_kernel.compiled() is not None
    if numba:  # compile (or load the cache) before timing
        ADWIN().update_many(real[:1000])
    print(f"CPU: {_cpu()}; {os.cpu_count()} cores; load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}; numba: {numba}")  # fmt: skip
    header = (f"{'detector':<12} {'events':>9} {'river ns':>9} {'update ns':>10} "
              f"{'batch ns':>9} {'x river (update)':>16} {'x river (batch)':>15} same")  # fmt: skip
    print(header)
    print("-" * len(header))
    for name, ours, theirs, stream in cases:
        as_list = stream.tolist()
        river_s, river_found = _best(lambda t=theirs, s=as_list: _river_loop(t, s), args.repeat)
        loop_s, loop_found = _best(lambda o=ours, s=as_list: _our_loop(o, s), args.repeat)
        batch_s, batch_found = _best(lambda o=ours, s=stream: _our_batch(o, s), args.repeat)
        n = stream.size
        same = river_found == loop_found == batch_found
        print(f"{name:<12} {n:>9} {river_s / n * 1e9:>9.0f} {loop_s / n * 1e9:>10.0f} "
              f"{batch_s / n * 1e9:>9.0f} {river_s / loop_s:>16.2f} {river_s / batch_s:>15.2f} "
              f"{'yes' if same else 'NO'}")  # fmt: skip
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
