"""Stateful fuzzing of a real ``driftpilot serve``: every operation of the OpenAPI document.

The service is filled first (a model with versions, a baseline, events, labels, a monitor
with runs and a firing alert, a silence, keys), so generated requests reach the deep routes
with ids that exist instead of stopping at 404. A hypothesis state machine then draws, step
by step, an operation and a request for it from schemathesis (valid and invalid data), with
path parameters taken from what exists (and what the machine created on the way: models,
versions, monitors, silences, keys) or generated. Each answer must be no 5xx, a status the
document lists for the operation, a body matching the document's schema and, for a 4xx, the
error object. At the end every operation of the document was called.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from driftpilot.datasets import make_traffic
from driftpilot.profile import baseline
from driftpilot.store import Store, create_engine
from server.server_process import Server

pytestmark = pytest.mark.slow

MODEL, MONITOR = "loans", "loans-1h"
#: Which pool of known values each path parameter draws from.
POOLS = {
    "model": "models",
    "version": "versions",
    "name": "monitors",
    "run_id": "runs",
    "alert_id": "alerts",
    "silence_id": "silences",
    "key_id": "keys",
    "notification_id": "notifications",  # none: the fixture has no alert channel
    "alias": "aliases",
}
#: Operations that make something the machine may use later: (pool, field of the answer).
LEARNED = {
    ("POST", "/v1/models"): ("models", "name"),
    ("POST", "/v1/models/{model}/versions"): ("versions", "version"),
    ("PUT", "/v1/monitors/{name}"): ("monitors", "name"),
    ("POST", "/v1/silences"): ("silences", "id"),
    ("POST", "/v1/keys"): ("keys", "key_id"),
    ("PUT", "/v1/models/{model}/aliases/{alias}"): ("aliases", "alias"),
}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
#: A path parameter for a destructive call when the machine made nothing of its kind yet.
MISSING = "fuzz-missing"
GENERATE_ONCE = settings(
    max_examples=1, phases=[Phase.generate], database=None, deadline=None,
    suppress_health_check=list(HealthCheck),
)  # fmt: skip
#: Operations that destroy: they draw only from what the machine made, never the fixture.
DESTRUCTIVE = {"DELETE"}


@dataclass
class Known:
    """What exists on the server; the fixture's part is kept from destructive calls."""

    fixture: dict[str, set[Any]]
    made: dict[str, set[Any]] = field(default_factory=lambda: {p: set() for p in POOLS.values()})

    def values(self, pool: str, *, destructive: bool) -> list[Any]:
        found = set(self.made[pool]) if destructive else self.fixture[pool] | self.made[pool]
        return sorted(found, key=str)


