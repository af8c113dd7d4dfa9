"""``BusPublisher``: a synchronous front to FastStream brokers running on one background loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from driftpilot.alerts.bus._destination import BusDestination
from driftpilot.alerts.bus._transports import open_transport, require_driver
from driftpilot.errors import InvalidParameterError

if TYPE_CHECKING:
    from types import TracebackType

    from driftpilot.alerts.bus._transports import Transport

__all__ = ["BusPublisher", "PublishResult", "encode_event"]

logger = logging.getLogger("driftpilot.alerts.bus")


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishResult:
    """What became of one event at one destination.

    ``ok`` is True once the broker acknowledged the event (JetStream ack, Redis reply, RabbitMQ
    publisher confirm, Kafka ``acks=all``). When False, ``error`` says why the last of
    ``attempts`` failed; the caller keeps the event (a dead letter) to publish again later.
    """

    destination: BusDestination
    event_id: str
    ok: bool
    attempts: int
    error: str | None = None


def encode_event(event: Mapping[str, Any]) -> bytes:
    """Return the bytes published for a CloudEvents 1.0 event: compact UTF-8 JSON.

    Raises `InvalidParameterError` for an event without ``specversion`` ``"1.0"`` or without a
    non-empty ``id``, ``source`` or ``type``, or one that is not JSON (NaN included).
    """
    if not isinstance(event, Mapping):
        raise InvalidParameterError(f"A CloudEvent must be a mapping. Got {event!r} instead.")
    if event.get("specversion") != "1.0":
        raise InvalidParameterError(
            f"The 'specversion' of a CloudEvent must be '1.0'. Got {event.get('specversion')!r}"
            " instead."
        )
    for name in ("id", "source", "type"):
        value = event.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidParameterError(
                f"The '{name}' of a CloudEvent must be a non-empty string. Got {value!r} instead."
            )
    try:
        text = json.dumps(event, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as err:
        raise InvalidParameterError(
            f"CloudEvent {event['id']!r} cannot be written as JSON: {err}."
        ) from err
    return text.encode("utf-8")


def _positive(name: str, value: float, *, zero: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not zero):
        bound = ">= 0" if zero else "> 0"
        raise InvalidParameterError(
            f"The '{name}' parameter of BusPublisher must be a number {bound}. Got {value!r}"
            " instead."
        )
    return float(value)


def _describe(err: BaseException) -> str:
    name, text = type(err).__name__, str(err)
    if not text:
        return name
    return text if text.startswith(name) else f"{name}: {text}"


class BusPublisher:
    """Publish CloudEvents to message brokers, at least once, from any thread.

    Parameters
    ----------
    destinations
        Where every event goes; each gets its own connection.
    timeout
        Seconds one attempt (connecting included) may take before it counts as failed.
    retries
        Further attempts after a failed one. A retry may deliver an event twice (the first
        attempt may have reached the broker before its acknowledgement was lost): consumers
        deduplicate on the CloudEvent ``id``.
    backoff, max_backoff
        Seconds before the first retry, doubled for each further one, at most ``max_backoff``.

    Notes
    -----
    Brokers live on one asyncio loop in a daemon thread, connected on first use; a failed
    attempt drops its connection and the next one connects afresh. `publish` blocks the calling
    thread (call it from worker threads, not from a running event loop) for at most about
    ``(retries + 1) * timeout`` plus the backoff, then returns one `PublishResult` per
    destination, failures included: it does not raise for a broker that is down.
    """

    def __init__(
        self,
        destinations: Iterable[BusDestination],
        *,
        timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.2,
        max_backoff: float = 5.0,
    ) -> None:
        self._destinations = tuple(destinations)
        for d in self._destinations:
            if not isinstance(d, BusDestination):
                raise InvalidParameterError(
                    "The 'destinations' parameter of BusPublisher must hold BusDestination"
                    f" objects (BusPublisher.from_config takes dicts). Got {d!r} instead."
                )
        if type(retries) is not int or retries < 0:
            raise InvalidParameterError(
                f"The 'retries' parameter of BusPublisher must be an integer >= 0. Got"
                f" {retries!r} instead."
            )
        self._timeout = _positive("timeout", timeout)
        self._retries = retries
        self._backoff = _positive("backoff", backoff, zero=True)
        self._max_backoff = _positive("max_backoff", max_backoff, zero=True)
        for kind in sorted({d.kind for d in self._destinations}):
            require_driver(kind)
        delays = sum(self._delay(n) for n in range(1, retries + 1))
        self._deadline = (retries + 1) * self._timeout + delays + 1.0
        self._inflight: set[concurrent.futures.Future[list[PublishResult]]] = set()
        self._transports: dict[int, Transport] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False
        self._state_lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="driftpilot-bus", daemon=True)
        self._thread.start()

    @classmethod
    def from_config(cls, configs: Iterable[Mapping[str, Any]], **kwargs: Any) -> BusPublisher:
        """Build a publisher from destination config dicts (see `BusDestination.from_config`)."""
        return cls([BusDestination.from_config(c) for c in configs], **kwargs)

    @property
    def destinations(self) -> tuple[BusDestination, ...]:
        """The destinations every event is published to, in the order of the results."""
        return self._destinations

    def publish(self, event: Mapping[str, Any]) -> list[PublishResult]:
        """Publish one CloudEvent to every destination; one result per destination, in order."""
        body = encode_event(event)
        with self._state_lock:
            if self._closed:
                raise RuntimeError("This BusPublisher is closed.")
            future = asyncio.run_coroutine_threadsafe(self._publish_all(body, event), self._loop)
            self._inflight.add(future)
        future.add_done_callback(self._forget)
        try:
            return future.result(timeout=self._deadline)
        except TimeoutError:  # a safety net: each attempt is bounded on the loop already
            future.cancel()
            error = f"TimeoutError: no result within {self._deadline:g} s"
            return [
                PublishResult(destination=d, event_id=event["id"], ok=False,
                              attempts=self._retries + 1, error=error)
                for d in self._destinations
            ]  # fmt: skip

    def _forget(self, future: concurrent.futures.Future[list[PublishResult]]) -> None:
        with self._state_lock:
            self._inflight.discard(future)

    def close(self) -> None:
        """Let publishes under way finish, close every connection and stop the loop.

        Later calls do nothing; `publish` after `close` raises `RuntimeError`.
        """
        with self._state_lock:
            if self._closed:
                return
            self._closed = True
            inflight = list(self._inflight)
        concurrent.futures.wait(inflight, timeout=self._deadline)
        future = asyncio.run_coroutine_threadsafe(self._close_all(), self._loop)
        try:
            future.result(timeout=2 * self._timeout + 1.0)
        except TimeoutError:
            logger.warning("Event bus: brokers did not close within %g s", 2 * self._timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()

    def __enter__(self) -> BusPublisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    def _delay(self, retry: int) -> float:
        return min(self._max_backoff, self._backoff * 2.0 ** (retry - 1))

    async def _publish_all(self, body: bytes, event: Mapping[str, Any]) -> list[PublishResult]:
        indices = range(len(self._destinations))
        return list(await asyncio.gather(*(self._deliver(i, body, event) for i in indices)))

    async def _deliver(self, index: int, body: bytes, event: Mapping[str, Any]) -> PublishResult:
        destination = self._destinations[index]
        error = ""
        attempts = self._retries + 1
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                await asyncio.sleep(self._delay(attempt - 1))
            step = ["connect"]
            try:
                await asyncio.wait_for(self._attempt(index, body, event, step), self._timeout)
            except Exception as err:  # any broker failure is retried, then reported
                timed_out = isinstance(err, TimeoutError)
                error = (
                    f"TimeoutError: no {step[0]} within {self._timeout:g} s"
                    if timed_out
                    else _describe(err)
                )
                logger.debug("Event bus: %s attempt %d failed: %s", destination, attempt, error)
                continue
            return PublishResult(
                destination=destination, event_id=event["id"], ok=True, attempts=attempt
            )
        logger.warning(
            "Event bus: event %s not published to %s after %d attempts: %s",
            event["id"], destination, attempts, error,
        )  # fmt: skip
        return PublishResult(
            destination=destination, event_id=event["id"], ok=False, attempts=attempts,
            error=error,
        )  # fmt: skip

    async def _attempt(
        self, index: int, body: bytes, event: Mapping[str, Any], step: list[str]
    ) -> None:
        transport = await self._connected(index)
        step[0] = "acknowledgement"
        try:
            await transport.send(body, event)
        except BaseException:
            # The connection may be broken: the next attempt connects afresh.
            if self._transports.get(index) is transport:
                del self._transports[index]
                self._close_later(transport)
            raise

    async def _connected(self, index: int) -> Transport:
        lock = self._locks.setdefault(index, asyncio.Lock())
        async with lock:
            transport = self._transports.get(index)
            if transport is None:
                transport = open_transport(self._destinations[index], timeout=self._timeout)
                try:
                    await transport.connect()
                except BaseException:
                    self._close_later(transport)
                    raise
                self._transports[index] = transport
            return transport

    def _close_later(self, transport: Transport) -> None:
        task = self._loop.create_task(self._close_quietly(transport))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close_quietly(self, transport: Transport) -> None:
        try:
            await asyncio.wait_for(transport.close(), self._timeout)
        except Exception as err:  # a broken connection may fail to close; it is dropped anyway
            logger.debug("Event bus: closing a connection failed: %s", _describe(err))

    async def _close_all(self) -> None:
        transports = list(self._transports.values())
        self._transports.clear()
        await asyncio.gather(*(self._close_quietly(t) for t in transports), *list(self._closing))
