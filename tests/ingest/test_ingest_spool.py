"""The spool and the dead-letter file, on a real file system."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftpilot.ingest._deadletter import DeadLetters
from driftpilot.ingest._records import Record
from driftpilot.ingest._spool import Spool
from driftpilot.ingest._stats import LogLimiter

LOG = LogLimiter(logging.getLogger("test"))


def _spool(
    directory: Path, *, model: str = "churn", max_bytes: int = 1 << 20, **options: int
) -> Spool:
    return Spool(directory, model=model, max_bytes=max_bytes, log=LOG, **options)


def _line(record: Record) -> bytes:
    return record.kind + b" " + record.raw + b"\n"


def _records(n: int, start: int = 0) -> list[Record]:
    return [
        Record(b"e" if i % 3 else b"l", json.dumps({"i": i}).encode())
        for i in range(start, start + n)
    ]


def _drain(spool: Spool) -> list[Record]:
    out: list[Record] = []
    while (segment := spool.claim()) is not None:
        out += segment.records
        spool.finish(segment, [])
    return out


def test_records_come_back_in_order_across_segments(tmp_path: Path) -> None:
    spool = _spool(tmp_path, segment_bytes=100)
    records = _records(50)
    for i in range(0, 50, 7):
        assert spool.append([_line(r) for r in records[i : i + 7]]) == len(records[i : i + 7])
    assert len(list(tmp_path.glob("*.spool"))) > 1
    assert _drain(spool) == records
    assert list(tmp_path.iterdir()) == []
    assert spool.total_bytes == 0
    assert not spool.has_backlog()


@given(
    st.lists(
        st.dictionaries(st.text(), st.one_of(st.integers(), st.text(), st.floats())), max_size=20
    )
)
def test_any_json_object_survives_the_spool(
    tmp_path_factory: pytest.TempPathFactory, objects: list[dict]
) -> None:
    spool = _spool(tmp_path_factory.mktemp("spool"))
    records = [Record(b"e", json.dumps(o, ensure_ascii=False).encode()) for o in objects]
    assert spool.append([_line(r) for r in records]) == len(records)
    assert _drain(spool) == records


def test_a_new_spool_finds_what_an_earlier_one_left(tmp_path: Path) -> None:
    first = _spool(tmp_path)
    first.append([_line(r) for r in _records(5)])
    first.close()
    second = _spool(tmp_path)
    second.scan()
    assert second.has_backlog()
    assert _drain(second) == _records(5)


def test_the_size_bound_holds(tmp_path: Path) -> None:
    spool = _spool(tmp_path, max_bytes=300)
    lines = [_line(r) for r in _records(100)]
    written = spool.append(lines)
    assert 0 < written < 100
    assert spool.append(lines[written:]) == 0
    spool.close()
    assert sum(p.stat().st_size for p in tmp_path.iterdir()) <= 300


def test_a_torn_last_line_is_skipped_and_counted(tmp_path: Path) -> None:
    spool = _spool(tmp_path)
    spool.append([_line(r) for r in _records(3)])
    spool.close()
    (path,) = tmp_path.glob("*.spool")
    with path.open("ab") as handle:
        handle.write(b'e {"i": 99, "tor')  # a crash in the middle of a write
    reader = _spool(tmp_path)
    reader.scan()
    segment = reader.claim()
    assert segment is not None
    assert (segment.records, segment.lost) == (_records(3), 1)


def test_a_partly_delivered_segment_keeps_the_rest(tmp_path: Path) -> None:
    spool = _spool(tmp_path)
    spool.append([_line(r) for r in _records(6)])
    segment = spool.claim()
    assert segment is not None
    spool.finish(segment, segment.records[4:])
    assert _drain(spool) == _records(6)[4:]


def test_a_segment_being_written_or_replayed_is_not_claimed_twice(tmp_path: Path) -> None:
    writer, reader = _spool(tmp_path), _spool(tmp_path)
    writer.append([_line(r) for r in _records(3)])
    reader.scan()
    assert reader.claim() is None  # still open (locked) by its writer
    writer.close()
    reader.scan()
    other = _spool(tmp_path)
    other.scan()
    segment = reader.claim()
    assert segment is not None
    assert other.claim() is None  # locked by the reader meanwhile
    reader.finish(segment, [])


def test_segments_of_another_model_are_left_alone(tmp_path: Path) -> None:
    theirs = _spool(tmp_path, model="other")
    theirs.append([_line(r) for r in _records(2)])
    theirs.close()
    ours = _spool(tmp_path)
    ours.scan()
    assert ours.claim() is None
    assert len(list(tmp_path.glob("*.spool"))) == 1


def test_dead_letters_are_bounded_json_lines(tmp_path: Path) -> None:
    letters = DeadLetters(
        tmp_path / "dl" / "dead-letter.jsonl", model="churn", max_bytes=400, log=LOG
    )
    line = letters.line("event", b'{"event_id": "a"}', 422, {"code": "x", "message": "bad"})
    assert letters.write([line] * 10) == 400 // len(line)
    rows = [json.loads(text) for text in letters.path.read_text().splitlines()]
    assert rows[0]["record"] == {"event_id": "a"}
    assert (rows[0]["model"], rows[0]["kind"], rows[0]["status"]) == ("churn", "event", 422)
