"""The monitoring part of ``driftpilot demo``: four days of traffic, one monitor, a backfill.

It logs the simulated history of a second model (``driftpilot.datasets.make_traffic``: a feed
that breaks for three hours, an input drift, then a change in how outcomes relate to inputs,
each from a known hour) through the HTTP API, puts an hourly monitor through the API, runs
the backfill, and prints the windows where data quality, drift and performance findings
appeared, with the estimated (label-free) and the realized accuracy side by side.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["Receiver", "run_monitor_demo", "write_alerting"]

MODEL = "loan-monitor"
_KINDS = {"quality": "data quality", "drift": "drift", "performance": "performance"}
_INCIDENTS = {"missing": 58, "drift": 66, "concept": 80}


_SECRET = "demo-signing-secret"


class Receiver:
    """A webhook receiver on loopback: keeps every CloudEvent it gets, checks signatures."""

    def __init__(self) -> None:
        from driftpilot.alerts.channels.webhook import verify_signature

        self.events: list[dict[str, Any]] = []
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                ok = verify_signature(_SECRET, self.headers["x-driftpilot-timestamp"], body,
                                      self.headers["x-driftpilot-signature"])  # fmt: skip
                if ok:
                    receiver.events.append(json.loads(body))
                else:
                    receiver.bad_signatures += 1
                self.send_response(204 if ok else 401)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                del args

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()


def write_alerting(folder: Path, url: str) -> Path:
    """Write the demo's alerting file: every notification to the local receiver, signed."""
    path = folder / "alerting.yaml"
    path.write_text(
        f"channels:\n  demo-hook: {{type: webhook, url: '{url}', secret: '{_SECRET}'}}\n"
        "routes:\n  - {match: {}, channels: [demo-hook]}\n",
        encoding="utf-8",
    )
    return path


def _hour(iso: str) -> str:
    return iso[5:16].replace("T", " ")


def _findings(outcome: dict[str, Any]) -> str:
    found: dict[str, set[str]] = {}
    for result in outcome["flagged"]:
        kind = _KINDS.get(result["kind"], result["kind"])
        found.setdefault(kind, set()).add(result["feature"] or result["metric"])
    return "; ".join(f"{k}: {', '.join(sorted(v))}" for k, v in sorted(found.items())) or "ok"


def run_monitor_demo(
    api: httpx.Client, console: Console, *, step: int, receiver: Receiver | None = None
) -> None:
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
        "alerts": [
            {"name": "input-drift", "when": {"check": "feature_drift"}, "tier": "warning"},
            {"name": "broken-feed", "when": {"check": "missing_values"}, "tier": "critical"},
            {"name": "accuracy-drop", "when": {"check": "performance", "severity": "critical"},
             "tier": "critical", "for": 2, "clear": 3},
        ],
        "slos": [{"name": "accuracy-95", "metric": "accuracy", "objective": ">= 0.6",
                  "target": 0.95, "period": "2d", "short_period": "6h"}],
    }  # fmt: skip
    api.put(f"/v1/monitors/{MODEL}-hourly", json=monitor).raise_for_status()
    started = time.perf_counter()
    answer = api.post(f"/v1/monitors/{MODEL}-hourly/backfill", timeout=300, params={
        "start": "2026-01-03T00:00:00Z", "end": "2026-01-05T00:00:00Z", "force": True,
        "notify": True})  # fmt: skip
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
    if receiver is not None:
        flagged = sum(1 for o in outcomes if o["flagged"])
        _print_alerts(api, console, receiver, step=step + 3, flagged=flagged)


def _print_alerts(
    api: httpx.Client, console: Console, receiver: Receiver, *, step: int, flagged: int
) -> None:
    alerts = api.get("/v1/alerts", params={"model": MODEL, "limit": 100}).json()
    expected = len(api.get("/v1/notifications", params={"limit": 1000}).json()["items"])
    deadline = time.monotonic() + 20
    while len(receiver.events) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    table = Table(title=f"Notifications the local webhook received (signed CloudEvents), "
                        f"from {len(alerts['items'])} alerts", title_justify="left")  # fmt: skip
    for column in ("type", "alert", "window", "findings"):
        table.add_column(column)
    for event in receiver.events:
        data = event["data"]
        names = sorted({f["feature"] or f["metric"] for f in data["findings"]})
        table.add_row(event["type"].rsplit(".", 1)[-1], escape(f"[{data['tier']}] {data['rule']}"),
                      _hour(data["window"]["start"].replace("Z", "")),
                      ", ".join(names))  # fmt: skip
    console.print(f"{step}. {flagged} windows with findings became {len(receiver.events)} "
                  "notifications: one problem, one alert")  # fmt: skip
    console.print(table)
    metrics = api.get("/metrics").text
    lines = [line for line in metrics.splitlines()
             if line.startswith("driftpilot_feature_psi{") and MODEL in line]  # fmt: skip
    console.print(f"{step + 1}. /metrics carries the drift scores for Prometheus "
                  f"({len(metrics.splitlines()):,} lines), e.g.:")  # fmt: skip
    for line in lines[:4]:
        console.print(f"   {line}", markup=False, highlight=False, soft_wrap=True)


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
