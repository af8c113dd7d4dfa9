"""deliver(): retries with backoff and full jitter, Retry-After, dead letters; real servers."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator

import pytest

from alerts._loopback import LoopbackHTTP, Reply
from alerts._notifications import notification
from driftpilot.alerts.channels import DeliveryError, SlackChannel, WebhookChannel
from driftpilot.alerts.delivery import DeadLetter, DeliveryResult, deliver
from driftpilot.errors import InvalidParameterError

TOKEN = "S3CRET-T0KEN-xyz"
NOW = 1_767_225_600.0


@pytest.fixture
def server() -> Iterator[LoopbackHTTP]:
    with LoopbackHTTP() as s:
        yield s


@pytest.fixture
def channel(server: LoopbackHTTP) -> Iterator[SlackChannel]:
    with SlackChannel(server.url(f"/services/T0/B0/{TOKEN}"), timeout=0.5) as made:
        yield made


class Waits(list[float]):
    """A ``sleep`` that records instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_first_attempt_success(server: LoopbackHTTP, channel: SlackChannel) -> None:
    waits = Waits()
    result = deliver(channel, notification(), sleep=waits)
    assert result == DeliveryResult(channel="slack", notification_id=notification().id,
                                    delivered=True, attempts=1, error=None,
                                    dead_lettered=False)  # fmt: skip
    assert waits == []
    assert len(server.requests) == 1


def test_retries_503_then_succeeds(server: LoopbackHTTP, channel: SlackChannel) -> None:
    server.script(Reply(503, b"down"), Reply(503, b"down"))
    waits = Waits()
    result = deliver(channel, notification(), backoff=0.5, max_backoff=30, sleep=waits, seed=7)
    assert result.delivered
    assert not result.dead_lettered
    assert result.attempts == 3
    assert len(server.requests) == 3
    assert result.error is not None
    assert "HTTP 503" in result.error
    # Full jitter: retry n waits uniformly in [0, min(cap, base * 2**(n-1))].
    assert len(waits) == 2
    assert 0 <= waits[0] <= 0.5
    assert 0 <= waits[1] <= 1.0
    assert result.waits == tuple(waits)
    # The same body each time: the receiver deduplicates on the notification id.
    assert len({r.body for r in server.requests}) == 1


def test_jitter_is_reproducible_from_a_seed_and_stays_under_the_cap(
    server: LoopbackHTTP, channel: SlackChannel
) -> None:
    server.default = Reply(500, b"broken")
    first, second = Waits(), Waits()
    deliver(channel, notification(), attempts=8, backoff=1, max_backoff=4, sleep=first, seed=3)
    deliver(channel, notification(), attempts=8, backoff=1, max_backoff=4, sleep=second,
            seed=random.Random(3))  # fmt: skip
    assert first == second
    assert len(first) == 7
    caps = [1, 2, 4, 4, 4, 4, 4]
    assert all(0 <= w <= cap for w, cap in zip(first, caps, strict=True))


def test_retry_after_is_honoured(server: LoopbackHTTP, channel: SlackChannel) -> None:
    server.script(Reply(429, b"rate_limited", {"Retry-After": "7"}),
                  Reply(503, b"", {"Retry-After": "2"}))  # fmt: skip
    waits = Waits()
    result = deliver(channel, notification(), backoff=0.5, max_backoff=30, sleep=waits)
    assert result.delivered
    assert result.attempts == 3
    assert waits == [7.0, 2.0]


def test_retry_after_longer_than_max_backoff_gives_up(
    server: LoopbackHTTP, channel: SlackChannel
) -> None:
    server.script(Reply(429, b"", {"Retry-After": "3600"}))
    waits = Waits()
    result = deliver(channel, notification(), max_backoff=30, sleep=waits)
    assert not result.delivered
    assert result.dead_lettered
    assert result.attempts == 1
    assert waits == []
    assert result.dead_letter is not None
    assert result.dead_letter.retryable
    assert "3600" in (result.error or "")


