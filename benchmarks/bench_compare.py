"""Speed and memory of the drift core, as ratios to baselines measured in the same run.

Usage::

    python benchmarks/bench_compare.py                  # 10k, 100k, 1M rows x 25 + load case
    python benchmarks/bench_compare.py --big            # also 4M x 25, 1M x 105, 1M x 500
    python benchmarks/bench_compare.py --cells 100000x25 --repeat 1 --no-load   # quick look

Data: ``driftpilot.datasets.make_drift_data`` (seed 0), as pandas frames (what most users
pass): 4 numeric columns for every categorical one (20 + 5 at 25 columns), a third shifted;
reference and current the same size. Each cell's data is written to Parquet once and every
case runs in a fresh process that reads it back, so each case's peak memory is its own.

Cases, per cell (best of ``--repeat`` wall-clock seconds):

* ``sort floor``: one ``numpy.sort`` of every numeric column, both sides: what any exact
  KS test must at least do.
* ``scipy loop``: what a user writes by hand: ``scipy.stats.ks_2samp`` per numeric column,
  ``pandas.Series.value_counts`` on both sides + ``scipy.stats.chi2_contingency`` per
  categorical column.
* ``ks/chi2``: ``dp.compare(ref, cur, tests=...)`` with ks on numeric, chi2 on categorical.
* ``defaults``: ``dp.compare(ref, cur)`` (ks + wasserstein_norm effect, chi2).
* ``vs baseline``: ``dp.compare(baseline, cur, tests=...)`` against ``dp.baseline(ref)``
  (made before the clock starts).
* ``profile``: ``dp.profile(ref)``, reported in M cells/s.

Peak memory: the highest RSS sampled every 2 ms while the case runs, minus RSS before it,
also divided by the in-memory size of the current frame (pandas ``memory_usage(deep)``).

Load case (not with ``--no-load``): ``ks/chi2`` and the scipy loop at ``--load-cell``,
first quiet, then while one CPU-bound process per core competes; the ratio to scipy of
each, and how much it moved.

Kernels: the KS + Wasserstein pass alone at 1M + 1M sorted values (the pooled argsort of
``stats._ecdf.ecdf_difference`` it replaced, the blockwise search, two ``numpy.sort``),
interleaved in one process, best of 8.

Imports: ``python -c pass``, ``python -c "import driftpilot"`` and ``python -m driftpilot
--help``, best of 5 wall-clock, in the same run.

Every table is printed beside the CPU model, numpy's SIMD build (baseline and dispatched
extensions found on this CPU) and ``os.getloadavg()`` before and after it.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from _machine import cpu_model as _cpu_model

CASES = ("sort floor", "scipy loop", "ks/chi2", "defaults", "vs baseline", "profile")
SMALL_CELLS = ("10000x25", "100000x25", "1000000x25")
BIG_CELLS = ("4000000x25", "1000000x105", "1000000x500")


def _simd() -> str:
    try:
        config: Any = np.show_config(mode="dicts")
        simd = config["SIMD Extensions"]
        found = simd.get("found", [])
        return f"baseline {','.join(simd.get('baseline', []))}; found {','.join(found)}"
    except (TypeError, KeyError, AttributeError):
        return "unknown"


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def _machine_line() -> str:
    return (
        f"CPU: {_cpu_model()} x {os.cpu_count()}; numpy {np.__version__} SIMD: {_simd()}; "
        f"python {sys.version.split()[0]}"
    )


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize()


class _PeakSampler(threading.Thread):
    """Samples this process's RSS until stopped; ``peak`` is the highest value seen."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = _rss_bytes()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.002):
            self.peak = max(self.peak, _rss_bytes())

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return max(self.peak, _rss_bytes())


def _scipy_loop(ref: Any, cur: Any) -> int:
    import pandas as pd
    import scipy.stats

    drifted = 0
    for name in ref.columns:
        r, c = ref[name], cur[name]
        if r.dtype.kind == "f":
            p = scipy.stats.ks_2samp(r.to_numpy(), c.to_numpy()).pvalue
        else:
            counts = pd.concat([r.value_counts(), c.value_counts()], axis=1).fillna(0)
            p = scipy.stats.chi2_contingency(counts.to_numpy().T).pvalue
        drifted += bool(p < 0.05)
    return drifted


