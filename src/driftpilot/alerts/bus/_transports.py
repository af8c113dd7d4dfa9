"""One FastStream broker per destination: connect, declare what is missing, send, close.

FastStream is imported inside these functions only (the ``brokers`` extra), never when
``driftpilot`` is imported. Every transport sends the same bytes, the CloudEvent in JSON
structured mode (content type ``application/cloudevents+json``), with the event's id as the
correlation id and, where the transport has headers, the attributes as binary-mode headers:
``ce-id``, ``ce-type``, ``ce-source``, ``ce-specversion`` (and ``ce-time``, ``ce-subject``
when set) on NATS and RabbitMQ; ``ce_id`` ... on Kafka, whose CloudEvents binding uses ``_``.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from driftpilot._optional import require

if TYPE_CHECKING:
    from faststream.kafka import KafkaBroker
    from faststream.nats import NatsBroker
    from faststream.rabbit import RabbitBroker
    from faststream.redis import RedisBroker
    from faststream.redis.parser import MessageFormat

    from driftpilot.alerts.bus._destination import BusDestination

__all__ = ["CONTENT_TYPE", "Transport", "ce_headers", "open_transport", "require_driver"]

CONTENT_TYPE = "application/cloudevents+json"
_MODULES = {
    "nats": "faststream.nats",
    "redis": "faststream.redis",
    "rabbit": "faststream.rabbit",
    "kafka": "faststream.kafka",
}
_ATTRIBUTES = ("id", "type", "source", "specversion", "time", "subject")
# FastStream's own messages (connection lost, reconnected) go to driftpilot's log.
_LOG = logging.getLogger("driftpilot.alerts.bus")


def require_driver(kind: str) -> None:
    """Import FastStream's module for ``kind``, or raise `MissingDependencyError` (``brokers``)."""
    require(_MODULES[kind], extra="brokers", purpose=f"Publishing events to {kind}")


def ce_headers(event: Mapping[str, Any], prefix: str = "ce-") -> dict[str, str]:
    """Return the event's context attributes as CloudEvents binary-mode headers."""
    return {f"{prefix}{a}": str(event[a]) for a in _ATTRIBUTES if event.get(a) is not None}


class Transport(Protocol):
    """A connected (or connectable) FastStream broker bound to one destination."""

    async def connect(self) -> None:
        """Connect and declare the stream, exchange or queue the destination needs."""

    async def send(self, body: bytes, event: Mapping[str, Any]) -> None:
        """Publish one encoded event; return only once the broker has acknowledged it."""

    async def close(self) -> None:
        """Close the connection."""


def open_transport(destination: BusDestination, *, timeout: float) -> Transport:
    """Return an unconnected transport for ``destination``."""
    factories: dict[str, Callable[[BusDestination, float], Transport]] = {
        "nats": _Nats, "redis": _Redis, "rabbit": _Rabbit, "kafka": _Kafka,
    }  # fmt: skip
    return factories[destination.kind](destination, timeout)


class _Nats:
    """NATS JetStream, into a stream created if missing.

    ``Nats-Msg-Id`` is the event id, so a retried publish within the stream's duplicate window
    (two minutes by default) is stored once.
    """

    def __init__(self, destination: BusDestination, timeout: float) -> None:
        from faststream.nats import NatsBroker

        self._subject = destination.target
        self._stream: str = destination.options["stream"]
        self._stream_subjects: Sequence[str] = destination.options["stream_subjects"]
        self._timeout = timeout
        self._broker: NatsBroker = NatsBroker(
            destination.url, connect_timeout=max(1, math.ceil(timeout)), logger=_LOG
        )

    async def connect(self) -> None:
        from nats.js.errors import NotFoundError

        client = await self._broker.connect()
        jetstream = client.jetstream()
        try:
            await jetstream.stream_info(self._stream)
        except NotFoundError:
            await jetstream.add_stream(name=self._stream, subjects=list(self._stream_subjects))

    async def send(self, body: bytes, event: Mapping[str, Any]) -> None:
        headers = {"content-type": CONTENT_TYPE, **ce_headers(event), "Nats-Msg-Id": event["id"]}
        await self._broker.publish(
            body, self._subject, headers=headers, correlation_id=event["id"],
            stream=self._stream, timeout=self._timeout,
        )  # fmt: skip

    async def close(self) -> None:
        await self._broker.stop()


@cache
def _raw_format() -> type[MessageFormat]:
    """Return a FastStream Redis message format that stores the body as it is, unwrapped."""
    from faststream.redis.parser import MessageFormat

    class RawMessageFormat(MessageFormat):
        @classmethod
        async def encode(cls, *, message: Any, **_: Any) -> bytes:
            if not isinstance(message, bytes):  # pragma: no cover - we only send bytes
                raise TypeError("the raw Redis message format sends bytes only")
            return message

        @classmethod
        def parse(cls, data: bytes) -> tuple[bytes, dict[str, Any]]:
            return data, {}

    return RawMessageFormat


