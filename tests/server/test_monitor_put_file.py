"""``PUT /v1/monitors/{name}`` takes a monitor file as the README shows it (model + monitors)."""

from __future__ import annotations

from fastapi.testclient import TestClient

FILE = """\
model: loans
monitors:
  - name: loans-hourly
    reference: {start: 2026-01-01T00:00:00Z, end: 2026-01-08T00:00:00Z}
    window: {size: 1h}
    checks:
      - {type: missing_values, tolerance: 0.02}
"""


def test_put_takes_a_file_holding_the_one_monitor(
    client: TestClient, admin: dict[str, str]
) -> None:
    created = client.post("/v1/models", json={"name": "loans", "task": "binary"}, headers=admin)
    assert created.status_code == 201
    put = client.put("/v1/monitors/loans-hourly", content=FILE,
                     headers={**admin, "content-type": "application/yaml"})  # fmt: skip
    assert put.status_code in (200, 201), put.text
    assert client.get("/v1/monitors/loans-hourly", headers=admin).json()["model"] == "loans"
    other = client.put("/v1/monitors/other", content=FILE,
                       headers={**admin, "content-type": "application/yaml"})  # fmt: skip
    assert other.status_code == 422
    assert "exactly one monitor named 'other'" in other.json()["error"]["message"]