def _sort_floor(ref: Any, cur: Any) -> None:
    for name in ref.columns:
        if ref[name].dtype.kind == "f":
            np.sort(ref[name].to_numpy())
            np.sort(cur[name].to_numpy())


def _run_case(case: str, folder: str, repeat: int, queue: Any) -> None:
    import pyarrow.parquet as pq

    import driftpilot as dp

    ref = pq.read_table(Path(folder) / "reference.parquet").to_pandas()
    cur = pq.read_table(Path(folder) / "current.parquet").to_pandas()
    tests = {n: ("ks" if n.startswith("num") else "chi2") for n in ref.columns}
    base = dp.baseline(ref) if case == "vs baseline" else None
    # Warm up imports (scipy.stats, the sort choice) on a small slice, off the clock.
    dp.compare(ref.head(60_000), cur.head(60_000), tests=tests)
    before = _rss_bytes()
    sampler = _PeakSampler()
    sampler.start()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        if case == "profile":
            dp.profile(ref)
        elif case == "ks/chi2":
            dp.compare(ref, cur, tests=tests)
        elif case == "defaults":
            dp.compare(ref, cur)
        elif case == "vs baseline":
            dp.compare(base, cur, tests=tests)
        elif case == "sort floor":
            _sort_floor(ref, cur)
        else:
            _scipy_loop(ref, cur)
        times.append(time.perf_counter() - started)
    peak = max(0, sampler.stop() - before)
    queue.put((min(times), peak, int(cur.memory_usage(deep=True).sum())))


def _measure(case: str, folder: str, repeat: int) -> tuple[float, int, int]:
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_run_case, args=(case, folder, repeat, queue))
    process.start()
    result: tuple[float, int, int] = queue.get()
    process.join()
    return result


def _write_cell(cell: str, folder: str) -> tuple[int, int]:
    import pyarrow.parquet as pq

    from driftpilot.datasets import make_drift_data

    rows, columns = (int(x) for x in cell.split("x"))
    n_categorical = columns // 5
    data = make_drift_data(rows, n_numeric=columns - n_categorical, n_categorical=n_categorical)
    pq.write_table(data.reference, Path(folder) / "reference.parquet")
    pq.write_table(data.current, Path(folder) / "current.parquet")
    return rows, columns


def _grid(cells: list[str], repeat: int) -> dict[str, dict[str, float]]:
    print(f"\n## grid (best of {repeat}); load before: {_load()}")
    print(
        f"{'cell':>12} {'case':<12}{'seconds':>9}{'x floor':>9}{'x scipy':>9}"
        f"{'M cells/s':>11}{'peak MiB':>10}{'x cur':>7}"
    )
    ratios: dict[str, dict[str, float]] = {}
    for cell in cells:
        with tempfile.TemporaryDirectory() as folder:
            rows, columns = _write_cell(cell, folder)
            seconds: dict[str, float] = {}
            for case in CASES:
                took, peak, cur_bytes = _measure(case, folder, repeat)
                seconds[case] = took
                cells_read = rows * columns * (1 if case == "profile" else 2)
                floor = took / seconds["sort floor"]
                versus = f"{took / seconds['scipy loop']:.3f}" if "scipy loop" in seconds else "-"
                print(
                    f"{cell:>12} {case:<12}{took:>9.3f}{floor:>9.2f}{versus:>9}"
                    f"{cells_read / took / 1e6:>11.1f}{peak / 2**20:>10.0f}"
                    f"{peak / cur_bytes:>7.2f}",
                    flush=True,
                )
            ratios[cell] = {c: seconds[c] / seconds["scipy loop"] for c in CASES}
    print(f"load after: {_load()}")
    return ratios


def _burn(stop: Any) -> None:
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


