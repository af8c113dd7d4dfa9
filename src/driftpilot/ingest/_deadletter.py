"""The dead-letter file: events and labels that will never be accepted as they are.

One JSON object per line, appended and fsync'd::

    {"time": "2026-11-25T14:47:00.123456+00:00", "model": "churn", "kind": "event",
     "status": 422, "error": {"code": ..., "message": ..., "details": ...}, "record": {...}}

``status`` is the HTTP status of the reply that refused the record (``null`` when the SDK
refused it itself), ``error`` the service's error object (or the SDK's), ``record`` the
event or label exactly as it was (or would have been) sent. Fix the cause, then send the
records again (``event_id`` makes that safe). The file is bounded like the spool; past the
bound, records are counted as dropped.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from driftpilot.ingest._files import write_all
from driftpilot.ingest._stats import LogLimiter

__all__ = ["DeadLetters"]


class DeadLetters:
    """An append-only, bounded JSON-lines file.

    Parameters
    ----------
    path
        The file; its folder is created on the first write.
    model
        Written into every line.
    max_bytes
        Lines that would take the file past this size are not written.
    log
        Where write errors are reported.
    """

    def __init__(self, path: Path, *, model: str, max_bytes: int, log: LogLimiter) -> None:
        self.path = path
        self._model = json.dumps(model)
        self._max_bytes = max_bytes
        self._log = log
        self._lock = threading.Lock()

    def line(self, kind: str, record: bytes, status: int | None, error: Any) -> bytes:
        """Return the dead-letter line of one record (``record`` is its JSON)."""
        now = datetime.now(UTC).isoformat()
        head = (
            f'{{"time":"{now}","model":{self._model},"kind":"{kind}",'
            f'"status":{json.dumps(status)},"error":{json.dumps(error, default=repr)},"record":'
        )
        return head.encode() + record + b"}\n"

    def write(self, lines: list[bytes]) -> int:
        """Append lines and fsync; return how many were written (the rest did not fit)."""
        if not lines:
            return 0
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            except OSError as err:
                self._log.warning(
                    "dead-letter", "Cannot write the dead-letter file %s: %s", self.path, err
                )
                return 0
            try:
                room = self._max_bytes - os.fstat(fd).st_size
                count = size = 0
                for line in lines:
                    if size + len(line) > room:
                        break
                    size += len(line)
                    count += 1
                write_all(fd, b"".join(lines[:count]))
                os.fsync(fd)
            except OSError as err:
                self._log.warning(
                    "dead-letter", "Cannot write the dead-letter file %s: %s", self.path, err
                )
                return 0
            finally:
                os.close(fd)
            return count
