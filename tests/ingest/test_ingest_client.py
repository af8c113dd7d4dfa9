"""Client against a real HTTP service on loopback: batching, retries, spool, dead letters."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from _fake_service import FakeService

from conftest import wait_until
from driftpilot.errors import InvalidParameterError
from driftpilot.ingest import Client, event_id_for

MakeClient = Callable[..., Client]


def _dead_letters(client: Client) -> list[dict]:
    path = client.dead_letter_path
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# -- batching --------------------------------------------------------------------------------


def test_full_batches_go_out_without_waiting_for_the_interval(
    make_client: MakeClient, fake_service: FakeService
) -> None:
    client = make_client(batch_size=10, flush_interval=3600)
    ids = [client.log_prediction({"x": i}, i) for i in range(30)]
    wait_until(lambda: client.stats()["sent"] == 30, what="three full batches")
    assert fake_service.event_ids() == set(ids)
    assert fake_service.batches == [("events", 10)] * 3


def test_a_partial_batch_goes_out_after_the_flush_interval(
    make_client: MakeClient, fake_service: FakeService
) -> None:
    client = make_client(batch_size=1000, flush_interval=0.05)
    ids = {client.log_prediction({"x": i}, i) for i in range(5)}
    wait_until(lambda: fake_service.event_ids() == ids, what="the timer to send a partial batch")
    assert all(n <= 5 for _, n in fake_service.batches)


def test_flush_delivers_everything_and_returns_true(
    make_client: MakeClient, service: FakeService
) -> None:
    client = make_client(flush_interval=3600)
    ids = {client.log_prediction({"x": i}, i) for i in range(7)}
    assert client.flush(timeout=20) is True
    assert service.event_ids() == ids
    assert client.stats()["queued"] == 0


def test_events_carry_every_field_as_sent(
    make_client: MakeClient, fake_service: FakeService
) -> None:
    client = make_client(model_version="7")
    moment = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    event_id = client.log_prediction(
        {"age": np.int64(41), "income": np.float32(1.5), "plan": "pro", "nan": float("nan")},
        "yes",
        scores=np.array([0.25, 0.75]),
        timestamp=moment,
        latency_ms=np.float64(3.5),
        segment={"country": "FR", "tier": 2},
        model_version="8",
    )
    assert client.flush(timeout=20)
    event = fake_service.events[event_id]
    assert event["features"]["age"] == 41
    assert event["features"]["income"] == 1.5
    assert event["features"]["nan"] != event["features"]["nan"]  # NaN arrives as NaN
    assert event["prediction"] == "yes"
    assert event["scores"] == [0.25, 0.75]
    assert event["timestamp"] == "2026-03-01T12:30:00+00:00"
    assert event["latency_ms"] == 3.5
    assert event["segment"] == {"country": "FR", "tier": "2"}
    assert event["model_version"] == "8"


def test_the_caller_may_reuse_its_features_dict(
    make_client: MakeClient, service: FakeService
) -> None:
    client = make_client()
    features = {"x": 1}
    event_id = client.log_prediction(features, 0)
    features["x"] = 2
    assert client.flush(timeout=20)
    assert service.events[event_id]["features"] == {"x": 1}


def test_keys_that_are_not_uuids_join_labels_to_their_events(
    make_client: MakeClient, service: FakeService
) -> None:
    client = make_client()
    assert client.log_prediction({"x": 1}, 0, event_id="order-17") == "order-17"
    client.log_prediction({"x": 2}, 1, event_id=18)
    client.log_label("order-17", 1)
    client.log_label(18, 0)
    assert client.flush(timeout=20)
    assert service.event_ids() == {event_id_for("order-17"), event_id_for("18")}
    assert service.labels == {event_id_for("order-17"): 1, event_id_for("18"): 0}


# -- retries ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [503, 500, 502, 408, 429])
def test_retryable_replies_are_retried(
    make_client: MakeClient, fake_service: FakeService, status: int
) -> None:
    fake_service.fail_next = [status, status]
    client = make_client()
    ids = {client.log_prediction({"x": i}, i) for i in range(5)}
    assert client.flush(timeout=20)
    assert fake_service.event_ids() == ids
    assert client.stats()["retried"] == 2


def test_retry_after_is_honoured(make_client: MakeClient, fake_service: FakeService) -> None:
    fake_service.fail_next, fake_service.retry_after = [429], "0"
    client = make_client(retry_backoff=30.0, max_backoff=60.0)  # without Retry-After: up to 60 s
    client.log_prediction({"x": 1}, 0)
    assert client.flush(timeout=20)
    assert client.stats()["retried"] == 1


def test_a_lost_reply_is_retried_and_the_service_deduplicates(
    make_client: MakeClient, fake_service: FakeService
) -> None:
    fake_service.commit_then_fail = 1  # stored, then 503: the client cannot know, so it resends
    client = make_client()
    ids = [client.log_prediction({"x": i}, i) for i in range(5)]
    assert client.flush(timeout=20)
    assert fake_service.event_ids() == set(ids)
    assert fake_service.batches == [("events", 5), ("events", 5)]
    stats = client.stats()
    assert (stats["sent"], stats["duplicates"], stats["retried"]) == (5, 5, 1)


# -- the spool -------------------------------------------------------------------------------


def test_down_spool_up_replays_each_event_exactly_once(
    make_client: MakeClient, fake_service: FakeService
) -> None:
    fake_service.stop()
    client = make_client(batch_size=10)
    before = [client.log_prediction({"x": i}, i) for i in range(25)]
    assert client.flush(timeout=20) is False  # unreachable: safe in the spool instead
    assert client.stats()["spooled"] == 25
    during = [client.log_prediction({"x": i}, i) for i in range(25, 40)]
    labels = [client.log_label(event_id, 1) for event_id in before[:5]]
    assert client.flush(timeout=20) is False
    fake_service.start()  # same port, same stored data
    assert client.flush(timeout=20) is True
    assert fake_service.event_ids() == set(before + during)
    assert sum(n for kind, n in fake_service.batches if kind == "events") == 40  # none twice
    assert set(fake_service.labels) == set(before[:5])
    stats = client.stats()
    assert (stats["replayed"], stats["dropped"], stats["spool_bytes"]) == (40 + len(labels), 0, 0)
    assert not list(client.spool_dir.glob("*.spool"))


def test_a_new_client_replays_the_spool_a_closed_one_left(
    make_client: MakeClient, fake_service: FakeService
) -> None:
    fake_service.stop()
    first = make_client()
    ids = [first.log_prediction({"x": i}, i) for i in range(12)]
    assert first.close(timeout=20) is False
    late = first.log_prediction({"x": 99}, 1)  # after close: straight to the spool
    fake_service.start()
    second = make_client()
    assert second.flush(timeout=20) is True
    assert fake_service.event_ids() == {*ids, late}
    assert second.stats()["replayed"] == 13


def test_a_full_spool_drops_and_counts(make_client: MakeClient, fake_service: FakeService) -> None:
    fake_service.stop()
    client = make_client(spool_max_bytes=4096, batch_size=10)
    for i in range(100):
        client.log_prediction({"x": i, "padding": "p" * 50}, i)
    assert client.flush(timeout=20) is False
    stats = client.stats()
    assert stats["dropped"] > 0
    assert stats["spooled"] + stats["dropped"] == 100
    assert stats["spool_bytes"] <= 4096
    fake_service.start()
    assert client.flush(timeout=20) is True
    assert len(fake_service.event_ids()) == stats["spooled"]


def test_a_full_queue_spools_on_the_callers_thread(
    make_client: MakeClient, fake_service: FakeService
) -> None:
    fake_service.delay = 0.5  # the background is busy with one request meanwhile
    client = make_client(max_queue=5, batch_size=5)
    ids = [client.log_prediction({"x": i}, i) for i in range(50)]
    assert client.stats()["spooled"] > 0
    fake_service.delay = 0.0
    assert client.flush(timeout=30) is True
    assert fake_service.event_ids() == set(ids)


# -- refusals --------------------------------------------------------------------------------


def test_a_bad_key_dead_letters_with_the_services_error(
    make_client: MakeClient, service: FakeService
) -> None:
    client = make_client(api_key="wrong")
    client.log_prediction({"x": 1}, 0)
    assert client.flush(timeout=20) is True  # answered: not retried, not spooled
    (letter,) = _dead_letters(client)
    assert letter["status"] == 401
    assert letter["error"]["message"]
    assert letter["record"]["features"] == {"x": 1}
    assert client.stats()["dead_lettered"] == 1
    assert client.stats()["retried"] == 0


def test_an_unknown_model_dead_letters(make_client: MakeClient, service: FakeService) -> None:
    client = make_client(model="nope")
    client.log_prediction({"x": 1}, 0)
    assert client.flush(timeout=20)
    assert [letter["status"] for letter in _dead_letters(client)] == [404]


def test_events_rejected_one_by_one_are_dead_lettered(
    make_client: MakeClient, fake_service: FakeService
) -> None:
    fake_service.reject = lambda event: event["features"].get("bad") is True
    client = make_client()
    good = client.log_prediction({"bad": False}, 0)
    bad = client.log_prediction({"bad": True}, 0)
    assert client.flush(timeout=20)
    assert fake_service.event_ids() == {good}
    (letter,) = _dead_letters(client)
    assert letter["record"]["event_id"] == bad
    assert letter["error"]["message"] == "rejected by the test"
    stats = client.stats()
    assert (stats["sent"], stats["rejected"], stats["dead_lettered"]) == (1, 1, 1)


def test_a_poisoned_batch_is_bisected_to_save_the_other_events(
    make_client: MakeClient, fake_service: FakeService
) -> None:
    client = make_client(batch_size=64, flush_interval=3600)
    ids = [client.log_prediction({"x": i}, i) for i in range(64)]
    poison = client.log_prediction({"poison": True}, 0)
    assert client.flush(timeout=20)
    assert fake_service.event_ids() == set(ids)
    assert [letter["record"]["event_id"] for letter in _dead_letters(client)] == [poison]
    assert fake_service.requests <= 2 * 2 * 7 + 2  # a budget, not one request per event


def test_413_splits_the_batch(make_client: MakeClient, fake_service: FakeService) -> None:
    fake_service.max_body = 2000
    client = make_client(batch_size=100)
    ids = [client.log_prediction({"x": i}, i) for i in range(40)]
    huge = client.log_prediction({"blob": "b" * 3000}, 0)
    assert client.flush(timeout=20)
    assert fake_service.event_ids() == set(ids)
    assert [(d["status"], d["record"]["event_id"]) for d in _dead_letters(client)] == [(413, huge)]


def test_bad_arguments_never_raise_and_are_counted(
    make_client: MakeClient, service: FakeService
) -> None:
    client = make_client(model_version=None)
    calls = [
        lambda: client.log_prediction(["not", "a", "mapping"], 0, model_version="1"),
        lambda: client.log_prediction({"x": 1}, 0),  # no model version anywhere
        lambda: client.log_prediction({"x": 1}, 0, model_version="1", timestamp="yesterday"),
        lambda: client.log_prediction({"x": 1}, 0, model_version="1", latency_ms=-1),
        lambda: client.log_prediction({"x": 1}, 0, model_version="1", scores=0.5),
        lambda: client.log_prediction({"x": object()}, 0, model_version="1"),
        lambda: client.log_prediction({"x": 1}, 0, model_version="1", event_id=""),
        lambda: client.log_label(None, 1),
    ]
    for call in calls:
        call()
    good = client.log_prediction({"x": 1}, 0, model_version="1")
    assert client.flush(timeout=20)
    assert service.event_ids() == {good}
    stats = client.stats()
    assert stats["invalid"] == stats["dead_lettered"] == len(calls)
    problems = [letter["error"]["message"] for letter in _dead_letters(client)]
    assert "'features' must be a mapping" in problems[0]
    assert "no model version" in problems[1]
    assert "'timestamp'" in problems[2]


# -- frames and labels -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow", "dict"])
def test_log_predictions_logs_one_event_per_row(
    make_client: MakeClient, service: FakeService, kind: str
) -> None:
    columns = {
        "age": [30, 40, 50],
        "plan": ["a", "b", None],
        "p_yes": [0.1, 0.6, 0.9],
        "pred": [0, 1, 1],
        "ms": [1.0, 2.0, 3.0],
        "country": ["FR", "DE", "FR"],
    }
    frame = {"pandas": pd.DataFrame, "polars": pl.DataFrame, "pyarrow": pa.table, "dict": dict}[
        kind
    ](columns)
    client = make_client()
    ids = client.log_predictions(
        frame, prediction="pred", scores=["p_yes"], latency_ms="ms", segment=["country"]
    )
    assert client.flush(timeout=20)
    events = [service.events[i] for i in ids]
    assert [e["features"] for e in events] == [
        {"age": 30, "plan": "a"},
        {"age": 40, "plan": "b"},
        {"age": 50, "plan": None},
    ]
    assert [e["prediction"] for e in events] == [0, 1, 1]
    assert [e["scores"] for e in events] == [{"p_yes": 0.1}, {"p_yes": 0.6}, {"p_yes": 0.9}]
    assert [e["segment"] for e in events] == [{"country": c} for c in ("FR", "DE", "FR")]


def test_log_predictions_with_a_missing_column_logs_nothing(make_client: MakeClient) -> None:
    client = make_client()
    assert client.log_predictions({"x": [1, 2]}, prediction="nope") == []
    assert client.stats()["invalid"] == 1


def test_log_labels_reads_every_form(make_client: MakeClient, service: FakeService) -> None:
    client = make_client()
    ids = [str(uuid.uuid4()) for _ in range(8)]
    assert client.log_labels({ids[0]: 1, ids[1]: 0}) == 2
    assert client.log_labels([(ids[2], 1), (ids[3], 0, "2026-01-01T00:00:00+00:00")]) == 2
    assert client.log_labels([{"event_id": ids[4], "value": 1}]) == 1
    assert (
        client.log_labels(pd.DataFrame({"id": ids[5:7], "y": [1, 0]}), event_id="id", value="y")
        == 2
    )
    assert client.log_labels({"event_id": [ids[7]], "value": [1]}) == 1
    assert client.log_labels([("only-one-field",)]) == 0
    assert client.flush(timeout=20)
    assert set(service.labels) == set(ids)
    assert client.stats()["labels_sent"] == 8
    assert client.stats()["invalid"] == 1


# -- threads, close, configuration -----------------------------------------------------------


def test_many_threads_log_at_once(make_client: MakeClient, service: FakeService) -> None:
    client = make_client(batch_size=100)
    results: list[list[str]] = [[] for _ in range(8)]
    start = threading.Barrier(8)

    def work(slot: int) -> None:
        start.wait()
        results[slot] = [client.log_prediction({"t": slot, "i": i}, i) for i in range(1000)]

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.flush(timeout=30)
    ids = [i for ids in results for i in ids]
    assert len(set(ids)) == 8000
    assert service.event_ids() == set(ids)
    assert client.stats()["sent"] == 8000


def test_context_manager_closes_and_delivers(service: FakeService, spool_dir: Path) -> None:
    with Client(
        service.url, service.api_key, model=service.model, model_version="1", spool_dir=spool_dir
    ) as client:
        event_id = client.log_prediction({"x": 1}, 0)
    assert service.event_ids() == {event_id}
    assert client.flush() is False  # closed
    assert client.close() is False  # twice is harmless


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("batch_size", 0, "'batch_size' parameter of Client must be an integer >= 1. Got 0"),
        ("flush_interval", 0, "'flush_interval' parameter of Client must be a finite number"),
        ("model", "bad/name", "'model' parameter of Client must be 1-200 of letters"),
        ("url", "localhost:8000", "'url' parameter of Client must be an http:// or https:// URL"),
        ("max_backoff", 0.001, "'max_backoff' parameter of Client must be at least retry_backoff"),
    ],
)
def test_bad_configuration_raises_naming_the_parameter(
    option: str, value: object, message: str
) -> None:
    options: dict[str, object] = {"model": "churn", "url": "http://127.0.0.1:1", option: value}
    url = options.pop("url")
    with pytest.raises(InvalidParameterError, match=message.replace("(", r"\(")):
        Client(url, **options)  # type: ignore[arg-type]
