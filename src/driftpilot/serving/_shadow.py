"""Shadow traffic: the same rows sent to the shadow versions, off the request path.

The request thread only offers a job to a bounded queue (``put_nowait``); when the queue
is full the job is dropped and counted, never waited for, so a slow shadow can cost the
live traffic nothing but the offer. One worker thread runs each shadow version on the rows
and logs its predictions with the cohort ``shadow``. A shadow that raises is counted
(``errors``) and logged at most once a minute; it never reaches the caller, whose response
was sent before the shadow ran.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from driftpilot.lifecycle import Predictor

__all__ = ["ShadowJob", "ShadowMirror"]

logger = logging.getLogger("driftpilot.serving")


@dataclass(frozen=True, slots=True)
class ShadowJob:
    """Rows to mirror, with the primary events' ids, to the shadows loaded when they came."""

    rows: Sequence[Mapping[str, Any]]
    event_ids: Sequence[str]
    shadows: Mapping[str, Predictor]


#: Called with (version, rows, primary event ids, predictions, scores, latency in ms).
LogShadow = Callable[
    [str, Sequence[Mapping[str, Any]], Sequence[str], list[Any], list[dict[str, float]] | None,
     float],
    None,
]  # fmt: skip


class ShadowMirror:
    """A bounded queue of shadow jobs and the thread that runs them.

    Parameters
    ----------
    log
        Logs one shadow version's predictions on a job.
    max_queue
        Jobs waiting at most; an offer beyond it is dropped and counted.
    """

    def __init__(self, log: LogShadow, *, max_queue: int = 1000) -> None:
        self._log = log
        self._queue: queue.Queue[ShadowJob | None] = queue.Queue(maxsize=max_queue)
        self._lock = threading.Lock()
        self.enqueued = self.dropped = self.done = self.errors = 0
        self._last_warning = 0.0
        self._thread = threading.Thread(target=self._run, name="driftpilot-shadow", daemon=True)
        self._thread.start()

    def offer(self, job: ShadowJob) -> bool:
        """Queue ``job`` without waiting; ``False`` (and counted) if the queue is full."""
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            with self._lock:
                self.dropped += 1
            return False
        with self._lock:
            self.enqueued += 1
        return True

    def pending(self) -> int:
        """Jobs waiting."""
        return self._queue.qsize()

    def join(self) -> None:
        """Wait until every queued job ran (for tests and orderly shutdown)."""
        self._queue.join()

    def close(self, timeout: float = 5.0) -> None:
        """Stop after the jobs queued so far (or after ``timeout`` seconds)."""
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            logger.warning("shadow queue still full at shutdown; %d jobs not run", self.pending())
            return
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                for version, predictor in job.shadows.items():
                    self._one(version, predictor, job)
                with self._lock:
                    self.done += 1
            finally:
                self._queue.task_done()

    def _one(self, version: str, predictor: Predictor, job: ShadowJob) -> None:
        started = time.perf_counter()
        try:
            predictions = predictor.predict(job.rows)
            scores = predictor.predict_proba(job.rows)
        except Exception as err:
            with self._lock:
                self.errors += 1
            now = time.monotonic()
            if now - self._last_warning >= 60:
                self._last_warning = now
                logger.warning("shadow version %r failed on %d rows: %r", version,
                               len(job.rows), err)  # fmt: skip
            return
        latency = (time.perf_counter() - started) * 1000 / max(len(job.rows), 1)
        self._log(version, job.rows, job.event_ids, predictions, scores, latency)
