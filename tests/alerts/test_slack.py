"""Slack: Block Kit messages within Slack's documented limits, against a real loopback server.

Limits checked (Slack Block Kit reference): at most 50 blocks per message; a header's
plain_text at most 150 characters; a section's text at most 3000; at most 10 fields of at most
2000 characters; at most 10 context elements.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from alerts._loopback import LoopbackHTTP
from alerts._notifications import finding, notification
from driftpilot.alerts.channels import SlackChannel


@pytest.fixture
def server() -> Iterator[LoopbackHTTP]:
    with LoopbackHTTP() as s:
        yield s


def post(server: LoopbackHTTP, **changes: Any) -> dict[str, Any]:
    with SlackChannel(server.url("/services/T000/B000/XXXXXXXX")) as channel:
        channel.send(notification(**changes))
    request = server.requests[-1]
    assert request.headers["content-type"] == "application/json"
    payload: dict[str, Any] = request.json()
    check_block_kit(payload)
    return payload


def check_block_kit(payload: dict[str, Any]) -> None:
    """Assert the documented shape and limits of an incoming-webhook Block Kit message."""
    assert isinstance(payload["text"], str)
    assert payload["text"]
    blocks = payload["blocks"]
    assert 1 <= len(blocks) <= 50
    for block in blocks:
        kind = block["type"]
        assert kind in {"header", "section", "context", "divider", "actions"}
        if kind == "header":
            assert block["text"]["type"] == "plain_text"
            assert 0 < len(block["text"]["text"]) <= 150
        elif kind == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                assert block["text"]["type"] in {"mrkdwn", "plain_text"}
                assert 0 < len(block["text"]["text"]) <= 3000
            for f in block.get("fields", []):
                assert f["type"] in {"mrkdwn", "plain_text"}
                assert 0 < len(f["text"]) <= 2000
            assert len(block.get("fields", [])) <= 10
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= 10
            for element in block["elements"]:
                assert element["type"] in {"mrkdwn", "plain_text", "image"}
                assert len(element.get("text", "")) <= 3000


def test_message_has_header_text_fields_findings_and_context(server: LoopbackHTTP) -> None:
    payload = post(server)
    types = [b["type"] for b in payload["blocks"]]
    assert types == ["header", "section", "section", "section", "context"]
    header, text, fields, findings, context = payload["blocks"]
    assert header["text"]["text"] == ":red_circle: Data drift on loan-default: 3 features drifted"
    assert text["text"]["text"] == "PSI above 0.25 on income, age and term."
    labels = [f["text"].split("\n")[0] for f in fields["fields"]]
    assert labels == ["*Model*", "*Monitor*", "*Window*", "*Tier*"]
    assert "loan-default (version 3)" in fields["fields"][0]["text"]
    assert "2025-12-31T00:00:00Z to 2026-01-01T00:00:00Z" in fields["fields"][2]["text"]
    assert "• feature_0 — psi 0.3" in findings["text"]["text"]
    assert "<https://driftpilot.example.com/reports/42|Open the report>" in str(context)
    assert payload["text"].startswith("[CRITICAL] Data drift on loan-default")


@pytest.mark.parametrize(("tier", "emoji"), [("warning", ":warning:"), ("info", ":information_")])
def test_header_emoji_follows_the_tier(server: LoopbackHTTP, tier: str, emoji: str) -> None:
    payload = post(server, tier=tier)
    assert payload["blocks"][0]["text"]["text"].startswith(emoji)
    assert payload["text"].startswith(f"[{tier.upper()}]")


def test_resolved_says_resolved(server: LoopbackHTTP) -> None:
    payload = post(server, kind="resolved")
    header = payload["blocks"][0]["text"]["text"]
    assert header.startswith(":white_check_mark: Resolved:")
    assert payload["blocks"][1]["text"]["text"].startswith("Resolved.")
    assert payload["text"].startswith("[RESOLVED]")


def test_revision_is_marked_in_a_context_block(server: LoopbackHTTP) -> None:
    plain = post(server)
    revised = post(server, revision=True)
    assert "Revision" not in str(plain["blocks"][-1])
    context = revised["blocks"][-1]
    assert context["type"] == "context"
    assert "Revision: late labels" in context["elements"][0]["text"]
    assert "revised" in revised["text"]


def test_long_inputs_stay_within_limits(server: LoopbackHTTP) -> None:
    payload = post(
        server,
        title="T" * 500,
        text="<&>" * 2000,  # escaping triples its length
        findings=tuple(finding(i, feature="f" * 300) for i in range(40)),
        monitor="m" * 5000,
    )
    findings = payload["blocks"][3]["text"]["text"]
    assert findings.count("•") == 13  # 12 findings and "… and 28 more"
    assert "and 28 more" in findings
    assert "&lt;&amp;&gt;" in payload["blocks"][1]["text"]["text"]


def test_no_findings_section_without_findings(server: LoopbackHTTP) -> None:
    payload = post(server, findings=(), report_url=None, text="")
    types = [b["type"] for b in payload["blocks"]]
    assert types == ["header", "section", "section", "context"]
    # An empty text falls back to the title: Slack rejects an empty section.
    assert payload["blocks"][1]["text"]["text"] == notification().title


def test_missing_values_and_segments_render(server: LoopbackHTTP) -> None:
    payload = post(server, findings=(finding(0, feature=None, segment="EU", value=None),))
    assert "data_drift [EU] — psi n/a" in payload["blocks"][3]["text"]["text"]


def test_repr_hides_the_webhook_token() -> None:
    with SlackChannel("https://hooks.slack.com/services/T0/B0/S3CRETT0KEN") as channel:
        assert "S3CRETT0KEN" not in repr(channel)
        assert "hooks.slack.com" in repr(channel)
