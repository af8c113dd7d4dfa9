"""The app's OpenAPI document, checked against ``tests/server/golden/openapi.json``.

A change of any route, parameter, body or response changes the document; this test fails
until the golden file is regenerated and the diff reviewed. Regenerate with

    scripts/update_openapi

(the same as ``DRIFTPILOT_REGEN_GOLDEN=1 .venv/bin/pytest tests/server/test_openapi_golden.py``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from driftpilot.server import Settings, create_app

GOLDEN = Path(__file__).parent / "golden" / "openapi.json"
REGEN = os.environ.get("DRIFTPILOT_REGEN_GOLDEN") == "1"


def _document(tmp_path: Path) -> dict[str, Any]:
    app = create_app(Settings(db=f"sqlite:///{tmp_path / 'unused.db'}", maintenance_seconds=0))
    try:
        document = app.openapi()
    finally:
        app.state.store.close()
    return {**document, "info": {**document["info"], "version": "<package version>"}}


def _text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_the_openapi_document_matches_the_golden_file(tmp_path: Path) -> None:
    text = _text(_document(tmp_path))
    if REGEN:
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.is_file(), "no golden file: run scripts/update_openapi"
    golden = GOLDEN.read_text(encoding="utf-8")
    if text != golden:
        now, then = json.loads(text)["paths"], json.loads(golden)["paths"]
        changed = sorted(
            f"{method.upper()} {path}"
            for path in now.keys() | then.keys()
            for method in now.get(path, {}).keys() | then.get(path, {}).keys()
            if now.get(path, {}).get(method) != then.get(path, {}).get(method)
        )
        pytest.fail(
            "The OpenAPI document differs from tests/server/golden/openapi.json "
            f"(operations changed: {changed or 'none; components or info'}). If the change is "
            "intended, run scripts/update_openapi and review the diff."
        )


def test_every_operation_lists_its_errors_with_the_error_object(tmp_path: Path) -> None:
    document = _document(tmp_path)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            errors = {s: r for s, r in operation["responses"].items() if s.startswith("4")}
            if path.startswith("/v1/"):
                assert {"401", "403"} <= set(errors), (method, path)
            for status, response in errors.items():
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (
                    method, path, status,
                )  # fmt: skip
    conflicts = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "409" in operation["responses"]
    }
    assert conflicts == {
        ("POST", "/v1/models"),
        ("POST", "/v1/models/{model}/versions"),
        ("PUT", "/v1/models/{model}/versions/{version}/artifact"),
        ("POST", "/v1/models/{model}/versions/{version}/status"),
        ("POST", "/v1/models/{model}/versions/{version}/archive"),
        ("POST", "/v1/models/{model}/versions/{version}/reports"),
        ("PUT", "/v1/models/{model}/aliases/{alias}"),
        ("DELETE", "/v1/models/{model}/aliases/{alias}"),
        ("POST", "/v1/models/{model}/aliases/{alias}/rollback"),
        ("PUT", "/v1/monitors/{name}"),
        ("POST", "/v1/alerts/{alert_id}/ack"),
        ("PATCH", "/v1/models/{model}/deployment"),
    }
    error = document["components"]["schemas"]["ErrorResponse"]
    assert error["required"] == ["error"]
