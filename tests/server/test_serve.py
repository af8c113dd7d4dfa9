"""``driftpilot serve`` for real: a uvicorn subprocess on a free loopback port.

Includes the durability check of the service's side of issue 3: kill -9 the server while
batches stream in, find every acknowledged event in the database before anything is sent
again (a resend would hide a lost acknowledgement), then restart, resend, and find every
event exactly once, with the partial profiles agreeing with the events (one transaction per
call, nothing half-written). On SQLite and PostgreSQL.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from driftpilot.store import _tables as t
from driftpilot.store import create_engine
from server.server_process import Server, run_cli
from service_fixtures import make_events


@pytest.fixture
def admin_key(db_url: str) -> str:
    created = run_cli("keys", "create", "--scope", "admin", "--name", "test", "--db", db_url)
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    running = Server(db_url, tmp_path)
    yield running
    running.stop()


@pytest.mark.slow
def test_serve_answers_over_real_http(server: Server, admin_key: str) -> None:
    headers = {"Authorization": f"Bearer {admin_key}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        assert client.post("/v1/models", json={"name": "m", "task": "binary"}).status_code == 201
        body = client.post("/v1/models/m/events", json={"events": make_events(300)}).json()
        assert body["stored"] == 300
        assert len(client.get("/v1/models/m/events", params={"limit": 1000}).json()["items"]) == 300
        assert client.get("/v1/models/m/events", headers={"Authorization": ""}).status_code == 401
    server.stop()
    assert server.process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
    log = Path(server.log.name).read_text()
    assert "Traceback" not in log
    assert "ERROR" not in log


def _stored_ids(db_url: str) -> list[str]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.select(t.events.c.event_id)).scalars())
    finally:
        engine.dispose()


@pytest.mark.slow
def test_acknowledged_events_survive_kill_9(db_url: str, tmp_path: Path) -> None:
    """Every event the killed server acknowledged is in the database before anything is sent
    again (a resend would hide a lost acknowledgement); then the resends complete the set."""
    server = Server(db_url, tmp_path, "--no-auth")
    events = make_events(8_000, step_seconds=1)
    batches = [events[i : i + 250] for i in range(0, len(events), 250)]
    acknowledged: set[str] = set()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.post("/v1/models", json={"name": "m", "task": "binary"}).status_code == 201

    def stream() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for batch in batches:
                try:
                    response = client.post("/v1/models/m/events", json={"events": batch})
                except httpx.TransportError:
                    return
                assert response.status_code == 200
                assert response.json()["stored"] == len(batch)
                acknowledged.update(e["event_id"] for e in batch)  # type: ignore[misc]

    sender = threading.Thread(target=stream)
    sender.start()
    while len(acknowledged) < 1_000:
        time.sleep(0.005)
    server.stop(signal.SIGKILL)
    sender.join()
    assert 1_000 <= len(acknowledged) < len(events)
    # Before any resend: what the dead server acknowledged is durable.
    survived = set(_stored_ids(db_url))
    lost = acknowledged - survived
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged events were lost"
    server = Server(db_url, tmp_path, "--no-auth")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            first = client.get("/v1/models/m/events", params={"limit": 1000}).json()
            assert len(first["items"]) == min(1000, len(survived))  # readable after restart
            for batch in batches:  # what a client that got no answer does: send again
                assert client.post("/v1/models/m/events", json={"events": batch}).status_code == 200
            window = client.get("/v1/models/m/profile").json()
    finally:
        server.stop()
    stored = _stored_ids(db_url)
    engine = create_engine(db_url)
    with engine.connect() as connection:
        partial_rows = connection.execute(
            sa.select(sa.func.sum(t.profile_partials.c.n_rows))
        ).scalar()
    engine.dispose()
    assert len(stored) == len(set(stored)) == len(events)
    assert partial_rows == window["n_events"] == len(events)


@pytest.mark.slow
def test_checks_that_cannot_judge_say_so_through_a_real_serve(
    db_url: str, tmp_path: Path, admin_key: str
) -> None:
    """Issue 11 §1-§3 through ``driftpilot serve``: typos refused at PUT, a check error stored,
    exported and alerted, empty windows ``no_data`` with /metrics keeping the last judged
    values, ``run?at=`` in the future refused, and a backfill that pages no one."""
    alerting = tmp_path / "alerting.yaml"
    alerting.write_text("channels:\n  hook: {type: webhook, url: 'http://127.0.0.1:9/'}\n"
                        "routes:\n  - {channels: [hook]}\n")  # fmt: skip
    server = Server(db_url, tmp_path, "--alerting", str(alerting))
    headers = {"Authorization": f"Bearer {admin_key}"}
    schema = {"features": {"age": {"type": "numeric"}, "income": {"type": "numeric"},
                           "plan": {"type": "categorical"}}}  # fmt: skip
    monitor: dict[str, object] = {
        "model": "m", "window": {"size": "1h"},
        "reference": {"start": "2024-05-01T00:00:00Z", "end": "2024-05-01T05:00:00Z"},
        "alerts": [{"name": "drift", "when": {"check": "feature_drift"}}],
    }  # fmt: skip
    try:
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
            created = client.post("/v1/models", json={"name": "m", "task": "binary",
                                                      "feature_schema": schema})  # fmt: skip
            assert created.status_code == 201, created.text
            for checks, expected in [
                ([{"type": "feature_drift", "test": "kss"}], "unknown drift test 'kss'"),
                ([{"type": "detector", "params": {"dleta": 0.1}}], "no parameter 'dleta'"),
                ([{"type": "feature_drift", "test": "ks"}], "cannot test plan (categorical)"),
                (
                    [{"type": "feature_drift"}, {"type": "performance", "metrics": ["rmse"]}],
                    "not metrics of a binary",
                ),
            ]:
                refused = client.put("/v1/monitors/mon", json={**monitor, "checks": checks})
                assert refused.status_code == 422, refused.text
                assert expected in refused.json()["error"]["message"]
            checks = [{"type": "feature_drift", "min_events": 30},
                      {"type": "performance_decay"},  # no expected accuracy: an error
                      {"type": "volume", "history": 2}]  # fmt: skip
            put = client.put("/v1/monitors/mon", json={**monitor, "checks": checks})
            assert put.status_code == 200, put.text
            stored = client.post("/v1/models/m/events", json={"events": make_events(600)})
            assert stored.json()["stored"] == 600  # 10 hours from 2024-05-01T00:00Z

            future = client.post("/v1/monitors/mon/run", params={"at": "2999-01-01T00:00:00Z"})
            assert future.status_code == 422
            [problem] = future.json()["error"]["details"]
            assert problem["field"] == "query.at"
            assert "in the future" in problem["message"]

            backfill = client.post(
                "/v1/monitors/mon/backfill",
                params={"start": "2024-05-01T05:00:00Z", "end": "2024-05-01T12:00:00Z"},
            ).json()
            assert len(backfill["items"]) == 7
            assert backfill["notify"] is False
            assert "without notifying anyone" in backfill["note"]
            alerts = client.get("/v1/alerts").json()["items"]
            assert {a["rule"] for a in alerts} >= {"check-error"}
            notes = client.get("/v1/notifications").json()["items"]
            assert notes
            assert {n["status"] for n in notes} == {"suppressed"}
            assert all(n["payload"]["suppressed_reason"].startswith("backfill") for n in notes)

            runs = client.get("/v1/monitors/mon/runs", params={"limit": 1}).json()["items"]
            report = client.get(f"/v1/runs/{runs[0]['run_id']}").json()  # 11:00-12:00, empty
            statuses = {r["check"]: r["status"] for r in report["results"]}
            assert statuses == {"feature_drift": "no_data", "performance_decay": "error",
                                "volume": "ok"}  # fmt: skip
            metrics = client.get("/metrics").text
        assert ('driftpilot_check_status{model="m",monitor="mon",check="performance_decay",'
                'status="error"} 1.0') in metrics  # fmt: skip
        assert ('driftpilot_check_status{model="m",monitor="mon",check="feature_drift",'
                'status="no_data"} 1.0') in metrics  # fmt: skip
        assert 'driftpilot_feature_psi{model="m",version="1",monitor="mon",feature="age"' in metrics
        assert (
            'driftpilot_check_judged_window_end_timestamp_seconds{model="m",monitor="mon",'
            'check="feature_drift"} 1714557600.0'
        ) in metrics  # 2024-05-01T10:00Z
    finally:
        server.stop()
    log = Path(server.log.name).read_text()
    assert "Traceback" not in log