def _load_case(cell: str, repeat: int) -> None:
    print(f"\n## under load: {cell}, best of {repeat}")
    with tempfile.TemporaryDirectory() as folder:
        _write_cell(cell, folder)
        print(f"quiet  (load {_load()})", flush=True)
        quiet = {c: _measure(c, folder, repeat)[0] for c in ("scipy loop", "ks/chi2")}
        context = mp.get_context("spawn")
        stop = context.Event()
        burners = [context.Process(target=_burn, args=(stop,)) for _ in range(os.cpu_count() or 1)]
        for burner in burners:
            burner.start()
        try:
            time.sleep(1.0)
            print(f"loaded (load {_load()}, {len(burners)} CPU-bound processes)", flush=True)
            loaded = {c: _measure(c, folder, repeat)[0] for c in ("scipy loop", "ks/chi2")}
        finally:
            stop.set()
            for burner in burners:
                burner.join()
    for name, times in (("quiet", quiet), ("loaded", loaded)):
        print(
            f"{name:<7} scipy loop {times['scipy loop']:.3f} s, ks/chi2 {times['ks/chi2']:.3f} s, "
            f"ratio {times['ks/chi2'] / times['scipy loop']:.3f}"
        )
    change = (loaded["ks/chi2"] / loaded["scipy loop"]) / (quiet["ks/chi2"] / quiet["scipy loop"])
    print(f"loaded ratio / quiet ratio = {change:.2f} (goal <= 1.20)")


def _imports() -> None:
    print(f"\n## start-up (best of 5 wall-clock); load {_load()}")
    env = dict(os.environ)
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import driftpilot": [sys.executable, "-c", "import driftpilot"],
        "driftpilot --help": [sys.executable, "-m", "driftpilot", "--help"],
    }
    best: dict[str, float] = {}
    for _ in range(5):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
            took = time.perf_counter() - started
            best[name] = min(best.get(name, took), took)
    for name, took in best.items():
        extra = took - best["python -c pass"]
        print(f"{name:<20}{took:>8.3f} s  (+{extra:.3f} s over python -c pass)")


def _kernels(rows: int = 1_000_000, rounds: int = 8) -> None:
    """The merged pass alone: old pooled argsort, new blockwise search, two sorts."""
    from driftpilot.stats._ecdf import ecdf_difference, ks_and_wasserstein

    rng = np.random.default_rng(0)
    raw_ref, raw_cur = rng.normal(size=rows), rng.normal(0.1, 1.0, size=rows)
    ref, cur = np.sort(raw_ref), np.sort(raw_cur)

    def pooled_argsort() -> None:
        knots, difference = ecdf_difference(ref, cur)
        float(np.max(np.abs(difference)))
        float(np.dot(np.abs(difference[:-1]), np.diff(knots)))

    cases = {
        "pooled argsort (before)": pooled_argsort,
        "blockwise search (now)": lambda: ks_and_wasserstein(ref, cur),
        "blockwise, sizes differ": lambda: ks_and_wasserstein(ref, cur[: rows * 9 // 10]),
        "two np.sort (floor)": lambda: (np.sort(raw_ref), np.sort(raw_cur)),
    }
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(rounds):
        for name, run in cases.items():
            started = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - started)
    print(f"\n## KS + Wasserstein pass, {rows:,} + {rows:,} sorted values (best of {rounds})")
    for name, took in best.items():
        print(f"{name:<26}{took * 1e3:>9.1f} ms")
    print(f"load {_load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="*", help="ROWSxCOLUMNS cells (default: the grid)")
    parser.add_argument("--big", action="store_true", help="add 4M x 25, 1M x 105, 1M x 500")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-load", action="store_true", help="skip the case under load")
    parser.add_argument("--load-cell", default="1000000x25")
    parser.add_argument("--no-imports", action="store_true")
    parser.add_argument("--no-kernels", action="store_true", help="skip the kernel timings")
    args = parser.parse_args()

    print(_machine_line())
    if not args.no_imports:
        _imports()
    if not args.no_kernels:
        _kernels()
    cells = list(args.cells) if args.cells else [*SMALL_CELLS, *(BIG_CELLS if args.big else ())]
    ratios = _grid(cells, args.repeat)
    for cell, by_case in ratios.items():
        print(
            f"{cell}: ks/chi2 {by_case['ks/chi2']:.3f}x scipy, defaults "
            f"{by_case['defaults']:.3f}x, vs baseline {by_case['vs baseline']:.3f}x"
        )
    if not args.no_load:
        _load_case(args.load_cell, args.repeat)
    print(f"\n{_machine_line()}; load at the end: {_load()}")


if __name__ == "__main__":
    main()
