"""Events published to the real NATS JetStream, Redis and RabbitMQ servers on this machine, and
read back with each broker's own client."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from alerts_bus._brokers import (
    NATS_URL,
    RABBIT_URL,
    REDIS_URL,
    make_events,
    nats_delete_stream,
    nats_read,
    rabbit_bind,
    rabbit_delete,
    rabbit_get,
    require_server,
    unique,
)
from driftpilot.alerts.bus import CONTENT_TYPE, BusPublisher, encode_event

pytestmark = pytest.mark.slow


def _assert_ce_headers(headers: dict[str, Any], event: dict[str, Any]) -> None:
    assert headers["ce-id"] == event["id"]
    assert headers["ce-type"] == event["type"]
    assert headers["ce-source"] == event["source"]
    assert headers["ce-specversion"] == "1.0"


# -- NATS JetStream -----------------------------------------------------------------------


@pytest.fixture
def nats_stream() -> Iterator[tuple[str, str]]:
    require_server(NATS_URL)
    name = unique("DPTEST_")
    prefix = name.lower()
    yield name, prefix
    nats_delete_stream(name)


def test_nats_jetstream_stores_the_cloudevents(nats_stream: tuple[str, str]) -> None:
    stream, prefix = nats_stream
    config = {"kind": "nats", "url": NATS_URL, "subject": f"{prefix}.events", "stream": stream,
              "stream_subjects": [f"{prefix}.>"]}  # fmt: skip
    events = make_events(3)
    with BusPublisher.from_config([config], timeout=5.0) as bus:  # creates the stream
        results = [r for e in events for r in bus.publish(e)]
    assert [(r.ok, r.attempts, r.event_id) for r in results] == [(True, 1, e["id"]) for e in events]
    stored = nats_read(stream)
    assert [m.body for m in stored] == [encode_event(e) for e in events]
    for message, event in zip(stored, events, strict=True):
        assert json.loads(message.body) == event
        _assert_ce_headers(message.headers, event)
        assert message.headers["content-type"] == CONTENT_TYPE
        assert message.headers["Nats-Msg-Id"] == event["id"]


def test_nats_jetstream_drops_a_republished_event(nats_stream: tuple[str, str]) -> None:
    # What a retry after a lost acknowledgement does: the same id twice is stored once.
    stream, prefix = nats_stream
    config = {"kind": "nats", "url": NATS_URL, "subject": f"{prefix}.x", "stream": stream,
              "stream_subjects": [f"{prefix}.>"]}  # fmt: skip
    event, other = make_events(2)
    with BusPublisher.from_config([config]) as bus:
        assert all(r.ok for e in (event, event, other) for r in bus.publish(e))
    assert [json.loads(m.body)["id"] for m in nats_read(stream)] == [event["id"], other["id"]]


# -- Redis Streams --------------------------------------------------------------------------


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    require_server(REDIS_URL)
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def redis_key(redis_client: redis.Redis) -> Iterator[str]:
    key = unique("dptest:")
    yield key
    redis_client.delete(key)


def test_redis_stream_entries_are_the_cloudevent_json(
    redis_client: redis.Redis, redis_key: str
) -> None:
    key = redis_key
    events = make_events(3)
    with BusPublisher.from_config([{"kind": "redis", "url": REDIS_URL, "stream": key}]) as bus:
        results = [r for e in events for r in bus.publish(e)]
    assert all(r.ok and r.attempts == 1 for r in results)
    entries = redis_client.xrange(key)
    assert [fields for _, fields in entries] == [{b"__data__": encode_event(e)} for e in events]
    assert [json.loads(f[b"__data__"])["id"] for _, f in entries] == [e["id"] for e in events]


def test_redis_maxlen_trims_and_faststream_envelope_keeps_headers(
    redis_client: redis.Redis, redis_key: str
) -> None:
    key = redis_key
    from faststream.redis import BinaryMessageFormatV1

    config = {"kind": "redis", "url": REDIS_URL, "stream": key, "maxlen": 2,
              "envelope": "faststream"}  # fmt: skip
    events = make_events(3)
    with BusPublisher.from_config([config]) as bus:
        assert all(r.ok for e in events for r in bus.publish(e))
    entries = redis_client.xrange(key)
    # MAXLEN ~ trims whole radix-tree nodes, so a short stream may keep all three.
    assert 2 <= len(entries) <= 3
    for (_, fields), event in zip(entries[::-1], events[::-1], strict=False):
        body, headers = BinaryMessageFormatV1.parse(fields[b"__data__"])
        assert body == encode_event(event)
        _assert_ce_headers(headers, event)
        assert headers["content-type"] == CONTENT_TYPE


def test_many_threads_publish_through_one_publisher(
    redis_client: redis.Redis, redis_key: str
) -> None:
    key = redis_key
    events = make_events(40)
    failures: list[str] = []
    with BusPublisher.from_config([{"kind": "redis", "url": REDIS_URL, "stream": key}]) as bus:

        def work(part: list[dict[str, Any]]) -> None:
            failures.extend(r.error or "" for e in part for r in bus.publish(e) if not r.ok)

        threads = [threading.Thread(target=work, args=(events[i::8],)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []
    ids = sorted(json.loads(f[b"__data__"])["id"] for _, f in redis_client.xrange(key))
    assert ids == sorted(e["id"] for e in events)


# -- RabbitMQ -------------------------------------------------------------------------------


@pytest.fixture
def rabbit_names() -> Iterator[dict[str, str]]:
    require_server(RABBIT_URL)
    names = {"exchange": unique("dptest-x-"), "queue": unique("dptest-q-")}
    yield names
    rabbit_delete(exchanges=(names["exchange"],), queues=(names["queue"],))


def _assert_amqp(messages: list[Any], events: list[dict[str, Any]]) -> None:
    assert [m.body for m in messages] == [encode_event(e) for e in events]
    for message, event in zip(messages, events, strict=True):
        assert json.loads(message.body) == event
        assert message.content_type == CONTENT_TYPE
        assert message.message_id == event["id"]
        assert message.type == event["type"]
        assert message.persistent
        _assert_ce_headers(message.headers, event)


def test_rabbit_exchange_routes_to_a_bound_queue(rabbit_names: dict[str, str]) -> None:
    exchange, queue = rabbit_names["exchange"], rabbit_names["queue"]
    rabbit_bind(exchange, queue, "driftpilot.#")
    config = {"kind": "rabbit", "url": RABBIT_URL, "exchange": exchange,
              "routing_key": "driftpilot.alert"}  # fmt: skip
    events = make_events(3)
    with BusPublisher.from_config([config]) as bus:
        results = [r for e in events for r in bus.publish(e)]
    assert all(r.ok and r.attempts == 1 for r in results)
    _assert_amqp(rabbit_get(queue), events)


def test_rabbit_queue_is_declared_durable_and_filled(rabbit_names: dict[str, str]) -> None:
    queue = rabbit_names["queue"]
    events = make_events(3)
    with BusPublisher.from_config([{"kind": "rabbit", "url": RABBIT_URL, "queue": queue}]) as bus:
        assert all(r.ok for e in events for r in bus.publish(e))
    _assert_amqp(rabbit_get(queue), events)


def test_rabbit_unroutable_event_is_a_failure_not_a_silent_drop(
    rabbit_names: dict[str, str],
) -> None:
    config = {"kind": "rabbit", "url": RABBIT_URL, "exchange": rabbit_names["exchange"],
              "routing_key": "nobody.listens"}  # fmt: skip
    (event,) = make_events(1)
    with BusPublisher.from_config([config], retries=1, backoff=0.01) as bus:
        (result,) = bus.publish(event)
    assert not result.ok
    assert result.attempts == 2
    assert result.error is not None
    assert "NO_ROUTE" in result.error


# -- all three at once ------------------------------------------------------------------------


def test_one_event_to_every_kind_of_destination(
    nats_stream: tuple[str, str],
    redis_client: redis.Redis,
    redis_key: str,
    rabbit_names: dict[str, str],
) -> None:
    key = redis_key
    stream, prefix = nats_stream
    configs = [
        {"kind": "nats", "url": NATS_URL, "subject": f"{prefix}.all", "stream": stream,
         "stream_subjects": [f"{prefix}.>"]},
        {"kind": "redis", "url": REDIS_URL, "stream": key},
        {"kind": "rabbit", "url": RABBIT_URL, "queue": rabbit_names["queue"]},
    ]  # fmt: skip
    (event,) = make_events(1)
    with BusPublisher.from_config(configs) as bus:
        results = bus.publish(event)
    assert [(r.destination.kind, r.ok) for r in results] == [
        ("nats", True), ("redis", True), ("rabbit", True),
    ]  # fmt: skip
    body = encode_event(event)
    assert [m.body for m in nats_read(stream)] == [body]
    assert [f[b"__data__"] for _, f in redis_client.xrange(key)] == [body]
    assert [m.body for m in rabbit_get(rabbit_names["queue"])] == [body]


def test_publisher_is_usable_from_a_running_event_loops_worker_thread(
    redis_client: redis.Redis, redis_key: str
) -> None:
    key = redis_key
    # A server calls publish from worker threads (asyncio.to_thread), never on its own loop.
    (event,) = make_events(1)

    async def serve() -> bool:
        with BusPublisher.from_config([{"kind": "redis", "url": REDIS_URL, "stream": key}]) as bus:
            (result,) = await asyncio.to_thread(bus.publish, event)
        return result.ok

    assert asyncio.run(serve())
    assert redis_client.xlen(key) == 1
