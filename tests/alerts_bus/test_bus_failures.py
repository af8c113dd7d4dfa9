"""Brokers that are down, and brokers that go away and come back: results, never exceptions or
hangs; the next publish after an outage connects afresh."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

from alerts_bus._brokers import (
    NATS_URL,
    RABBIT_URL,
    REDIS_URL,
    TcpProxy,
    free_port,
    make_events,
    nats_delete_stream,
    nats_read,
    rabbit_delete,
    rabbit_get,
    require_server,
    unique,
)
from driftpilot.alerts.bus import BusPublisher, PublishResult

pytestmark = pytest.mark.slow

# A guard against a hang, far above the publisher's own bound for the settings used here.
_HANG_GUARD_S = 60.0


def _publish_bounded(bus: BusPublisher, event: dict[str, Any]) -> list[PublishResult]:
    box: list[list[PublishResult]] = []
    worker = threading.Thread(target=lambda: box.append(bus.publish(event)), daemon=True)
    worker.start()
    worker.join(_HANG_GUARD_S)
    assert not worker.is_alive(), "publish did not return"
    return box[0]


def _unreachable(kind: str, port: int) -> dict[str, Any]:
    return {
        "nats": {"kind": "nats", "url": f"nats://127.0.0.1:{port}", "subject": "driftpilot.x"},
        "redis": {"kind": "redis", "url": f"redis://127.0.0.1:{port}", "stream": "dptest:x"},
        "rabbit": {"kind": "rabbit", "url": f"amqp://guest:guest@127.0.0.1:{port}/",
                   "queue": "dptest-x"},
        # Kafka: no server here; the same publisher, retries and results as the others.
        "kafka": {"kind": "kafka", "url": f"127.0.0.1:{port}", "topic": "driftpilot.events"},
    }[kind]  # fmt: skip


@pytest.mark.parametrize("kind", ["nats", "redis", "rabbit", "kafka"])
def test_an_unreachable_broker_gives_a_failed_result_after_the_retries(kind: str) -> None:
    (event,) = make_events(1)
    config = _unreachable(kind, free_port())
    with BusPublisher.from_config([config], timeout=0.5, retries=2, backoff=0.01) as bus:
        (result,) = _publish_bounded(bus, event)
    assert result.ok is False
    assert result.attempts == 3
    assert result.event_id == event["id"]
    assert result.destination.kind == kind
    assert result.error


def test_a_failed_destination_does_not_hold_back_the_others() -> None:
    require_server(REDIS_URL)
    key = unique("dptest:")
    (event,) = make_events(1)
    configs = [_unreachable("kafka", free_port()), {"kind": "redis", "url": REDIS_URL,
                                                    "stream": key}]  # fmt: skip
    client = redis.Redis.from_url(REDIS_URL)
    try:
        with BusPublisher.from_config(configs, timeout=0.5, retries=1, backoff=0.01) as bus:
            kafka, redis_result = _publish_bounded(bus, event)
        assert (kafka.ok, redis_result.ok) == (False, True)
        assert client.xlen(key) == 1
    finally:
        client.delete(key)
        client.close()


# -- a broker that goes away and comes back --------------------------------------------------


@pytest.fixture
def proxy(request: pytest.FixtureRequest) -> Iterator[TcpProxy]:
    upstream: str = request.param
    require_server(upstream)
    p = TcpProxy(upstream)
    p.start()
    yield p
    p.close()


def _through(proxy: TcpProxy, url: str) -> str:
    """The same broker URL, pointing at the proxy."""
    parts = urlsplit(url)
    auth = parts.netloc.rpartition("@")[0]
    address = f"127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=f"{auth}@{address}" if auth else address))


def _outage(proxy: TcpProxy, bus: BusPublisher) -> list[dict[str, Any]]:
    """Publish before, during and after an outage; return the events acknowledged."""
    before, during, after = make_events(3)
    (first,) = _publish_bounded(bus, before)
    assert first.ok
    proxy.stop()
    (lost,) = _publish_bounded(bus, during)
    assert not lost.ok
    assert lost.attempts == 2
    proxy.start()
    (back,) = _publish_bounded(bus, after)
    assert back.ok, back.error
    assert back.attempts == 1
    return [before, after]


@pytest.mark.parametrize("proxy", [NATS_URL], indirect=True)
def test_nats_reconnects_after_an_outage(proxy: TcpProxy) -> None:
    stream = unique("DPTEST_")
    prefix = stream.lower()
    config = {"kind": "nats", "url": _through(proxy, NATS_URL), "subject": f"{prefix}.x",
              "stream": stream, "stream_subjects": [f"{prefix}.>"]}  # fmt: skip
    try:
        with BusPublisher.from_config([config], timeout=1.0, retries=1, backoff=0.01) as bus:
            acknowledged = _outage(proxy, bus)
        stored = {json.loads(m.body)["id"] for m in nats_read(stream)}
        assert {e["id"] for e in acknowledged} <= stored
    finally:
        nats_delete_stream(stream)


@pytest.mark.parametrize("proxy", [REDIS_URL], indirect=True)
def test_redis_reconnects_after_an_outage(proxy: TcpProxy) -> None:
    key = unique("dptest:")
    config = {"kind": "redis", "url": _through(proxy, REDIS_URL), "stream": key}
    client = redis.Redis.from_url(REDIS_URL)
    try:
        with BusPublisher.from_config([config], timeout=1.0, retries=1, backoff=0.01) as bus:
            acknowledged = _outage(proxy, bus)
        stored = {json.loads(f[b"__data__"])["id"] for _, f in client.xrange(key)}
        assert {e["id"] for e in acknowledged} <= stored
    finally:
        client.delete(key)
        client.close()


@pytest.mark.parametrize("proxy", [RABBIT_URL], indirect=True)
def test_rabbit_reconnects_after_an_outage(proxy: TcpProxy) -> None:
    queue = unique("dptest-q-")
    config = {"kind": "rabbit", "url": _through(proxy, RABBIT_URL), "queue": queue}
    try:
        with BusPublisher.from_config([config], timeout=1.0, retries=1, backoff=0.01) as bus:
            acknowledged = _outage(proxy, bus)
        stored = {json.loads(m.body)["id"] for m in rabbit_get(queue)}
        assert {e["id"] for e in acknowledged} <= stored
    finally:
        rabbit_delete(queues=(queue,))
