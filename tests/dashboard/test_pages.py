"""The dashboard's pages and actions through the ASGI app, on SQLite and PostgreSQL.

A monitor run (through the API) fires an alert; the tests sign in with real keys, read the
pages, act with and without the CSRF token and the admin scope, and check the query layer's
fleet paging. The browser tests (``test_browser``) drive the same pages in Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from driftpilot.server import Settings, create_app
from driftpilot.server.dashboard import query
from service_fixtures import db_url, make_events, pg_base, pg_schema_url, sqlite_template  # noqa: F401

SECRET = "dashboard-page-test-secret-of-40-chars!!"


def _app(db: str, tmp_path: Path, **extra: object) -> FastAPI:
    settings = Settings(
        db=db,
        data_dir=tmp_path,
        maintenance_seconds=0,
        monitor_tick_seconds=0,
        dispatch_seconds=0,
        report_secret=SECRET,
        **extra,
    )  # type: ignore[arg-type]
    return create_app(settings)  # fmt: skip


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[FastAPI]:  # noqa: F811
    created = _app(db_url, tmp_path, public_url="https://example.org/dp")
    yield created
    created.state.store.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    # As behind a proxy that mounts the service at /dp (the ASGI root_path); the public URL
    # is https, so the Secure cookie is sent back over https only.
    with TestClient(app, base_url="https://testserver/dp", root_path="/dp") as test_client:
        yield test_client


def _fire(client: TestClient, admin: str) -> None:
    headers = {"Authorization": f"Bearer {admin}"}
    assert client.post("/v1/models", json={"name": "loans", "task": "binary"},
                       headers=headers).status_code == 201  # fmt: skip
    events = make_events(360, start="2025-12-31T22:00:00+00:00", step_seconds=30)
    events += make_events(120, start="2026-01-01T00:00:00+00:00", step_seconds=30, shift=25,
                          seed=1)  # fmt: skip
    answer = client.post("/v1/models/loans/events", json={"events": events}, headers=headers)
    assert answer.status_code == 200
    monitor = {
        "model": "loans", "window": {"size": "1h"},
        "reference": {"start": "2025-12-31T22:00:00Z", "end": "2026-01-01T00:00:00Z"},
        "checks": [{"type": "feature_drift", "min_events": 50}],
        "alerts": [{"name": "input-drift", "when": {"check": "feature_drift"},
                    "tier": "critical"}],
    }  # fmt: skip
    assert client.put("/v1/monitors/hourly", json=monitor, headers=headers).status_code in (
        200,
        201,
    )
    ran = client.post("/v1/monitors/hourly/backfill", headers=headers, params={
        "start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z"})  # fmt: skip
    assert ran.status_code == 200, ran.text


def _sign_in(client: TestClient, key: str) -> str:
    """Sign in; return the CSRF token of the session (read from a page's form)."""
    answer = client.post("/dashboard/login", data={"key": key, "next": "/dp/dashboard/alerts"},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dp/dashboard/alerts"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("dp_session=")
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/dp/dashboard"):
        assert attribute in cookie
    page = client.get("/dashboard/alerts?state=open")
    assert page.status_code == 200
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def test_pages_need_a_session_and_a_valid_key(app: FastAPI, client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/dp/dashboard/"
    answer = client.get("/dashboard/models/loans?days=7", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        "/dp/dashboard/login?next=/dp/dashboard/models/loans?days=7"
    )
    wrong = client.post("/dashboard/login", data={"key": "dp_0123456789abcdef_nope"})
    assert wrong.status_code == 401
    assert re.search(r'<p class="error" role="alert" id="login-error">The API key [^<]+</p>',
                     wrong.text)  # fmt: skip
    assert "dp_session" not in wrong.headers.get("set-cookie", "")
    # the sign-in form never sends anyone to another site
    key = app.state.store.keys.create(["read"], name="r").key
    away = client.post("/dashboard/login", data={"key": key, "next": "https://evil.example/"},
                       follow_redirects=False)  # fmt: skip
    assert away.headers["location"] == "/dp/dashboard/"
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert 'href="/dp/static/dashboard/dashboard.css"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "cdn" not in page.text.lower()


def test_acting_needs_the_csrf_token_and_an_admin_key(app: FastAPI, client: TestClient) -> None:
    store = app.state.store
    admin = store.keys.create(["admin"], name="a").key
    reader = store.keys.create(["read"], name="r")
    _fire(client, admin)
    [view] = query.alerts(store, state="firing")
    alert_id = view.alert.id

    csrf = _sign_in(client, reader.key)
    refused = client.post(f"/dashboard/alerts/{alert_id}/ack", data={"csrf": csrf})
    assert refused.status_code == 403
    assert "read key" in refused.text
    assert store.alerts.get(alert_id).state == "firing"

    csrf = _sign_in(client, admin)
    for token in (None, "forged", csrf[:-1]):
        data = {} if token is None else {"csrf": token}
        answer = client.post(f"/dashboard/alerts/{alert_id}/ack", data=data)
        assert answer.status_code == 403
        assert "CSRF" in answer.text
    assert store.alerts.get(alert_id).state == "firing"

    done = client.post(f"/dashboard/alerts/{alert_id}/ack", data={"csrf": csrf},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    acknowledged = store.alerts.get(alert_id)
    assert acknowledged.state == "acknowledged"
    assert acknowledged.acknowledged_by is not None
    assert acknowledged.acknowledged_by.startswith("dashboard:")

    silenced = client.post(f"/dashboard/alerts/{alert_id}/silence",
                           data={"csrf": csrf, "hours": "2"}, follow_redirects=False)  # fmt: skip
    assert silenced.status_code == 303
    [silence] = store.alerts.silences()
    assert dict(silence.matchers) == {"model": "loans", "monitor": "hourly", "rule": "input-drift"}
    assert [v.alert.id for v in query.alerts(store, state="silenced")] == [alert_id]
    admin_headers = {"Authorization": f"Bearer {admin}"}
    api = client.get("/v1/alerts", params={"state": "silenced"}, headers=admin_headers)
    assert [a["id"] for a in api.json()["items"]] == [alert_id]  # the API reads the same layer

    # signing out needs the token too, and ends the session
    assert client.post("/dashboard/logout", data={"csrf": "x"}).status_code == 403
    out = client.post("/dashboard/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert 'dp_session=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]


def test_revoking_the_key_ends_its_sessions(app: FastAPI, client: TestClient) -> None:
    record = app.state.store.keys.create(["read"], name="r")
    _sign_in(client, record.key)
    app.state.store.keys.revoke(record.record.key_id)
    assert client.get("/dashboard/", follow_redirects=False).status_code == 303


def test_the_model_page_and_a_heatmap_cell(app: FastAPI, client: TestClient) -> None:
    store = app.state.store
    admin = store.keys.create(["admin"], name="a").key
    _fire(client, admin)
    _sign_in(client, admin)
    page = client.get("/dashboard/models/loans")
    assert page.status_code == 200
    assert "3 features by 1 windows" in page.text  # age, income, plan
    assert "prediction: reference vs this period" in page.text
    assert "scores: 1: reference vs this period" in page.text
    heat = query.heatmap(store, "loans", start=None, end=None)
    assert heat.features == ["age", "income", "plan"]
    row = heat.features.index("age")
    cell = heat.cells[row][0]
    assert cell is not None
    assert cell.severity == "critical"  # age shifted by 25 years
    dist = query.distribution(store, "loans", "age", cell.run_id)
    assert dist.kind == "numeric"
    # real value axes: the bins span the smallest to the largest age of either side
    assert 0 < dist.edges[0] < 40 < 65 < dist.edges[-1] < 120
    assert sum(dist.reference) == pytest.approx(1.0)
    assert sum(dist.current) == pytest.approx(1.0)
    middle = len(dist.edges) // 2
    assert sum(dist.reference[:middle]) > sum(dist.current[:middle])  # current sits higher
    part = client.get("/dashboard/models/loans/distribution",
                      params={"feature": "age", "run": cell.run_id, "partial": True})  # fmt: skip
    assert part.status_code == 200
    assert part.text.lstrip().startswith("<h3")
    assert "<svg" in part.text
    plan = query.distribution(store, "loans", "plan", cell.run_id)
    assert plan.kind == "categorical"
    assert sorted(plan.labels) == ["basic", "plus", "pro"]
    missing = client.get("/dashboard/models/nope")
    assert missing.status_code == 404
    assert "There is no model named &#39;nope&#39;" in missing.text
    run = client.get(f"/dashboard/runs/{cell.run_id}")
    assert run.status_code == 200
    assert "hourly on loans" in run.text


def test_the_fleet_pages_sorts_and_filters_many_models(app: FastAPI) -> None:
    store = app.state.store
    for i in range(120):
        store.models.create_model(f"m{i:03d}", "binary")
    first = query.fleet(store, sort="name", descending=False, per_page=50)
    assert (first.total, first.matched, first.pages) == (120, 120, 3)
    assert [r.name for r in first.rows][:2] == ["m000", "m001"]
    last = query.fleet(store, sort="name", descending=False, per_page=50, page=3)
    assert [r.name for r in last.rows][-1] == "m119"
    assert len(last.rows) == 20
    found = query.fleet(store, q="M11", sort="name", descending=True)
    assert [r.name for r in found.rows] == [f"m1{i:02d}" for i in range(19, 9, -1)]
    assert query.fleet(store, only_alerts=True).matched == 0
    ties = query.fleet(store, sort="alerts", descending=True, per_page=3)  # no alerts at all
    assert [r.name for r in ties.rows] == ["m000", "m001", "m002"]  # ties by name, A to Z
    with pytest.raises(ValueError, match="The 'sort' parameter must be one of"):
        query.fleet(store, sort="nope")


def test_without_auth_pages_open_but_actions_still_need_csrf(tmp_path: Path) -> None:
    app = _app(f"sqlite:///{tmp_path / 'x.db'}", tmp_path, auth=False)
    with TestClient(app) as client:
        page = client.get("/dashboard/alerts")
        assert page.status_code == 200
        assert "Sign out" not in page.text
        assert client.post("/dashboard/alerts/1/ack", data={"csrf": "x"}).status_code == 403
