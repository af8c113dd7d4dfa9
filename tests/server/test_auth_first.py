"""The API key is checked before the body: a bad key with a malformed body is 401/403, not 400.

Every route that requires a key is found in the app itself (not listed by hand), so a route
added later is covered too.
"""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from driftpilot.server.routers import (
    alerts,
    baselines,
    deployments,
    ingest,
    keys,
    models,
    monitors,
    queries,
    registry,
)
from driftpilot.store import Scope

_ROUTERS = (alerts, baselines, deployments, ingest, keys, models, monitors, queries, registry)

_BAD_BODIES = (
    (b"{not json", "application/json"),
    (b'{"name": ', "application/json"),
    (b"- [unclosed", "application/yaml"),
)


def _keyed_routes(app: FastAPI) -> list[tuple[str, str, Scope]]:
    """Every (method, path, scope) of the /v1 routers; checked complete against the OpenAPI."""
    routes = [r for module in _ROUTERS for r in module.router.routes if isinstance(r, APIRoute)]
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/v1/")
        for method in operations
    }
    assert {(m, "/v1" + r.path) for r in routes for m in r.methods} == documented
    found = []
    for route in routes:
        scopes = [
            getattr(d.call, "required_scope", None)
            for d in route.dependant.dependencies
            if getattr(d.call, "required_scope", None) is not None
        ]
        if not scopes:
            continue
        path = re.sub(r"\{[^}]*(id|_id)\}", "1", "/v1" + route.path)
        path = re.sub(r"\{[^}]+\}", "loans", path)
        found.extend((method, path, scopes[0]) for method in sorted(route.methods))
    return found


def _other_scope(scope: Scope) -> str:
    return "ingest" if scope is not Scope.INGEST else "read"


@pytest.mark.slow
def test_every_keyed_route_checks_the_key_before_reading_the_body(
    client: TestClient, app: FastAPI
) -> None:
    routes = _keyed_routes(app)
    assert len(routes) >= 30  # the whole API, not a handful
    with_body = [r for r in routes if r[0] in ("POST", "PUT", "PATCH")]
    assert any("silences" in path for _, path, _ in with_body)
    keys = {name: app.state.store.keys.create([name]).key for name in ("ingest", "read", "admin")}
    revoked = app.state.store.keys.create(["admin"])
    app.state.store.keys.revoke(revoked.key.split("_")[1])
    failures = []
    for method, path, scope in routes:
        for body, content_type in _BAD_BODIES:
            cases: list[tuple[dict[str, str], int]] = [
                ({}, 401),
                ({"Authorization": "Bearer dp_x"}, 401),
                ({"Authorization": "Bearer dp_0123456789abcdef_" + "a" * 43}, 401),
                ({"Authorization": f"Bearer {revoked.key}"}, 401),
            ]
            if scope is not Scope.ADMIN:
                wrong = keys[_other_scope(scope)]
                cases.append(({"Authorization": f"Bearer {wrong}"}, 403))
            else:
                cases.append(({"Authorization": f"Bearer {keys['read']}"}, 403))
            for headers, want in cases:
                response = client.request(
                    method, path, content=body, headers={**headers, "Content-Type": content_type}
                )
                if response.status_code != want:
                    failures.append((method, path, headers, response.status_code))
                else:
                    error = response.json()["error"]
                    assert error["code"] == ("unauthorized" if want == 401 else "forbidden")
    assert failures == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/models", b"{not json"),
        ("POST", "/v1/silences", b"{not json"),
        ("POST", "/v1/keys", b"[1, 2"),
    ],
)
def test_a_good_key_with_a_bad_body_still_gets_400(
    client: TestClient, admin: dict[str, str], method: str, path: str, body: bytes
) -> None:
    response = client.request(
        method, path, content=body, headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
