"""build_channel(): kinds, options, and secrets given as env or file references."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts._loopback import LoopbackHTTP
from alerts._notifications import notification
from driftpilot.alerts.channels import (
    CHANNEL_KINDS,
    EmailChannel,
    OpsgenieChannel,
    PagerDutyChannel,
    SlackChannel,
    TeamsChannel,
    WebhookChannel,
    build_channel,
)
from driftpilot.errors import InvalidParameterError

KEY = "R0UT1NG-K3Y-abcdef0123"


def test_literal_env_and_file_secrets_resolve(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DP_TEST_PD_KEY", KEY)
    secret_file = tmp_path / "opsgenie"
    secret_file.write_text(KEY + "\n", encoding="utf-8")
    with LoopbackHTTP() as server:
        channels = [
            build_channel("pagerduty", {"routing_key": {"env": "DP_TEST_PD_KEY"},
                                        "url": server.url("/v2/enqueue")}),
            build_channel("opsgenie", {"api_key": {"file": str(secret_file)},
                                       "url": server.url("")}),
            build_channel("pagerduty", {"routing_key": KEY, "url": server.url("/v2/enqueue")}),
        ]  # fmt: skip
        for channel in channels:
            channel.send(notification())
            channel.close()
        bodies = [r.json() for r in server.requests]
        headers = [r.headers for r in server.requests]
    assert bodies[0]["routing_key"] == KEY
    assert headers[1]["authorization"] == f"GenieKey {KEY}"  # trailing newline stripped
    assert bodies[2]["routing_key"] == KEY


def test_webhook_url_secret_and_header_values_may_be_references(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LoopbackHTTP() as server:
        monkeypatch.setenv("DP_TEST_URL", server.url("/in/tok"))
        monkeypatch.setenv("DP_TEST_HMAC", "hmac-secret")
        monkeypatch.setenv("DP_TEST_AUTH", "Bearer xyz")
        channel = build_channel("webhook", {
            "url": {"env": "DP_TEST_URL"},
            "secret": {"env": "DP_TEST_HMAC"},
            "headers": {"Authorization": {"env": "DP_TEST_AUTH"}, "X-Team": "risk"},
            "source": "/prod",
            "name": "ops-hook",
        })  # fmt: skip
        channel.send(notification())
        channel.close()
        (request,) = server.requests
    assert channel.name == "ops-hook"
    assert request.path == "/in/tok"
    assert request.headers["authorization"] == "Bearer xyz"
    assert request.headers["x-team"] == "risk"
    assert "x-driftpilot-signature" in request.headers


def test_every_kind_builds_the_right_class() -> None:
    built = {
        "slack": build_channel("slack", {"webhook_url": "https://hooks.slack.com/services/a"}),
        "teams": build_channel("teams", {"webhook_url": "https://example.com/webhookb2/a"}),
        "webhook": build_channel("webhook", {"url": "https://example.com/a"}),
        "pagerduty": build_channel("pagerduty", {"routing_key": KEY}),
        "opsgenie": build_channel("opsgenie", {"api_key": KEY, "timeout": 5}),
        "email": build_channel("email", {"host": "localhost", "port": 25,
                                         "sender": "dp@example.com",
                                         "recipients": ["ops@example.com"]}),
    }  # fmt: skip
    classes = {"slack": SlackChannel, "teams": TeamsChannel, "webhook": WebhookChannel,
               "pagerduty": PagerDutyChannel, "opsgenie": OpsgenieChannel,
               "email": EmailChannel}  # fmt: skip
    assert set(built) == set(CHANNEL_KINDS)
    for kind, channel in built.items():
        assert type(channel) is classes[kind]
        assert channel.name == kind
        channel.close()


def test_missing_env_variable_names_the_option_not_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DP_TEST_MISSING", raising=False)
    with pytest.raises(InvalidParameterError) as caught:
        build_channel("pagerduty", {"routing_key": {"env": "DP_TEST_MISSING"}})
    message = str(caught.value)
    assert "'routing_key'" in message
    assert "DP_TEST_MISSING" in message
    assert "pagerduty" in message


def test_empty_env_variable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DP_TEST_EMPTY", "")
    with pytest.raises(InvalidParameterError, match="'api_key'"):
        build_channel("opsgenie", {"api_key": {"env": "DP_TEST_EMPTY"}})


def test_missing_or_empty_file_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match=r"'password'.*cannot be read"):
        build_channel("email", {"host": "localhost", "port": 25, "sender": "a@b.test",
                                "recipients": ["c@d.test"], "username": "u",
                                "password": {"file": str(tmp_path / "nope")}})  # fmt: skip
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(InvalidParameterError, match=r"'webhook_url'.*empty"):
        build_channel("slack", {"webhook_url": {"file": str(empty)}})


def test_a_secret_read_from_a_file_never_appears_in_errors(tmp_path: Path) -> None:
    secret = tmp_path / "url"
    secret.write_text("not-a-url-but-a-SECRET-value", encoding="utf-8")
    with pytest.raises(InvalidParameterError) as caught:
        build_channel("slack", {"webhook_url": {"file": str(secret)}})
    assert "SECRET" not in str(caught.value)
    assert "'webhook_url'" in str(caught.value)


@pytest.mark.parametrize(
    ("kind", "options", "match"),
    [
        ("sms", {}, "channel kind must be one of"),
        ("slack", {}, r"needs the option\(s\) \['webhook_url'\]"),
        ("slack", {"webhook_url": "https://x.test", "colour": "red"}, r"Unknown option.*colour"),
        ("slack", {"webhook_url": "https://x.test", "clock": 1}, r"Unknown option.*clock"),
        ("pagerduty", {"routing_key": {"vault": "x"}}, "'routing_key'.*must be a string"),
        ("pagerduty", {"routing_key": {"env": "A", "file": "B"}}, "'routing_key'"),
        ("pagerduty", {"routing_key": 42}, "'routing_key'.*Got int"),
        (
            "email",
            {
                "host": "h",
                "port": 25,
                "sender": "a@b.test",
                "recipients": [],
            },
            "'recipients'",
        ),
    ],
)
def test_bad_configuration_is_named(kind: str, options: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        build_channel(kind, options)
