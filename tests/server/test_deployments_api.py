"""The deployment API: ETags, conditional writes (409), the actions, the history."""

from __future__ import annotations

from fastapi.testclient import TestClient


def _setup(client: TestClient, admin: dict[str, str]) -> None:
    assert client.post("/v1/models", json={"name": "churn", "task": "binary"},
                       headers=admin).status_code == 201  # fmt: skip
    for version in ("1", "2"):
        assert client.post("/v1/models/churn/versions", json={"version": version},
                           headers=admin).status_code == 201  # fmt: skip


def test_deployment_round_trip_with_etags_and_conflicts(
    client: TestClient, admin: dict[str, str]
) -> None:
    _setup(client, admin)
    url = "/v1/models/churn/deployment"
    first = client.get(url, headers=admin)
    assert first.status_code == 200
    assert first.headers["etag"] == '"0"'
    assert first.json()["champion"] is None
    body = {"action": "set_champion", "version": "1", "reason": "first deploy"}
    changed = client.patch(url, json=body, headers={**admin, "If-Match": '"0"'})
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"1"'
    assert changed.json()["champion"] == "1"
    stale = client.patch(url, json={**body, "version": "2"}, headers={**admin, "If-Match": '"0"'})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"
    assert "revision 1, not 0" in stale.json()["error"]["message"]
    same = client.get(url, headers={**admin, "If-None-Match": '"1"'})
    assert same.status_code == 304
    assert same.content == b""
    canary = {"action": "start_canary", "version": "2", "weight": 10, "owner": "rollout-9",
              "reason": "new model", "actor": "policy:retrain"}  # fmt: skip
    assert client.patch(url, json=canary, headers=admin).json()["canary"] == {
        "version": "2",
        "weight": 10.0,
        "owner": "rollout-9",
    }
    refused = client.patch(url, json=canary, headers=admin)
    assert refused.status_code == 409
    assert "already running" in refused.json()["error"]["message"]
    missing = client.patch(url, json={**canary, "action": "rollback", "to": "7"}, headers=admin)
    assert missing.status_code == 422  # 'to' takes no canary fields (extra="forbid")
    missing = client.patch(url, json={"action": "rollback", "to": "7", "reason": "x"},
                           headers=admin)  # fmt: skip
    assert missing.status_code == 404
    weight = client.patch(url, json={"action": "set_weight", "weight": 150, "reason": "x"},
                          headers=admin)  # fmt: skip
    assert weight.status_code == 422
    assert "weight" in weight.text
    bad = client.patch(url, json={"action": "stop_canary", "reason": "x"},
                       headers={**admin, "If-Match": "three"})  # fmt: skip
    assert bad.status_code == 422
    assert "If-Match" in bad.json()["error"]["message"]
    back = client.patch(url, json={"action": "rollback", "reason": "alert fired"}, headers=admin)
    assert back.json()["canary"] is None
    history = client.get(url + "/history?limit=2", headers=admin).json()
    assert [(i["revision"], i["action"]) for i in history["items"]] == [
        (3, "rollback"),
        (2, "start_canary"),
    ]
    assert history["items"][1]["actor"] == "policy:retrain"
    assert history["items"][0]["actor"].startswith("key:")
    assert history["next_before"] == 2
    rest = client.get(url + "/history?before=2", headers=admin).json()
    assert [i["revision"] for i in rest["items"]] == [1]
    assert rest["next_before"] is None


def test_writes_need_admin_and_reads_need_a_key(client: TestClient, app: object) -> None:
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)
    reader = app.state.store.keys.create(["read"], name="r").key
    headers = {"Authorization": f"Bearer {reader}"}
    assert client.get("/v1/models/x/deployment").status_code == 401
    assert client.get("/v1/models/x/deployment", headers=headers).status_code == 404
    patch = client.patch("/v1/models/x/deployment", headers=headers, content=b"{not json")
    assert patch.status_code == 403  # the key is checked before the body is read
