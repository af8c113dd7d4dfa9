"""Data for the dashboard's browser tests and screenshots, logged through the HTTP API.

``seed(client)`` logs three days of simulated traffic of model ``loans`` (inputs drift from
hour 54), labels included, and backfills an hourly monitor with drift, quality and realized
and estimated performance checks, whose drift alert fires; model ``churn`` gets the same
traffic without a drift, and ``extra`` more models are created empty, so the fleet has rows of
every kind.
"""

from __future__ import annotations

from typing import Any

import httpx

from driftpilot.datasets import make_traffic

__all__ = ["MONITOR", "seed"]

MONITOR: dict[str, Any] = {
    "window": {"size": "1h"},
    "reference": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T12:00:00Z"},
    "checks": [
        {"type": "feature_drift", "min_events": 50},
        {"type": "missing_values"},
        {"type": "performance", "metrics": ["accuracy"]},
        {"type": "estimated_performance", "metrics": ["accuracy"]},
    ],
    "alerts": [{"name": "input-drift", "when": {"check": "feature_drift"}, "tier": "critical"}],
}


def _log(client: httpx.Client, model: str, drift_at: int | None, seed: int, start: str) -> None:
    traffic = make_traffic(hours=72, per_hour=60, reference_hours=36, drift_at=drift_at,
                           seed=seed)  # fmt: skip
    client.post("/v1/models", json={"name": model, "task": "binary"}).raise_for_status()
    for i in range(0, len(traffic.events), 5000):
        batch = traffic.events[i : i + 5000]
        client.post(f"/v1/models/{model}/events", json={"events": batch}).raise_for_status()
    for i in range(0, len(traffic.labels), 5000):
        batch = traffic.labels[i : i + 5000]
        client.post(f"/v1/models/{model}/labels", json={"labels": batch}).raise_for_status()
    name = f"{model}-hourly"
    client.put(f"/v1/monitors/{name}", json={"model": model, **MONITOR}).raise_for_status()
    client.post(f"/v1/monitors/{name}/backfill", params={
        "start": start, "end": "2026-01-04T00:00:00Z", "notify": True,
    }).raise_for_status()  # fmt: skip


def seed(client: httpx.Client, *, extra: int = 12) -> None:
    """Log the models' traffic and run their monitors (``client`` has an admin key)."""
    _log(client, "loans", 54, 5, "2026-01-02T12:00:00Z")
    _log(client, "churn", None, 6, "2026-01-03T12:00:00Z")  # the last 12 hours
    for i in range(extra):
        client.post("/v1/models", json={"name": f"model-{i:03d}", "task": "regression"})
