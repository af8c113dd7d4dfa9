"""Helpers for the event-bus tests: events, server checks, raw-client readers and a TCP proxy.

The readers use the broker's own client library (nats-py, redis-py, aio-pika), not FastStream,
so the tests see what any consumer sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from driftpilot.alerts import EVENT_TYPES, cloudevent

NATS_URL = os.environ.get("DRIFTPILOT_TEST_NATS_URL", "nats://127.0.0.1:4222")
REDIS_URL = os.environ.get("DRIFTPILOT_TEST_REDIS_URL", "redis://127.0.0.1:6379")
RABBIT_URL = os.environ.get("DRIFTPILOT_TEST_RABBIT_URL", "amqp://guest:guest@127.0.0.1:5672/")


def make_events(n: int) -> list[dict[str, Any]]:
    kinds = ["drift", "fired", "resolved", "run"]
    return [
        cloudevent(
            EVENT_TYPES[kinds[i % len(kinds)]],
            {"model": "churn", "feature": "âge", "psi": 0.25 + i / 100, "n": i},
            id=str(uuid.uuid4()),
            source="/driftpilot/tests/bus",
            time=1_700_000_000_000_000 + i,
            subject=f"models/churn/{i}",
        )
        for i in range(n)
    ]


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def free_port() -> int:
    """A loopback port that nothing listens on (bound and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_server(url: str) -> None:
    """Skip when the broker is not reachable; in CI (``CI`` set) fail instead."""
    hostport = url.split("://", 1)[1].rsplit("@", 1)[-1].split("/", 1)[0]
    host, _, port = hostport.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError as err:
        if os.environ.get("CI"):
            pytest.fail(f"broker at {url} is not reachable: {err}")
        pytest.skip(f"broker at {url} is not reachable: {err}")


# -- NATS JetStream -----------------------------------------------------------------------


@dataclass(frozen=True)
class StoredMessage:
    body: bytes
    headers: dict[str, Any]


def nats_read(stream: str) -> list[StoredMessage]:
    """Every message in a JetStream stream, through a pull consumer."""

    async def run() -> list[StoredMessage]:
        import nats

        nc = await nats.connect(NATS_URL)
        try:
            js = nc.jetstream()
            info = await js.stream_info(stream)
            count = info.state.messages
            subject = info.config.subjects[0] if info.config.subjects else ">"
            sub = await js.pull_subscribe(subject, stream=stream)
            msgs = await sub.fetch(count, timeout=5) if count else []
            for m in msgs:
                await m.ack()
            await sub.unsubscribe()
            return [StoredMessage(m.data, dict(m.headers or {})) for m in msgs]
        finally:
            await nc.close()

    return asyncio.run(run())


def nats_delete_stream(stream: str) -> None:
    async def run() -> None:
        import nats
        from nats.js.errors import NotFoundError

        nc = await nats.connect(NATS_URL)
        try:
            with contextlib.suppress(NotFoundError):
                await nc.jetstream().delete_stream(stream)
        finally:
            await nc.close()

    asyncio.run(run())


# -- RabbitMQ -----------------------------------------------------------------------------


def rabbit_bind(exchange: str, queue: str, routing_key: str) -> None:
    """Declare the exchange as the publisher does (durable topic) and bind a queue to it."""

    async def run() -> None:
        import aio_pika

        conn = await aio_pika.connect(RABBIT_URL)
        async with conn:
            channel = await conn.channel()
            exch = await channel.declare_exchange(
                exchange, aio_pika.ExchangeType.TOPIC, durable=True
            )
            q = await channel.declare_queue(queue, durable=True)
            await q.bind(exch, routing_key)

    asyncio.run(run())


@dataclass(frozen=True)
class AmqpMessage:
    body: bytes
    headers: dict[str, Any]
    content_type: str | None
    message_id: str | None
    type: str | None
    persistent: bool


def rabbit_get(queue: str, limit: int = 100) -> list[AmqpMessage]:
    """Basic-get every message waiting in a queue (acknowledging each)."""

    async def run() -> list[AmqpMessage]:
        import aio_pika

        conn = await aio_pika.connect(RABBIT_URL)
        out: list[AmqpMessage] = []
        async with conn:
            channel = await conn.channel()
            q = await channel.declare_queue(queue, passive=True)
            for _ in range(limit):
                msg = await q.get(no_ack=True, fail=False)
                if msg is None:
                    break
                out.append(
                    AmqpMessage(
                        body=msg.body,
                        headers=dict(msg.headers),
                        content_type=msg.content_type,
                        message_id=msg.message_id,
                        type=msg.type,
                        persistent=msg.delivery_mode == aio_pika.DeliveryMode.PERSISTENT,
                    )
                )
        return out

    return asyncio.run(run())


def rabbit_delete(*, exchanges: tuple[str, ...] = (), queues: tuple[str, ...] = ()) -> None:
    async def run() -> None:
        import aio_pika

        conn = await aio_pika.connect(RABBIT_URL)
        async with conn:
            channel = await conn.channel()
            for q in queues:
                await channel.queue_delete(q)
            for e in exchanges:
                await channel.exchange_delete(e)

    asyncio.run(run())


# -- a TCP proxy, to take a broker away and bring it back ----------------------------------


class TcpProxy:
    """Forward a loopback port to a broker; ``stop`` drops every connection, ``start`` reopens
    the same port."""

    def __init__(self, upstream: str) -> None:
        hostport = upstream.split("://", 1)[1].rsplit("@", 1)[-1].split("/", 1)[0]
        host, _, port = hostport.rpartition(":")
        self._upstream = (host, int(port))
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def start(self) -> None:
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()
        if server is not None:
            await server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
        )

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()
            self._writers.discard(writer)