def _populate(api: httpx.Client) -> dict[str, set[Any]]:
    traffic = make_traffic(hours=10, per_hour=320, reference_hours=4, drift_at=7, seed=31)
    assert api.post("/v1/models", json={"name": MODEL, "task": "binary"}).status_code == 201
    assert api.post(f"/v1/models/{MODEL}/versions", json={"version": "v0"}).status_code == 201
    for i in range(0, len(traffic.events), 2000):
        batch = {"events": traffic.events[i : i + 2000]}
        answer = api.post(f"/v1/models/{MODEL}/events", json=batch)
        assert answer.status_code == 200, answer.text
    answer = api.post(f"/v1/models/{MODEL}/labels", json={"labels": traffic.labels[:2000]})
    assert answer.status_code == 200, answer.text
    features = pa.Table.from_pylist([e["features"] for e in traffic.events[:1200]])
    document = baseline(features, model_name=MODEL, model_version="v1").to_json()
    answer = api.put(
        f"/v1/models/{MODEL}/versions/v1/baseline",
        content=document,
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    monitor = {
        "model": MODEL, "window": {"size": "1h"},
        "reference": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T04:00:00Z"},
        "checks": [{"type": "feature_drift", "mode": "exact"}, {"type": "missing_values"}],
        "alerts": [{"name": "drift", "when": {"check": "feature_drift"}, "labels": {"team": "a"}}],
        "slos": [{"name": "psi", "metric": "psi", "feature": "credit_score", "kind": "mean",
                  "objective": "< 0.1"}],
    }  # fmt: skip
    assert api.put(f"/v1/monitors/{MONITOR}", json=monitor).status_code == 200
    answer = api.post(
        f"/v1/monitors/{MONITOR}/backfill",
        params={"start": "2026-01-01T04:00:00Z", "end": "2026-01-01T10:00:00Z"},
    )
    assert answer.status_code == 200, answer.text
    runs = api.get(f"/v1/monitors/{MONITOR}/runs").json()["items"]
    alerts = api.get("/v1/alerts").json()["items"]
    silence = api.post(
        "/v1/silences", json={"matchers": {"team": "b"}, "ends_at": "2099-01-01T00:00:00Z"}
    ).json()
    artifact = b"fuzz artifact bytes"
    manifest = {"flavor": "pickle", "sha256": hashlib.sha256(artifact).hexdigest()}
    answer = api.put(
        f"/v1/models/{MODEL}/versions/v1/artifact",
        files={"file": ("model.pkl", artifact)}, data={"manifest": json.dumps(manifest)},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    answer = api.put(
        f"/v1/models/{MODEL}/aliases/champion", json={"version": "v1", "reason": "fixture"}
    )
    assert answer.status_code == 200, answer.text
    reader = api.post("/v1/keys", json={"scopes": ["read"], "name": "reader"}).json()
    assert runs
    assert alerts
    return {
        "models": {MODEL},
        "versions": {"v0", "v1"},
        "monitors": {MONITOR},
        "runs": {r["run_id"] for r in runs},
        "alerts": {a["id"] for a in alerts},
        "silences": {silence["id"]},
        "keys": {reader["key_id"]},
        "notifications": set(),
        "aliases": {"champion"},
    }


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[tuple[Server, str]]:
    store = Store(create_engine(db_url))  # in-process: the CLI's start-up costs seconds
    key = store.keys.create(["admin"], name="fuzz").key
    store.close()
    server = Server(db_url, tmp_path, "--artifacts", str(tmp_path / "artifacts"))
    yield server, key
    server.stop()


def _modes(operation: Any, fixed: set[str]) -> list[GenerationMode]:
    """The generation modes that can make a request for ``operation`` (path ``fixed`` given).

    A negative case needs something to break: a query parameter, a body, or a path
    parameter left to the generator whose type is not a string (any text is a valid string
    in a URL). Without one, schemathesis finds no negative case, and the failed draw would
    discard the machine's whole run (hypothesis then starts another: time spent, nothing
    tested). The Authorization header is always ours.
    """
    breakable = bool(list(operation.body)) or any(
        p.location is ParameterLocation.QUERY
        or (
            p.location is ParameterLocation.PATH
            and p.name not in fixed
            and p.definition.get("schema", {}).get("type", "string") != "string"
        )
        for p in operation.iter_parameters()
    )
    return list(GenerationMode) if breakable else [GenerationMode.POSITIVE]


def _check_error_object(response: Any, where: str) -> None:
    if not 400 <= response.status_code < 500:
        return
    body = json.loads(response.content)
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict), f"{where}: no error object in {response.content[:300]!r}"
    assert set(error) == {"code", "message", "details"}, f"{where}: {error}"
    assert isinstance(error["code"], str), f"{where}: {error}"
    assert error["code"], f"{where}: {error}"
    assert isinstance(error["message"], str), f"{where}: {error}"
    assert error["message"], f"{where}: {error}"


def test_every_operation_of_a_populated_service_answers_within_its_document(
    served: tuple[Server, str],
) -> None:
    server, key = served
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as api:
        fixture = _populate(api)
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = sorted(
        (op.ok() for op in schema.get_all_operations()), key=lambda o: (o.path, o.method)
    )
    documented = {(o.method.upper(), o.path) for o in operations}
    known = Known(fixture)
    called: dict[tuple[str, str], int] = {}
    statuses: dict[tuple[str, str], set[int]] = {}
    failures: dict[str, str] = {}

    def call(operation: Any, data: st.DataObject) -> None:
        """Draw a request for ``operation`` and check the answer (failures are kept).

        The draws never depend on what exists (hypothesis checks that a choice sequence
        draws the same way every time): a path parameter is an index into what is known,
        resolved here, so a pool that grew between two runs changes values, not draws.
        """
        method = operation.method.upper()
        path: dict[str, Any] = {}
        for parameter in operation.path_parameters:
            known_value = data.draw(st.integers(0, 9), label="known") < 8
            index = data.draw(st.integers(0, 10_000), label=parameter.name)
            if known_value:
                values = known.values(POOLS[parameter.name], destructive=method in DESTRUCTIVE)
                path[parameter.name] = values[index % len(values)] if values else MISSING
        modes = _modes(operation, set(path))
        mode = data.draw(st.sampled_from(modes), label="mode")
        case = data.draw(
            operation.as_strategy(generation_mode=mode, path_parameters=path, headers=headers),
            label="case",
        )
        response = case.call(base_url=server.url, timeout=60)
        where = f"{method} {case.formatted_path} ({mode.value})"
        called[(method, operation.path)] = called.get((method, operation.path), 0) + 1
        statuses.setdefault((method, operation.path), set()).add(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS)
            _check_error_object(response, where)
        except (AssertionError, FailureGroup) as failure:
            # Kept, not raised: the server's state moves on, so hypothesis could neither
            # replay nor shrink a failing step; every distinct failure is reported below.
            first = str(failure).strip().splitlines()[:3]
            failures.setdefault(f"{method} {operation.path}: {first}", str(failure))
        pool, field = LEARNED.get((method, operation.path), (None, None))
        if pool is not None and response.status_code in (200, 201):
            known.made[pool].add(json.loads(response.content)[field])

    def sweep(operation: Any) -> None:
        @GENERATE_ONCE
        @given(data=st.data())
        def once(data: st.DataObject) -> None:
            call(operation, data)

        once()

    class Machine(RuleBasedStateMachine):
        """One rule: call any operation of the document with a drawn request."""

        @rule(data=st.data())
        def call_an_operation(self, data: st.DataObject) -> None:
            call(data.draw(st.sampled_from(operations), label="operation"), data)

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=5,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            phases=[Phase.generate],
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    for operation in operations:  # any operation the machine did not draw: once each
        if (operation.method.upper(), operation.path) not in called:
            sweep(operation)
    # The machine's draws depend on the set of operations, so a deep route may have been
    # drawn only with bad requests; one well-formed call on what exists makes sure it is
    # reached (and checked against its document like every other answer).
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as api:
        for alert_id in known.values(POOLS["alert_id"], destructive=False)[:1]:
            answer = api.post(f"/v1/alerts/{alert_id}/ack", json={"by": "fuzz"})
            statuses.setdefault(("POST", "/v1/alerts/{alert_id}/ack"), set()).add(
                answer.status_code
            )
            if answer.status_code >= 400:
                _check_error_object(answer, f"POST /v1/alerts/{alert_id}/ack")
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
    assert set(called) == documented, sorted(documented - set(called))
    # Deep routes reached what exists: a report read, an alert found (200, or 409 once the
    # machine's own runs resolved it), not only 404s.
    assert 200 in statuses[("GET", "/v1/runs/{run_id}")], statuses
    assert statuses[("POST", "/v1/alerts/{alert_id}/ack")] & {200, 409}, statuses
