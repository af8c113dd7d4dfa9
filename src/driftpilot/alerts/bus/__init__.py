"""Event buses: CloudEvents to NATS JetStream, Redis Streams, RabbitMQ or Kafka, at least once.

Events are published through FastStream, to one or more destinations chosen in the config.

What driftpilot announces (drift found, alert fired or resolved, monitor run finished; see
``driftpilot.alerts.notification.EVENT_TYPES``) leaves as a CloudEvents 1.0 event in JSON
structured mode, the same bytes on every broker::

    from driftpilot.alerts.bus import BusPublisher

    with BusPublisher.from_config([
        {"kind": "nats", "url": "nats://127.0.0.1:4222", "subject": "driftpilot.events"},
        {"kind": "redis", "url": "redis://127.0.0.1:6379", "stream": "driftpilot:events"},
    ]) as bus:
        results = bus.publish(event)   # one PublishResult per destination
        failed = [r for r in results if not r.ok]   # keep these as dead letters

Delivery is at least once. An event counts as published only once the broker acknowledged
it; a failed attempt is retried with backoff, and a retry can duplicate an event whose
acknowledgement was lost, so consumers deduplicate on the CloudEvent ``id`` (JetStream does
it for them within its duplicate window, through ``Nats-Msg-Id``). After the last retry the
result says ``ok=False`` and the caller keeps the event. How durable an acknowledged event is
depends on the broker: a file-backed JetStream stream, a durable queue with persistent
messages, ``acks=all``; Redis acknowledges in memory and persists as its AOF/RDB settings say.

Why FastStream rather than four client libraries: one publish API and one connect and close
life cycle over the four brokers, with their own reconnection (nats-py, aio-pika's robust
connection, aiokafka, redis-py) underneath. Written here by hand: the synchronous front on
one background loop, the retries, the declarations of streams, exchanges and queues, and a
raw Redis message format (FastStream's default wraps the body in its own binary envelope,
which consumers that are not FastStream cannot read).

Kafka goes through the same code path as the other three (the same `BusPublisher`, retries
and encoding, with FastStream's ``KafkaBroker`` over aiokafka). It was tried without a Kafka
server: no Kafka broker runs on the development machine or in CI, so the tests check its
configuration, its CloudEvents Kafka-binding headers (``ce_`` prefix), and that a publish to
an unreachable bootstrap server goes through connect, retries and an ``ok=False`` result.
NATS, Redis and RabbitMQ are tested against real local servers.
"""

from __future__ import annotations

from driftpilot.alerts.bus._destination import BusDestination, Kind
from driftpilot.alerts.bus._publisher import BusPublisher, PublishResult, encode_event
from driftpilot.alerts.bus._transports import CONTENT_TYPE

__all__ = [
    "CONTENT_TYPE",
    "BusDestination",
    "BusPublisher",
    "Kind",
    "PublishResult",
    "encode_event",
]
