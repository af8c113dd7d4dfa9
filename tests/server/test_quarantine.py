"""Rejected events and labels are kept (``dp_rejected``), listed, counted and pruned (issue 10 §3).

Through FastAPI's test client on SQLite and PostgreSQL (``db_url``); the export that fails part
way is checked through a real ``serve``, since only a real server can cut a stream.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from driftpilot.server import Settings, create_app
from driftpilot.store import _tables as t
from driftpilot.store import create_engine, now_us
from server.test_hostile_input import Served
from server.test_serve import admin_key  # noqa: F401  (a fixture)
from service_fixtures import make_events

Headers = dict[str, str]


def _key(app: FastAPI, *scopes: str) -> tuple[Headers, str]:
    created = app.state.store.keys.create(list(scopes))
    return {"Authorization": f"Bearer {created.key}"}, created.record.key_id


def _bad_events() -> list[dict[str, Any]]:
    good = make_events(2)
    return [
        good[0],
        {**good[1], "prediction": 2**63},
        "not an event",
        {**make_events(1)[0], "segment": {"s": "\ud800"}},
    ]


def test_rejected_items_are_kept_listed_and_counted(
    client: TestClient, app: FastAPI, admin: Headers
) -> None:
    assert client.post("/v1/models", json={"name": "m", "task": "binary"}, headers=admin).is_success
    ingest, ingest_id = _key(app, "ingest")
    reader, _ = _key(app, "read")
    body = json.dumps({"events": _bad_events()}, ensure_ascii=True)
    response = client.post("/v1/models/m/events", content=body, headers=ingest)
    assert response.json()["rejected"] == 3
    labels = [{"event_id": str(uuid.uuid4()), "value": 2**64, "timestamp": "2026-01-01T00:00Z"}]
    assert (
        client.post("/v1/models/m/labels", json={"labels": labels}, headers=ingest).json()[
            "rejected"
        ]
        == 1
    )
    assert client.get("/v1/models/m/rejected", headers=ingest).status_code == 403
    page = client.get("/v1/models/m/rejected", headers=reader).json()
    items = page["items"]
    assert page["next_cursor"] is None
    assert [(i["kind"], i["code"]) for i in items] == [
        ("event", "invalid_number"), ("event", "invalid_event"), ("event", "invalid_string"),
        ("label", "invalid_number"),
    ]  # fmt: skip
    assert {i["key_id"] for i in items} == {ingest_id}
    assert items[0]["error"]["details"]["field"] == "events[1].prediction"
    assert json.loads(items[0]["body"])["prediction"] == 2**63  # the text as sent
    assert items[1]["body"] == '"not an event"'
    assert items[1]["event_id"] is None
    assert "\\ud800" in items[2]["body"]  # the JSON escape, as sent
    assert all(not i["truncated"] and i["body_chars"] == len(i["body"]) for i in items)
    first = client.get("/v1/models/m/rejected", params={"limit": 2}, headers=reader).json()
    second = client.get(
        "/v1/models/m/rejected", params={"limit": 2, "cursor": first["next_cursor"]},
        headers=reader,
    ).json()  # fmt: skip
    assert [i["code"] for i in first["items"] + second["items"]] == [i["code"] for i in items]
    metrics = client.get("/metrics").text
    assert 'driftpilot_events_rejected_total{model="m",reason="invalid_number"} 1.0' in metrics
    assert 'driftpilot_events_rejected_total{model="m",reason="invalid_event"} 1.0' in metrics
    assert 'driftpilot_events_rejected_total{model="m",reason="invalid_string"} 1.0' in metrics
    assert 'driftpilot_labels_rejected_total{model="m",reason="invalid_number"} 1.0' in metrics
    assert client.get("/v1/models/nope/rejected", headers=reader).status_code == 404


def test_a_huge_rejected_event_is_kept_cut(client: TestClient, admin: Headers) -> None:
    assert client.post("/v1/models", json={"name": "m", "task": "binary"}, headers=admin).is_success
    event = {**make_events(1)[0], "model_version": None, "features": {"s": "x" * 200_000}}
    client.post("/v1/models/m/events", json={"events": [event]}, headers=admin)
    (item,) = client.get("/v1/models/m/rejected", headers=admin).json()["items"]
    assert item["code"] == "missing_field"
    assert item["truncated"] is True
    assert len(item["body"]) == 65_536
    assert item["body_chars"] > 200_000


def test_the_maintenance_sweep_enforces_the_retention_limits(db_url: str) -> None:
    settings = Settings(db=db_url, auth=False, maintenance_seconds=0.05, rejected_max_rows=3)
    app = create_app(settings)
    with TestClient(app) as client:
        for name in ("a", "b"):
            assert client.post("/v1/models", json={"name": name, "task": "binary"}).is_success
        engine = app.state.store.engine
        with engine.begin() as connection:
            models = dict(connection.execute(sa.select(t.models.c.name, t.models.c.id)).all())
            old = now_us() - 31 * 86_400 * 1_000_000
            connection.execute(t.rejected.insert(), [
                {"model_id": models[m], "kind": "event", "ts": ts, "key_id": None,
                 "event_id": str(i), "code": "invalid_field", "error": "{}", "body": "{}",
                 "body_chars": 2}
                for m, ts, count in (("a", now_us(), 5), ("b", old, 2), ("b", now_us(), 1))
                for i in range(count)
            ])  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                q = t.rejected
                left = connection.execute(
                    sa.select(q.c.model_id, q.c.event_id).order_by(q.c.id)
                ).all()
            if len(left) == 4:
                break
            time.sleep(0.05)
    app.state.store.close()
    assert [(row.model_id, row.event_id) for row in left] == [
        (models["a"], "2"), (models["a"], "3"), (models["a"], "4"), (models["b"], "0"),
    ]  # fmt: skip


def _export_events(client: httpx.Client, n: int) -> list[dict[str, Any]]:
    assert client.post("/v1/models", json={"name": "m", "task": "binary"}).status_code == 201
    events = make_events(n, step_seconds=1)
    assert client.post("/v1/models/m/events", json={"events": events}).json()["stored"] == n
    return events


def _lines(client: httpx.Client, params: dict[str, str], into: list[str]) -> list[str]:
    with client.stream("GET", "/v1/models/m/export", params=params) as response:
        assert response.status_code == 200
        if params.get("format") == "parquet":
            into.append(b"".join(response.iter_bytes()).hex())
        else:
            into.extend(line for line in response.iter_lines() if line)
    return into


@pytest.mark.slow
def test_an_export_failing_mid_stream_ends_with_an_error_a_client_sees(
    db_url: str,
    tmp_path: Path,
    admin_key: str,  # noqa: F811
) -> None:
    server = Served(db_url, tmp_path)
    headers = {"Authorization": f"Bearer {admin_key}"}
    try:
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
            events = _export_events(client, 5_010)  # more than one chunk (5,000) of the export
            # the newest row as one stored before this release's checks could be: a lone
            # surrogate in its segment, which no response can encode
            engine = create_engine(db_url)
            payload = json.dumps({**events[-1], "segment": {"s": "\ud800"}}, ensure_ascii=True)
            with engine.begin() as connection:
                connection.execute(
                    t.events.update()
                    .where(t.events.c.event_id == events[-1]["event_id"])
                    .values(payload=payload)
                )
            engine.dispose()
            before = {"end": "2024-05-01T01:23:29Z"}  # the bad row's time, excluded
            assert len(_lines(client, before, [])) == 5_009  # a complete body, no error
            lines: list[str] = []
            with pytest.raises(httpx.RemoteProtocolError):
                _lines(client, {}, lines)
            assert len(lines) == 5_001  # the first chunk, then the error line
            assert json.loads(lines[-1])["error"]["code"] == "export_failed"
            assert all("error" not in json.loads(line) for line in lines[:-1])
            with pytest.raises(httpx.RemoteProtocolError):
                _lines(client, {"format": "parquet"}, [])
    finally:
        server.stop()
