"""Issue 5's alerting figures: one monitor cycle of rules for 1,000 models, and a /metrics scrape.

Usage: python benchmarks/bench_alerts.py [--models 1000] [--features 50] [--series 50000]

1. Rules and dedup for ``--models`` models x ``--features`` features in one monitor cycle:
   every model's report (``--features`` drift results, a third of them flagged, plus an
   accuracy) goes through three rules (all drifted features in one alert; one alert per
   drifted feature; drift AND an accuracy drop), with the open alerts of the previous cycle.
   Timed: the engine alone (``engine.step``, in memory: the rule evaluation and dedup the goal
   is about), and the full manager on SQLite (read open alerts, save transitions, queue
   notifications). Beside them, in the same run: serializing the same reports to JSON (a
   floor for touching every result once).
2. A ``/metrics`` scrape with about ``--series`` store series: newest results of monitors
   recorded in SQLite, exported by the service's collector. Beside it: prometheus_client's
   own ``generate_latest`` of as many plain gauge samples built in memory.

Best of ``--repeat`` runs; the machine is shared, so read the ratios. Goals (issue 5): rules
and dedup ≤ 1 s; scrape ≤ 500 ms.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from driftpilot.alerts.engine import AlertState, step
from driftpilot.alerts.manager import AlertManager
from driftpilot.monitor import CheckResult, MonitorReport, parse_monitors
from driftpilot.monitor.spec import MonitorSpec
from driftpilot.store import Store

HOUR = 3_600_000_000
T0 = 1_767_225_600_000_000
RULES = [
    {"name": "drift", "when": {"kind": "drift"}, "tier": "warning"},
    {"name": "drift-per-feature", "when": {"kind": "drift"}, "group_by": ["feature"]},
    {"name": "drift-and-drop", "tier": "critical", "when": {"all": [
        {"kind": "drift"}, {"metric": "accuracy", "op": "<", "value": 0.8}]}},
]  # fmt: skip


def _best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def _report(model: int, features: int, cycle: int) -> MonitorReport:
    results = [
        CheckResult(check="feature_drift", kind="drift", metric="psi", feature=f"f{j}",
                    value=0.3 if (j + cycle) % 3 == 0 else 0.02,
                    severity="warning" if (j + cycle) % 3 == 0 else "none", upper=0.1)
        for j in range(features)
    ]  # fmt: skip
    results.append(CheckResult(check="performance", kind="performance", metric="accuracy",
                               value=0.7 + 0.2 * (model % 2), severity="none"))  # fmt: skip
    return MonitorReport(monitor=f"m{model}", model=f"model{model}",
                         window_start=T0 + cycle * HOUR, window_end=T0 + (cycle + 1) * HOUR,
                         reference={}, revision=1, evaluated_at=0, n_events=1000, n_labels=0,
                         results=results)  # fmt: skip


def _spec(model: int) -> MonitorSpec:
    return parse_monitors({"name": f"m{model}", "model": f"model{model}", "alerts": RULES})[0]


def _engine_cycle(specs: list[MonitorSpec], reports: list[MonitorReport],
                  state: dict[tuple[str, str], dict[str, AlertState]]) -> int:  # fmt: skip
    """One cycle; ``state`` holds the open alerts by (monitor, rule), as the store's index."""
    changes = 0
    for spec, report in zip(specs, reports, strict=True):
        for rule in spec.alerts:
            alerts = state.setdefault((spec.name, rule.name), {})
            for transition in step(rule, report, list(alerts.values()), now=report.window_end):
                alert = transition.alert
                if alert.id is None:
                    alert = replace(alert, id=changes + 1)
                alerts[alert.dedup_key] = alert
                changes += 1
    return changes


def rules_figures(models: int, features: int, repeat: int, table: Table, folder: Path) -> None:
    specs = [_spec(i) for i in range(models)]
    first = [_report(i, features, 0) for i in range(models)]
    second = [_report(i, features, 1) for i in range(models)]
    state: dict[tuple[str, str], dict[str, AlertState]] = {}
    _engine_cycle(specs, first, state)  # the open alerts a cycle starts from
    engine = _best(
        lambda: _engine_cycle(specs, second, {k: dict(v) for k, v in state.items()}), repeat
    )
    floor = _best(lambda: [json.dumps(r.to_dict()) for r in second], repeat)
    table.add_row(f"rules + dedup, {models:,} models x {features} features (engine)",
                  f"{engine * 1000:,.0f} ms", "≤ 1,000 ms", "yes" if engine <= 1 else "NO",
                  f"{engine / floor:.2f}x JSON of the reports")  # fmt: skip
    store = Store.from_url(f"sqlite:///{folder / 'alerts.db'}", sqlite_synchronous="NORMAL")
    store.upgrade()
    for i in range(models):
        store.models.create_model(f"model{i}", "binary")
    clock = iter(range(T0, T0 + 10**12, 1000))
    manager = AlertManager(store.alerts, clock=lambda: next(clock))
    for spec, report in zip(specs, first, strict=True):
        manager.process(spec, report)
    start = time.perf_counter()
    for spec, report in zip(specs, second, strict=True):
        manager.process(spec, report)
    full = time.perf_counter() - start
    table.add_row("same cycle through the alert manager on SQLite (once)",
                  f"{full * 1000:,.0f} ms", "", "",
                  f"{full / floor:.2f}x JSON of the reports")  # fmt: skip
    store.close()


def scrape_figures(series: int, repeat: int, table: Table, folder: Path) -> None:
    from prometheus_client import CollectorRegistry, Gauge, generate_latest

    from driftpilot.server.metrics import ServiceMetrics

    store = Store.from_url(f"sqlite:///{folder / 'metrics.db'}", sqlite_synchronous="NORMAL")
    store.upgrade()
    features = 50
    per_result = 2  # feature_psi and drift_detected
    monitors = max(1, series // (features * per_result))
    with Progress(transient=True) as progress:
        task = progress.add_task("recording monitor results", total=monitors)
        for i in range(monitors):
            store.models.create_model(f"model{i}", "binary")
            store.monitors.put(f"m{i}", model=f"model{i}", origin="api",
                               definition=_spec(i).to_dict())  # fmt: skip
            store.runs.record(_report(i, features, 0))
            progress.advance(task)
    metrics = ServiceMetrics(store, process=False)
    text = metrics.exposition()
    lines = sum(1 for line in text.splitlines() if line and not line.startswith(b"#"))
    scrape = _best(metrics.exposition, repeat)
    registry = CollectorRegistry()
    gauge = Gauge("bench_series", "plain gauge samples", ("model", "feature"), registry=registry)
    for i in range(monitors):
        for j in range(features * per_result):
            gauge.labels(f"model{i}", f"f{j}").set(0.1)
    plain = _best(lambda: generate_latest(registry), repeat)
    table.add_row(f"/metrics scrape, {lines:,} series from the store", f"{scrape * 1000:,.0f} ms",
                  "≤ 500 ms", "yes" if scrape <= 0.5 else "NO",
                  f"{scrape / plain:.2f}x generate_latest of {monitors * features * per_result:,}"
                  " in-memory gauges")  # fmt: skip
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--series", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    table = Table(title="bench_alerts", title_justify="left")
    for column in ("figure", "time", "goal", "met", "beside it"):
        table.add_column(column)
    with tempfile.TemporaryDirectory() as folder:
        rules_figures(args.models, args.features, args.repeat, table, Path(folder))
        scrape_figures(args.series, args.repeat, table, Path(folder))
    Console().print(table)


if __name__ == "__main__":
    main()
