"""CPU cost of the drift report's per-column statistics: process CPU time of ``dp.compare``.

Usage: PYTHONPATH=<a checkout's src> python benchmarks/bench_report_stats.py LABEL

1,000,000 + 1,000,000 rows, one numeric and one categorical column (seeded). Process CPU
time, not wall time, so a loaded machine disturbs it less; run it against the code before and
after a change, alternating, and compare the minima. Prints the CPU model and the load.
"""

import os
import sys
import time

import numpy as np
import pandas as pd

import driftpilot as dp


def main() -> None:
    label = sys.argv[1] if len(sys.argv) > 1 else "this checkout"
    rng = np.random.default_rng(0)
    n = 1_000_000
    ref = pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(list("abcdefgh"), n)})
    cur = pd.DataFrame({"x": rng.normal(0.1, 1, size=n), "c": rng.choice(list("abcdefgh"), n)})
    dp.compare(ref.head(1000), cur.head(1000))  # warm up imports
    times = []
    for _ in range(5):
        start = time.process_time()
        dp.compare(ref, cur)
        times.append(time.process_time() - start)
    with open("/proc/cpuinfo") as cpuinfo:
        model = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "?"
        )
    times.sort()
    print(
        f"{label}: CPU s min {times[0]:.3f} median {times[2]:.3f}; CPU {model}; "
        f"load {tuple(round(x, 1) for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
