"""The delivery loop: batch the queue, send, retry, spool, replay, dead-letter.

Written once, as coroutines, for both clients. ``AsyncClient`` runs it as an asyncio task
over ``httpx.AsyncClient``. ``Client`` runs the very same coroutine on a thread, with a
transport whose ``async`` methods block and never suspend: a coroutine that awaits nothing
pending runs to its end on one ``send(None)``, like a chain of ordinary calls. So the state
machine below exists once instead of in a sync and an async copy drifting apart.

Online, the loop sends full batches at once and partial ones every ``flush_interval`` (or
on ``flush``/``close``), each with up to ``max_retries`` retries (backoff with full jitter,
``Retry-After`` respected), and replays spooled segments, oldest first, before anything
queued. A batch that runs out of retries goes to the spool with everything queued, and the
loop goes offline: queued records keep going to the spool, and the oldest spooled batch is
sent as a probe (one attempt) after a backoff that doubles up to ``max_backoff``. The first
probe the service answers brings the loop back online, which replays the spool.

A batch whose records keep failing with a 5xx or no answer (``poison_after`` failed attempts
each, counted across probes) is split in halves to isolate the record the service fails on;
that record is dead-lettered with the service's reason once the service has accepted other
batches meanwhile (``_poison``), so one bad record never stops delivery, and an outage, where
nothing is accepted, never dead-letters anything.

A flush token waits until the records queued before it have been answered and the spool is
empty (it resolves ``True``), or until they are safe in the spool because the service is
unreachable or the client is closing (``False``).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import Any
from urllib.parse import quote

from driftpilot.ingest._disk import Disk
from driftpilot.ingest._poison import PoisonTracker
from driftpilot.ingest._protocol import Backoff, Reply, Verdict, error_of, judge, outcome_of
from driftpilot.ingest._records import (
    InvalidItemError,
    Record,
    batch_from,
    body_of,
    encode_item,
    kind_name,
)
from driftpilot.ingest._transport import FlushToken, Transport

__all__ = ["MAX_BODY_BYTES", "Engine", "FlushToken", "Transport"]

logger = logging.getLogger("driftpilot.ingest")

#: A batch stops growing once its body passes this size (the service's default limit is 10 MB).
MAX_BODY_BYTES = 4 << 20
_SCAN_INTERVAL = 5.0  # seconds between looks for segments left by other processes
_ENCODE_SLICE = 32  # items encoded (~0.2 ms) between two chances for requests to run


class Engine:
    """The loop's state. Drivers set ``transport`` and call :meth:`run`."""

    def __init__(
        self,
        *,
        queue: deque[Any],
        disk: Disk,
        model: str,
        model_version: str | None,
        url: str,
        batch_size: int,
        flush_interval: float,
        max_queue: int,
        max_retries: int,
        backoff: Backoff,
        poison_after: int = 5,
    ) -> None:
        self.queue = queue
        self.disk = disk
        self.spool = disk.spool
        self.counters = disk.counters
        self.log = disk.log
        self.model_version = model_version
        self.url = url
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_queue = max_queue
        self.max_retries = max_retries
        self.backoff = backoff
        self.poison = PoisonTracker(poison_after)
        self.transport: Transport | None = None
        self.closing = False
        self.flush_requested = False
        self.online = True
        self._paths = {
            b"e": f"/v1/models/{quote(model, safe='')}/events",
            b"l": f"/v1/models/{quote(model, safe='')}/labels",
        }
        self._waiting: list[FlushToken] = []  # flushed, until the spool is empty
        self._inflight: list[Record] = []  # taken from the queue, not yet answered
        self._failures = 0
        self._probe_at = 0.0
        self._next_flush = 0.0
        self._next_scan = 0.0
        self._due = 0  # queued items to send even if they do not fill a batch

    @property
    def io(self) -> Transport:
        assert self.transport is not None, "the driver sets the transport before run()"
        return self.transport

    # -- the loop ------------------------------------------------------------------------

    async def run(self) -> None:
        """Deliver until ``closing`` is set, then spool what is left and return."""
        await self.io.offload(self.spool.scan)
        self._next_flush = time.monotonic() + self.flush_interval
        self._next_scan = time.monotonic() + _SCAN_INTERVAL
        while not self.closing:
            try:
                await self._step()
            except Exception:  # a bug here must not stop delivery for good
                logger.exception("driftpilot: unexpected error in the delivery loop")
                self.counters.add("errors")
                await self.io.offload(self.disk.spill, self._inflight)
                self._inflight = []
                await self.io.pause(1.0)
        await self._spill_queue()
        self._resolve_waiting(False)
        await self.io.offload(self.spool.close)

    async def _step(self) -> None:
        if self.spool.dirty:  # records spooled by request threads while the queue was full
            await self.io.offload(self.spool.sync)
        if not self.online:
            await self._step_offline()
        elif self.spool.has_backlog():
            await self._replay(self.max_retries + 1)
            if len(self.queue) > self.max_queue // 2:
                await self._spill_queue()  # keep memory bounded while the backlog drains
        else:
            self._resolve_waiting(True)
            await self._step_online()

    async def _step_online(self) -> None:
        now = time.monotonic()
        if self.flush_requested or now >= self._next_flush:
            self.flush_requested = False
            self._next_flush = now + self.flush_interval
            self._due = len(self.queue)  # what is queued now goes out, partial batch or not
            if now >= self._next_scan:
                self._next_scan = now + _SCAN_INTERVAL
                await self.io.offload(self.spool.scan)
        if self.queue and (len(self.queue) >= self.batch_size or self._due > 0):
            self._due -= await self._send_next()
        elif not self.flush_requested:
            await self.io.idle(max(0.0, self._next_flush - time.monotonic()))

    async def _step_offline(self) -> None:
        await self._spill_queue()
        now = time.monotonic()
        if self.flush_requested:  # a flush probes at once instead of waiting for the backoff
            self.flush_requested = False
            self._probe_at = now
        if now < self._probe_at:
            self._resolve_waiting(False)
            await self.io.idle(min(self._probe_at - now, self.flush_interval))
        elif not self.spool.has_backlog():
            self.online = True  # nothing to probe with: the next batch finds out
        elif await self._replay(1):
            self.online = True
            self._failures = 0
        else:
            self._resolve_waiting(False)
            self._failures += 1
            self._probe_at = time.monotonic() + self.backoff.delay(self._failures + 1)

    def _go_offline(self) -> None:
        if self.online:
            self.log.warning(
                "offline",
                "driftpilot: the service at %s is unreachable; spooling to %s until it is back",
                self.url,
                self.spool.directory,
            )
        self.online = False
        self._probe_at = time.monotonic() + self.backoff.delay(1)

    def request_flush(self, token: FlushToken) -> None:
        """Queue a flush token (from any thread); the caller then wakes the loop."""
        token.dropped = self.counters.get("dropped")
        self.queue.append(token)
        self.flush_requested = True

    def _resolve_waiting(self, delivered: bool) -> None:
        waiting, self._waiting = self._waiting, []
        dropped = self.counters.get("dropped")
        for token in waiting:
            token.resolve(delivered and token.dropped == dropped)

    # -- from the queue ------------------------------------------------------------------

    async def _take(self) -> tuple[list[Record], FlushToken | None, int]:
        """Pop and encode up to one batch of one kind; stop after a flush token.

        Returns the records, the token if one was reached, and how many items were popped.
        """
        records: list[Record] = []
        invalid: list[tuple[tuple[Any, ...], InvalidItemError]] = []
        size = kind = 0
        token: FlushToken | None = None
        queue = self.queue
        while queue and len(records) < self.batch_size and size < MAX_BODY_BYTES:
            item = queue[0]
            if type(item) is not tuple:
                queue.popleft()
                token = item
                break
            if kind != item[0] and (records or invalid):
                break  # events and labels go in separate requests
            kind = item[0]
            queue.popleft()
            try:
                record = encode_item(item, self.model_version)
            except InvalidItemError as err:
                invalid.append((item, err))
                continue
            records.append(record)
            size += len(record.raw)
            if len(records) % _ENCODE_SLICE == 0:
                await self.io.checkpoint()
        if invalid:
            await self.io.offload(self.disk.invalid, invalid)
        return records, token, len(records) + len(invalid) + (token is not None)

    async def _send_next(self) -> int:
        records, token, popped = await self._take()
        if records:
            self._inflight = records
            left = await self._deliver(records, self.max_retries + 1)
            if left:
                await self.io.offload(self.disk.spill, left)
                self._go_offline()
            self._inflight = []
        if token is not None:
            self._waiting.append(token)
        return popped

    async def _spill_queue(self) -> None:
        while self.queue:
            records, token, _ = await self._take()
            await self.io.offload(self.disk.spill, records)
            if token is not None:
                self._waiting.append(token)

    def spill_now(self, *, queued: bool = True) -> None:
        """Write what is in flight (and queued) to the spool, synchronously, from any thread.

        For when the loop cannot finish (its event loop is gone, it is stuck in a request,
        the interpreter is exiting): encodes here, with no network. Records in flight may
        also have reached the service; sending them again later is harmless.
        """
        records, self._inflight = self._inflight, []
        invalid = []
        while queued:
            try:
                item = self.queue.popleft()
            except IndexError:
                break
            if type(item) is tuple:
                try:
                    records.append(encode_item(item, self.model_version))
                except InvalidItemError as err:
                    invalid.append((item, err))
        self.disk.spill(records)
        self.disk.invalid(invalid)
        self.spool.close()

    # -- sending -------------------------------------------------------------------------

    async def _deliver(
        self,
        records: list[Record],
        attempts: int,
        budget: list[int] | None = None,
        *,
        replay: bool = False,
    ) -> list[Record]:
        """Send records; return those the service could not be reached for (``[]``: all answered).

        413 splits the batch in halves; a 400/422 for the whole batch does too, within a budget
        of extra requests, to isolate the records that spoil it. Anything else refused is
        dead-lettered. A suspect batch that fails again (``_poison``) is split too, down to the
        record the service fails on, which is dead-lettered once proven at fault.
        """
        verdict, reply = await self._post(records, attempts)
        if verdict is Verdict.OK:
            self.poison.accepted(records)
            await self._settle(records, reply, replay=replay)
            return []
        if verdict is Verdict.RETRY:
            if not self.poison.suspect(records) or not await self._answers(records[0].kind):
                return records
            if len(records) == 1:
                if not self.poison.convicts(records[0]):
                    return records
                await self.io.offload(self.disk.poisoned, records, reply.status, error_of(reply))
                return []
            half = len(records) // 2  # the service answers: try both halves
            tries = min(attempts, 2)
            left = await self._deliver(records[:half], tries, budget, replay=replay)
            return left + await self._deliver(records[half:], tries, budget, replay=replay)
        if budget is None:
            budget = [2 * len(records).bit_length()]
        if len(records) > 1 and (
            verdict is Verdict.TOO_LARGE or (verdict is Verdict.BAD_REQUEST and budget[0] > 0)
        ):
            budget[0] -= verdict is Verdict.BAD_REQUEST
            half = len(records) // 2
            left = await self._deliver(records[:half], attempts, budget, replay=replay)
            if left:
                return left + records[half:]
            return await self._deliver(records[half:], attempts, budget, replay=replay)
        await self.io.offload(self.disk.refused, records, reply.status, error_of(reply))
        return []

    async def _post(self, records: list[Record], attempts: int) -> tuple[Verdict, Reply]:
        kind = records[0].kind
        body = body_of(kind, records)
        attempt = 0
        while True:
            reply = await self.io.post(self._paths[kind], body)
            verdict = judge(reply)
            if verdict is not Verdict.RETRY:
                return verdict, reply
            attempt += 1
            self.poison.failed(records)
            if attempt >= attempts or self.closing:
                self.log.warning(
                    "unreachable",
                    "driftpilot: %d %ss not delivered to %s after %d attempt(s): %s",
                    len(records),
                    kind_name(kind),
                    self.url,
                    attempt,
                    reply.problem or f"HTTP {reply.status}",
                )
                return verdict, reply
            self.counters.add("retried")
            await self.io.pause(self.backoff.delay(attempt, reply.retry_after))

    async def _answers(self, kind: bytes) -> bool:
        """Whether the service accepts an empty batch now (it is up and the key is good)."""
        reply = await self.io.post(self._paths[kind], body_of(kind, []))
        return judge(reply) is Verdict.OK

    async def _settle(self, records: list[Record], reply: Reply, *, replay: bool) -> None:
        outcome = outcome_of(reply, len(records))
        acknowledged = outcome.accepted + outcome.duplicates
        self.counters.add("sent" if records[0].kind == b"e" else "labels_sent", acknowledged)
        self.counters.add("duplicates", outcome.duplicates)
        if replay:
            self.counters.add("replayed", acknowledged)
        if outcome.rejected:
            rejected = [(records[i], error) for i, error in outcome.rejected]
            await self.io.offload(self.disk.rejected, rejected, reply.status)

    async def _replay(self, attempts: int) -> bool:
        """Send the oldest spooled segment; ``False`` if the service could not be reached."""
        segment = await self.io.offload(self.spool.claim)
        if segment is None:
            return True
        self.disk.torn(segment)
        records, start = segment.records, 0
        left: list[Record] = []
        aside: list[Record] = []  # suspects failing alone: to the back of the spool
        accepted = self.poison.accepted_batches
        try:
            while start < len(records) and not left and not self.closing:
                chunk = batch_from(records, start, self.batch_size, MAX_BODY_BYTES)
                left = await self._deliver(chunk, attempts, replay=True)
                start += len(chunk)
                if len(left) == 1 and self.poison.suspect(left):
                    aside, left = aside + left, []  # let the records behind it through
                attempts = self.max_retries + 1  # the service answered the probe
        finally:  # keep what is left, and unlock the segment, whatever happened
            await self.io.offload(self.spool.finish, segment, left + records[start:])
            if aside:
                await self.io.offload(self.disk.spill, aside)
        if left or (aside and self.poison.accepted_batches == accepted):
            self._go_offline()
            return False
        return True
