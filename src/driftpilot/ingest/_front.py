"""What ``Client`` and ``AsyncClient`` share: the logging methods, stats, exit and fork.

The logging methods are the request path. ``log_prediction`` makes an id if none was given,
copies the features dict (so the caller may reuse it), reads the clock and appends one tuple
to a ``collections.deque`` (thread-safe and lock-free in CPython); validation and JSON
encoding happen in the background (``_records``). When the queue is full, the record is
encoded and appended to the spool file on the caller's thread: one ``os.write`` without
fsync (the background fsyncs), which only happens while the service is slower than the
traffic for ``max_queue`` records.
"""

from __future__ import annotations

import abc
import atexit
import os
from collections import deque
from pathlib import Path
from time import time
from typing import Any

from driftpilot.errors import DriftpilotError
from driftpilot.ingest._deadletter import DeadLetters
from driftpilot.ingest._disk import Disk
from driftpilot.ingest._engine import Engine, logger
from driftpilot.ingest._ids import new_event_id
from driftpilot.ingest._protocol import Backoff
from driftpilot.ingest._records import EVENT, LABEL, InvalidItemError, encode_item
from driftpilot.ingest._rows import label_items, prediction_items
from driftpilot.ingest._settings import Settings
from driftpilot.ingest._spool import Spool
from driftpilot.ingest._stats import Counters, LogLimiter

__all__ = ["ClientBase"]


