"""The serving app's bodies and errors (in process; the end-to-end test runs it for real)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from driftpilot.lifecycle import SetChampion
from driftpilot.serving import Router, StoreDeploymentSource, create_serving_app
from driftpilot.store import Store, create_engine
from serving.sklearn_models import load

ROW = {"x1": 0.5, "x2": -1.0, "x3": 2.0}


@pytest.fixture
def app_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(create_engine(f"sqlite:///{tmp_path / 'driftpilot.db'}"))
    store.upgrade()
    store.models.create_model("churn", "binary")
    store.models.create_version("churn", "1")
    yield store
    store.close()


def test_predict_answers_single_and_batch_and_names_bad_input(app_store: Store) -> None:
    router = Router("churn", StoreDeploymentSource(app_store, "churn"), load, interval=0.05)
    with TestClient(create_serving_app(router, max_rows=3)) as client:
        assert client.get("/healthz").status_code == 503
        assert client.post("/predict", json={"features": ROW}).json()["error"]["code"] == (
            "not_serving"
        )
        app_store.deployments.change("churn", SetChampion(version="1"), actor="t", reason="t")
        router.refresh()
        assert client.get("/healthz").json() == {"status": "ok", "revision": 1}
        single = client.post("/predict", json={"features": ROW, "event_id": "order-1"}).json()
        assert single["prediction"] == load("churn", "1").predict([ROW])[0]
        assert single["event_id"] == "order-1"
        assert set(single["scores"]) == {"0", "1"}
        batch = client.post("/predict", json={"rows": [ROW, ROW]}).json()["predictions"]
        assert len(batch) == 2
        cases = {
            b"[1]": "'features' (one row) or 'rows'",
            b'{"rows": [1]}': "'rows' must be a list of objects",
            b'{"rows": [{}, {}, {}, {}]}': "1 to 3 rows. Got 4",
            b'{"features": {}, "rows": []}': "'features' (one row) or 'rows'",
            b'{"rows": [{"x1": 1}], "event_ids": ["a", "b"]}': "one id per row",
        }
        for body, message in cases.items():
            reply = client.post("/predict", content=body)
            assert reply.status_code == 422, body
            assert message in reply.json()["error"]["message"]
        assert client.post("/predict", content=b"\xff").status_code == 400
        assert client.get("/status").json()["requests"] == 2
