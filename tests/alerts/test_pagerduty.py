"""PagerDuty Events API v2: trigger and resolve events of the documented shape.

From PagerDuty's Events API v2 OpenAPI document: ``routing_key`` and ``event_action``
(trigger | acknowledge | resolve) are required; a trigger's ``payload`` needs ``summary``,
``severity`` (critical | warning | error | info) and ``source``; ``links`` are objects with an
``href``; a successful enqueue answers 202. The summary is limited to 1024 characters and the
dedup key to 255.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from alerts._loopback import LoopbackHTTP, Reply
from alerts._notifications import notification
from driftpilot.alerts.channels import DeliveryError, PagerDutyChannel

ROUTING_KEY = "e93facc04764012d7bfb002500d5d1a6"
ACCEPTED = Reply(
    202,
    json.dumps({"status": "success", "message": "Event processed", "dedup_key": "x"}).encode(),
    {"Content-Type": "application/json"},
)


@pytest.fixture
def server() -> Iterator[LoopbackHTTP]:
    with LoopbackHTTP(ACCEPTED) as s:
        yield s


def send(server: LoopbackHTTP, **changes: Any) -> dict[str, Any]:
    with PagerDutyChannel(ROUTING_KEY, url=server.url("/v2/enqueue")) as channel:
        channel.send(notification(**changes))
    request = server.requests[-1]
    assert request.path == "/v2/enqueue"
    assert request.headers["content-type"] == "application/json"
    event: dict[str, Any] = request.json()
    assert event["routing_key"] == ROUTING_KEY
    assert event["event_action"] in {"trigger", "acknowledge", "resolve"}
    assert isinstance(event["dedup_key"], str)
    assert 0 < len(event["dedup_key"]) <= 255
    if event["event_action"] == "trigger":
        payload = event["payload"]
        assert {"summary", "severity", "source"} <= set(payload)
        assert 0 < len(payload["summary"]) <= 1024
        assert payload["severity"] in {"critical", "warning", "error", "info"}
        assert isinstance(payload["custom_details"], dict)
        for link in event.get("links", []):
            assert isinstance(link["href"], str)
    return event


@pytest.mark.parametrize("kind", ["fired", "updated", "renotify"])
def test_firing_kinds_trigger(server: LoopbackHTTP, kind: str) -> None:
    event = send(server, kind=kind)
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == "drift-critical/loan-default/-"
    payload = event["payload"]
    assert payload["summary"] == notification().title
    assert payload["source"] == "driftpilot"
    assert payload["component"] == "loan-default"
    assert payload["group"] == "daily-drift"
    assert payload["class"] == "drift-critical"
    assert payload["timestamp"] == "2026-01-01T00:00:00Z"
    assert payload["custom_details"]["findings"][0]["feature"] == "feature_0"
    assert event["links"] == [
        {"href": "https://driftpilot.example.com/reports/42", "text": "driftpilot report"}
    ]


def test_resolved_resolves_the_same_dedup_key(server: LoopbackHTTP) -> None:
    fired = send(server)
    resolved = send(server, kind="resolved")
    assert resolved["event_action"] == "resolve"
    assert resolved["dedup_key"] == fired["dedup_key"]
    assert "payload" not in resolved


@pytest.mark.parametrize(("tier", "severity"), [("critical", "critical"), ("warning", "warning"),
                                                 ("info", "info")])  # fmt: skip
def test_severity_follows_the_tier(server: LoopbackHTTP, tier: str, severity: str) -> None:
    assert send(server, tier=tier)["payload"]["severity"] == severity


def test_long_summary_and_dedup_key_are_cut_stably(server: LoopbackHTTP) -> None:
    key = "rule/" + "m" * 400
    first = send(server, title="S" * 5000, dedup_key=key)
    second = send(server, kind="resolved", dedup_key=key)
    assert len(first["payload"]["summary"]) == 1024
    assert first["dedup_key"] == second["dedup_key"]
    assert send(server, dedup_key=key + "x")["dedup_key"] != first["dedup_key"]


def test_no_links_without_a_report(server: LoopbackHTTP) -> None:
    event = send(server, report_url=None)
    assert "links" not in event


def test_invalid_event_is_not_retryable_and_hides_the_routing_key(server: LoopbackHTTP) -> None:
    body = {"status": "invalid event", "message": "Event object is invalid",
            "errors": [f"routing_key {ROUTING_KEY} is unknown"]}  # fmt: skip
    server.script(Reply(400, json.dumps(body).encode()))
    channel = PagerDutyChannel(ROUTING_KEY, url=server.url("/v2/enqueue"))
    with channel, pytest.raises(DeliveryError) as caught:
        channel.send(notification())
    err = caught.value
    assert (err.retryable, err.status, err.channel) == (False, 400, "pagerduty")
    assert "Event object is invalid" in str(err)
    assert ROUTING_KEY not in str(err)
    assert ROUTING_KEY not in repr(channel)
