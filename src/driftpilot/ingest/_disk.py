"""Where records go when they do not go to the service, and how that is counted and told.

:class:`Disk` joins the spool (records to send later) and the dead-letter file (records the
service will not take as they are) with the counters of ``Client.stats()`` and the warnings
of the ``driftpilot.ingest`` logger, so each outcome is written, counted and reported in one
place, whether the delivery loop or a request thread (a full queue) gets there first. Every
method blocks on the file system; the loop runs them through ``Transport.offload``.
"""

from __future__ import annotations

from typing import Any

from driftpilot.ingest._deadletter import DeadLetters
from driftpilot.ingest._records import EVENT, InvalidItemError, Record, item_json, kind_name
from driftpilot.ingest._spool import Segment, Spool
from driftpilot.ingest._stats import Counters, LogLimiter

__all__ = ["Disk"]

Invalid = list[tuple[tuple[Any, ...], InvalidItemError]]


class Disk:
    """The spool and the dead-letter file of one client, with its counters and log."""

    def __init__(
        self, spool: Spool, dead_letters: DeadLetters, counters: Counters, log: LogLimiter
    ) -> None:
        self.spool = spool
        self.dead_letters = dead_letters
        self.counters = counters
        self.log = log

    def spill(self, records: list[Record], *, sync: bool = True) -> None:
        """Append records to the spool and fsync; count what does not fit as dropped.

        ``sync=False`` (request threads) buffers instead: the loop writes and fsyncs soon.
        """
        if not records:
            return
        lines = [r.kind + b" " + r.raw + b"\n" for r in records]
        written = self.spool.append(lines, buffered=not sync)
        if sync:
            self.spool.sync()
        self.counters.add("spooled", written)
        if written < len(records):
            self.counters.add("dropped", len(records) - written)
            self.log.warning(
                "spool-full",
                "driftpilot: the spool %s is full (%d bytes); %d record(s) dropped",
                self.spool.directory,
                self.spool.total_bytes,
                len(records) - written,
            )

    def invalid(self, invalid: Invalid) -> None:
        """Dead-letter items the SDK's own checks refused (bad arguments)."""
        if not invalid:
            return
        self.counters.add("invalid", len(invalid))
        lines = [
            self.dead_letters.line(
                "event" if item[0] == EVENT else "label",
                item_json(item),
                None,
                {"code": "invalid_argument", "message": str(err), "details": None},
            )
            for item, err in invalid
        ]
        self._write(lines)
        self.log.warning(
            "invalid",
            "driftpilot: %d invalid call(s) not sent; they are in %s. First problem: %s",
            len(invalid),
            self.dead_letters.path,
            invalid[0][1],
        )

    def rejected(self, rejected: list[tuple[Record, Any]], status: int | None) -> None:
        """Dead-letter records the service rejected one by one in a 2xx reply."""
        if not rejected:
            return
        self.counters.add("rejected", len(rejected))
        self._write([self._line(record, status, error) for record, error in rejected])
        self.log.warning(
            "rejected",
            "driftpilot: the service rejected %d %s(s); they are in %s. First error: %s",
            len(rejected),
            kind_name(rejected[0][0].kind),
            self.dead_letters.path,
            rejected[0][1],
        )

    def refused(self, records: list[Record], status: int | None, error: Any) -> None:
        """Dead-letter a batch the service refused as a whole (401, 404, ...)."""
        self._write([self._line(record, status, error) for record in records])
        self.log.warning(
            "refused",
            "driftpilot: the service refused %d %s(s) with HTTP %s (%s); they are in %s",
            len(records),
            kind_name(records[0].kind),
            status,
            error.get("message") if isinstance(error, dict) else error,
            self.dead_letters.path,
        )

    def poisoned(self, records: list[Record], status: int | None, error: Any) -> None:
        """Dead-letter records the service failed on again and again (5xx) while it took others."""
        self._write([self._line(record, status, error) for record in records])
        self.counters.add("poisoned", len(records))
        self.log.warning(
            "poisoned",
            "driftpilot: the service fails on %d %s(s) every time (HTTP %s: %s) while it "
            "accepts others; they are in %s",
            len(records),
            kind_name(records[0].kind),
            status,
            error.get("message") if isinstance(error, dict) else error,
            self.dead_letters.path,
        )

    def torn(self, segment: Segment) -> None:
        """Count the lines of a spooled segment that could not be read back."""
        if segment.lost:
            self.counters.add("dropped", segment.lost)
            self.log.warning(
                "spool-torn", "driftpilot: %d unreadable line(s) in %s", segment.lost, segment.path
            )

    def _line(self, record: Record, status: int | None, error: Any) -> bytes:
        return self.dead_letters.line(kind_name(record.kind), record.raw, status, error)

    def _write(self, lines: list[bytes]) -> None:
        written = self.dead_letters.write(lines)
        self.counters.add("dead_lettered", written)
        self.counters.add("dropped", len(lines) - written)
