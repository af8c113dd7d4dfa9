"""The generic webhook: a CloudEvents 1.0 event, HMAC-signed, against a real loopback server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from alerts._loopback import LoopbackHTTP
from alerts._notifications import notification
from driftpilot.alerts.channels import WebhookChannel, sign, verify_signature
from driftpilot.errors import InvalidParameterError

SECRET = "whsec-0123456789abcdef"
NOW = 1_767_225_700.0


@pytest.fixture
def server() -> Iterator[LoopbackHTTP]:
    with LoopbackHTTP() as s:
        yield s


def test_posts_a_cloudevent_in_structured_mode(server: LoopbackHTTP) -> None:
    n = notification()
    with WebhookChannel(server.url("/events"), secret=SECRET, source="/prod/alerts") as channel:
        channel.send(n)
    (request,) = server.requests
    assert request.path == "/events"
    assert request.headers["content-type"].startswith("application/cloudevents+json")
    event = request.json()
    # CloudEvents 1.0 required attributes, plus the optional ones we set.
    assert event["specversion"] == "1.0"
    assert event["id"] == n.id
    assert event["source"] == "/prod/alerts"
    assert event["type"] == "io.driftpilot.alert.fired"
    assert event["subject"] == n.dedup_key
    assert event["time"] == "2026-01-01T00:00:00Z"
    assert event["datacontenttype"] == "application/json"
    assert event["data"] == json.loads(json.dumps(n.to_dict()))


@pytest.mark.parametrize(
    ("kind", "event_type"),
    [
        ("updated", "io.driftpilot.alert.updated"),
        ("renotify", "io.driftpilot.alert.fired"),
        ("resolved", "io.driftpilot.alert.resolved"),
    ],
)
def test_event_type_follows_the_kind(server: LoopbackHTTP, kind: str, event_type: str) -> None:
    with WebhookChannel(server.url()) as channel:
        channel.send(notification(kind=kind))
    assert server.requests[0].json()["type"] == event_type


def test_signature_verifies_and_fails_on_a_tampered_body(server: LoopbackHTTP) -> None:
    with WebhookChannel(server.url(), secret=SECRET, clock=lambda: NOW) as channel:
        channel.send(notification())
    request = server.requests[0]
    timestamp = request.headers["x-driftpilot-timestamp"]
    header = request.headers["x-driftpilot-signature"]
    assert timestamp == str(int(NOW))
    assert header.startswith("sha256=")
    assert len(header) == len("sha256=") + 64
    assert verify_signature(SECRET, timestamp, request.body, header)
    assert verify_signature(SECRET, timestamp, request.body, header, max_age=300, now=NOW + 10)
    tampered = request.body.replace(b"loan-default", b"loan-defau1t")
    assert tampered != request.body
    assert not verify_signature(SECRET, timestamp, tampered, header)
    assert not verify_signature("another-secret", timestamp, request.body, header)
    assert not verify_signature(SECRET, str(int(NOW) + 1), request.body, header)
    assert not verify_signature(SECRET, timestamp, request.body, header, max_age=300, now=NOW + 301)
    assert not verify_signature(SECRET, timestamp, request.body, None)
    assert not verify_signature(SECRET, timestamp, request.body, "md5=" + header[7:])


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    # RFC 4231, test case 7 (HMAC-SHA-256): its data holds a ". ", which splits it into a
    # "timestamp" and a body that sign() joins again with the dot.
    key = b"\xaa" * 131
    data = (
        "This is a test using a larger than block-size key and a larger than block-size data."
        " The key needs to be hashed before being used by the HMAC algorithm."
    )
    timestamp, _, body = data.partition(".")
    expected = "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
    assert sign(key, timestamp, body.encode()) == "sha256=" + expected


def test_unsigned_without_a_secret_and_extra_headers_sent(server: LoopbackHTTP) -> None:
    headers = {"Authorization": "Bearer abc-123-token", "content-type": "text/plain"}
    with WebhookChannel(server.url(), headers=headers) as channel:
        channel.send(notification())
    request = server.requests[0]
    assert "x-driftpilot-signature" not in request.headers
    assert "x-driftpilot-timestamp" in request.headers
    assert request.headers["authorization"] == "Bearer abc-123-token"
    # Our content type wins over a configured one.
    assert request.headers["content-type"].startswith("application/cloudevents+json")


def test_non_finite_numbers_are_sent_as_null(server: LoopbackHTTP) -> None:
    with WebhookChannel(server.url()) as channel:
        channel.send(notification(context={"psi": float("nan"), "ratio": float("inf")}))
    assert server.requests[0].json()["data"]["context"] == {"psi": None, "ratio": None}


def test_repr_hides_the_secret_the_token_in_the_url_and_header_values() -> None:
    channel = WebhookChannel(
        "https://hooks.example.com/in/tok-SECRETPATH?key=QUERYSECRET",
        secret=SECRET,
        headers={"Authorization": "Bearer HEADERSECRET"},
    )
    with channel:
        text = repr(channel)
    for secret in (SECRET, "tok-SECRETPATH", "QUERYSECRET", "HEADERSECRET"):
        assert secret not in text
    assert "https://hooks.example.com/***" in text
    assert "Authorization" in text


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"url": "ftp://example.com/x"}, "'url'"),
        ({"url": "not a url"}, "'url'"),
        ({"url": "https://example.com", "secret": ""}, "'secret'"),
        ({"url": "https://example.com", "timeout": 0}, "'timeout'"),
        ({"url": "https://example.com", "source": ""}, "'source'"),
    ],
)
def test_bad_parameters_are_named(kwargs: dict[str, object], needle: str) -> None:
    url = kwargs.pop("url")
    with pytest.raises(InvalidParameterError, match=needle):
        WebhookChannel(url, **kwargs)  # type: ignore[arg-type]
