"""Counters of what the SDK did with each event, and warnings that do not flood the log.

Counters are updated by the background (in batches) and, rarely, by request threads (an
event spooled because the queue was full); one lock keeps the sums exact.
"""

from __future__ import annotations

import logging
import threading
import time

__all__ = ["COUNTERS", "Counters", "LogLimiter"]

#: Every counter ``Client.stats()`` reports (besides ``queued`` and ``spool_bytes``).
COUNTERS = (
    "sent",  # events the service acknowledged (stored or duplicate)
    "labels_sent",  # labels the service acknowledged (joined, pending or duplicate)
    "duplicates",  # events and labels the service already had (a resend after a lost reply)
    "retried",  # requests sent again after a connection error, timeout, 408, 429 or 5xx
    "spooled",  # events and labels written to the spool on disk
    "replayed",  # spooled events and labels the service has since acknowledged
    "dropped",  # lost: the spool was full or could not be written
    "dead_lettered",  # written to the dead-letter file (invalid, rejected, refused, poisoned)
    "poisoned",  # failed with a 5xx again and again while others went through; dead-lettered
    "invalid",  # refused by the SDK's own checks (bad arguments); also dead-lettered
    "rejected",  # refused one by one by the service in a 200 reply; also dead-lettered
    "errors",  # unexpected errors inside the SDK's delivery loop (logged with a traceback)
    "middleware_skipped",  # requests PredictionLogger did not log (not JSON, streamed, not 2xx)
    "middleware_errors",  # requests PredictionLogger could not log (an extractor raised)
)


class Counters:
    """Thread-safe named counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = dict.fromkeys(COUNTERS, 0)

    def add(self, name: str, n: int = 1) -> None:
        """Add ``n`` to counter ``name``."""
        if n:
            with self._lock:
                self._values[name] += n

    def get(self, name: str) -> int:
        """Return counter ``name``."""
        return self._values[name]

    def snapshot(self) -> dict[str, int]:
        """Return a copy of every counter."""
        with self._lock:
            return dict(self._values)


class LogLimiter:
    """Log a warning the first time a kind of problem happens, then at most once a minute.

    Parameters
    ----------
    logger
        Where to log.
    interval
        Seconds between two warnings of the same kind.
    """

    def __init__(self, logger: logging.Logger, *, interval: float = 60.0) -> None:
        self._logger = logger
        self._interval = interval
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def warning(self, kind: str, message: str, *args: object) -> None:
        """Log ``message % args`` unless a warning of ``kind`` was logged recently."""
        now = time.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self._interval:
            self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
            return
        self._last[kind] = now
        suppressed = self._suppressed.pop(kind, 0)
        if suppressed:
            message += " (%d more like this since the last warning)"
            args = (*args, suppressed)
        self._logger.warning(message, *args)
