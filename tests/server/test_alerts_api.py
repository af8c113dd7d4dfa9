"""The alerts API: alerts raised by a monitor run, acknowledgement, silences, the outbox."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from driftpilot.datasets import make_traffic
from driftpilot.server import Settings, create_app

Headers = dict[str, str]


def _raise_an_alert(client: TestClient, admin: Headers, *, notify: bool = False) -> None:
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
        "start": "2026-01-01T08:00:00Z", "end": "2026-01-01T16:00:00Z",
        "notify": str(notify).lower()})  # fmt: skip
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


def test_dead_letters_are_listed_and_sent_again_over_the_api_and_the_cli(
    settings: Settings, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from driftpilot.cli import app as cli

    receiver = _Receiver()
    alerting = tmp_path / "alerting.yaml"
    alerting.write_text(
        f"channels:\n  hook: {{type: webhook, url: '{receiver.url}'}}\n"
        "routes:\n  - {match: {team: a}, channels: [hook]}\n"
    )
    app = create_app(settings.model_copy(update={"alerting": alerting, "dispatch_seconds": 0}))
    try:
        with TestClient(app) as client:
            admin = {"Authorization": f"Bearer {app.state.store.keys.create(['admin']).key}"}
            read = {"Authorization": f"Bearer {app.state.store.keys.create(['read']).key}"}
            _raise_an_alert(client, admin, notify=True)  # a backfill notifies only when asked
            receiver.status = 404  # the receiver's route is missing: no retry can help
            assert app.state.alerting.dispatcher.dispatch() == {"failed": 1}
            assert client.get("/v1/notifications/dead-letters", headers=read).status_code == 403
            [dead] = client.get("/v1/notifications/dead-letters", headers=admin).json()["items"]
            assert (dead["status"], dead["attempts"], dead["last_status"]) == ("failed", 1, 404)
            listed = CliRunner().invoke(
                cli, ["alerts", "dead-letters", "--format", "json", "--db", settings.db or ""]
            )
            assert listed.exit_code == 0, listed.output
            assert [d["id"] for d in json.loads(listed.output)] == [dead["id"]]
            receiver.status = 200
            answer = client.post(f"/v1/notifications/{dead['id']}/retry", headers=admin)
            assert answer.json() == {"queued": 1}
            again = client.post(f"/v1/notifications/{dead['id']}/retry", headers=admin)
            assert again.status_code == 404
            assert app.state.alerting.dispatcher.dispatch() == {"sent": 1}
            assert client.get("/v1/notifications/dead-letters", headers=admin).json() == {
                "items": []
            }
            both = CliRunner().invoke(cli, ["alerts", "retry", "--db", settings.db or ""])
            assert both.exit_code == 2
            none = CliRunner().invoke(cli, ["alerts", "retry", "--all", "--db", settings.db or ""])
            assert none.exit_code == 0
            assert "0 dead letter(s)" in none.output
            assert client.post("/v1/notifications/dead-letters/retry", headers=admin).json() == {
                "queued": 0
            }
        assert len(receiver.bodies) == 2
    finally:
        app.state.store.close()
        receiver.close()


class _Receiver:
    """A real webhook receiver on loopback answering ``status``."""

    def __init__(self) -> None:
        self.status = 200
        self.bodies: list[bytes] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                outer.bodies.append(self.rfile.read(int(self.headers["content-length"])))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                del args

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
