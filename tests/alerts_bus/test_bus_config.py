"""Destinations from config, their validation, event encoding, and the publisher's contract
without a broker."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import pytest

from alerts_bus._brokers import make_events
from driftpilot.alerts.bus import BusDestination, BusPublisher, encode_event
from driftpilot.alerts.bus._transports import ce_headers
from driftpilot.errors import InvalidParameterError

NATS = {"kind": "nats", "url": "nats://127.0.0.1:4222", "subject": "driftpilot.events"}
REDIS = {"kind": "redis", "url": "redis://127.0.0.1:6379/0", "stream": "driftpilot:events"}
RABBIT = {"kind": "rabbit", "url": "amqp://guest:guest@127.0.0.1:5672/", "queue": "events"}
KAFKA = {"kind": "kafka", "url": "kafka://k1:9092,k2:9093", "topic": "driftpilot.events"}


def test_each_kind_from_config_fills_its_defaults() -> None:
    nats = BusDestination.from_config(NATS)
    assert (nats.kind, nats.target) == ("nats", "driftpilot.events")
    assert dict(nats.options) == {"stream": "DRIFTPILOT", "stream_subjects": ("driftpilot.>",)}
    redis = BusDestination.from_config({**REDIS, "maxlen": 1000})
    assert redis.target == "driftpilot:events"
    assert dict(redis.options) == {"maxlen": 1000, "envelope": "raw"}
    rabbit = BusDestination.from_config(RABBIT)
    assert rabbit.target == "events"  # through the default exchange the key is the queue
    assert dict(rabbit.options) == {
        "exchange": "", "exchange_type": "topic", "queue": "events", "mandatory": True,
    }  # fmt: skip
    kafka = BusDestination.from_config(KAFKA)
    assert kafka.target == "driftpilot.events"
    assert kafka.bootstrap_servers() == ["k1:9092", "k2:9093"]
    assert dict(kafka.options) == {}


def test_rabbit_exchange_with_routing_key_and_bound_queue() -> None:
    d = BusDestination.from_config(
        {"kind": "rabbit", "url": "amqps://h/", "exchange": "dp", "routing_key": "alert.fired",
         "queue": "audit", "exchange_type": "direct", "mandatory": False}
    )  # fmt: skip
    assert d.target == "alert.fired"
    assert d.options["exchange"] == "dp"
    assert d.options["queue"] == "audit"
    fanout = BusDestination.from_config(
        {"kind": "rabbit", "url": "amqp://h/", "exchange": "fan", "exchange_type": "fanout",
         "routing_key": ""}
    )  # fmt: skip
    assert fanout.target == ""


def test_built_directly_equals_built_from_config() -> None:
    direct = BusDestination(
        kind="nats", url="nats://h:4222", target="a.b.c", options={"stream_subjects": ["a.>"]}
    )
    config = BusDestination.from_config(
        {"kind": "nats", "url": "nats://h:4222", "subject": "a.b.c", "stream_subjects": ["a.>"]}
    )
    assert direct == config
    assert hash(direct) == hash(config)
    assert str(direct) == "nats 'a.b.c'"


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"url": "nats://h:4222", "subject": "a"}, "kind"),
        ({**NATS, "kind": "sqs"}, "kind"),
        ({"kind": "nats", "subject": "driftpilot.x"}, "url"),
        ({**NATS, "url": "http://h:4222"}, "url"),
        ({**NATS, "url": ""}, "url"),
        ({**NATS, "subjet": "driftpilot.x"}, "subjet"),
        ({"kind": "nats", "url": "nats://h:4222"}, "subject"),
        ({**NATS, "subject": "driftpilot.*"}, "subject"),
        ({**NATS, "subject": "driftpilot..x"}, "subject"),
        ({**NATS, "subject": "other.events"}, "subject"),
        ({**NATS, "stream": "has.dot"}, "stream"),
        ({**NATS, "stream_subjects": "driftpilot.>"}, "stream_subjects"),
        ({**NATS, "stream_subjects": []}, "stream_subjects"),
        ({"kind": "redis", "url": "redis://h:6379"}, "stream"),
        ({**REDIS, "url": "amqp://h"}, "url"),
        ({**REDIS, "maxlen": 0}, "maxlen"),
        ({**REDIS, "maxlen": True}, "maxlen"),
        ({**REDIS, "maxlen": 10.0}, "maxlen"),
        ({**REDIS, "envelope": "json"}, "envelope"),
        ({"kind": "rabbit", "url": "amqp://h/"}, "routing_key"),
        ({**RABBIT, "routing_key": "other"}, "queue"),
        ({**RABBIT, "exchange_type": "x-delayed"}, "exchange_type"),
        ({**RABBIT, "mandatory": "yes"}, "mandatory"),
        ({**RABBIT, "exchange": 3}, "exchange"),
        ({**RABBIT, "topic": "x"}, "topic"),
        ({"kind": "kafka", "url": "k1:9092"}, "topic"),
        ({**KAFKA, "url": "kafka://k1"}, "url"),
        ({**KAFKA, "url": "k1:9092,"}, "url"),
        ({**KAFKA, "topic": "bad topic"}, "topic"),
        ({**KAFKA, "stream": "x"}, "stream"),
    ],
)
def test_bad_config_names_the_field(config: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidParameterError, match=f"'{field}'") as info:
        BusDestination.from_config(config)
    assert "Got " in str(info.value)
    assert isinstance(info.value, ValueError)


def test_config_that_is_not_a_mapping() -> None:
    with pytest.raises(InvalidParameterError, match="'config'"):
        BusDestination.from_config(["nats"])  # type: ignore[arg-type]


def test_encode_event_is_the_cloudevent_as_compact_utf8_json() -> None:
    (event,) = make_events(1)
    body = encode_event(event)
    assert json.loads(body) == event
    assert "âge".encode() in body  # UTF-8, not \\u escapes
    assert b": " not in body


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"id": ""}, "'id'"),
        ({"id": None}, "'id'"),
        ({"type": 3}, "'type'"),
        ({"source": ""}, "'source'"),
        ({"specversion": "0.3"}, "'specversion'"),
        ({"data": {"psi": math.nan}}, "JSON"),
        ({"data": {"when": object()}}, "JSON"),
    ],
)
def test_events_that_are_not_cloudevents_are_refused(change: dict[str, Any], name: str) -> None:
    (event,) = make_events(1)
    with pytest.raises(InvalidParameterError, match=name):
        encode_event({**event, **change})


def test_headers_follow_each_binding() -> None:
    (event,) = make_events(1)
    headers = ce_headers(event)
    assert headers["ce-id"] == event["id"]
    assert headers["ce-type"] == event["type"]
    assert headers["ce-source"] == event["source"]
    assert headers["ce-specversion"] == "1.0"
    assert headers["ce-subject"] == event["subject"]
    kafka = ce_headers(event, prefix="ce_")
    assert kafka["ce_id"] == event["id"]
    assert not any(k.startswith("ce-") for k in kafka)
    assert "ce-subject" not in ce_headers({k: v for k, v in event.items() if k != "subject"})


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"timeout": 0}, "'timeout'"),
        ({"timeout": math.inf}, "'timeout'"),
        ({"retries": -1}, "'retries'"),
        ({"retries": 1.5}, "'retries'"),
        ({"backoff": -0.1}, "'backoff'"),
        ({"max_backoff": "1"}, "'max_backoff'"),
    ],
)
def test_bad_publisher_parameters(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(InvalidParameterError, match=name):
        BusPublisher([], **kwargs)


def test_destinations_must_be_built_first() -> None:
    with pytest.raises(InvalidParameterError, match="from_config"):
        BusPublisher([NATS])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("config", "module"),
    [(NATS, "faststream.nats"), (REDIS, "faststream.redis"), (RABBIT, "faststream.rabbit"),
     (KAFKA, "faststream.kafka"), (NATS, "faststream")],
)  # fmt: skip
def test_a_missing_faststream_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, config: dict[str, Any], module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # what an absent package looks like
    if module == "faststream":
        monkeypatch.setitem(sys.modules, "faststream.nats", None)
    with pytest.raises(ImportError, match=r"pip install 'driftpilot\[brokers\]'"):
        BusPublisher.from_config([config])


@pytest.mark.slow
def test_importing_driftpilot_does_not_import_faststream() -> None:
    import subprocess

    code = "import sys, driftpilot, driftpilot.alerts.bus; print('faststream' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_no_destinations_publishes_nowhere_and_closing_is_idempotent() -> None:
    (event,) = make_events(1)
    with BusPublisher([]) as bus:
        assert bus.publish(event) == []
        assert bus.destinations == ()
    bus.close()
    with pytest.raises(RuntimeError, match="closed"):
        bus.publish(event)


def test_a_bad_event_raises_before_anything_is_sent() -> None:
    (event,) = make_events(1)
    with (
        BusPublisher.from_config([NATS]) as bus,
        pytest.raises(InvalidParameterError, match="'id'"),
    ):
        bus.publish({**event, "id": ""})


def test_public_names_are_sorted_and_present() -> None:
    import driftpilot.alerts.bus as bus

    def rank(n: str) -> tuple[int, str]:
        return (0 if n.isupper() else 1 if n[:1].isupper() else 2, n)

    assert list(bus.__all__) == sorted(bus.__all__, key=rank)
    assert all(hasattr(bus, name) for name in bus.__all__)
