"""What the API says about itself: time formats in and out, query-time validation, 405 with
``Allow``, version names, and monitor spans too long to enumerate (issue 10 §7)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.test_alerts_api import _raise_an_alert

Headers = dict[str, str]
#: RFC 3339 in UTC as every response writes it.
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")


def _times(data: Any, path: str = "") -> dict[str, Any]:
    """Return every value of a key that names a time (``*_at``, ``*_start``, ``*_end``...)."""
    found: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            here = f"{path}.{key}"
            timed = key.endswith(("_at", "_start", "_end")) or key in ("start", "end", "timestamp")
            if timed and not isinstance(value, (dict, list)):
                found[here] = value
            else:
                found.update(_times(value, here))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found.update(_times(value, f"{path}[{i}]"))
    return found


def test_every_time_in_every_response_is_rfc3339_utc(client: TestClient, admin: Headers) -> None:
    _raise_an_alert(client, admin)
    [alert] = client.get("/v1/alerts", headers=admin).json()["items"]
    silence = client.post("/v1/silences", headers=admin, json={
        "matchers": {"team": "a"}, "ends_at": "2099-01-01T02:00:00+02:00"}).json()  # fmt: skip
    runs = client.get("/v1/monitors/loans-1h/runs", headers=admin).json()
    report = client.get(f"/v1/runs/{runs['items'][0]['run_id']}", headers=admin).json()
    bodies = {
        "alerts": client.get("/v1/alerts", headers=admin).json(),
        "alert": client.get(f"/v1/alerts/{alert['id']}", headers=admin).json(),
        "ack": client.post(f"/v1/alerts/{alert['id']}/ack", headers=admin).json(),
        "silence": silence,
        "silences": client.get("/v1/silences", headers=admin).json(),
        "notifications": client.get("/v1/notifications", headers=admin).json(),
        "report": report,
        "runs": runs,
        "monitor": client.get("/v1/monitors/loans-1h", headers=admin).json(),
        "events": client.get("/v1/models/loans/events", params={"limit": 3}, headers=admin).json(),
        "profile": client.get("/v1/models/loans/profile", headers=admin).json(),
        "models": client.get("/v1/models", headers=admin).json(),
        "keys": client.get("/v1/keys", headers=admin).json(),
    }
    checked = 0
    for name, body in bodies.items():
        for where, value in _times(body).items():
            if value is None or where.endswith(".segment_end"):
                continue
            assert isinstance(value, str), f"{name}{where} = {value!r}"
            assert UTC_TIME.match(value), f"{name}{where} = {value!r}"
            checked += 1
    assert checked > 40
    assert silence["ends_at"] == "2099-01-01T00:00:00Z"  # the +02:00 input, in UTC
    assert bodies["monitor"]["definition"]["reference"]["start"] == "2026-01-01T00:00:00Z"
    assert report["window"]["start"] == runs["items"][0]["window_start"]
    assert datetime.fromisoformat(alert["fired_at"]) > datetime.fromisoformat(
        alert["first_window_start"]
    )


@pytest.mark.parametrize(
    ("route", "parameter", "value"),
    [
        ("/v1/monitors/loans-1h/slos", "at", "0.5"),
        ("/v1/monitors/loans-1h/slos", "at", "1767225600000000"),  # microseconds: refused
        ("/v1/monitors/loans-1h/slos", "at", "2026-01-01T00:00:00"),  # no timezone
        ("/v1/monitors/loans-1h/slos", "at", "0001-01-01T00:00:00+14:00"),  # before year 1
        ("/v1/models/loans/events", "start", "yesterday"),
        ("/v1/models/loans/labels", "end", "NaN"),
        ("/v1/models/loans/profile", "start", "-1"),
        ("/v1/monitors/loans-1h/runs", "end", "9" * 80),
    ],
)
def test_malformed_query_times_are_a_422_naming_the_parameter(
    client: TestClient, admin: Headers, route: str, parameter: str, value: str
) -> None:
    client.post("/v1/models", json={"name": "loans", "task": "binary"}, headers=admin)
    monitor = {"model": "loans", "reference": {"trailing": "1d"}, "checks": [{"type": "volume"}]}
    client.put("/v1/monitors/loans-1h", json=monitor, headers=admin)
    answer = client.get(route, params={parameter: value}, headers=admin)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"].startswith(f"query.{parameter}: ")
    assert error["details"][0]["field"] == f"query.{parameter}"


def test_run_at_half_a_second_is_refused(client: TestClient, admin: Headers) -> None:
    client.post("/v1/models", json={"name": "loans", "task": "binary"}, headers=admin)
    monitor = {"model": "loans", "reference": {"trailing": "1d"}, "checks": [{"type": "volume"}]}
    assert client.put("/v1/monitors/m", json=monitor, headers=admin).status_code == 200
    answer = client.post("/v1/monitors/m/run", params={"at": "0.5"}, headers=admin)
    assert answer.status_code == 422
    assert "query.at" in answer.json()["error"]["message"]
    silence = client.post(
        "/v1/silences", headers=admin, json={"matchers": {"a": "b"}, "ends_at": 4102444800}
    )
    assert silence.status_code == 422
    assert silence.json()["error"]["details"][0]["field"] == "body.ends_at"


def test_a_backfill_over_centuries_is_refused_at_once(client: TestClient, admin: Headers) -> None:
    client.post("/v1/models", json={"name": "loans", "task": "binary"}, headers=admin)
    monitor = {"model": "loans", "reference": {"trailing": "1d"}, "checks": [{"type": "volume"}]}
    assert client.put("/v1/monitors/m", json=monitor, headers=admin).status_code == 200
    span = {"start": "0460-08-31T07:45:58Z", "end": "8085-08-26T16:39:15Z"}
    answer = client.post("/v1/monitors/m/backfill", params=span, headers=admin)
    assert answer.status_code == 422
    assert "66," in answer.json()["error"]["message"]  # ~66 million hourly windows
    far = client.post("/v1/monitors/m/run", params={"at": "9000-01-01T00:00:00Z"}, headers=admin)
    assert far.status_code < 500, far.text


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", "/v1/models/loans", "GET, DELETE"),
        ("POST", "/v1/monitors/m", "GET, PUT, DELETE"),
        ("PUT", "/v1/models", "GET, POST"),
        ("DELETE", "/v1/alerts/1", "GET"),
        ("POST", "/metrics", "GET"),
    ],
)
def test_405_names_every_allowed_method(
    client: TestClient, admin: Headers, method: str, path: str, allowed: str
) -> None:
    answer = client.request(method, path, headers=admin)
    assert answer.status_code == 405
    assert answer.headers["allow"] == allowed
    assert answer.json()["error"]["code"] == "method_not_allowed"
    assert answer.json()["error"]["details"] == {"allow": allowed.split(", ")}


@pytest.mark.parametrize("version", [".", "..", "a/b", "v\x001", "v\n1", "v\x851", ""])
def test_a_version_name_that_is_not_a_name_is_refused_everywhere(
    app: FastAPI, client: TestClient, admin: Headers, version: str
) -> None:
    client.post("/v1/models", json={"name": "loans", "task": "binary"}, headers=admin)
    created = client.post("/v1/models/loans/versions", json={"version": version}, headers=admin)
    assert created.status_code == 422, created.text
    assert created.json()["error"]["details"][0]["field"] == "body.version"
    event = {"event_id": "00000000-0000-4000-8000-000000000001", "model_version": version,
             "timestamp": "2026-01-01T00:00:00Z", "features": {"x": 1}}  # fmt: skip
    answer = client.post("/v1/models/loans/events", json={"events": [event]}, headers=admin)
    assert answer.status_code == 200
    assert answer.json()["rejected"] == 1
    assert "model_version" in answer.json()["results"][0]["error"]["message"]
    if version not in ("", ".", "..") and "/" not in version:  # others never reach the route
        path = f"/v1/models/loans/versions/{quote(version, safe='')}/baseline"
        put = client.put(path, json={}, headers=admin)
        assert put.status_code == (400 if "\x00" in version else 422), put.text
    assert client.get("/v1/models/loans/versions", headers=admin).json()["items"] == []
    with pytest.raises(ValueError, match=r"not '\.' or '\.\.'"):
        app.state.store.models.create_version("loans", version)


@pytest.mark.parametrize("version", [".", ".."])
def test_the_sdk_refuses_dot_versions(version: str) -> None:
    from driftpilot.ingest._records import is_model_version

    assert not is_model_version(version)
    assert is_model_version("...")
    assert is_model_version(".hidden")


def test_a_model_version_that_is_a_list_or_object_is_rejected_per_event(
    client: TestClient, admin: Headers
) -> None:
    client.post("/v1/models", json={"name": "loans", "task": "binary"}, headers=admin)
    events = [
        {"event_id": f"00000000-0000-4000-8000-00000000000{i}", "model_version": version,
         "timestamp": "2026-01-01T00:00:00Z", "features": {"x": 1}}
        for i, version in enumerate([[], [{}], {"a": 1}, "1"])
    ]  # fmt: skip
    answer = client.post("/v1/models/loans/events", json={"events": events}, headers=admin)
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["rejected"] * 3 + ["stored"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/monitors?model=%00", None),
        ("GET", "/v1/models/a%00b", None),
        ("POST", "/v1/keys", {"scopes": ["read"], "name": "\x000"}),
        ("POST", "/v1/silences", {"matchers": {"a\x00": "b"}, "ends_at": "2099-01-01T00:00:00Z"}),
    ],
)
def test_a_nul_character_is_a_4xx_not_a_database_error(
    client: TestClient, admin: Headers, method: str, path: str, body: Any
) -> None:
    answer = client.request(method, path, json=body, headers=admin)
    in_url = "%00" in path  # refused before any route runs (server/_url.py)
    assert answer.status_code == (400 if in_url else 422), answer.text
    assert answer.json()["error"]["code"] == ("malformed_request" if in_url else "validation_error")
