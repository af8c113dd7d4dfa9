"""Telling a poison record from an outage, so one bad record never stops delivery.

A batch the service keeps answering with a 5xx (or not answering) is normally an outage: the
records wait in the spool and are sent again. But a record the service fails on every time
(a bug it has on one value) would then block everything behind it for ever. This module keeps
the evidence that tells the two apart, in memory (a restarted client gathers it again):

* each record's count of failed attempts of batches that held it (``failed``); a batch whose
  records all reached ``poison_after`` is *suspect*, and the delivery loop splits it in halves
  (once an empty batch shows the service answers) to find the record that spoils it;
* a suspect record that fails alone, right after an empty batch showed the service answers,
  is dead-lettered only if the service has accepted some other non-empty batch since the record
  first failed (``convicts``). During an outage, or when the service fails every write, nothing
  is accepted, so nothing is dead-lettered.
"""

from __future__ import annotations

from collections.abc import Sequence

from driftpilot.ingest._records import Record

__all__ = ["PoisonTracker"]

_MAX_TRACKED = 100_000  # past this many records with failures, start counting afresh


class PoisonTracker:
    """Failure counts per record, and the proof a suspect record is at fault."""

    def __init__(self, poison_after: int) -> None:
        self.poison_after = poison_after
        self._failures: dict[bytes, int] = {}
        self._since: dict[bytes, int] = {}  # record -> accepted batches at its first failure
        self._accepted = 0  # non-empty batches the service accepted

    def failed(self, records: Sequence[Record]) -> None:
        """Count one failed attempt of a batch of ``records``."""
        if len(self._failures) > _MAX_TRACKED:
            self._failures.clear()
            self._since.clear()
        failures, since, accepted = self._failures, self._since, self._accepted
        for record in records:
            failures[record.raw] = failures.get(record.raw, 0) + 1
            since.setdefault(record.raw, accepted)

    def accepted(self, records: Sequence[Record]) -> None:
        """Note that the service accepted a batch of ``records`` (answered 2xx)."""
        if records:
            self._accepted += 1
        if self._failures:
            for record in records:
                self._failures.pop(record.raw, None)
                self._since.pop(record.raw, None)

    def suspect(self, records: Sequence[Record]) -> bool:
        """Whether every record of the batch has failed ``poison_after`` times or more."""
        failures = self._failures
        return bool(records) and all(
            failures.get(record.raw, 0) >= self.poison_after for record in records
        )

    def convicts(self, record: Record) -> bool:
        """Whether ``record``, which just failed alone, is at fault (else it is noted).

        True if some other batch was accepted since the record first failed.
        """
        if self._accepted > self._since.get(record.raw, self._accepted):
            self._failures.pop(record.raw, None)
            self._since.pop(record.raw, None)
            return True
        return False

    @property
    def accepted_batches(self) -> int:
        """How many non-empty batches the service accepted (to tell whether a pass progressed)."""
        return self._accepted
