"""Opsgenie Alert API: create by alias, close by alias, within the documented limits.

From the Alert API: create is ``POST /v2/alerts`` with a required ``message`` of at most 130
characters, ``alias`` at most 512, ``description`` at most 15000, at most 20 ``tags``,
``details`` a map of strings, ``priority`` P1..P5; close is
``POST /v2/alerts/{identifier}/close?identifierType=alias``; both answer 202 and take
``Authorization: GenieKey <key>``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest

from alerts._loopback import LoopbackHTTP, Reply, Request
from alerts._notifications import notification
from driftpilot.alerts.channels import DeliveryError, OpsgenieChannel

API_KEY = "eb243592-faa2-4ba2-a551q-1afdf565c889"
QUEUED = Reply(202, json.dumps({"result": "Request will be processed", "took": 0.3,
                                "requestId": "43a29c5c"}).encode())  # fmt: skip


@pytest.fixture
def server() -> Iterator[LoopbackHTTP]:
    with LoopbackHTTP(QUEUED) as s:
        yield s


def send(server: LoopbackHTTP, **changes: Any) -> Request:
    with OpsgenieChannel(API_KEY, url=server.url("")) as channel:
        channel.send(notification(**changes))
    request = server.requests[-1]
    assert request.headers["authorization"] == f"GenieKey {API_KEY}"
    assert request.headers["content-type"] == "application/json"
    return request


def check_create(body: dict[str, Any]) -> None:
    assert isinstance(body["message"], str)
    assert 0 < len(body["message"]) <= 130
    assert 0 < len(body["alias"]) <= 512
    assert len(body["description"]) <= 15000
    assert body["priority"] in {"P1", "P2", "P3", "P4", "P5"}
    assert len(body["tags"]) <= 20
    assert all(0 < len(t) <= 50 for t in body["tags"])
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in body["details"].items())
    assert len(body["entity"]) <= 512
    assert len(body["source"]) <= 100


def test_firing_creates_an_alert_with_the_dedup_key_as_alias(server: LoopbackHTTP) -> None:
    request = send(server)
    assert request.path == "/v2/alerts"
    body = request.json()
    check_create(body)
    assert body["alias"] == "drift-critical/loan-default/-"
    assert body["message"] == notification().title
    assert body["priority"] == "P1"
    assert "team:risk" in body["tags"]
    assert "tier:critical" in body["tags"]
    assert body["details"]["model"] == "loan-default"
    assert body["details"]["report_url"] == "https://driftpilot.example.com/reports/42"
    assert "feature_0 — psi 0.3" in body["description"]


@pytest.mark.parametrize(("tier", "priority"), [("critical", "P1"), ("warning", "P3"),
                                                 ("info", "P5")])  # fmt: skip
def test_priority_follows_the_tier(server: LoopbackHTTP, tier: str, priority: str) -> None:
    assert send(server, tier=tier).json()["priority"] == priority


def test_resolved_closes_by_alias(server: LoopbackHTTP) -> None:
    request = send(server, kind="resolved")
    assert request.path.startswith("/v2/alerts/")
    assert request.path.endswith("/close")
    alias = request.path[len("/v2/alerts/") : -len("/close")]
    assert "/" not in alias  # the alias's slashes are escaped, not new path segments
    assert unquote(alias) == "drift-critical/loan-default/-"
    assert request.query == {"identifierType": ["alias"]}
    body = request.json()
    assert body["source"] == "driftpilot"
    assert body["note"].startswith("Resolved:")


def test_limits_hold_for_long_inputs(server: LoopbackHTTP) -> None:
    labels = {f"label{i}": "v" * 80 for i in range(40)}
    body = send(server, title="M" * 400, dedup_key="k" * 2000, text="x" * 20000,
                labels=labels, model="m" * 900).json()  # fmt: skip
    check_create(body)
    assert len(body["message"]) == 130
    assert len(body["alias"]) == 512


def test_rate_limit_is_retryable_with_retry_after(server: LoopbackHTTP) -> None:
    server.script(Reply(429, b'{"message":"Too many requests"}', {"Retry-After": "3"}))
    channel = OpsgenieChannel(API_KEY, url=server.url(""))
    with channel, pytest.raises(DeliveryError) as caught:
        channel.send(notification())
    assert (caught.value.retryable, caught.value.retry_after) == (True, 3.0)
    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(channel)
