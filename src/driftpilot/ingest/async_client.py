"""``AsyncClient``: the same as ``Client`` for asyncio services, with a task instead of a thread."""

from __future__ import annotations

import asyncio
import os
import ssl
import threading
from types import TracebackType
from typing import Any

import httpx

from driftpilot.ingest._engine import Engine
from driftpilot.ingest._front import ClientBase
from driftpilot.ingest._protocol import Reply, retry_after
from driftpilot.ingest._settings import Settings

__all__ = ["AsyncClient"]


class _Token:
    """A flush awaited on the event loop."""

    __slots__ = ("delivered", "dropped", "event")

    def __init__(self) -> None:
        self.dropped = 0
        self.event = asyncio.Event()
        self.delivered = False

    def resolve(self, delivered: bool) -> None:
        self.delivered = delivered
        self.event.set()


class _AsyncTransport:
    """The loop's I/O as an asyncio task; disk work runs on a worker thread."""

    def __init__(self, http: httpx.AsyncClient, wake: asyncio.Event, stop: asyncio.Event) -> None:
        self._http = http
        self._wake = wake
        self._stop = stop

    async def post(self, path: str, body: bytes) -> Reply:
        try:
            response = await self._http.post(path, content=body)
        except httpx.HTTPError as err:
            return Reply(None, problem=f"{type(err).__name__}: {err}")
        return Reply(
            response.status_code,
            response.content,
            retry_after(response.headers.get("retry-after")),
            problem=f"HTTP {response.status_code}",
        )

    async def idle(self, timeout: float) -> None:
        await _wait(self._wake, timeout)
        self._wake.clear()

    async def pause(self, seconds: float) -> None:
        await _wait(self._stop, seconds)

    async def offload(self, fn: Any, *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    async def checkpoint(self) -> None:
        await asyncio.sleep(0)


async def _wait(event: asyncio.Event, timeout: float | None) -> bool:
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    return True


class AsyncClient(ClientBase):
    """Log prediction events and labels from an asyncio service (FastAPI, Starlette, aiohttp).

    The same as :class:`~driftpilot.ingest.Client` (same parameters, same guarantees), with
    an asyncio task on the running event loop instead of a thread. ``log_prediction``,
    ``log_predictions``, ``log_label`` and ``log_labels`` are plain methods that never
    await and never block; ``flush`` and ``aclose`` are coroutines. The task starts with the
    first call made inside a running event loop (or ``async with``); calls from other
    threads are safe too. Close it in the application's shutdown (a FastAPI lifespan); at
    interpreter exit, whatever is still queued is written to the spool.

    Parameters
    ----------
    url, api_key, model, model_version, batch_size, flush_interval, max_queue, spool_dir,
    spool_max_bytes, timeout, max_retries, poison_after, retry_backoff, max_backoff,
    exit_timeout, verify
        As for :class:`~driftpilot.ingest.Client`.

    Examples
    --------
    >>> import contextlib
    >>> from fastapi import FastAPI
    >>> from driftpilot.ingest import AsyncClient
    >>> url = "http://localhost:8000"
    >>> client = AsyncClient(url, model="churn", model_version="3")  # doctest: +SKIP
    >>> @contextlib.asynccontextmanager
    ... async def lifespan(app):
    ...     yield
    ...     await client.aclose()
    >>> app = FastAPI(lifespan=lifespan)
    """

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        model: str,
        model_version: str | None = None,
        batch_size: int = 500,
        flush_interval: float = 1.0,
        max_queue: int = 100_000,
        spool_dir: str | os.PathLike[str] | None = None,
        spool_max_bytes: int = 256 << 20,
        timeout: float = 5.0,
        max_retries: int = 3,
        poison_after: int = 5,
        retry_backoff: float = 0.25,
        max_backoff: float = 30.0,
        exit_timeout: float = 5.0,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        settings = Settings.make(
            "AsyncClient",
            url=url,
            api_key=api_key,
            model=model,
            model_version=model_version,
            batch_size=batch_size,
            flush_interval=flush_interval,
            max_queue=max_queue,
            spool_dir=spool_dir,
            spool_max_bytes=spool_max_bytes,
            timeout=timeout,
            max_retries=max_retries,
            poison_after=poison_after,
            retry_backoff=retry_backoff,
            max_backoff=max_backoff,
            exit_timeout=exit_timeout,
            verify=verify,
        )
        super().__init__(settings)
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._http: httpx.AsyncClient | None = None
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()

    def _start(self) -> bool:
        """Start the delivery task on the running loop; ``False`` outside a running loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        if self._task is not None:
            if self._loop is loop and not self._task.done():
                return True
            # The previous loop is gone (asyncio.run returned): start afresh on this one,
            # after saving what its task had in flight.
            self._engine.spill_now(queued=False)
            self._engine = self._new_engine()
        self._loop, self._loop_thread = loop, threading.get_ident()
        self._wake, self._stop = asyncio.Event(), asyncio.Event()
        self._http = httpx.AsyncClient(**self._http_options())
        self._engine.transport = _AsyncTransport(self._http, self._wake, self._stop)
        self._task = loop.create_task(
            _run(self._engine, self._http), name=f"driftpilot-{self._settings.model}"
        )
        return True

    def _put(self, item: Any) -> None:
        queue = self._queue
        if len(queue) < self._max_queue and not self._closed:
            queue.append(item)
            if self._task is None or self._task.done():
                self._start()
            elif len(queue) >= self._batch_size and not self._wake.is_set():
                self._notify()
        else:
            self._overflow(item)

    def _notify(self) -> None:
        if threading.get_ident() == self._loop_thread:
            self._wake.set()
        elif self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything logged so far is delivered, or safe on disk.

        Parameters
        ----------
        timeout
            Seconds to wait at most; ``None`` waits until done.

        Returns
        -------
        bool
            As for ``Client.flush``: ``True`` when delivered and the spool is empty.
        """
        if self._closed or not self._start():
            return False
        token = _Token()
        self._engine.request_flush(token)
        self._wake.set()
        return await _wait(token.event, timeout) and token.delivered

    async def aclose(self, timeout: float | None = 10.0) -> bool:
        """Deliver what is queued (up to ``timeout`` seconds), spool the rest, stop.

        Returns
        -------
        bool
            Whether everything was delivered.
        """
        if self._closed:
            return False
        delivered = await self.flush(timeout)
        self._closed = True
        self._engine.closing = True
        task = self._task
        if task is not None:
            self._stop.set()
            self._wake.set()
            if not await _wait_task(task, self._settings.timeout + 1.0):
                task.cancel()  # stuck in a request: save the rest from here
                self._engine.spill_now()
                await _wait_task(task, 1.0)
        else:
            self._engine.spill_now()
        self._retire()
        return delivered

    async def __aenter__(self) -> AsyncClient:
        self._start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _at_exit(self) -> None:
        if not self._closed:
            self._closed = True
            self._engine.spill_now()
            self._retire()

    def _after_fork(self) -> None:
        self._forget_parent()
        self._task, self._loop, self._http = None, None, None


async def _run(engine: Engine, http: httpx.AsyncClient) -> None:
    try:
        await engine.run()
    finally:  # also when the loop is shutting down and cancels the task
        await http.aclose()


async def _wait_task(task: asyncio.Task[None], timeout: float) -> bool:
    done, _ = await asyncio.wait({task}, timeout=timeout)
    return bool(done)
