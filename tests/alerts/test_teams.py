"""Microsoft Teams: an Adaptive Card attachment as the incoming-webhook docs show it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from alerts._loopback import LoopbackHTTP, Reply
from alerts._notifications import notification
from driftpilot.alerts.channels import DeliveryError, TeamsChannel


@pytest.fixture
def server() -> Iterator[LoopbackHTTP]:
    with LoopbackHTTP(Reply(200, b"1")) as s:
        yield s


def post(server: LoopbackHTTP, **changes: Any) -> dict[str, Any]:
    with TeamsChannel(server.url("/webhookb2/abc@def/IncomingWebhook/123/456")) as channel:
        channel.send(notification(**changes))
    payload: dict[str, Any] = server.requests[-1].json()
    # The documented envelope: a message whose attachments hold adaptive cards.
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card: dict[str, Any] = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert isinstance(card["body"], list)
    assert card["body"]
    for element in card["body"]:
        assert element["type"] in {"TextBlock", "FactSet"}
        if element["type"] == "TextBlock":
            assert isinstance(element["text"], str)
            assert element["text"]
        else:
            assert all(set(f) == {"title", "value"} for f in element["facts"])
    for action in card.get("actions", []):
        assert action["type"] == "Action.OpenUrl"  # Teams webhooks do not run Action.Submit
    return card


def test_card_has_title_text_facts_findings_and_report_action(server: LoopbackHTTP) -> None:
    card = post(server)
    title = card["body"][0]
    assert title["text"] == notification().title
    assert (title["weight"], title["color"], title["wrap"]) == ("Bolder", "Attention", True)
    facts = next(e for e in card["body"] if e["type"] == "FactSet")["facts"]
    assert {f["title"]: f["value"] for f in facts}["Model"] == "loan-default (version 3)"
    assert "- feature_0 — psi 0.3" in card["body"][-1]["text"]
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open the report",
            "url": "https://driftpilot.example.com/reports/42",
        }
    ]


def test_no_action_without_a_report_and_revision_marked(server: LoopbackHTTP) -> None:
    card = post(server, report_url=None, revision=True)
    assert "actions" not in card
    assert any("Revision: late labels" in e.get("text", "") for e in card["body"])


def test_resolved_is_green_and_says_resolved(server: LoopbackHTTP) -> None:
    card = post(server, kind="resolved")
    assert card["body"][0]["text"].startswith("Resolved:")
    assert card["body"][0]["color"] == "Good"


def test_connector_throttling_in_a_200_body_is_a_retryable_failure(server: LoopbackHTTP) -> None:
    server.script(Reply(200, b"Microsoft Teams endpoint returned HTTP error 429 with ContextId x"))
    with (
        TeamsChannel(server.url("/webhookb2/SECRETPART")) as channel,
        pytest.raises(DeliveryError) as caught,
    ):
        channel.send(notification())
    assert caught.value.retryable
    assert caught.value.status == 429
    assert "SECRETPART" not in str(caught.value)
