"""The monitoring part of ``driftpilot demo``: four days of traffic, one monitor, a backfill.

It logs the simulated history of a second model (``driftpilot.datasets.make_traffic``: a feed
that breaks for three hours, an input drift, then a change in how outcomes relate to inputs,
each from a known hour) through the HTTP API, puts an hourly monitor through the API, runs
the backfill, and prints the windows where data quality, drift and performance findings
appeared, with the estimated (label-free) and the realized accuracy side by side.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pyarrow as pa
from rich.console import Console
from rich.table import Table

__all__ = ["run_monitor_demo"]

MODEL = "loan-monitor"
_KINDS = {"quality": "data quality", "drift": "drift", "performance": "performance"}
_INCIDENTS = {"missing": 58, "drift": 66, "concept": 80}


def _hour(iso: str) -> str:
    return iso[5:16].replace("T", " ")


def _findings(outcome: dict[str, Any]) -> str:
    found: dict[str, set[str]] = {}
    for result in outcome["flagged"]:
        kind = _KINDS.get(result["kind"], result["kind"])
        found.setdefault(kind, set()).add(result["feature"] or result["metric"])
    return "; ".join(f"{k}: {', '.join(sorted(v))}" for k, v in sorted(found.items())) or "ok"


def run_monitor_demo(api: httpx.Client, console: Console, *, step: int) -> None:
    """Log the history, monitor it, and print what was found (see the module docstring)."""
    import driftpilot as dp
    from driftpilot.datasets import make_traffic

    traffic = make_traffic(
        hours=96, per_hour=300, reference_hours=48, seed=7, missing_at=_INCIDENTS["missing"],
        missing_hours=3, drift_at=_INCIDENTS["drift"], concept_at=_INCIDENTS["concept"],
    )  # fmt: skip
    if api.get(f"/v1/models/{MODEL}").status_code == 200:
        api.delete(f"/v1/models/{MODEL}", params={"confirm": MODEL}).raise_for_status()
    api.post("/v1/models", json={"name": MODEL, "task": "binary"}).raise_for_status()
    api.post(f"/v1/models/{MODEL}/versions", json={"version": "v1"}).raise_for_status()
    reference = traffic.events[: traffic.reference_hours * traffic.per_hour]
    truth = {label["event_id"]: label["value"] for label in traffic.labels}
    names = list(reference[0]["features"])  # type: ignore[call-overload]
    table = pa.table({**{n: [e["features"][n] for e in reference] for n in names},  # type: ignore[index]
                      "prediction": [e["prediction"] for e in reference],
                      "label": [truth.get(str(e["event_id"])) for e in reference]})  # fmt: skip
    api.put(f"/v1/models/{MODEL}/versions/v1/baseline",
            content=dp.baseline(table, target="label", prediction="prediction").to_json(),
            headers={"content-type": "application/json"}).raise_for_status()  # fmt: skip
    for kind, items in (("events", traffic.events), ("labels", traffic.labels)):
        for i in range(0, len(items), 10_000):
            api.post(f"/v1/models/{MODEL}/{kind}",
                     json={kind: items[i : i + 10_000]}).raise_for_status()  # fmt: skip
    console.print(
        f"{step}. Logged 4 days of hourly traffic of model [bold]{MODEL}[/] "
        f"({len(traffic.events):,} predictions, {len(traffic.labels):,} labels two hours late): "
        f"the income feed breaks at hour {_INCIDENTS['missing']} for 3 hours, inputs drift from "
        f"hour {_INCIDENTS['drift']}, outcomes change from hour {_INCIDENTS['concept']}"
    )
    monitor = {
        "model": MODEL, "window": {"size": "1h"},
        "reference": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-03T00:00:00Z"},
        "checks": [
            {"type": "feature_drift"}, {"type": "missing_values"}, {"type": "type_violations"},
            {"type": "performance", "metrics": ["accuracy"], "severity": "critical"},
            {"type": "estimated_performance", "metrics": ["accuracy"]},
        ],
        "slos": [{"name": "accuracy-95", "metric": "accuracy", "objective": ">= 0.6",
                  "target": 0.95, "period": "2d", "short_period": "6h"}],
    }  # fmt: skip
    api.put(f"/v1/monitors/{MODEL}-hourly", json=monitor).raise_for_status()
    started = time.perf_counter()
    answer = api.post(f"/v1/monitors/{MODEL}-hourly/backfill", timeout=300, params={
        "start": "2026-01-03T00:00:00Z", "end": "2026-01-05T00:00:00Z", "force": True})  # fmt: skip
    answer.raise_for_status()
    outcomes = answer.json()["items"]
    console.print(f"{step + 1}. Backfilled {len(outcomes)} hourly windows with the monitor API "
                  f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    _print_findings(api, console, outcomes)
    slo = api.get(f"/v1/monitors/{MODEL}-hourly/slos",
                  params={"at": "2026-01-05T00:00:00Z"}).json()["items"][0]  # fmt: skip
    console.print(
        f"{step + 2}. SLO '{slo['name']}' (accuracy {slo['objective']} in "
        f"{slo['target']:.0%} of hourly windows over 2 days): {slo['status'].upper()}, "
        f"{slo['attained']:.0%} attained, burn rate {slo['burn_rate']:.1f} "
        f"(last 6 hours {slo['short_burn_rate']:.1f})"
    )


def _print_findings(api: httpx.Client, console: Console, outcomes: list[dict[str, Any]]) -> None:
    series: dict[str, dict[str, Any]] = {}
    for check in ("performance", "estimated_performance"):
        params = {"metric": "accuracy", "check": check}
        points = api.get(f"/v1/models/{MODEL}/series", params=params).json()["points"]
        series[check] = {p["window_start"]: p for p in points}
    rows: list[list[Any]] = []
    for outcome in outcomes:
        text = _findings(outcome)
        start = outcome["window_start"]
        if rows and rows[-1][2] == text:
            rows[-1][1] = outcome["window_end"]
            rows[-1][3].append(start)
        else:
            rows.append([start, outcome["window_end"], text, [start]])
    table = Table(title="Monitored windows (consecutive windows with the same findings merged)",
                  title_justify="left")  # fmt: skip
    for column in ("from", "to", "findings", "estimated accuracy", "realized accuracy"):
        table.add_column(column, justify="right" if "accuracy" in column else "left")
    for first, last, text, starts in rows:

        def mean(check: str, starts: list[str] = starts) -> str:
            values = [series[check][s]["value"] for s in starts
                      if s in series[check] and series[check][s]["value"] is not None]  # fmt: skip
            return f"{sum(values) / len(values):.3f}" if values else "-"

        colour = "green" if text == "ok" else ("bold red" if "performance" in text else "yellow")
        table.add_row(_hour(first), _hour(last), f"[{colour}]{text}[/]",
                      mean("estimated_performance"), mean("performance"))  # fmt: skip
    console.print(table)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for name, hour in _INCIDENTS.items():
        kind = {"missing": "quality", "drift": "drift", "concept": "performance"}[name]
        first = next((o["window_start"] for o in outcomes
                      if any(f["kind"] == kind for f in o["flagged"])), None)  # fmt: skip
        injected = datetime.fromtimestamp(start.timestamp() + hour * 3600, tz=UTC)
        console.print(f"   {name:>8}: injected {injected:%m-%d %H:%M}, first flagged "
                      f"{_hour(first) if first else 'never'}")  # fmt: skip
