"""Encoding of queued items, ids, and what replies mean (no network)."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftpilot.ingest import event_id_for
from driftpilot.ingest._ids import new_event_id
from driftpilot.ingest._protocol import Backoff, Reply, Verdict, judge, outcome_of, retry_after
from driftpilot.ingest._records import (
    EVENT,
    LABEL,
    InvalidItemError,
    body_of,
    encode_item,
    iso_timestamp,
    item_json,
)


def _event(**fields: object) -> tuple[object, ...]:
    values = {
        "event_id": "8c2f4b1e-0000-4000-8000-00000000002a",
        "timestamp": 0.0,
        "features": {"x": 1},
        "prediction": 1,
        "scores": None,
        "latency_ms": None,
        "segment": None,
        "model_version": None,
        **fields,
    }
    return (EVENT, *values.values())


def _decode(item: tuple[object, ...], version: str | None = "1") -> dict:
    return json.loads(encode_item(item, version).raw)


def test_an_event_encodes_to_the_contract() -> None:
    assert _decode(_event()) == {
        "event_id": "8c2f4b1e-0000-4000-8000-00000000002a",
        "timestamp": "1970-01-01T00:00:00.000000+00:00",
        "model_version": "1",
        "features": {"x": 1},
        "prediction": 1,
        "scores": None,
        "latency_ms": None,
        "segment": None,
    }


def test_a_label_encodes_to_the_contract() -> None:
    item = (LABEL, "order-1", {"y": 1}, datetime(2026, 1, 1, tzinfo=UTC))
    assert _decode(item) == {
        "event_id": event_id_for("order-1"),
        "value": {"y": 1},
        "timestamp": "2026-01-01T00:00:00+00:00",
    }


def test_numpy_pandas_and_stdlib_values_become_json() -> None:
    features = {
        "i": np.int32(3),
        "f": np.float32(0.5),
        "b": np.bool_(True),
        "a": np.arange(3),
        "when": datetime(2026, 1, 1, 12),  # naive: taken as UTC
        "day": pd.Timestamp("2026-01-02").date(),
        "id": uuid.UUID(int=1),
        "money": Decimal("1.25"),
        "tags": {"x"},
        "na": pd.NA,
        "nat": pd.NaT,
    }
    assert _decode(_event(features=features))["features"] == {
        "i": 3,
        "f": 0.5,
        "b": True,
        "a": [0, 1, 2],
        "when": "2026-01-01T12:00:00+00:00",
        "day": "2026-01-02",
        "id": "00000000-0000-0000-0000-000000000001",
        "money": 1.25,
        "tags": ["x"],
        "na": None,
        "nat": None,
    }


def test_non_finite_numbers_are_sent_as_json_tokens_python_reads() -> None:
    raw = encode_item(_event(features={"a": float("nan"), "b": float("inf")}), "1").raw
    assert b'"a":NaN' in raw
    assert b'"b":Infinity' in raw


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"features": [1, 2]}, "'features' must be a mapping"),
        ({"event_id": ""}, "'event_id' must be a non-empty string"),
        ({"event_id": 1.5}, "'event_id' must be a non-empty string"),
        ({"timestamp": "soon"}, "'timestamp' must be seconds since the Unix epoch"),
        ({"timestamp": float("inf")}, "'timestamp'"),
        ({"latency_ms": -1}, "'latency_ms' must be a finite number >= 0"),
        ({"latency_ms": True}, "'latency_ms'"),
        ({"scores": 0.7}, "'scores' must be a mapping of class to score or a list"),
        ({"segment": ["a"]}, "'segment' must be a mapping"),
        ({"model_version": "a/b"}, "'model_version' must be 1-200 printable characters"),
        ({"features": {"x": object()}}, "cannot be sent as JSON"),
    ],
)
def test_invalid_items_say_which_field_is_wrong(fields: dict, message: str) -> None:
    with pytest.raises(InvalidItemError, match=message):
        encode_item(_event(**fields), "1")


def test_an_event_without_any_model_version_is_invalid() -> None:
    with pytest.raises(InvalidItemError, match="no model version"):
        encode_item(_event(), None)


def test_an_invalid_item_can_still_be_shown() -> None:
    shown = json.loads(item_json(_event(features={"x": object()})))
    assert shown["features"]["x"].startswith("<object object")


@given(st.floats(min_value=-1e10, max_value=1e10))
def test_epoch_seconds_round_trip_through_iso(seconds: float) -> None:
    back = datetime.fromisoformat(iso_timestamp(seconds)).timestamp()
    assert abs(back - seconds) < 1e-5


def test_timestamps_keep_their_timezone() -> None:
    paris = datetime(2026, 6, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert iso_timestamp(paris) == "2026-06-01T12:00:00+02:00"
    assert iso_timestamp("2026-06-01T12:00:00") == "2026-06-01T12:00:00+00:00"


def test_body_joins_raw_records() -> None:
    records = [encode_item(_event(features={"x": i}), "1") for i in range(3)]
    assert [e["features"] for e in json.loads(body_of(b"e", records))["events"]] == [
        {"x": 0},
        {"x": 1},
        {"x": 2},
    ]


# -- ids -------------------------------------------------------------------------------------


def test_new_ids_are_unique_version_4_uuids() -> None:
    ids = [new_event_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    parsed = [uuid.UUID(i) for i in ids[:100]]
    assert all(
        u.version == 4 and u.variant == uuid.RFC_4122 and str(u) == i
        for u, i in zip(parsed, ids[:100], strict=True)
    )


@given(st.text(min_size=1))
def test_any_key_maps_to_one_uuid(key: str) -> None:
    assert uuid.UUID(event_id_for(key))
    assert event_id_for(key) == event_id_for(key)


# -- replies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "verdict"),
    [(200, Verdict.OK), (204, Verdict.OK), (None, Verdict.RETRY), (408, Verdict.RETRY),
     (429, Verdict.RETRY), (500, Verdict.RETRY), (503, Verdict.RETRY), (413, Verdict.TOO_LARGE),
     (400, Verdict.BAD_REQUEST), (422, Verdict.BAD_REQUEST), (401, Verdict.REFUSED),
     (403, Verdict.REFUSED), (404, Verdict.REFUSED), (409, Verdict.REFUSED)],
)  # fmt: skip
def test_replies_are_judged_by_status(status: int | None, verdict: Verdict) -> None:
    assert judge(Reply(status)) is verdict


def test_retry_after_reads_seconds_and_dates() -> None:
    now = datetime(2026, 10, 21, 7, 28, tzinfo=UTC)
    assert retry_after("1.5") == 1.5
    assert retry_after("-3") == 0.0
    assert retry_after("99999") == 300.0
    assert retry_after("Wed, 21 Oct 2026 07:28:30 GMT", now=now) == 30.0
    assert retry_after("nan") is None
    assert retry_after("garbage") is None


@given(st.integers(min_value=1, max_value=200), st.floats(0.001, 10), st.floats(0.001, 100))
def test_backoff_stays_within_full_jitter_bounds(attempt: int, base: float, cap: float) -> None:
    backoff = Backoff(base=base, cap=max(base, cap), rng=random.Random(attempt))
    assert 0 <= backoff.delay(attempt) <= min(max(base, cap), base * 2.0**attempt)


def test_outcome_reads_results_in_request_order() -> None:
    body = json.dumps(
        {
            "results": [
                {"status": "stored"},
                {"status": "duplicate"},
                {"status": "rejected", "error": "e"},
            ]
        }
    ).encode()
    outcome = outcome_of(Reply(200, body), 3)
    assert (outcome.accepted, outcome.duplicates, outcome.rejected) == (1, 1, [(2, "e")])
    assert outcome_of(Reply(200, b"not json"), 3).accepted == 3
    assert outcome_of(Reply(200, body), 4).accepted == 4  # a count that does not match
