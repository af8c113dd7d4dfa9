"""Reading a batch of events or labels as sent over HTTP, one item at a time.

Batch semantics (README, "Batches"): an item that cannot be stored at all (not an object; a
missing or invalid ``event_id``, ``timestamp`` or ``model_version``) is rejected with an
error naming the field, and the rest of the batch goes on. An ``event_id`` seen earlier in the
same batch is a duplicate. Everything else is stored; problems with its values become
quality flags (``_checks``). Keys outside the documented ones are flagged ``ignored:<key>``:
they are kept in the stored event, which is the JSON object as the client sent it, but
nothing reads them.

Event ids are UUIDs in any form ``uuid.UUID`` reads, stored in the canonical lowercase
hyphenated form, so the same id written two ways is one event.
"""

from __future__ import annotations

import json
import re
import reprlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from driftpilot.errors import InvalidParameterError
from driftpilot.store._checks import MISSING
from driftpilot.store._time import parse_timestamp
from driftpilot.store._values import check_value, suspect
from driftpilot.store.records import ErrorInfo, check_version

__all__ = [
    "IncomingEvent",
    "IncomingLabel",
    "Outcome",
    "dump_json",
    "parse_events",
    "parse_labels",
]

_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_EVENT_KEYS = frozenset(
    {"event_id", "timestamp", "model_version", "features", "prediction", "scores", "latency_ms",
     "segment"}
)  # fmt: skip


@dataclass(slots=True)
class IncomingEvent:
    """An event that passed the item checks; ``flags`` collects its quality flags."""

    index: int
    event_id: str
    ts: int
    version: str
    features: dict[str, Any]
    text: str
    prediction: Any
    scores: dict[str, Any] | None
    latency: Any
    flags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Outcome:
    """What the item checks decided: rejected (``error``), a repeat in the batch, or accepted.

    ``event_id`` is the canonical id when it was valid, else the id as sent if it was a string.
    """

    event_id: str | None
    error: ErrorInfo | None = None
    duplicate: bool = False


@dataclass(slots=True)
class IncomingLabel:
    """A label that passed the item checks."""

    index: int
    event_id: str
    ts: int
    value: Any