class _Redis:
    """Redis Streams: XADD to the key (``MAXLEN ~ maxlen`` when set)."""

    def __init__(self, destination: BusDestination, timeout: float) -> None:
        from faststream.redis import BinaryMessageFormatV1, RedisBroker

        self._key = destination.target
        self._maxlen: int | None = destination.options["maxlen"]
        raw = destination.options["envelope"] == "raw"
        self._broker: RedisBroker = RedisBroker(
            destination.url, socket_connect_timeout=timeout, socket_timeout=timeout,
            message_format=_raw_format() if raw else BinaryMessageFormatV1, logger=_LOG,
        )  # fmt: skip

    async def connect(self) -> None:
        client = await self._broker.connect()
        await client.ping()

    async def send(self, body: bytes, event: Mapping[str, Any]) -> None:
        headers = {"content-type": CONTENT_TYPE, **ce_headers(event)}
        await self._broker.publish(
            body, stream=self._key, maxlen=self._maxlen, headers=headers,
            correlation_id=event["id"],
        )  # fmt: skip

    async def close(self) -> None:
        await self._broker.stop()


class _Rabbit:
    """RabbitMQ: persistent messages on a channel with publisher confirms.

    A ``mandatory`` message that no queue takes is returned and raises instead of vanishing.
    """

    def __init__(self, destination: BusDestination, timeout: float) -> None:
        from faststream.rabbit import Channel, RabbitBroker

        options = destination.options
        self._routing_key = destination.target
        self._exchange: str = options["exchange"]
        self._exchange_type: str = options["exchange_type"]
        self._queue: str | None = options["queue"]
        self._mandatory: bool = options["mandatory"]
        self._timeout = timeout
        channel = Channel(publisher_confirms=True, on_return_raises=self._mandatory)
        self._broker: RabbitBroker = RabbitBroker(
            destination.url, timeout=timeout, default_channel=channel, logger=_LOG
        )

    async def connect(self) -> None:
        from faststream.rabbit import ExchangeType, RabbitExchange, RabbitQueue

        await self._broker.connect()
        if self._exchange:
            kind = ExchangeType(self._exchange_type)
            await self._broker.declare_exchange(
                RabbitExchange(self._exchange, type=kind, durable=True)
            )
        if self._queue is not None:
            queue = await self._broker.declare_queue(RabbitQueue(self._queue, durable=True))
            if self._exchange:
                await queue.bind(self._exchange, routing_key=self._routing_key)

    async def send(self, body: bytes, event: Mapping[str, Any]) -> None:
        headers: dict[str, Any] = ce_headers(event)
        await self._broker.publish(
            body, exchange=self._exchange or None, routing_key=self._routing_key,
            mandatory=self._mandatory, persist=True, timeout=self._timeout,
            headers=headers, content_type=CONTENT_TYPE, message_id=event["id"],
            message_type=event["type"], correlation_id=event["id"],
        )  # fmt: skip

    async def close(self) -> None:
        await self._broker.stop()


class _Kafka:
    """Kafka, with ``acks="all"`` and an idempotent producer.

    Records are keyed by the event's ``subject`` (when set), so events about one subject keep
    their order in one partition.
    """

    def __init__(self, destination: BusDestination, timeout: float) -> None:
        from faststream.kafka import KafkaBroker

        self._topic = destination.target
        self._servers = destination.bootstrap_servers()
        self._broker: KafkaBroker = KafkaBroker(
            self._servers, request_timeout_ms=max(1, int(timeout * 1000)),
            acks="all", enable_idempotence=True, logger=_LOG,
        )  # fmt: skip

    async def connect(self) -> None:
        # FastStream (0.7) leaves aiokafka's producer unclosed when its start fails, which
        # warns later; so first make sure some bootstrap server accepts a connection at all.
        await _reachable(self._servers)
        await self._broker.connect()

    async def send(self, body: bytes, event: Mapping[str, Any]) -> None:
        subject = event.get("subject")
        headers = {"content-type": CONTENT_TYPE, **ce_headers(event, prefix="ce_")}
        await self._broker.publish(
            body, self._topic, key=None if subject is None else str(subject).encode(),
            headers=headers, correlation_id=event["id"],
        )  # fmt: skip

    async def close(self) -> None:
        await self._broker.stop()


async def _reachable(servers: Sequence[str]) -> None:
    """Return once one of the ``host:port`` servers accepts a TCP connection, else raise."""
    errors: list[str] = []
    for server in servers:
        host, _, port = server.rpartition(":")
        try:
            _, writer = await asyncio.open_connection(host.strip("[]"), int(port))
        except OSError as err:
            errors.append(f"{server}: {err.strerror or err}")
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise ConnectionError(f"No Kafka bootstrap server reachable ({'; '.join(errors)})")