class ClientBase(abc.ABC):
    """The logging methods of :class:`Client` and :class:`AsyncClient`; not used directly."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        log = LogLimiter(logger)
        counters = Counters()
        spool = Spool(
            settings.spool_dir,
            model=settings.model,
            max_bytes=settings.spool_max_bytes,
            log=log,
            on_lost=lambda n: self._counters.add("dropped", n),
        )
        dead_letters = DeadLetters(
            settings.spool_dir / "dead-letter.jsonl",
            model=settings.model,
            max_bytes=settings.spool_max_bytes,
            log=log,
        )
        self._disk = Disk(spool, dead_letters, counters, log)
        self._queue: deque[Any] = deque()
        self._max_queue = settings.max_queue
        self._batch_size = settings.batch_size
        self._closed = False
        self._engine = self._new_engine()
        _LIVE.add(self)

    @property
    def _counters(self) -> Counters:
        return self._disk.counters

    def _new_engine(self) -> Engine:
        settings = self._settings
        return Engine(
            queue=self._queue,
            disk=self._disk,
            model=settings.model,
            model_version=settings.model_version,
            url=settings.url,
            batch_size=settings.batch_size,
            flush_interval=settings.flush_interval,
            max_queue=settings.max_queue,
            max_retries=settings.max_retries,
            poison_after=settings.poison_after,
            backoff=Backoff(base=settings.retry_backoff, cap=settings.max_backoff),
        )

    def _http_options(self) -> dict[str, Any]:
        from driftpilot import __version__

        headers = {"content-type": "application/json", "user-agent": f"driftpilot/{__version__}"}
        if self._settings.api_key:
            headers["authorization"] = f"Bearer {self._settings.api_key}"
        return {
            "base_url": self._settings.url,
            "headers": headers,
            "timeout": self._settings.timeout,
            "verify": self._settings.verify,
        }

    # -- the request path ----------------------------------------------------------------

    @abc.abstractmethod
    def _put(self, item: Any) -> None:
        """Queue an item without blocking (spooling it when the queue is full)."""

    def _overflow(self, item: tuple[Any, ...]) -> None:
        """Spool one item on the caller's thread: the queue is full or the client closed."""
        try:
            record = encode_item(item, self._settings.model_version)
        except InvalidItemError as err:
            self._disk.invalid([(item, err)])
            return
        self._disk.spill([record], sync=False)  # buffered: the loop writes and fsyncs it
        if self._closed:  # no loop left: write, fsync and unlock the segment for the next client
            self._disk.spool.close()

    def log_prediction(
        self,
        features: Any,
        prediction: Any,
        *,
        scores: Any = None,
        event_id: Any = None,
        timestamp: Any = None,
        latency_ms: Any = None,
        segment: Any = None,
        model_version: str | None = None,
    ) -> str:
        """Queue one prediction event and return its ``event_id``. Never blocks, never raises.

        Parameters
        ----------
        features
            Mapping of feature name to value (the model's input). Values may be JSON
            values, numpy scalars or arrays, datetimes.
        prediction
            The model's output: a number, a class label, or any JSON value.
        scores
            Class probabilities or scores: a mapping of class to score, or a list.
        event_id
            The event's id: a UUID string (made for you when ``None``), or any other string
            or integer key (an order number), sent as ``event_id_for(key)``. Log the label
            later with the same value.
        timestamp
            When the prediction was made: a ``datetime`` (naive means UTC), seconds since
            the epoch, or ISO-8601 text. Default: now.
        latency_ms
            How long the prediction took, in milliseconds.
        segment
            Tags to slice monitoring by, e.g. ``{"country": "FR"}`` (values sent as text).
        model_version
            Overrides the client's ``model_version`` for this event.

        Returns
        -------
        str
            ``event_id`` as given (as text), or the new id.

        Notes
        -----
        Arguments are checked in the background. An event that cannot be sent is counted
        in ``stats()["invalid"]``, written to the dead-letter file with the reason, and
        reported once a minute at most with a warning on the ``driftpilot.ingest`` logger.
        """
        if event_id is None:
            event_id = new_event_id()
        if type(features) is dict:
            features = features.copy()
        self._put(
            (
                EVENT,
                event_id,
                time() if timestamp is None else timestamp,
                features,
                prediction,
                scores,
                latency_ms,
                segment,
                model_version,
            )
        )
        return event_id if type(event_id) is str else str(event_id)

    def log_label(self, event_id: Any, value: Any, timestamp: Any = None) -> None:
        """Queue the actual outcome (ground truth) of a prediction. Never blocks, never raises.

        Parameters
        ----------
        event_id
            The id ``log_prediction`` returned, or the key it was given.
        value
            The actual value (class, number, any JSON value).
        timestamp
            When the outcome became known; default now.
        """
        self._put((LABEL, event_id, value, time() if timestamp is None else timestamp))

    def log_predictions(
        self,
        frame: Any,
        *,
        prediction: str = "prediction",
        features: list[str] | None = None,
        scores: str | list[str] | None = None,
        event_id: str | None = None,
        timestamp: str | None = None,
        latency_ms: str | None = None,
        segment: list[str] | None = None,
        model_version: str | None = None,
    ) -> list[str]:
        """Queue one prediction event per row of a frame; return the event ids.

        Parameters
        ----------
        frame
            A pandas, polars or pyarrow frame, or a dict of columns.
        prediction
            Name of the prediction column.
        features
            Names of the feature columns; default every column no other argument names.
        scores
            A column holding each row's scores (a list or mapping), or several columns, one
            per class, sent as ``{column: value}``.
        event_id, timestamp, latency_ms
            Names of columns holding them; by default ids are made and the time is now.
        segment
            Columns whose values tag each event.
        model_version
            The model version of every row (default: the client's).

        Returns
        -------
        list of str
            One event id per row, or ``[]`` if the frame could not be read (a named column
            is missing, say): that is logged as a warning and counted as one invalid call.
        """
        try:
            items = prediction_items(
                frame,
                prediction=prediction,
                features=features,
                scores=scores,
                event_id=event_id,
                timestamp=timestamp,
                latency_ms=latency_ms,
                segment=segment,
                model_version=model_version,
            )
        except (DriftpilotError, ValueError, TypeError) as err:
            self._counters.add("invalid")
            self._disk.log.warning(
                "invalid-frame", "driftpilot: log_predictions logged nothing: %s", err
            )
            return []
        for item in items:
            self._put(item)
        return [item[1] if type(item[1]) is str else str(item[1]) for item in items]

    def log_labels(
        self,
        labels: Any,
        *,
        event_id: str = "event_id",
        value: str = "value",
        timestamp: str | None = None,
    ) -> int:
        """Queue many labels; return how many were queued.

        Parameters
        ----------
        labels
            A mapping of event id to value; a list of ``(event_id, value)`` or
            ``(event_id, value, timestamp)`` tuples, or of mappings with those keys; or a
            frame (or dict of columns) with the columns named below.
        event_id, value, timestamp
            Column names, for a frame.

        Returns
        -------
        int
            Labels queued. Entries that could not be read are counted as invalid and
            reported with a warning.
        """
        try:
            items, bad = label_items(labels, event_id=event_id, value=value, timestamp=timestamp)
        except (DriftpilotError, ValueError, TypeError) as err:
            items, bad = [], 1
            self._disk.log.warning(
                "invalid-frame", "driftpilot: log_labels logged nothing: %s", err
            )
        if bad:
            self._counters.add("invalid", bad)
            self._disk.log.warning(
                "invalid-labels", "driftpilot: %d label entries could not be read", bad
            )
        for item in items:
            self._put(item)
        return len(items)

    # -- state ---------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Return what the client has done so far.

        Returns
        -------
        dict
            ``queued`` (in memory now), ``sent`` (events the service acknowledged),
            ``labels_sent``, ``duplicates``, ``retried`` (requests sent again), ``spooled``
            (records written to disk), ``replayed`` (spooled records acknowledged since),
            ``dropped`` (lost: the spool was full), ``dead_lettered`` (in the dead-letter
            file: ``invalid`` ones the client refused plus those the service ``rejected``
            or refused), ``errors`` (internal), ``middleware_skipped`` and
            ``middleware_errors`` (see ``PredictionLogger``), and ``spool_bytes``.
        """
        return {
            "queued": len(self._queue),
            **self._counters.snapshot(),
            "spool_bytes": self._disk.spool.total_bytes,
        }

    @property
    def spool_dir(self) -> Path:
        """Where records wait while the service is unreachable."""
        return self._settings.spool_dir

    @property
    def dead_letter_path(self) -> Path:
        """The JSON-lines file of records the service will not accept as they are."""
        return self._disk.dead_letters.path

    @abc.abstractmethod
    def _at_exit(self) -> None:
        """Make everything queued durable: delivered or spooled (interpreter exit)."""

    @abc.abstractmethod
    def _after_fork(self) -> None:
        """Start afresh in a child process (the parent delivers what it had queued)."""

    def _retire(self) -> None:
        """Forget a closed client: nothing is left for interpreter exit to do."""
        _LIVE.discard(self)

    def _forget_parent(self) -> None:
        """In a child process: drop the parent's queue, counts and open spool segment."""
        self._queue = deque()
        self._disk.counters = Counters()
        self._disk.spool.after_fork()
        self._engine = self._new_engine()


# Clients not yet closed, kept alive (like their threads and tasks) so that interpreter exit
# finds every one of them, even those the program no longer refers to.
_LIVE: set[ClientBase] = set()


@atexit.register
def _exit_all() -> None:
    for client in list(_LIVE):
        client._at_exit()


def _after_fork_all() -> None:
    for client in list(_LIVE):
        client._after_fork()


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=_after_fork_all)
