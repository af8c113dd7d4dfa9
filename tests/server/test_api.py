"""The HTTP API through FastAPI's test client, on SQLite and on PostgreSQL (``db_url``)."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import driftpilot as dp
from driftpilot.profile import Profile, ProfileConfig
from service_fixtures import make_events

Headers = dict[str, str]


def _model(client: TestClient, admin: Headers, name: str = "loans", **body: Any) -> None:
    response = client.post(
        "/v1/models", json={"name": name, "task": "binary", **body}, headers=admin
    )
    assert response.status_code == 201, response.text


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    error: dict[str, Any] = body["error"]
    return error


def _key(app: FastAPI, *scopes: str) -> Headers:
    return {"Authorization": f"Bearer {app.state.store.keys.create(list(scopes)).key}"}


def test_health_ready_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    document = client.get("/openapi.json").json()
    assert "/v1/models/{model}/events" in document["paths"]
    body = document["paths"]["/v1/models/{model}/events"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/EventsBatch")
    assert "EventIn" in document["components"]["schemas"]


def test_readyz_is_503_before_migrations(tmp_path: Any) -> None:
    from driftpilot.server import Settings, create_app

    settings = Settings(data_dir=tmp_path, migrate_on_start=False, maintenance_seconds=0)
    with TestClient(create_app(settings)) as client:
        _error(client.get("/readyz"), 503, "not_ready")


def test_models_create_list_get_delete(client: TestClient, admin: Headers) -> None:
    schema = {"features": {"age": {"type": "numeric", "min": 0, "max": 120, "nullable": False}}}
    _model(client, admin, feature_schema=schema)
    _model(client, admin, name="b-model")
    got = client.get("/v1/models/loans", headers=admin).json()
    assert got["feature_schema"]["features"]["age"] == {
        "type": "numeric", "min": 0.0, "max": 120.0, "nullable": False,
    }  # fmt: skip
    assert [m["name"] for m in client.get("/v1/models", headers=admin).json()["items"]] == [
        "b-model",
        "loans",
    ]
    again = client.post("/v1/models", json={"name": "loans", "task": "binary"}, headers=admin)
    _error(again, 409, "conflict")
    unconfirmed = client.delete("/v1/models/loans", headers=admin)
    assert "confirm=loans" in _error(unconfirmed, 422, "invalid_parameter")["message"]
    assert client.delete("/v1/models/loans?confirm=loans", headers=admin).status_code == 204
    _error(client.get("/v1/models/loans", headers=admin), 404, "not_found")


def test_validation_errors_name_the_field(client: TestClient, admin: Headers) -> None:
    bad_task = client.post("/v1/models", json={"name": "m", "task": "ranking"}, headers=admin)
    error = _error(bad_task, 422, "validation_error")
    assert error["message"].startswith("body.task:")
    assert error["details"][0]["field"] == "body.task"
    bad_bounds = client.post(
        "/v1/models",
        json={"name": "m", "task": "binary", "feature_schema": {"features": {
            "age": {"type": "numeric", "min": 5, "max": 1}}}},
        headers=admin,
    )  # fmt: skip
    assert (
        "min (5.0) must not exceed max (1.0)"
        in _error(bad_bounds, 422, "invalid_parameter")["message"]
    )
    not_json = client.post(
        "/v1/models", content=b"{nope", headers={**admin, "content-type": "application/json"}
    )
    _error(not_json, 400, "malformed_request")
    _error(client.get("/v1/nothing-here", headers=admin), 404, "not_found")
    _error(client.put("/v1/models", headers=admin), 405, "method_not_allowed")


def test_versions_and_baselines(client: TestClient, admin: Headers) -> None:
    _model(client, admin)
    created = client.post("/v1/models/loans/versions", json={"version": "1"}, headers=admin)
    assert created.status_code == 201
    assert created.json()["baseline_id"] is None
    _error(
        client.post("/v1/models/loans/versions", json={"version": "1"}, headers=admin),
        409,
        "conflict",
    )
    data = {"age": [float(i % 70) for i in range(300)], "y": [i % 2 for i in range(300)]}
    document = dp.baseline(data, target="y").to_json()
    put = client.put(
        "/v1/models/loans/versions/2/baseline",
        content=document,
        headers={**admin, "content-type": "application/json"},
    )
    assert put.status_code == 201, put.text
    assert put.json()["kind"] == "baseline"
    assert put.json()["n_rows"] == 300
    fetched = client.get("/v1/models/loans/versions/2/baseline", headers=admin).json()
    assert dp.Baseline.from_dict(fetched).to_json() == document
    versions = client.get("/v1/models/loans/versions", headers=admin).json()["items"]
    assert [(v["version"], v["baseline_id"]) for v in versions] == [("1", None), ("2", 1)]
    broken = client.put(
        "/v1/models/loans/versions/2/baseline",
        content=b'{"schema_version": 1, "kind": "baseline"}',
        headers={**admin, "content-type": "application/json"},
    )
    _error(broken, 422, "profile_format")
    _error(client.get("/v1/models/loans/versions/9/baseline", headers=admin), 404, "not_found")


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_baseline_from_an_uploaded_data_file(
    client: TestClient, admin: Headers, file_format: str
) -> None:
    _model(client, admin)
    table = pa.table(
        {"age": [20.0 + i % 50 for i in range(400)], "label": [i % 2 for i in range(400)]}
    )
    buffer = io.BytesIO()
    if file_format == "parquet":
        pq.write_table(table, buffer)
    else:
        pa_csv.write_csv(table, buffer)
    put = client.put(
        "/v1/models/loans/versions/1/baseline",
        files={"file": (f"train.{file_format}", buffer.getvalue())},
        data={"target": "label"},
        headers=admin,
    )
    assert put.status_code == 201, put.text
    stored = dp.Baseline.from_dict(
        client.get("/v1/models/loans/versions/1/baseline", headers=admin).json()
    )
    assert stored.target == "label"
    assert stored.model_name == "loans"
    assert stored.fingerprint == dp.baseline(table, target="label").fingerprint
    garbage = client.put(
        "/v1/models/loans/versions/1/baseline",
        files={"file": ("x.parquet", b"PAR1 not really")},
        headers=admin,
    )
    _error(garbage, 422, "unsupported_data")
    no_file = client.put(
        "/v1/models/loans/versions/1/baseline", data={"target": "label"}, headers=admin
    )
    assert no_file.status_code in (400, 422)


def test_ingest_batch_semantics_over_http(client: TestClient, admin: Headers) -> None:
    _model(client, admin)
    events = make_events(5)
    events[2]["timestamp"] = "2024-05-01T00:00:00"  # no timezone
    events[3]["features"] = {"age": "n/a", "income": 1.0, "plan": "pro"}
    response = client.post("/v1/models/loans/events", json={"events": events}, headers=admin)
    assert response.status_code == 200
    body = response.json()
    assert (body["stored"], body["duplicates"], body["rejected"]) == (4, 0, 1)
    rejected = body["results"][2]
    assert rejected["status"] == "rejected"
    assert rejected["event_id"] == events[2]["event_id"]
    assert rejected["error"]["details"] == {"field": "events[2].timestamp"}
    assert "timezone" in rejected["error"]["message"]
    assert body["results"][3]["quality_flags"] == ["wrong_type:features.age"]
    again = client.post("/v1/models/loans/events", json={"events": events}, headers=admin).json()
    assert (again["stored"], again["duplicates"], again["rejected"]) == (0, 4, 1)


def test_ingest_request_errors(client: TestClient, admin: Headers, app: FastAPI) -> None:
    _model(client, admin)
    url = "/v1/models/loans/events"
    json_headers = {**admin, "content-type": "application/json"}
    _error(client.post(url, content=b"[1, 2", headers=json_headers), 400, "malformed_request")
    shape = _error(client.post(url, json={"evts": []}, headers=admin), 422, "validation_error")
    assert shape["details"][0]["field"] == "body.events"
    not_list = _error(client.post(url, json={"events": {}}, headers=admin), 422, "validation_error")
    assert not_list["message"].startswith("body.events:")
    _error(
        client.post("/v1/models/nope/events", json={"events": []}, headers=admin), 404, "not_found"
    )
    limit = app.state.settings.max_body_bytes
    too_big = client.post(url, content=b" " * (limit + 1), headers=json_headers)
    assert "limit" in _error(too_big, 413, "payload_too_large")["message"]

    def chunks() -> Any:  # no Content-Length: counted as it arrives
        for _ in range(11):
            yield b" " * (1024 * 1024)

    streamed = client.post(url, content=chunks(), headers=json_headers)
    _error(streamed, 413, "payload_too_large")


def test_auth_401_403_and_scopes(client: TestClient, app: FastAPI, admin: Headers) -> None:
    _model(client, admin)
    ingest, read = _key(app, "ingest"), _key(app, "read")
    url = "/v1/models/loans/events"
    missing = client.post(url, json={"events": []})
    _error(missing, 401, "unauthorized")
    assert missing.headers["www-authenticate"] == "Bearer"
    _error(
        client.post(url, json={"events": []}, headers={"Authorization": "Bearer dp_x"}),
        401,
        "unauthorized",
    )
    forged = {"Authorization": "Bearer dp_0123456789abcdef_" + "a" * 43}
    _error(client.post(url, json={"events": []}, headers=forged), 401, "unauthorized")
    assert client.post(url, json={"events": []}, headers=ingest).status_code == 200
    _error(client.get(url, headers=ingest), 403, "forbidden")
    assert client.get(url, headers=read).status_code == 200
    _error(client.post(url, json={"events": []}, headers=read), 403, "forbidden")
    _error(
        client.post("/v1/models", json={"name": "x", "task": "binary"}, headers=read),
        403,
        "forbidden",
    )
    key_id = read["Authorization"].split("_")[1]
    assert client.delete(f"/v1/keys/{key_id}", headers=admin).json()["revoked_at"] is not None
    _error(client.get(url, headers=read), 401, "unauthorized")
    made = client.post("/v1/keys", json={"scopes": ["read"], "name": "ci"}, headers=admin).json()
    assert client.get(url, headers={"Authorization": f"Bearer {made['key']}"}).status_code == 200
    listed = client.get("/v1/keys", headers=admin).json()["items"]
    assert all("key" not in k and "key_hash" not in k for k in listed)


def test_labels_before_and_after_their_events(client: TestClient, admin: Headers) -> None:
    _model(client, admin)
    events = make_events(6)
    labels = [
        {"event_id": e["event_id"], "value": i % 2, "timestamp": "2024-05-02T00:00:00Z"}
        for i, e in enumerate(events)
    ]
    early = client.post(
        "/v1/models/loans/labels", json={"labels": labels[:3]}, headers=admin
    ).json()
    assert (early["joined"], early["pending"]) == (0, 3)
    client.post("/v1/models/loans/events", json={"events": events}, headers=admin)
    body = {"labels": [*labels, {"event_id": "x", "value": 1, "timestamp": "2024-05-02T00:00:00Z"}]}
    late = client.post("/v1/models/loans/labels", json=body, headers=admin).json()
    assert (late["joined"], late["duplicates"], late["rejected"]) == (3, 3, 1)
    assert late["results"][-1]["error"]["details"] == {"field": "labels[6].event_id"}
    page = client.get("/v1/models/loans/labels", headers=admin).json()
    assert all(item["joined_at"] is not None for item in page["items"])
    profile = client.get("/v1/models/loans/profile", headers=admin).json()
    assert profile["n_labels"] == 6
    label_profile = Profile.from_dict(profile["labels"])
    assert dict(label_profile.columns["label"].counts) == {0: 3, 1: 3}


def test_event_pages_and_time_filters(client: TestClient, admin: Headers) -> None:
    _model(client, admin)
    events = make_events(30)  # one a minute from midnight
    client.post("/v1/models/loans/events", json={"events": events}, headers=admin)
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 7, "start": "2024-05-01T00:05:00+00:00",
                                  "end": "2024-05-01T00:25:00+00:00"}  # fmt: skip
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/models/loans/events", params=params, headers=admin).json()
        seen.extend(item["event_id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [e["event_id"] for e in events[5:25]]
    naive = client.get(
        "/v1/models/loans/events", params={"start": "2024-05-01T00:00:00"}, headers=admin
    )
    assert _error(naive, 422, "validation_error")["details"][0]["field"] == "query.start"
    backwards = client.get(
        "/v1/models/loans/events",
        params={"start": "2024-05-02T00:00:00Z", "end": "2024-05-01T00:00:00Z"},
        headers=admin,
    )
    _error(backwards, 422, "invalid_parameter")


def test_non_finite_values_are_flagged_and_read_back_as_strings(
    client: TestClient, admin: Headers
) -> None:
    _model(client, admin)
    event = make_events(1)[0]
    event["features"] = {"age": math.nan, "income": math.inf, "plan": "pro"}
    text = json.dumps({"events": [event]})  # Python writes NaN and Infinity
    response = client.post(
        "/v1/models/loans/events",
        content=text,
        headers={**admin, "content-type": "application/json"},
    )
    assert response.json()["results"][0]["quality_flags"] == [
        "nan:features.age",
        "inf:features.income",
    ]
    item = client.get("/v1/models/loans/events", headers=admin).json()["items"][0]
    assert item["features"] == {"age": "nan", "income": "inf", "plan": "pro"}


@pytest.mark.parametrize("file_format", ["jsonl", "parquet"])
def test_export_round_trip(client: TestClient, admin: Headers, file_format: str) -> None:
    _model(client, admin)
    events = make_events(1_234, step_seconds=5)
    for i in range(0, len(events), 500):
        client.post("/v1/models/loans/events", json={"events": events[i : i + 500]}, headers=admin)
    label = {"event_id": events[0]["event_id"], "value": 1, "timestamp": "2024-06-01T00:00:00Z"}
    client.post("/v1/models/loans/labels", json={"labels": [label]}, headers=admin)
    response = client.get("/v1/models/loans/export", params={"format": file_format}, headers=admin)
    assert response.status_code == 200
    if file_format == "jsonl":
        assert response.headers["content-type"] == "application/x-ndjson"
        rows = [json.loads(line) for line in response.text.splitlines()]
        decoded = rows
    else:
        table = pq.read_table(pa.BufferReader(response.content))
        rows = table.to_pylist()
        decoded = [
            {**r, **{k: json.loads(r[k]) if r[k] is not None else None
                     for k in ("features", "prediction", "scores", "segment", "label")}}
            for r in rows
        ]  # fmt: skip
    assert len(decoded) == len(events)
    for row, event in zip(decoded, events, strict=True):
        for key in ("event_id", "model_version", "features", "prediction", "scores", "segment"):
            assert row[key] == event[key], key
        assert row["latency_ms"] == event["latency_ms"]
    assert decoded[0]["label"] == 1
    assert decoded[1]["label"] is None
    _error(client.get("/v1/models/nope/export", headers=admin), 404, "not_found")


def test_window_profile_over_http_equals_profile_of_rows(
    client: TestClient, admin: Headers
) -> None:
    _model(client, admin, task="binary")
    training = make_events(1_500, seed=11)
    reference_data = {
        "age": [e["features"]["age"] for e in training],  # type: ignore[index]
        "income": [e["features"]["income"] for e in training],  # type: ignore[index]
        "plan": [e["features"]["plan"] for e in training],  # type: ignore[index]
    }
    baseline = dp.baseline(reference_data)
    client.put(
        "/v1/models/loans/versions/1/baseline",
        content=baseline.to_json(),
        headers={**admin, "content-type": "application/json"},
    )
    events = make_events(400, seed=12, step_seconds=30)
    for i in range(0, 400, 100):
        client.post("/v1/models/loans/events", json={"events": events[i : i + 100]}, headers=admin)
    body = client.get(
        "/v1/models/loans/profile",
        params={"start": "2024-05-01T00:00:00Z", "end": "2024-05-01T04:00:00Z", "version": "1"},
        headers=admin,
    ).json()
    assert (body["n_events"], body["n_buckets"]) == (400, 4)
    assert body["covered_start"] == "2024-05-01T00:00:00Z"
    window = Profile.from_dict(body["features"])
    kinds = {"age": "numeric", "income": "numeric", "plan": "categorical"}
    reference = Profile.empty(kinds, config=ProfileConfig(), reference=baseline.profile)
    expected = dp.profile(
        pa.table({k: [e["features"][k] for e in events] for k in kinds}),  # type: ignore[index]
        reference=reference,
    )
    assert window.n_rows == expected.n_rows
    for name in kinds:
        got, want = window.columns[name].to_dict(), expected.columns[name].to_dict()
        for field in ("n", "n_missing", "min", "max", "histogram", "categories", "counts"):
            assert got.get(field) == want.get(field), (name, field)
        if "mean" in want:
            assert got["mean"] == pytest.approx(want["mean"], rel=1e-9)
    scores = Profile.from_dict(body["scores"])
    assert set(scores.columns) == {"0", "1"}
    latency = Profile.from_dict(body["latency"])
    assert latency.columns["latency_ms"].n == 400
    empty = client.get(
        "/v1/models/loans/profile", params={"start": "2030-01-01T00:00:00Z"}, headers=admin
    ).json()
    assert empty["n_events"] == 0
    assert empty["features"] is None


def test_dependency_override_replaces_the_store(app: FastAPI, client: TestClient) -> None:
    from driftpilot.server.deps import get_settings
    from driftpilot.server.settings import Settings

    open_settings = Settings(db=app.state.settings.db, auth=False, maintenance_seconds=0)
    app.dependency_overrides[get_settings] = lambda: open_settings
    try:
        created = client.post("/v1/models", json={"name": "open", "task": "regression"})
        assert created.status_code == 201
    finally:
        app.dependency_overrides.clear()
    _error(client.get("/v1/models"), 401, "unauthorized")


def test_maintenance_loop_compacts_partials_and_rolls_up_days(db_url: str) -> None:
    import time

    from driftpilot.server import Settings, create_app

    app = create_app(Settings(db=db_url, auth=False, maintenance_seconds=0.05))
    with TestClient(app) as client:
        _model(client, {})
        events = make_events(60, step_seconds=120)  # two hours of a day long past
        for i in range(0, 60, 10):
            client.post("/v1/models/loans/events", json={"events": events[i : i + 10]})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            window = client.get("/v1/models/loans/profile").json()
            if (window["n_partials"], window["n_rollups"]) == (2, 1):
                break
            time.sleep(0.05)
        assert (window["n_partials"], window["n_rollups"], window["n_events"]) == (2, 1, 60)
