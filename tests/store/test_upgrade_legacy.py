"""Rows an older driftpilot stored unreadable: ``driftpilot store check`` finds them, ``repair``
moves them, and a real ``driftpilot serve`` then answers every read path.

Before the boundary checks, an event could be stored with a lone surrogate in a segment or a
categorical value, a timestamp outside the years 0002-9998, features nested 950 levels deep
or an integer of more than 4,300 digits, and a label with such a value or time. The rows are
written here with raw SQL, as those versions wrote them, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from driftpilot.store import Store, create_engine, legacy, to_us
from driftpilot.store import _tables as t
from server.server_process import Server, run_cli
from service_fixtures import make_events

MODEL = "loans"
HOUR = 3_600_000_000
#: 0001-01-01T00:00:00+14:00: before datetime.min once in UTC.
ANCIENT = to_us(datetime(1970, 1, 1, tzinfo=UTC)) - (
    datetime(1970, 1, 1) - datetime(1, 1, 1) + timedelta(hours=14)
) // timedelta(microseconds=1)


def _deep(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def _payload(event_id: str, features: str, segment: str = '{"region":"eu"}') -> str:
    return (
        f'{{"event_id":"{event_id}","timestamp":"2024-05-01T03:00:00+00:00",'
        f'"model_version":"1","features":{features},"prediction":1,"segment":{segment}}}'
    )


#: The legacy events: (what is wrong, payload features, segment, time, expected code, field)
LEGACY_EVENTS = [
    ("surrogate segment", '{"age":30.0,"plan":"basic"}', '{"region":"\\ud800"}', None,
     "invalid_string", "event.segment.region"),
    ("surrogate category", '{"age":31.0,"plan":"\\udfff"}', '{"region":"eu"}', None,
     "invalid_string", "event.features.plan"),
    ("ancient timestamp", '{"age":32.0,"plan":"pro"}', '{"region":"eu"}', ANCIENT,
     "invalid_field", "timestamp"),
    ("950 levels", f'{{"age":33.0,"deep":{_deep(950)}}}', '{"region":"eu"}', None,
     "too_deep", None),
    ("4,301+ digits", f'{{"age":34.0,"big":{"7" * 5000}}}', '{"region":"eu"}', None,
     "invalid_number", None),
]  # fmt: skip


def _legacy_database(db_url: str) -> dict[str, Any]:
    """Store good events through the store, then the legacy rows with raw SQL."""
    store = Store(create_engine(db_url))
    try:
        store.models.create_model(MODEL, "binary")
        good = make_events(20, start="2024-05-01T00:00:00+00:00")
        assert store.events.ingest(MODEL, good).stored == 20
        labels = [{"event_id": e["event_id"], "value": 1, "timestamp": e["timestamp"]}
                  for e in good[:5]]  # fmt: skip
        store.labels.ingest(MODEL, labels)
        with store.engine.begin() as connection:
            model_id = connection.execute(sa.select(t.models.c.id)).scalar_one()
            document = (
                connection.execute(sa.select(t.profile_partials.c.document)).scalars().first()
            )
            ids = {}
            base_ts = to_us(datetime(2024, 5, 1, 3, tzinfo=UTC))
            for n, (name, features, segment, ts, _, _) in enumerate(LEGACY_EVENTS):
                event_id = str(uuid.UUID(int=n + 1))
                ids[name] = event_id
                connection.execute(
                    sa.text(
                        "INSERT INTO dp_events (model_id, event_id, version, ts, received_at, "
                        "latency_ms, payload, quality_flags) VALUES (:m, :e, '1', :ts, :ts2, "
                        "NULL, :p, NULL)"
                    ),
                    {"m": model_id, "e": event_id, "ts": ts if ts is not None else base_ts + n,
                     "ts2": base_ts, "p": _payload(event_id, features, segment)},
                )  # fmt: skip
            # the partial of the ancient event's bucket, and two legacy labels
            connection.execute(
                sa.text(
                    "INSERT INTO dp_profile_partials (model_id, version, kind, bucket_start, "
                    "bucket_seconds, n_rows, reference_id, document, created_at) VALUES "
                    "(:m, '1', 'events', :b, 3600, 1, NULL, :d, 0)"
                ),
                {"m": model_id, "b": ANCIENT - ANCIENT % HOUR, "d": document},
            )
            label_rows = [
                (str(uuid.UUID(int=101)), "9" * 5000, base_ts),
                (str(uuid.UUID(int=102)), "1", ANCIENT),
            ]
            for event_id, value, ts in label_rows:
                connection.execute(
                    sa.text(
                        "INSERT INTO dp_labels (model_id, event_id, value, ts, received_at, "
                        "joined_at) VALUES (:m, :e, :v, :ts, :r, NULL)"
                    ),
                    {"m": model_id, "e": event_id, "v": value, "ts": ts, "r": base_ts},
                )
    finally:
        store.close()
    return {"good": good, "legacy": ids, "labels": [r[0] for r in label_rows]}


def _check(db_url: str, *options: str) -> tuple[int, Any]:
    done = run_cli("store", "check", "--db", db_url, "--format", "json", *options)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.mark.slow
def test_check_reports_repair_moves_and_serve_then_reads_every_path(
    db_url: str, tmp_path: Path
) -> None:
    stored = _legacy_database(db_url)
    status, found = _check(db_url)
    assert status == 1
    assert found["ok"] is False
    counts = {(c["table"], c["code"]): c["rows"] for c in found["counts"]}
    assert counts == {
        ("events", "invalid_string"): 2, ("events", "invalid_field"): 1,
        ("events", "too_deep"): 1, ("events", "invalid_number"): 1,
        ("labels", "invalid_number"): 1, ("labels", "invalid_field"): 1,
        ("partials", "invalid_field"): 1,
    }  # fmt: skip
    by_event = {p["event_id"]: p for p in found["problems"] if p["table"] == "events"}
    for name, _, _, _, code, field in LEGACY_EVENTS:
        problem = by_event[stored["legacy"][name]]
        assert problem["code"] == code, name
        if field is not None:
            assert problem["field"] == field, name
    table = run_cli("store", "check", "--db", db_url, "--details")
    assert table.returncode == 1
    assert "invalid_string" in table.stdout
    assert "store repair" in table.stdout

    repaired = run_cli("store", "repair", "--db", db_url, "--format", "json")
    assert repaired.returncode == 0, repaired.stderr
    moved = json.loads(repaired.stdout)
    assert (moved["quarantined"], moved["deleted"]) == (7, 1)
    assert _check(db_url)[0] == 0
    again = run_cli("store", "repair", "--db", db_url)
    assert again.returncode == 0
    assert "Nothing to repair" in again.stdout

    key = run_cli("keys", "create", "--scope", "admin", "--db", db_url).stdout.strip()
    server = Server(db_url, tmp_path)
    try:
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
        ) as api:
            answers = {
                path: api.get(f"/v1/models/{MODEL}/{path}")
                for path in ("events?limit=1000", "labels?limit=1000", "export",
                             "export?format=parquet", "profile", "rejected?limit=1000")
            }  # fmt: skip
    finally:
        server.stop()
    for path, answer in answers.items():
        assert answer.status_code == 200, (path, answer.text[:300])
    good_ids = [e["event_id"] for e in stored["good"]]
    events = answers["events?limit=1000"].json()["items"]
    assert sorted(e["event_id"] for e in events) == sorted(good_ids)
    lines = answers["export"].text.splitlines()
    assert sorted(json.loads(line)["event_id"] for line in lines) == sorted(good_ids)
    parquet = pq.read_table(io.BytesIO(answers["export?format=parquet"].content))
    assert sorted(parquet.column("event_id").to_pylist()) == sorted(good_ids)
    assert len(answers["labels?limit=1000"].json()["items"]) == 5
    assert answers["profile"].json()["covered_start"] == "2024-05-01T00:00:00Z"
    rejected = answers["rejected?limit=1000"].json()["items"]
    assert len(rejected) == 7
    bodies = {r["event_id"]: r for r in rejected}
    surrogate = bodies[stored["legacy"]["surrogate segment"]]
    assert surrogate["code"] == "invalid_string"
    assert surrogate["kind"] == "event"
    assert "\\ud800" in surrogate["body"]  # the full text as it was stored
    assert surrogate["error"]["details"]["repaired_from"] == "dp_events"
    big = bodies[stored["legacy"]["4,301+ digits"]]
    assert big["body_chars"] == len(big["body"])
    assert "7" * 5000 in big["body"]
    assert {bodies[e]["kind"] for e in stored["labels"]} == {"label"}


def test_repair_is_one_transaction(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _legacy_database(db_url)
    engine = create_engine(db_url)
    original = legacy.insert_rejected

    def then_fail(connection: sa.Connection, rows: Any) -> None:
        original(connection, rows)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(legacy, "insert_rejected", then_fail)
    with pytest.raises(RuntimeError, match="disk is full"):
        legacy.repair_store(engine)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(t.rejected)).scalar() == 0
        events = connection.execute(sa.select(sa.func.count()).select_from(t.events)).scalar()
    assert events == 20 + len(LEGACY_EVENTS)
    result = legacy.check_store(engine)
    assert len(result.problems) == 8
    engine.dispose()


def test_a_database_with_nothing_wrong_checks_clean(db_url: str) -> None:
    store = Store(create_engine(db_url))
    try:
        store.models.create_model(MODEL, "binary")
        store.events.ingest(MODEL, make_events(30))
        seen: list[tuple[int, int]] = []
        result = legacy.check_store(store.engine, progress=lambda d, n: seen.append((d, n)))
    finally:
        store.close()
    assert result.ok
    assert result.scanned["events"] == 30
    assert seen
    assert seen[-1][0] == seen[-1][1]


def test_a_bad_database_url_is_one_line_and_exit_2() -> None:
    done = run_cli("store", "check", "--db", "mysql://user@localhost/db")
    assert done.returncode == 2
    assert "SQLite or PostgreSQL" in done.stderr
    assert "Traceback" not in done.stderr
