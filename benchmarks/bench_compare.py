"""Speed of the drift core against a plain loop of scipy calls, in one run.

Usage: python benchmarks/bench_compare.py [--rows 1000000] [--repeat 3]

Deterministic synthetic data (driftpilot.datasets.make_drift_data, seed 0): ``--rows``
reference and current rows, 20 numeric and 5 categorical columns, a third of them shifted.
The data is written once to Parquet in a temporary folder; every case then runs in a fresh
process that reads it, so that each case's peak memory is its own. For each case the script
prints the best of ``--repeat`` wall-clock times, rows/s and cells/s over the rows the case
reads (the reference for profile, reference + current otherwise), and the peak extra
resident memory over the loaded data (the highest RSS seen by a thread sampling it every
2 ms while the case runs, minus RSS before it), also as a multiple of the in-memory (Arrow)
size of the case's input.

Cases:
* profile         dp.profile(reference)
* compare ks/chi2 dp.compare with ks on every numeric and chi2 on every categorical column
* compare default dp.compare with the default test rule (wasserstein_norm / jensenshannon)
* ks/chi2 numpy sort  the ks/chi2 case with DRIFTPILOT_SORT=numpy: numpy.sort instead of
                  polars' faster sort (used by compare when polars is installed)
* scipy loop      the same ks/chi2 as a loop: scipy.stats.ks_2samp per numeric column;
                  numpy.unique counts + scipy.stats.chi2_contingency per categorical column
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CASES = ("profile", "compare ks/chi2", "compare default", "ks/chi2 numpy sort", "scipy loop")


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


def _scipy_loop(ref: pa.Table, cur: pa.Table) -> int:
    import scipy.stats

    drifted = 0
    for name in ref.column_names:
        r = ref[name].to_numpy()
        c = cur[name].to_numpy()
        if r.dtype.kind == "f":
            p = scipy.stats.ks_2samp(r, c).pvalue
        else:
            r_values, r_counts = np.unique(r.astype(str), return_counts=True)
            c_values, c_counts = np.unique(c.astype(str), return_counts=True)
            categories = np.union1d(r_values, c_values)
            table = np.zeros((2, categories.size))
            table[0, np.searchsorted(categories, r_values)] = r_counts
            table[1, np.searchsorted(categories, c_values)] = c_counts
            p = scipy.stats.chi2_contingency(table).pvalue
        drifted += bool(p < 0.05)
    return drifted


def _run_case(case: str, folder: str, repeat: int, queue: Any) -> None:
    if case == "ks/chi2 numpy sort":
        os.environ["DRIFTPILOT_SORT"] = "numpy"
    import driftpilot as dp

    ref = pq.read_table(Path(folder) / "reference.parquet")
    cur = pq.read_table(Path(folder) / "current.parquet")
    tests = {n: ("ks" if n.startswith("num") else "chi2") for n in ref.column_names}
    before = _rss_bytes()
    sampler = _PeakSampler()
    sampler.start()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        if case == "profile":
            dp.profile(ref)
        elif case in ("compare ks/chi2", "ks/chi2 numpy sort"):
            dp.compare(ref, cur, tests=tests)
        elif case == "compare default":
            dp.compare(ref, cur)
        else:
            _scipy_loop(ref, cur)
        times.append(time.perf_counter() - started)
    queue.put((min(times), max(0, sampler.stop() - before)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from driftpilot.datasets import make_drift_data

    data = make_drift_data(args.rows, seed=0)
    data_bytes = data.reference.nbytes + data.current.nbytes
    n_columns = data.reference.num_columns
    context = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder:
        pq.write_table(data.reference, Path(folder) / "reference.parquet")
        pq.write_table(data.current, Path(folder) / "current.parquet")
        print(
            f"data: {args.rows:,} reference + {args.rows:,} current rows, {n_columns} columns "
            f"({len(data.shifted)} shifted), {data_bytes / 2**20:.0f} MiB in Arrow"
        )
        print(
            f"{'case':<20}{'seconds':>9}{'rows/s':>14}{'cells/s':>14}{'peak MiB':>10}{'x data':>8}"
        )
        results = {}
        for case in CASES:
            queue = context.Queue()
            process = context.Process(target=_run_case, args=(case, folder, args.repeat, queue))
            process.start()
            seconds, peak = queue.get()
            process.join()
            rows = args.rows * (1 if case == "profile" else 2)
            input_bytes = data.reference.nbytes if case == "profile" else data_bytes
            results[case] = seconds
            print(
                f"{case:<20}{seconds:>9.3f}{rows / seconds:>14,.0f}"
                f"{rows * n_columns / seconds:>14,.0f}{peak / 2**20:>10.0f}"
                f"{peak / input_bytes:>8.2f}"
            )
    for case in ("compare ks/chi2", "ks/chi2 numpy sort"):
        ratio = results[case] / results["scipy loop"]
        print(f"{case} / scipy loop = {ratio:.3f} (goal <= 0.333)")
    print(f"profile: {args.rows * n_columns / results['profile'] / 1e6:.1f} M cells/s (goal >= 10)")


if __name__ == "__main__":
    main()
