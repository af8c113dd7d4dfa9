"""The evidence that tells a poison record from an outage (``_poison``), without I/O."""

from __future__ import annotations

from driftpilot.ingest._poison import PoisonTracker
from driftpilot.ingest._records import Record


def _records(*names: str) -> list[Record]:
    return [Record(b"e", f'{{"event_id":"{name}"}}'.encode()) for name in names]


def test_a_batch_is_suspect_once_every_record_failed_poison_after_times() -> None:
    tracker = PoisonTracker(3)
    batch = _records("a", "b")
    for _ in range(2):
        tracker.failed(batch)
    assert not tracker.suspect(batch)
    tracker.failed(batch)
    assert tracker.suspect(batch)
    assert not tracker.suspect([*batch, *_records("c")])  # a fresh record is not suspect
    assert not tracker.suspect([])


def test_an_outage_never_convicts() -> None:
    tracker = PoisonTracker(1)
    (record,) = _records("a")
    for _ in range(100):  # fails alone again and again; nothing is ever accepted
        tracker.failed([record])
        assert not tracker.convicts(record)


def test_a_record_is_convicted_once_others_went_through_after_its_first_failure() -> None:
    tracker = PoisonTracker(1)
    poison, good = _records("p", "g")
    tracker.accepted(_records("before"))  # accepted before the poison first failed: no proof
    tracker.failed([poison, good])
    assert not tracker.convicts(poison)
    tracker.accepted([good])
    assert not tracker.suspect([good])  # an accepted record starts afresh
    tracker.failed([poison])
    assert tracker.convicts(poison)
    assert not tracker.suspect([poison])  # dead-lettered: forgotten