def dump_json(value: Any) -> str:
    """Return compact JSON text (NaN and infinities kept as Python's JSON extension writes them)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _error(code: str, field_path: str, message: str) -> ErrorInfo:
    return ErrorInfo(code=code, message=message, details={"field": field_path})


def _event_id(item: dict[str, Any], where: str) -> str | ErrorInfo:
    value = item.get("event_id", MISSING)
    if type(value) is str and _CANONICAL_UUID.fullmatch(value):
        return value
    if value is MISSING or value is None:
        return _error("missing_field", f"{where}.event_id", f"{where}.event_id is required.")
    if isinstance(value, str) and len(value) <= 45:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    return _error(
        "invalid_field",
        f"{where}.event_id",
        f"{where}.event_id must be a UUID string. Got {_short(value)} instead.",
    )


def _timestamp(item: dict[str, Any], where: str) -> ErrorInfo:
    value = item.get("timestamp", MISSING)
    if value is MISSING or value is None:
        return _error("missing_field", f"{where}.timestamp", f"{where}.timestamp is required.")
    return _error(
        "invalid_field",
        f"{where}.timestamp",
        f"{where}.timestamp must be an ISO-8601 time with a timezone, within the years "
        f"0002-9998 in UTC, such as '2024-05-01T12:00:00+00:00'. Got {_short(value)} instead.",
    )


def parse_events(
    items: Sequence[Any], texts: Sequence[str] | None = None, *, name: str = "events"
) -> tuple[list[IncomingEvent], list[Outcome]]:
    """Read ``items``; return the acceptable events and each item's :class:`Outcome`.

    ``texts``, if given, holds the JSON text each item was parsed from; an event is stored
    as that text. Without it, the event is stored as ``dump_json`` of the item. (The loop
    checks the common case inline and builds messages only for items that fail.)
    """
    accepted: list[IncomingEvent] = []
    outcome: list[Outcome] = []
    seen: set[str] = set()
    versions: set[str] = set()
    canonical = _CANONICAL_UUID.fullmatch
    for index, item in enumerate(items):
        if type(item) is not dict:
            where = f"{name}[{index}]"
            message = f"{where} must be an object. Got {_short(item)}."
            outcome.append(Outcome(None, _error("invalid_event", where, message)))
            continue
        event_id = item.get("event_id")
        ts = parse_timestamp(item.get("timestamp"))
        version = item.get("model_version")
        if not (type(event_id) is str and canonical(event_id)):
            event_id = _event_id(item, f"{name}[{index}]")
        if type(version) is not str or version not in versions:  # a list is unhashable
            version = _version(item, f"{name}[{index}]")
            if type(version) is str:
                versions.add(version)
        problem = (
            event_id if type(event_id) is ErrorInfo
            else _timestamp(item, f"{name}[{index}]") if ts is None
            else version if type(version) is ErrorInfo
            else None
        )  # fmt: skip
        if problem is not None:
            outcome.append(Outcome(_raw_id(item, event_id), problem))
            continue
        assert type(event_id) is str
        assert type(ts) is int
        assert type(version) is str
        text = texts[index] if texts is not None else dump_json(item)
        if suspect(text):
            problem = check_value(item, f"{name}[{index}]")
            if problem is not None:
                outcome.append(Outcome(event_id, problem))
                continue
        if event_id in seen:
            outcome.append(Outcome(event_id, duplicate=True))
            continue
        seen.add(event_id)
        outcome.append(Outcome(event_id))
        accepted.append(_event(index, event_id, ts, version, item, text))
    return accepted, outcome


def _version(item: dict[str, Any], where: str) -> str | ErrorInfo:
    value = item.get("model_version")
    try:
        return check_version(value, field_name=f"{where}.model_version")
    except InvalidParameterError as err:
        code = "missing_field" if value is None else "invalid_field"
        return _error(code, f"{where}.model_version", str(err))


def _event(
    index: int, event_id: str, ts: int, version: str, item: dict[str, Any], text: str
) -> IncomingEvent:
    flags: list[str] = []
    if not item.keys() <= _EVENT_KEYS:
        flags.extend(f"ignored:{key}" for key in item if key not in _EVENT_KEYS)
    features = item.get("features", MISSING)
    if features is MISSING or features is None:
        flags.append("missing:features" if features is MISSING else "null:features")
        features = None
    elif not isinstance(features, dict):
        flags.append("wrong_type:features")
    prediction = item.get("prediction", MISSING)
    scores = item.get("scores")
    score_columns: dict[str, Any] | None = None
    if isinstance(scores, dict):
        score_columns = scores  # JSON object keys are strings already
    elif isinstance(scores, list):
        score_columns = {str(i): v for i, v in enumerate(scores)}
    elif scores is not None:
        flags.append("wrong_type:scores")
    segment = item.get("segment")
    if segment is not None and (
        not isinstance(segment, dict) or not all(isinstance(v, str) for v in segment.values())
    ):
        flags.append("wrong_type:segment")
    return IncomingEvent(
        index=index,
        event_id=event_id,
        ts=ts,
        version=version,
        features=features if isinstance(features, dict) else {},
        text=text,
        prediction=prediction,
        scores=score_columns,
        latency=item.get("latency_ms"),
        flags=flags,
    )


def parse_labels(
    items: Sequence[Any], *, name: str = "labels"
) -> tuple[list[IncomingLabel], list[Outcome]]:
    """Read labels as :func:`parse_events` reads events (``value`` is required, any JSON)."""
    accepted: list[IncomingLabel] = []
    outcome: list[Outcome] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"{name}[{index}]"
        if not isinstance(item, dict):
            message = f"{where} must be an object. Got {_short(item)}."
            outcome.append(Outcome(None, _error("invalid_label", where, message)))
            continue
        event_id = _event_id(item, where)
        ts = parse_timestamp(item.get("timestamp"))
        value = item.get("value")
        problem = (
            event_id if isinstance(event_id, ErrorInfo)
            else _timestamp(item, where) if ts is None
            else _error("missing_field", f"{where}.value", f"{where}.value is required (not null).")
            if value is None
            else check_value(item, where)
        )  # fmt: skip
        if problem is not None:
            outcome.append(Outcome(_raw_id(item, event_id), problem))
            continue
        assert isinstance(event_id, str)
        assert ts is not None
        if event_id in seen:
            outcome.append(Outcome(event_id, duplicate=True))
            continue
        seen.add(event_id)
        outcome.append(Outcome(event_id))
        accepted.append(IncomingLabel(index=index, event_id=event_id, ts=ts, value=value))
    return accepted, outcome


def _raw_id(item: dict[str, Any], event_id: str | ErrorInfo) -> str | None:
    if isinstance(event_id, str):
        return event_id
    raw = item.get("event_id")
    return raw[:100] if isinstance(raw, str) else None


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 3, 40, 40, 40


def _short(value: Any) -> str:
    text = _REPR.repr(value)  # bounded, and repr escapes surrogates
    return text if len(text) <= 60 else text[:57] + "..."
