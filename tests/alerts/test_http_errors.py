"""How every HTTP channel fails: statuses, timeouts, refused connections, and no leaked secrets."""

from __future__ import annotations

import logging
import pickle
import socket
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from alerts._loopback import LoopbackHTTP, Reply
from alerts._notifications import notification
from driftpilot.alerts.channels import (
    Channel,
    DeliveryError,
    OpsgenieChannel,
    PagerDutyChannel,
    SlackChannel,
    TeamsChannel,
    WebhookChannel,
)
from driftpilot.alerts.channels._http import parse_retry_after
from driftpilot.alerts.delivery import deliver
from driftpilot.errors import DriftpilotError

TOKEN = "T0KENinTHEpath9f8e7d"
KEY = "0123456789abcdef0123456789abcdef"
HMAC_SECRET = "hmac-secret-4242"

Factory = Callable[[LoopbackHTTP], Channel]

CHANNELS: dict[str, Factory] = {
    "webhook": lambda s: WebhookChannel(s.url(f"/hook/{TOKEN}"), secret=HMAC_SECRET, timeout=0.5),
    "slack": lambda s: SlackChannel(s.url(f"/services/T0/B0/{TOKEN}"), timeout=0.5),
    "teams": lambda s: TeamsChannel(s.url(f"/webhookb2/x/IncomingWebhook/{TOKEN}"), timeout=0.5),
    "pagerduty": lambda s: PagerDutyChannel(KEY, url=s.url("/v2/enqueue"), timeout=0.5),
    "opsgenie": lambda s: OpsgenieChannel(KEY, url=s.url(""), timeout=0.5),
}
SECRETS = (TOKEN, KEY, HMAC_SECRET)


@pytest.fixture
def server() -> Iterator[LoopbackHTTP]:
    with LoopbackHTTP() as s:
        yield s


@pytest.fixture(params=sorted(CHANNELS))
def channel(request: pytest.FixtureRequest, server: LoopbackHTTP) -> Iterator[Channel]:
    made = CHANNELS[request.param](server)
    yield made
    made.close()


def failure(channel: Channel) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        channel.send(notification())
    err = caught.value
    assert isinstance(err, DriftpilotError)
    assert isinstance(err, OSError)
    assert err.code == "delivery_failed"
    assert err.channel == channel.name
    text = str(err) + repr(err) + "".join(traceback.format_exception(err))
    for secret in SECRETS:
        assert secret not in text
    return err


def test_every_channel_hides_its_secrets_in_repr(channel: Channel) -> None:
    for secret in SECRETS:
        assert secret not in repr(channel)
    assert isinstance(channel, Channel)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 425, 429, 409])
def test_transient_statuses_are_retryable(
    server: LoopbackHTTP, channel: Channel, status: int
) -> None:
    server.script(Reply(status, b"try later"))
    err = failure(channel)
    assert (err.retryable, err.status) == (True, status)
    assert f"HTTP {status}" in str(err)
    assert err.retry_after is None


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_are_retried_but_a_revoked_slack_webhook_is_not(
    server: LoopbackHTTP, channel: Channel, status: int
) -> None:
    """A rotated secret or key is fixed while the notification waits; Slack's 403 is final."""
    server.script(Reply(status, b"invalid_token"))
    err = failure(channel)
    assert err.retryable is not (status == 403 and isinstance(channel, SlackChannel))


@pytest.mark.parametrize("status", [400, 404, 405, 410, 413, 415, 422])
def test_statuses_the_receiver_never_accepts_are_not_retryable(
    server: LoopbackHTTP, channel: Channel, status: int
) -> None:
    server.script(Reply(status, b"invalid_payload"))
    err = failure(channel)
    assert (err.retryable, err.status) == (False, status)
    assert "invalid_payload" in str(err)


@pytest.mark.parametrize("status", [301, 302])
def test_redirects_are_not_followed(server: LoopbackHTTP, channel: Channel, status: int) -> None:
    server.script(Reply(status, b"", {"Location": "http://127.0.0.1:9/elsewhere"}))
    assert failure(channel).status == status
    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [429, 503, 500])
def test_retry_after_seconds_is_exposed(
    server: LoopbackHTTP, channel: Channel, status: int
) -> None:
    server.script(Reply(status, b"slow down", {"Retry-After": "12"}))
    assert failure(channel).retry_after == 12.0


def test_retry_after_ignored_on_permanent_statuses(server: LoopbackHTTP, channel: Channel) -> None:
    server.script(Reply(404, b"", {"Retry-After": "12"}))
    assert failure(channel).retry_after is None


def test_timeout_is_a_retryable_delivery_error(server: LoopbackHTTP, channel: Channel) -> None:
    server.script(Reply(200, b"ok", delay=3.0))
    err = failure(channel)
    assert err.retryable
    assert err.status is None
    assert "timed out" in str(err)


def test_refused_connection_is_a_retryable_delivery_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        channel = SlackChannel(f"http://127.0.0.1:{port}/services/T0/B0/{TOKEN}", timeout=0.5)
        with channel:
            err = failure(channel)
    assert err.retryable
    assert err.status is None
    assert "ConnectError" in str(err)
    assert f"http://127.0.0.1:{port}/***" in str(err)


def test_delivery_error_pickles_with_its_attributes() -> None:
    err = DeliveryError("slack: boom", channel="slack", retryable=True, status=429, retry_after=2.0)
    back = pickle.loads(pickle.dumps(err))
    assert (str(back), back.channel, back.retryable, back.status, back.retry_after) == (
        "slack: boom", "slack", True, 429, 2.0,
    )  # fmt: skip


def test_no_secret_reaches_any_log_record(
    server: LoopbackHTTP, channel: Channel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx logs full URLs at INFO, httpcore talks at DEBUG
    server.script(Reply(503, b"down"), Reply(400, b"bad"))
    deliver(channel, notification(), attempts=3, sleep=lambda _: None, seed=1)
    channel.send(notification())
    assert any(r.name == "httpx" for r in caplog.records)
    assert any(r.name == "driftpilot.alerts" for r in caplog.records)
    for record in caplog.records:
        for secret in SECRETS:
            assert secret not in record.getMessage()
    for secret in SECRETS:
        assert secret not in caplog.text


def test_parse_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    later = datetime(2026, 1, 1, 12, 1, 30, tzinfo=UTC)
    assert parse_retry_after(format_datetime(later, usegmt=True), now=now) == 90.0
    assert parse_retry_after(format_datetime(now, usegmt=True), now=later) == 0.0
    assert parse_retry_after("0") == 0.0
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("nan") is None
    assert parse_retry_after("tomorrow") is None
    assert parse_retry_after(None) is None
