"""``GET /v1/models/{model}/series``: every point names its check, and a metric reported by
several checks (or monitors) needs ``check`` (or ``monitor``). SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from driftpilot.monitor import CheckResult, MonitorReport, parse_monitors
from driftpilot.store import Store

Headers = dict[str, str]
HOUR = 3_600_000_000
T0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z


def _monitor(store: Store, name: str) -> None:
    (spec,) = parse_monitors({
        "name": name, "model": "loans", "window": {"size": "1h"},
        "reference": {"start": "2025-12-01T00:00:00Z", "end": "2025-12-08T00:00:00Z"},
        "checks": [{"type": "performance", "metrics": ["accuracy"]},
                   {"type": "estimated_performance", "name": "estimated",
                    "metrics": ["accuracy"]}],
    })  # fmt: skip
    store.monitors.put(spec.name, model=spec.model, definition=spec.to_dict(), origin="api")


def _record(store: Store, monitor: str, hour: int, realized: float, estimated: float) -> None:
    results = [
        CheckResult(check="performance", kind="performance", metric="accuracy", value=realized,
                    n=400, n_labels=380),
        CheckResult(check="estimated", kind="estimated_performance", metric="accuracy",
                    value=estimated, lower=0.8, n=400),
    ]  # fmt: skip
    store.runs.record(MonitorReport(
        monitor=monitor, model="loans", window_start=T0 + hour * HOUR,
        window_end=T0 + (hour + 1) * HOUR, reference={"kind": "range"}, revision=1,
        evaluated_at=T0 + (hour + 2) * HOUR, n_events=400, n_labels=380, results=results,
    ))  # fmt: skip


def _setup(app: FastAPI) -> Store:
    store: Store = app.state.store
    store.models.create_model("loans", "binary")
    _monitor(store, "hourly")
    for hour in range(3):
        _record(store, "hourly", hour, 0.9 - hour / 100, 0.88)
    return store


def _get(client: TestClient, headers: Headers, **params: Any) -> Any:
    return client.get("/v1/models/loans/series", params=params, headers=headers)


def test_an_ambiguous_metric_needs_check_and_names_the_candidates(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    _setup(app)
    response = _get(client, admin, metric="accuracy")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter"
    assert "'check' parameter is required" in error["message"]
    assert "'estimated'" in error["message"]
    assert "'performance'" in error["message"]
    assert error["details"] == {"field": "check", "candidates": [
        {"monitor": "hourly", "check": "estimated", "kind": "estimated_performance"},
        {"monitor": "hourly", "check": "performance", "kind": "performance"},
    ]}  # fmt: skip


def test_each_point_is_labelled_by_monitor_check_and_kind(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    _setup(app)
    realized = _get(client, admin, metric="accuracy", check="performance")
    assert realized.status_code == 200
    points = realized.json()["points"]
    assert [p["value"] for p in points] == [0.9, 0.89, 0.88]
    assert {(p["monitor"], p["check"], p["kind"]) for p in points} == {
        ("hourly", "performance", "performance")
    }
    estimated = _get(client, admin, metric="accuracy", check="estimated").json()["points"]
    assert [(p["kind"], p["value"], p["lower"]) for p in estimated] == [
        ("estimated_performance", 0.88, 0.8)
    ] * 3


def test_two_monitors_with_the_same_check_need_monitor(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    store = _setup(app)
    _monitor(store, "daily")
    _record(store, "daily", 0, 0.7, 0.7)
    response = _get(client, admin, metric="accuracy", check="performance")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == "monitor"
    assert "'monitor' parameter is required" in response.json()["error"]["message"]
    one = _get(client, admin, metric="accuracy", check="performance", monitor="daily")
    assert [p["value"] for p in one.json()["points"]] == [0.7]


def test_an_unambiguous_metric_needs_no_check(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    _setup(app)
    response = _get(client, admin, metric="psi")
    assert response.status_code == 200
    assert response.json()["points"] == []
