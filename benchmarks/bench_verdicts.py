"""False alarms under no drift and power under known shifts, for the new rule and the old one.

Usage: python benchmarks/bench_verdicts.py [--sets N] [--quick] [--no-power] [--no-grid]
       [--baseline-cost]

A/A grid: for each n_reference x n_current cell, ``--sets`` data sets in which reference and
current are drawn from the same distributions, 14 columns each: categorical with 2, 5, 50,
200 and 1,000 categories (uniform and Zipf with exponent 1.1), numeric normal, lognormal
(sigma 1), Poisson integers (mean 3) and 60% zero-inflated (exponential otherwise). For
every set the columns are judged

* ``compare``: ``dp.compare(reference, current)`` with defaults;
* ``baseline``: ``dp.compare(saved baseline, current)`` (the baseline saved and loaded);
* ``mon-prof``: a monitor window in profile mode: the current window profiled on the
  baseline's edges, judged by the monitor's drift functions (``_compare`` + ``_correct``
  of ``monitor/_drift.py``) with a default ``feature_drift`` check (PSI);
* ``mon-exact``: the same check in exact mode (raw reference and window);
* ``old``: ``dp.compare(..., rule="evidently")``, the rule before issue 12, and
  ``mon-old``: the monitor's old verdict (PSI >= 0.1, no significance).

Printed per cell and mode: the share of sets with ``dataset_drift`` (for monitors: with
any feature flagged, and with a ``warning`` or worse, which for the monitor is the same
thing), and the highest per-column flag rate with its column. A 1,000,000-row reference is
drawn ``max(1, sets // 10)`` times and reused across the sets (drawing and profiling it per
set would take hours on two shared cores); other references are drawn per set.

``--baseline-cost``: per reference size, the saved JSON bytes of one numeric (lognormal)
column, the CPU time to profile 4 such columns and the KS ``error_bound`` of a baseline
against 5,000 raw values, with the exact quantile grid of 500 and 1,000 cells and with the
KLL sketch alone (``quantile_grid=0``, the format before the grids).

Power: 100k + 100k rows with a 0.5 sd mean shift, a x1.5 spread and a 30% mix change (a
Zipf 5-category column whose weights become 0.7 w + 0.3 reversed(w)), and 1M + 1M with a
0.05 sd mean shift, judged with defaults and with ``effect_threshold=0.01``.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np
import pyarrow as pa

import driftpilot as dp
from driftpilot.monitor._drift import _compare, _correct
from driftpilot.monitor.spec import FeatureDriftCheck

N_REFERENCE = (500, 5_000, 100_000, 1_000_000)
N_CURRENT = (300, 500, 5_000, 100_000)
QUICK_REFERENCE = (500, 100_000)
QUICK_CURRENT = (300, 5_000)
CATEGORIES = (2, 5, 50, 200, 1000)
MODES = ("compare", "baseline", "mon-prof", "mon-exact", "old", "mon-old")


def _weights(k: int, zipf: bool) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1) ** 1.1 if zipf else np.ones(k)
    return w / w.sum()


def _draw(rng: np.random.Generator, n: int) -> pa.Table:
    columns: dict[str, Any] = {}
    for k in CATEGORIES:
        for zipf in (False, True):
            labels = np.array([f"v{i}" for i in range(k)])
            codes = rng.choice(k, size=n, p=_weights(k, zipf))
            columns[f"{'zipf' if zipf else 'unif'}{k}"] = pa.array(labels[codes])
    columns["normal"] = rng.normal(10, 2, n)
    columns["lognormal"] = rng.lognormal(0, 1, n)
    columns["poisson"] = rng.poisson(3, n)
    inflated = rng.exponential(1.0, n)
    inflated[rng.random(n) < 0.6] = 0.0
    columns["zero_inflated"] = inflated
    return pa.table(columns)


def _monitor(reference: Any, current: Any, check: FeatureDriftCheck) -> tuple[bool, set[str]]:
    found = _compare(reference, current, check, None)
    results = _correct("drift", check, [_Found(c) for c in found])
    flagged = {r.feature for r in results if r.severity != "none" and r.feature}
    return bool(flagged), flagged


class _Found:
    def __init__(self, column: Any) -> None:
        self.column = column
        self.segment = None


def _judge_old_monitor(reference: Any, current: Any) -> tuple[bool, set[str]]:
    report = dp.compare(reference, current, test="psi", correction=None, rule="evidently")
    flagged = {n for n, c in report.columns.items() if c.drifted}
    return bool(flagged), flagged


def _cell(n_ref: int, n_cur: int, sets: int, seed: int, folder: Path) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    check = FeatureDriftCheck(type="feature_drift")
    exact_check = FeatureDriftCheck(type="feature_drift", mode="exact")
    alarms: dict[str, int] = defaultdict(int)
    flags: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    reuse = n_ref >= 1_000_000
    n_references = max(1, sets // 10) if reuse else sets
    reference = baseline = None
    for i in range(sets):
        if reference is None or not reuse or i % (sets // n_references or 1) == 0:
            reference = _draw(rng, n_ref)
            path = folder / "baseline.json"
            dp.baseline(reference).save(path)
            baseline = dp.load(path)
        current = _draw(rng, n_cur)
        window = dp.profile(current, reference=baseline)
        outcomes: dict[str, tuple[bool, set[str]]] = {}
        for mode, ref_side in (("compare", reference), ("baseline", baseline)):
            report = dp.compare(ref_side, current)
            outcomes[mode] = (report.dataset_drift, set(report.drifted_columns))
        old = dp.compare(reference, current, rule="evidently")
        outcomes["old"] = (old.dataset_drift, set(old.drifted_columns))
        outcomes["mon-prof"] = _monitor(baseline, window, check)
        outcomes["mon-exact"] = _monitor(reference, current, exact_check)
        outcomes["mon-old"] = _judge_old_monitor(baseline, window)
        for mode, (alarm, columns) in outcomes.items():
            alarms[mode] += alarm
            for column in columns:
                flags[mode][column] += 1
    return {"alarms": alarms, "flags": flags, "sets": sets}


def _print_grid(sets: int, references: tuple[int, ...], currents: tuple[int, ...]) -> None:
    print(f"\nA/A false alarms, {sets} sets per cell (alpha 0.05; binomial 3-sigma bound "
          f"{0.05 + 3 * np.sqrt(0.05 * 0.95 / sets):.3f})")  # fmt: skip
    header = f"{'n_ref':>9} {'n_cur':>7} " + " ".join(f"{m:>24}" for m in MODES)
    print(header)
    print(f"{'':>17} " + " ".join(f"{'dataset / worst column':>24}" for _ in MODES))
    with TemporaryDirectory() as folder:
        for n_ref in references:
            for n_cur in currents:
                started = time.perf_counter()
                cell = _cell(n_ref, n_cur, sets, seed=n_ref * 7 + n_cur, folder=Path(folder))
                parts = []
                for mode in MODES:
                    rate = cell["alarms"][mode] / sets
                    flags = cell["flags"][mode]
                    if flags:
                        column, count = max(flags.items(), key=lambda kv: kv[1])
                        worst = f"{count / sets:.2f} {column}"
                    else:
                        worst = "0.00"
                    parts.append(f"{rate:>5.2f} / {worst:<16}")
                seconds = time.perf_counter() - started
                print(f"{n_ref:>9,} {n_cur:>7,} " + " ".join(f"{p:>24}" for p in parts)
                      + f"  ({seconds:.0f} s)", flush=True)  # fmt: skip


def _shifted(rng: np.random.Generator, n: int, shift: bool, mean_sd: float) -> pa.Table:
    weights = _weights(5, True)
    if shift:
        weights = 0.7 * weights + 0.3 * weights[::-1]
    labels = np.array([f"v{i}" for i in range(5)])
    return pa.table(
        {
            "mean": rng.normal(10 + (mean_sd * 2 if shift else 0), 2, n),
            "spread": rng.normal(10, 2 * (1.5 if shift else 1), n),
            "mix": pa.array(labels[rng.choice(5, size=n, p=weights)]),
            "stable": rng.normal(0, 1, n),
        }
    )


def _print_power(sets: int) -> None:
    print(f"\nPower ({sets} sets each): share of sets in which each column is flagged")
    rng = np.random.default_rng(12)
    cases = [(100_000, 0.5, {}), (1_000_000, 0.05, {}), (1_000_000, 0.05,
             {"effect_threshold": 0.01})]  # fmt: skip
    for n, mean_sd, options in cases:
        found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for _ in range(sets):
            ref = _shifted(rng, n, False, mean_sd)
            cur = _shifted(rng, n, True, mean_sd)
            new = dp.compare(ref, cur, **options)
            old = dp.compare(ref, cur, rule="evidently")
            for rule, report in (("new", new), ("old", old)):
                for column in report.drifted_columns:
                    found[rule][column] += 1
        label = f"{n:,} + {n:,}, mean shift {mean_sd} sd" + (
            f", {options}" if options else ", defaults"
        )
        if n == 100_000:
            label = f"{n:,} + {n:,}: 0.5 sd mean, x1.5 spread, 30% mix, defaults"
        for rule in ("new", "old"):
            row = ", ".join(
                f"{c} {found[rule][c] / sets:.2f}" for c in ("mean", "spread", "mix", "stable")
            )
            print(f"  {label:<58} {rule}: {row}")


def _print_baseline_cost() -> None:
    import json

    print("\nBaseline cost per numeric column (lognormal), and the KS bound against raw data")
    print(f"{'n_ref':>10} {'quantile_grid':>14} {'JSON bytes':>11} {'CPU s (4 cols)':>15} "
          f"{'KS error_bound':>15}")  # fmt: skip
    rng = np.random.default_rng(0)
    current = {"x": rng.lognormal(size=5_000)}
    for n in (1_000, 10_000, 100_000, 1_000_000):
        data = {f"x{i}": rng.lognormal(size=n) for i in range(4)}
        for grid in (0, 500, 1_000):
            config = dp.ProfileConfig(quantile_grid=grid)
            start = time.process_time()
            saved = dp.profile(data, config=config)
            seconds = time.process_time() - start
            size = len(json.dumps(saved.columns["x0"].to_dict()))
            one = dp.baseline({"x": data["x0"]}, config=config)
            bound = dp.compare(one, current, test="ks").columns["x"].error_bound
            print(f"{n:>10,} {grid:>14} {size:>11,} {seconds:>15.3f} {bound:>15.5f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=50, help="A/A data sets per cell")
    parser.add_argument("--quick", action="store_true",
                        help="2 x 2 cells (500 and 100,000 x 300 and 5,000), 20 sets")  # fmt: skip
    parser.add_argument("--power-sets", type=int, default=5)
    parser.add_argument("--no-power", action="store_true")
    parser.add_argument("--no-grid", action="store_true")
    parser.add_argument("--baseline-cost", action="store_true",
                        help="only the baseline size and KS bound table")  # fmt: skip
    args = parser.parse_args()
    with open("/proc/cpuinfo") as handle:
        model = next((line.split(":", 1)[1].strip() for line in handle
                      if line.startswith("model name")), "unknown")  # fmt: skip
    print(f"CPU: {model} x {os.cpu_count()}; load average {os.getloadavg()}")
    sets = 20 if args.quick and args.sets == 50 else args.sets
    references = QUICK_REFERENCE if args.quick else N_REFERENCE
    currents = QUICK_CURRENT if args.quick else N_CURRENT
    if args.baseline_cost:
        _print_baseline_cost()
        return
    if not args.no_grid:
        _print_grid(sets, references, currents)
    if not args.no_power:
        _print_power(args.power_sets)
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
