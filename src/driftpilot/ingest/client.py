"""``Client``: log predictions and labels from any Python service, without slowing it down."""

from __future__ import annotations

import os
import ssl
import threading
import time
from collections.abc import Coroutine
from types import TracebackType
from typing import Any

import httpx

from driftpilot.ingest._engine import Engine
from driftpilot.ingest._front import ClientBase
from driftpilot.ingest._protocol import Reply, retry_after
from driftpilot.ingest._settings import Settings

__all__ = ["Client"]


class _Token:
    """A flush waited on by a thread."""

    __slots__ = ("delivered", "dropped", "event")

    def __init__(self) -> None:
        self.dropped = 0
        self.event = threading.Event()
        self.delivered = False

    def resolve(self, delivered: bool) -> None:
        self.delivered = delivered
        self.event.set()


class _BlockingTransport:
    """The loop's I/O on a thread: every method blocks and returns; none suspends."""

    def __init__(self, http: httpx.Client, wake: threading.Event, stop: threading.Event) -> None:
        self._http = http
        self._wake = wake
        self._stop = stop

    async def post(self, path: str, body: bytes) -> Reply:
        try:
            response = self._http.post(path, content=body)
        except httpx.HTTPError as err:
            return Reply(None, problem=f"{type(err).__name__}: {err}")
        return Reply(
            response.status_code,
            response.content,
            retry_after(response.headers.get("retry-after")),
            problem=f"HTTP {response.status_code}",
        )

    async def idle(self, timeout: float) -> None:
        self._wake.wait(timeout)
        self._wake.clear()

    async def pause(self, seconds: float) -> None:
        self._stop.wait(seconds)

    async def offload(self, fn: Any, *args: Any) -> Any:
        return fn(*args)

    async def checkpoint(self) -> None:
        # Hand the GIL to request threads now rather than after a switch interval (5 ms).
        time.sleep(0)


def run_to_end(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine that never suspends (see ``_engine``) to its end on this thread."""
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise RuntimeError("driftpilot: the delivery loop suspended on a blocking transport")


class Client(ClientBase):
    """Log prediction events and labels to a driftpilot service from a threaded service.

    Calls queue in memory and return at once; a background thread sends batches, retries,
    spools to disk while the service is unreachable and replays the spool when it is back
    (also the spool a crashed process left, at the next start). Nothing it accepted is lost
    unless the spool is full, and then it is counted in :meth:`stats`.

    Parameters
    ----------
    url
        The service, e.g. ``"http://localhost:8000"``.
    api_key
        A key with the ``ingest`` scope; default: the ``DRIFTPILOT_API_KEY`` environment
        variable. Sent as ``Authorization: Bearer <key>``.
    model
        The monitored model's name; one client per model.
    model_version
        The version stamped on every event that does not give its own. Events without
        any version are refused (dead-lettered).
    batch_size
        Records per request; a full batch goes out at once.
    flush_interval
        Seconds after which a partial batch goes out.
    max_queue
        Records held in memory; past it, records go to the spool on the caller's thread.
    spool_dir
        Where records wait while the service is unreachable (default
        ``./.driftpilot/spool/<model>``); the dead-letter file ``dead-letter.jsonl`` is
        there too. Several processes of one service may share it.
    spool_max_bytes
        Size bound of the spool (and, separately, of the dead-letter file).
    timeout
        Seconds to connect, send or wait for a reply.
    max_retries
        Retries of a batch (connection errors, timeouts, 408, 429, 5xx) before it is
        spooled and the client waits for the service with a probe.
    poison_after
        Failed attempts (5xx, no answer) of the batches holding a record after which it is
        suspect: a batch of suspects is split to find the record the service fails on, which
        is dead-lettered with the service's reason once the service has accepted other
        batches meanwhile (so an outage never dead-letters anything).
    retry_backoff, max_backoff
        Backoff with full jitter: the n-th wait is uniform in
        ``[0, min(max_backoff, retry_backoff * 2**n)]`` seconds; a ``Retry-After`` header
        wins.
    exit_timeout
        Seconds to keep delivering at interpreter exit before spooling the rest.
    verify
        TLS verification: ``True``, ``False`` or an ``ssl.SSLContext``.

    Examples
    --------
    >>> from driftpilot.ingest import Client
    >>> client = Client("http://localhost:8000", model="churn", model_version="3")  # doctest: +SKIP
    >>> features = {"age": 41, "plan": "pro"}
    >>> event_id = client.log_prediction(features, 1, scores=[0.2, 0.8])  # doctest: +SKIP
    >>> client.log_label(event_id, 0)  # days later  # doctest: +SKIP
    >>> client.flush(timeout=5)  # doctest: +SKIP
    True
    >>> client.stats()["sent"]  # doctest: +SKIP
    1
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
            "Client",
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
        self._close_lock = threading.Lock()
        super().__init__(settings)
        self._start()

    def _start(self) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        # Made here, not on the thread: its imports finish before a fork can copy them half done.
        http = httpx.Client(**self._http_options())
        self._engine.transport = _BlockingTransport(http, self._wake, self._stop)
        self._thread = threading.Thread(
            target=self._run,
            args=(self._engine, http),
            name=f"driftpilot-{self._settings.model}",
            daemon=True,
        )
        self._thread.start()

    @staticmethod
    def _run(engine: Engine, http: httpx.Client) -> None:
        with http:
            run_to_end(engine.run())

    def _put(self, item: Any) -> None:
        queue = self._queue
        if len(queue) < self._max_queue and not self._closed:
            queue.append(item)
            if len(queue) >= self._batch_size and not self._wake.is_set():
                self._wake.set()
        else:
            self._overflow(item)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything logged so far is delivered, or safe on disk.

        Parameters
        ----------
        timeout
            Seconds to wait at most; ``None`` waits until done.

        Returns
        -------
        bool
            ``True`` when the service has answered for every record logged before the
            call and the spool is empty; ``False`` when time ran out, or when the service
            is unreachable and the records are in the spool (fsync'd) instead.
        """
        if self._closed or not self._thread.is_alive():
            return False
        token = _Token()
        self._engine.request_flush(token)
        self._wake.set()
        return token.event.wait(timeout) and token.delivered

    def close(self, timeout: float | None = 10.0) -> bool:
        """Deliver what is queued (up to ``timeout`` seconds), spool the rest, stop.

        Records logged after ``close`` go straight to the spool, for the next client.

        Returns
        -------
        bool
            Whether everything was delivered (see :meth:`flush`).
        """
        with self._close_lock:
            if self._closed:
                return False
            delivered = self.flush(timeout)
            self._closed = True
            self._engine.closing = True
            self._stop.set()
            self._wake.set()
            self._thread.join(self._settings.timeout + 1.0)
            if self._thread.is_alive() or self._queue:  # stuck in a request, or died
                self._engine.spill_now()
            self._retire()
            return delivered

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _at_exit(self) -> None:
        self.close(self._settings.exit_timeout)

    def _after_fork(self) -> None:
        self._close_lock = threading.Lock()
        self._forget_parent()
        if not self._closed:
            self._start()