def test_400_is_not_retried(server: LoopbackHTTP, channel: SlackChannel) -> None:
    server.default = Reply(400, b"invalid_blocks")
    waits = Waits()
    result = deliver(channel, notification(), attempts=5, sleep=waits)
    assert len(server.requests) == 1
    assert waits == []
    assert not result.delivered
    assert result.dead_lettered
    assert result.attempts == 1
    letter = result.dead_letter
    assert letter is not None
    assert (letter.retryable, letter.status) == (False, 400)
    assert "invalid_blocks" in letter.error


def test_dead_letter_after_every_attempt_failed(
    server: LoopbackHTTP, channel: SlackChannel, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = Reply(503, b"down")
    waits = Waits()
    n = notification()
    result = deliver(channel, n, attempts=4, sleep=waits, seed=1, clock=lambda: NOW)
    assert len(server.requests) == 4
    assert len(waits) == 3
    assert not result.delivered
    assert result.dead_lettered
    assert result.attempts == 4
    letter = result.dead_letter
    assert letter == DeadLetter(
        channel="slack",
        notification=n.to_dict(),
        error=result.error or "",
        attempts=4,
        retryable=True,
        status=503,
        failed_at=int(NOW * 1e6),
    )
    data = letter.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["notification_id"] == n.id
    assert data["failed_at"] == "2026-01-01T00:00:00Z"
    assert data["notification"]["dedup_key"] == n.dedup_key
    assert any(r.levelno == logging.ERROR and "dead-lettered" in r.getMessage()
               for r in caplog.records)  # fmt: skip
    assert TOKEN not in caplog.text
    assert TOKEN not in letter.error


def test_timeouts_are_retried_then_dead_lettered(server: LoopbackHTTP) -> None:
    server.default = Reply(200, b"ok", delay=2.0)
    with WebhookChannel(server.url(), timeout=0.2) as channel:
        result = deliver(channel, notification(), attempts=2, sleep=Waits())
    assert result.dead_lettered
    assert result.attempts == 2
    assert "timed out" in (result.error or "")


def test_one_attempt_means_no_retry(server: LoopbackHTTP, channel: SlackChannel) -> None:
    server.default = Reply(503, b"")
    result = deliver(channel, notification(), attempts=1, sleep=Waits())
    assert result.dead_lettered
    assert result.attempts == 1
    assert result.waits == ()


class Broken:
    name = "broken"

    def send(self, notification: object) -> None:
        raise KeyError("a bug")

    def close(self) -> None:
        pass


class Flaky:
    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def send(self, notification: object) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise DeliveryError("flaky: HTTP 502", channel=self.name, retryable=True, status=502)

    def close(self) -> None:
        pass


def test_an_unexpected_exception_is_logged_and_dead_lettered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    waits = Waits()
    result = deliver(Broken(), notification(), sleep=waits)
    assert result.dead_lettered
    assert result.attempts == 1
    assert waits == []
    assert result.dead_letter is not None
    assert not result.dead_letter.retryable
    assert "KeyError" in (result.error or "")
    assert any(r.exc_info for r in caplog.records)


def test_any_channel_object_with_send_works() -> None:
    flaky = Flaky(failures=2)
    result = deliver(flaky, notification(), sleep=Waits(), seed=0)
    assert result.delivered
    assert result.attempts == 3
    assert flaky.calls == 3


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"attempts": 0}, "attempts"),
        ({"attempts": 1.5}, "attempts"),
        ({"attempts": True}, "attempts"),
        ({"backoff": -1}, "backoff"),
        ({"max_backoff": float("inf")}, "max_backoff"),
    ],
)
def test_bad_parameters_are_named(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidParameterError, match=f"'{name}'"):
        deliver(Flaky(0), notification(), **kwargs)  # type: ignore[arg-type]
