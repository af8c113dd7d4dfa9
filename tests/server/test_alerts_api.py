"""The alerts API: alerts raised by a monitor run, acknowledgement, silences, the outbox."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from driftpilot.datasets import make_traffic

Headers = dict[str, str]


def _raise_an_alert(client: TestClient, admin: Headers) -> None:
    traffic = make_traffic(hours=16, per_hour=320, reference_hours=8, drift_at=12, seed=31)
    client.post("/v1/models", json={"name": "loans", "task": "binary"}, headers=admin)
    for i in range(0, len(traffic.events), 2000):
        batch = {"events": traffic.events[i : i + 2000]}
        answer = client.post("/v1/models/loans/events", json=batch, headers=admin)
        assert answer.status_code == 200
    monitor = {
        "model": "loans", "window": {"size": "1h"},
        "reference": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T08:00:00Z"},
        "checks": [{"type": "feature_drift", "mode": "exact"}],
        "alerts": [{"name": "drift", "when": {"check": "feature_drift"}, "labels": {"team": "a"}}],
    }  # fmt: skip
    assert client.put("/v1/monitors/loans-1h", json=monitor, headers=admin).status_code == 200
    answer = client.post("/v1/monitors/loans-1h/backfill", headers=admin, params={
        "start": "2026-01-01T08:00:00Z", "end": "2026-01-01T16:00:00Z"})  # fmt: skip
    assert answer.status_code == 200


def test_alerts_can_be_listed_acknowledged_and_silenced(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    _raise_an_alert(client, admin)
    alerts = client.get("/v1/alerts", params={"state": "open"}, headers=admin).json()["items"]
    assert len(alerts) == 1
    alert: dict[str, Any] = alerts[0]
    assert alert["state"] == "firing"
    assert alert["dedup_key"] == "loans-1h/drift"
    assert "credit_score" in {f["feature"] for f in alert["findings"]}
    one = client.get(f"/v1/alerts/{alert['id']}", headers=admin).json()
    assert one["id"] == alert["id"]
    acked = client.post(f"/v1/alerts/{alert['id']}/ack", json={"by": "oncall"}, headers=admin)
    assert acked.json()["state"] == "acknowledged"
    assert acked.json()["acknowledged_by"] == "oncall"
    again = client.post(f"/v1/alerts/{alert['id']}/ack", headers=admin)
    assert again.status_code == 200
    missing = client.get("/v1/alerts/999999", headers=admin)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    bad = client.get("/v1/alerts", params={"state": "nope"}, headers=admin)
    assert bad.status_code == 422
    body = {"matchers": {"team": "~a|b"}, "ends_at": "2099-01-01T00:00:00Z", "comment": "deploy"}
    silence = client.post("/v1/silences", headers=admin, json=body)
    assert silence.status_code == 201
    listed = client.get("/v1/silences", params={"active": True}, headers=admin).json()["items"]
    assert [s["id"] for s in listed] == [silence.json()["id"]]
    regex = client.post("/v1/silences", headers=admin, json={
        "matchers": {"team": "~("}, "ends_at": "2099-01-01T00:00:00Z"})  # fmt: skip
    assert regex.status_code == 422
    assert "regular expression" in regex.json()["error"]["message"]
    backreference = client.post("/v1/silences", headers=admin, json={
        "matchers": {"team": "~(a)\\1"}, "ends_at": "2099-01-01T00:00:00Z"})  # fmt: skip
    assert backreference.status_code == 422
    assert "backreferences" in backreference.json()["error"]["message"]
    catastrophic = client.post("/v1/silences", headers=admin, json={
        "matchers": {"team": "~(a+)+$"}, "ends_at": "2099-01-01T00:00:00Z"})  # fmt: skip
    assert catastrophic.status_code == 201  # RE2 matches it in linear time
    assert (
        client.delete(f"/v1/silences/{catastrophic.json()['id']}", headers=admin).status_code == 204
    )
    gone = client.delete(f"/v1/silences/{silence.json()['id']}", headers=admin)
    assert gone.status_code == 204
    assert client.get("/v1/silences", params={"active": True}, headers=admin).json()["items"] == []
    assert client.delete("/v1/silences/12345", headers=admin).status_code == 404


def test_without_channels_alerts_are_kept_and_nothing_is_queued(
    client: TestClient, admin: Headers
) -> None:
    _raise_an_alert(client, admin)
    assert client.get("/v1/notifications", headers=admin).json()["items"] == []
    firing = client.get("/v1/alerts", params={"state": "firing"}, headers=admin).json()["items"]
    assert len(firing) == 1


def test_acknowledging_needs_admin(app: FastAPI, client: TestClient, admin: Headers) -> None:
    _raise_an_alert(client, admin)
    key = app.state.store.keys.create(["read"], name="reader").key
    reader = {"Authorization": f"Bearer {key}"}
    [alert] = client.get("/v1/alerts", headers=reader).json()["items"]
    answer = client.post(f"/v1/alerts/{alert['id']}/ack", headers=reader)
    assert answer.status_code == 403
