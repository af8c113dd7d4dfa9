"""Monitor figures: a 30-day window from hourly buckets, and a 30-day hourly backfill.

Usage: python benchmarks/bench_monitor.py [--events 1000000] [--features 50] [--repeat 3]
       [--db URL] [--keep] [--batch 1000] [--profile] [--gc service|default]
       [--skip-uncompacted]

Setup (not timed, with progress bars): a SQLite database in a temporary folder (``--db
postgresql+psycopg://...`` uses a fresh schema of that PostgreSQL database instead, dropped at
the end), a binary model ``bench`` with ``--features`` features (80% numeric, 20%
categorical) and a baseline profiled from 20,000 reference rows (``driftpilot.baseline`` with
prediction and target), then ``--events`` events spread evenly over 30 days x 24 hourly
buckets, ingested through ``store.events.ingest`` in batches of ``--batch`` (each call builds
one partial profile per bucket it touches, as the service does), with labels for 90% of them
ingested after each batch. The window figures are taken on the partials as ingested, after
``store.profiles.compact()`` (one partial per bucket and kind), and after
``store.profiles.roll_up()`` (one row per ended day and kind besides): the last is what the
service's maintenance sweep leaves, and what the goal is measured on.

1. Merge and evaluate a 30-day window: ``evaluate(spec, store.source, Window(start, end))``
   with a monitor checking feature_drift, missing_values, out_of_range, unseen_categories and
   type_violations (profile-based only) against the baseline. Beside it: the merge alone
   (``store.profiles.window``), and the same 30 days shifted by 13 hours (29 whole days read
   as rollups, the hours of two part-days as partials). Goal <= 200 ms.
2. A 30-day backfill of hourly windows (720 windows) through ``Runner.backfill`` (leases, the
   run records and their check results written to the store), ``force=True``: (a) the profile
   checks above plus prediction_drift; (b) the same plus label-based checks (performance with
   fixed thresholds, an ADWIN detector), which read the raw events of the span once (their
   predictions, scores and labels: no check reads features). Goal <= 30 s.

Baseline in the same run: reading the same 30 days of events raw
(``store.source.window_events``: every payload parsed, joined with its label), which is what
a monitor without bucket profiles would have to do; beside it the same read without
features (``features=False``), which the label backfill does. Each figure is the best of
``--repeat``; the ratio to the raw read is what counts on this shared machine. The collector is
set as ``driftpilot serve`` sets it (``gc.freeze()``, thresholds 50,000/20/100) unless
``--gc default``. ``--profile`` prints a cProfile summary of each timed case.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import numpy as np
import pyarrow as pa
import sqlalchemy as sa
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

import driftpilot as dp
from driftpilot.monitor import Runner, evaluate
from driftpilot.monitor.spec import parse_monitors
from driftpilot.monitor.windows import Window
from driftpilot.store import Store, create_engine

console = Console(width=None if sys.stdout.isatty() else 150)

MODEL = "bench"
VERSION = "v1"
HOUR_US = 3_600_000_000
DAYS = 30
T0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
REFERENCE_ROWS = 20_000
LABEL_SHARE = 0.9
LABEL_DELAY_US = 2 * HOUR_US
DRIFT_DAY = 20  # from this day on, a few features shift (something for the checks to find)
GOAL_WINDOW_S = 0.200
GOAL_BACKFILL_S = 30.0

PROFILE_CHECKS: list[dict[str, Any]] = [
    {"type": "feature_drift"},
    {"type": "missing_values"},
    {"type": "out_of_range"},
    {"type": "unseen_categories"},
    {"type": "type_violations"},
]
LABEL_CHECKS: list[dict[str, Any]] = [
    {
        "type": "performance",
        "metrics": ["accuracy", "roc_auc"],
        "thresholds": {"accuracy": {"min": 0.6}, "roc_auc": {"min": 0.6}},
    },
    {"type": "detector", "method": "adwin"},
]


# --------------------------------------------------------------------------- synthetic data


class Generator:
    """Events of a binary classifier with ``n_num`` numeric and ``n_cat`` categorical features.

    Five numeric features miss 1% of their values; one categorical feature shows an unseen
    category in 0.1% of logged events; from ``DRIFT_DAY`` two numeric features shift by a
    quarter of a standard deviation and one categorical feature's mix moves. Scores are
    calibrated (labels are drawn from them).
    """

    def __init__(self, n_features: int, seed: int = 0) -> None:
        self.n_num = max(1, round(n_features * 0.8))
        self.n_cat = n_features - self.n_num
        self.num_names = [f"num_{j:02d}" for j in range(self.n_num)]
        self.cat_names = [f"cat_{j:02d}" for j in range(self.n_cat)]
        setup = np.random.default_rng(seed)
        self.mu = np.arange(self.n_num, dtype=np.float64)
        self.sd = 1.0 + np.arange(self.n_num) % 5
        self.levels = [np.array([f"c{j}_{v}" for v in range(3 + 2 * j)]) for j in range(self.n_cat)]
        self.probs = [setup.dirichlet(np.full(len(lv), 2.0)) for lv in self.levels]
        self.weights = setup.normal(0, 0.6, size=min(5, self.n_num))
        self.missing = list(range(min(5, self.n_num)))

    def columns(self, rng: np.random.Generator, n: int, drifted: np.ndarray, logged: bool) -> Any:
        """Return (numeric rows, categorical rows, score, label) for ``n`` rows."""
        z = rng.standard_normal((n, self.n_num))
        shift = np.zeros((n, self.n_num))
        shift[drifted, : min(2, self.n_num)] = 0.25
        num = ((z + shift) * self.sd + self.mu).round(4)
        k = len(self.weights)
        p = 1 / (1 + np.exp(-(z[:, :k] @ self.weights - 0.3)))
        label = (rng.random(n) < p).astype(np.int64)
        num_rows: list[list[Any]] = num.tolist()
        for j in self.missing:
            for i in np.flatnonzero(rng.random(n) < 0.01).tolist():
                num_rows[i][j] = None
        cat_cols = []
        for j, (levels, probs) in enumerate(zip(self.levels, self.probs, strict=True)):
            picks = rng.choice(len(levels), size=n, p=probs)
            if j == 0 and drifted.any():
                moved = rng.choice(len(levels), size=int(drifted.sum()), p=probs[::-1])
                picks[drifted] = moved
            values = levels[picks].astype(object)
            if logged and j == self.n_cat - 1:
                values[rng.random(n) < 0.001] = "unseen"
            cat_cols.append(values.tolist())
        cat_rows = list(zip(*cat_cols, strict=True)) if cat_cols else [()] * n
        return num_rows, cat_rows, p, label

    def reference(self, rng: np.random.Generator, n: int) -> pa.Table:
        """The baseline's reference rows: features, prediction and target."""
        num_rows, cat_rows, p, label = self.columns(rng, n, np.zeros(n, dtype=bool), False)
        data: dict[str, Any] = {}
        for j, name in enumerate(self.num_names):
            data[name] = pa.array([row[j] for row in num_rows], pa.float64())
        for j, name in enumerate(self.cat_names):
            data[name] = pa.array([row[j] for row in cat_rows], pa.string())
        data["prediction"] = pa.array((p >= 0.5).astype(np.int64))
        data["label"] = pa.array(label)
        return pa.table(data)

    def batch(
        self, rng: np.random.Generator, first: int, ts: np.ndarray
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Events ``first ...`` at times ``ts`` (µs), and the labels of 90% of them."""
        n = len(ts)
        drifted = ts >= T0 + DRIFT_DAY * 24 * HOUR_US
        num_rows, cat_rows, p, label = self.columns(rng, n, drifted, True)
        iso = _iso(ts)
        label_iso = _iso(ts + LABEL_DELAY_US)
        latency = rng.exponential(3.0, n).round(3).tolist()
        labelled = (rng.random(n) < LABEL_SHARE).tolist()
        regions = np.array(["north", "south", "east", "west"])[rng.integers(0, 4, n)].tolist()
        scores = p.round(6).tolist()
        predictions = (p >= 0.5).astype(np.int64).tolist()
        labels_list = label.tolist()
        events, labels = [], []
        num_names, cat_names = self.num_names, self.cat_names
        for i in range(n):
            event_id = f"00000000-0000-4000-8000-{first + i:012x}"  # counting, like the SDK's
            features = dict(zip(num_names, num_rows[i], strict=True))
            features.update(zip(cat_names, cat_rows[i], strict=True))
            events.append(
                {
                    "event_id": event_id, "timestamp": iso[i], "model_version": VERSION,
                    "features": features, "prediction": predictions[i],
                    "scores": {"1": scores[i]}, "latency_ms": latency[i],
                    "segment": {"region": regions[i]},
                }
            )  # fmt: skip
            if labelled[i]:
                labels.append(
                    {"event_id": event_id, "value": labels_list[i], "timestamp": label_iso[i]}
                )
        return events, labels


def _iso(ts: np.ndarray) -> list[str]:
    text = np.datetime_as_string(ts.astype("datetime64[us]"), unit="us")
    return [f"{t}+00:00" for t in text.tolist()]


def event_times(n_events: int, rng: np.random.Generator) -> np.ndarray:
    """``n_events`` sorted times spread evenly over ``DAYS`` x 24 hours from ``T0``."""
    hours = DAYS * 24
    per_hour = np.full(hours, n_events // hours)
    per_hour[: n_events % hours] += 1
    hour = np.repeat(np.arange(hours), per_hour)
    offsets = rng.integers(0, HOUR_US, size=n_events)
    ts = T0 + hour * HOUR_US + offsets
    return np.sort(ts)


# --------------------------------------------------------------------------- database


@contextmanager
def database(url: str | None, keep: bool) -> Iterator[str]:
    """Yield a database URL: a SQLite file in a temporary folder, or a fresh PostgreSQL schema."""
    if url is None or url.startswith("sqlite"):
        folder = tempfile.mkdtemp(prefix="bench_monitor_")
        try:
            yield url or f"sqlite:///{folder}/driftpilot.db"
        finally:
            if keep:
                console.print(f"kept the database in {folder}")
            else:
                shutil.rmtree(folder, ignore_errors=True)
        return
    schema = f"dp_bench_monitor_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options={quote(f'-csearch_path={schema}')}"
    finally:
        if keep:
            console.print(f"kept PostgreSQL schema {schema}")
        else:
            with admin.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(), console=console,
    )  # fmt: skip


def setup(store: Store, args: argparse.Namespace) -> dict[str, float]:
    """Create the model, its baseline and the events; return setup facts."""
    facts: dict[str, float] = {}
    rng = np.random.default_rng(0)
    generator = Generator(args.features)
    store.upgrade()
    store.models.create_model(MODEL, "binary")
    store.models.create_version(MODEL, VERSION)
    began = time.perf_counter()
    reference = generator.reference(rng, REFERENCE_ROWS)
    baseline = dp.baseline(reference, target="label", prediction="prediction",
                           performance={"validation_accuracy": 0.7})  # fmt: skip
    store.models.put_baseline(MODEL, VERSION, baseline)
    facts["baseline_s"] = time.perf_counter() - began
    ts = event_times(args.events, rng)
    stored = labelled = 0
    began = time.perf_counter()
    ingest_s = 0.0
    with _progress() as progress:
        task = progress.add_task("ingest events + labels", total=args.events)
        for first in range(0, args.events, args.batch):
            events, labels = generator.batch(rng, first, ts[first : first + args.batch])
            tick = time.perf_counter()
            result = store.events.ingest(MODEL, events)
            joined = store.labels.ingest(MODEL, labels)
            ingest_s += time.perf_counter() - tick
            stored += result.stored
            labelled += joined.joined
            progress.advance(task, len(events))
    facts["setup_s"] = time.perf_counter() - began
    facts["ingest_rate"] = stored / ingest_s
    facts["stored"] = stored
    facts["labelled"] = labelled
    if stored != args.events or result.rejected:
        raise SystemExit(f"stored {stored} of {args.events} events")
    return facts


# --------------------------------------------------------------------------- timing


class Case:
    """One timed case: best of ``repeat``, with a check of its result."""

    def __init__(self, name: str, run: Callable[[], Any], check: Callable[[Any], str]) -> None:
        self.name, self.run, self.check = name, run, check
        self.best = float("inf")
        self.note = ""
        self.rss_before = 0.0

    def measure(self, repeat: int, profile: bool) -> float:
        for _ in range(repeat):
            gc.collect()
            self.rss_before = _rss_mib()
            tick = time.perf_counter()
            out = self.run()
            elapsed = time.perf_counter() - tick
            self.best = min(self.best, elapsed)
            self.note = self.check(out)
            del out
        if profile:
            self.profile()
        return self.best

    def profile(self) -> None:
        gc.collect()
        profiler = cProfile.Profile()
        profiler.enable()
        out = self.run()
        profiler.disable()
        del out
        stats = pstats.Stats(profiler)
        stats.strip_dirs()
        total = stats.total_tt  # type: ignore[attr-defined]
        console.print(f"[bold]cProfile of {self.name}[/bold]: {total:.2f} s under the profiler")
        for order, limit, title in (
            ("tottime", 15, "own time"),
            ("cumulative", 25, "cumulative time, driftpilot and database calls"),
        ):
            text = io.StringIO()
            stats.stream = text  # type: ignore[attr-defined]
            restrict: tuple[Any, ...] = (limit,)
            if order == "cumulative":
                restrict = (r"\.py:\d+\((?!<)|commit|execute", limit)
            stats.sort_stats(order).print_stats(*restrict)
            lines = text.getvalue().splitlines()
            head = next(i for i, line in enumerate(lines) if "ncalls" in line)
            console.print(f"  by {title}:")
            body = [line for line in lines[head:] if line.strip()]
            console.print("\n".join(body), markup=False, highlight=False, soft_wrap=True)


def _rss_mib() -> float:
    """The process's resident memory now (Linux), else its peak."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1_000, help="events per ingest call")
    parser.add_argument("--db", default=None, help="a database URL (default: SQLite in a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the database to inspect")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of each case")
    parser.add_argument("--gc", choices=("service", "default"), default="service")
    parser.add_argument("--skip-uncompacted", action="store_true")
    args = parser.parse_args()
    if args.features < 2:
        parser.error("--features must be at least 2")

    with database(args.db, args.keep) as url:
        store = Store(create_engine(url))
        backend = store.engine.dialect.name
        console.print(
            f"[bold]bench_monitor[/bold]: {args.events:,} events, {args.features} features, "
            f"{DAYS} days of hourly buckets, {backend}, best of {args.repeat}, "
            f"pid {os.getpid()}, load {os.getloadavg()[0]:.1f}"
        )
        if args.gc == "service":
            gc.freeze()
            gc.set_threshold(50_000, 20, 100)
        facts = setup(store, args)
        console.print(
            f"setup: {facts['stored']:,.0f} events ({facts['labelled']:,.0f} labelled) in "
            f"{facts['setup_s']:.0f} s, ingest {facts['ingest_rate']:,.0f} events/s "
            f"(events + labels calls only); baseline {facts['baseline_s']:.1f} s"
        )
        rows = run_figures(store, args)
        print_table(rows, args)
        store.close()
    gc.unfreeze()  # let the interpreter free everything at exit


Row = tuple[str, float, float | None, str]


def run_figures(store: Store, args: argparse.Namespace) -> list[Row]:
    start, end = T0, T0 + DAYS * 24 * HOUR_US
    window = Window(start, end)
    month = parse_monitors({
        "name": "bench-30d", "model": MODEL, "window": {"size": "30d", "every": "30d"},
        "checks": PROFILE_CHECKS,
    })[0]  # fmt: skip
    hourly = parse_monitors({
        "name": "bench-hourly", "model": MODEL, "window": {"size": "1h", "every": "1h"},
        "checks": [*PROFILE_CHECKS, {"type": "prediction_drift"}],
    })[0]  # fmt: skip
    hourly_labels = parse_monitors({
        "name": "bench-hourly-labels", "model": MODEL, "window": {"size": "1h", "every": "1h"},
        "checks": [*PROFILE_CHECKS, {"type": "prediction_drift"}, *LABEL_CHECKS],
    })[0]  # fmt: skip
    for spec in (month, hourly, hourly_labels):
        store.monitors.put(spec.name, model=MODEL, definition=spec.to_dict(), origin="api")
    runner = Runner(store.source, store.runs)

    def merge() -> Any:
        return store.profiles.window(MODEL, start=start, end=end)

    def merged(w: Any) -> str:
        assert w.n_events == args.events, w.n_events
        return (f"{w.n_partials} partials, {w.n_rollups} daily rollups read for them, "
                f"{w.n_events:,} events, {w.n_labels:,} labels")  # fmt: skip

    def month_eval() -> Any:
        return evaluate(month, store.source, window)

    shifted = Window(start + 13 * HOUR_US, end + 13 * HOUR_US)  # 29 whole days and 2 part-days

    def shifted_eval() -> Any:
        return evaluate(month, store.source, shifted)

    def report_note(report: Any) -> str:
        expected = args.events if report.window_start == start else None
        assert expected is None or report.n_events == expected, report.n_events
        flagged = sorted({(r.check, r.feature) for r in report.results if r.severity != "none"})
        return f"{len(report.results)} results, {len(flagged)} flagged"

    def raw() -> Any:
        return store.source.window_events(MODEL, start=start, end=end)

    def raw_note(events: Any) -> str:
        assert len(events) == args.events, len(events)
        held = _rss_mib() - raw_case.rss_before
        return f"{len(events):,} events, holding them takes {held:,.0f} MiB"

    def raw_light() -> Any:
        return store.source.window_events(MODEL, start=start, end=end, features=False)

    def raw_light_note(events: Any) -> str:
        assert len(events) == args.events, len(events)
        return f"{len(events):,} events: predictions, scores and labels"

    def backfill(spec: Any) -> Callable[[], Any]:
        def run() -> Any:
            return runner.backfill(spec, start, end, force=True)

        return run

    def backfill_note(outcomes: Any) -> str:
        assert len(outcomes) == DAYS * 24, len(outcomes)
        assert all(o.status in ("ran", "revised") for o in outcomes)
        n = sum(o.report.n_events for o in outcomes)
        assert n == args.events, n
        flagged = sum(o.report.severity != "none" for o in outcomes)
        return f"{len(outcomes)} windows, {flagged} flagged"

    rows: list[Row] = []

    def measure(case: Case, goal: float | None, repeat: int) -> None:
        with console.status(f"timing {case.name} (best of {repeat})"):
            case.measure(repeat, args.profile)
        rows.append((case.name, case.best, goal, case.note))
        console.print(f"  {case.name}: {case.best:.3f} s ({case.note})")

    if not args.skip_uncompacted:
        measure(Case("30-day window: merge + evaluate (not compacted)", month_eval,
                     report_note), GOAL_WINDOW_S, args.repeat)  # fmt: skip
        measure(Case("30-day window: merge only (not compacted)", merge, merged),
                None, args.repeat)  # fmt: skip
    with console.status("compacting partials"):
        tick = time.perf_counter()
        removed = store.profiles.compact()
    console.print(f"compaction removed {removed:,} partials in {time.perf_counter() - tick:.1f} s")
    measure(Case("30-day window: merge + evaluate (hourly partials, no rollups)", month_eval,
                 report_note), GOAL_WINDOW_S, args.repeat)  # fmt: skip
    with console.status("rolling up days"):
        tick = time.perf_counter()
        rolled = store.profiles.roll_up()
    console.print(f"roll-up wrote {rolled:,} daily rollups in {time.perf_counter() - tick:.1f} s")
    measure(Case("30-day window: merge + evaluate", month_eval, report_note), GOAL_WINDOW_S,
            args.repeat)  # fmt: skip
    measure(Case("30-day window: merge only", merge, merged), None, args.repeat)
    measure(Case("30-day window ending 13:00: merge + evaluate", shifted_eval, report_note),
            GOAL_WINDOW_S, args.repeat)  # fmt: skip
    measure(Case("30-day hourly backfill: profile checks",
                 backfill(hourly), backfill_note), GOAL_BACKFILL_S, args.repeat)  # fmt: skip
    measure(Case("30-day hourly backfill: + label checks",
                 backfill(hourly_labels), backfill_note), GOAL_BACKFILL_S, args.repeat)  # fmt: skip
    measure(Case("read of the 30 days without features (a label backfill's preload)",
                 raw_light, raw_light_note), None, args.repeat)  # fmt: skip
    raw_case = Case("raw read of the 30 days", raw, raw_note)
    measure(raw_case, None, args.repeat)
    return rows


def print_table(rows: list[Row], args: argparse.Namespace) -> None:
    raw = rows[-1][1]
    table = Table(title=f"bench_monitor: {args.events:,} events, {args.features} features, "
                  f"best of {args.repeat}")  # fmt: skip
    table.add_column("figure")
    table.add_column("time", justify="right")
    table.add_column("goal", justify="right")
    table.add_column("met?", justify="center")
    table.add_column("/ raw read", justify="right")
    table.add_column("detail")
    for name, seconds, goal, note in rows:
        shown = f"{seconds * 1000:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"
        goal_text = "" if goal is None else (f"≤ {goal * 1000:.0f} ms" if goal < 1 else
                                             f"≤ {goal:.0f} s")  # fmt: skip
        met = "" if goal is None else ("[green]yes[/green]" if seconds <= goal else "[red]no[/red]")
        table.add_row(name, shown, goal_text, met, f"{seconds / raw:.3f}", note)
    console.print(table)


if __name__ == "__main__":
    main()
