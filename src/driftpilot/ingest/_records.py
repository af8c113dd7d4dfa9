"""What the request path queues, and the JSON the background encodes from it.

``log_prediction`` and ``log_label`` put a plain tuple on the queue (an *item*: no copying
beyond the features dict, no validation, no encoding) so the caller's thread returns within
microseconds. The background encodes each item into a :class:`Record`: its kind and the
JSON object the service receives, as UTF-8 bytes. A batch body is those objects joined, a
spool line is the kind, a space and the object, so records are encoded once and never parsed
again on their way to the service (replays splice the spooled bytes straight into a body).

An item that cannot be sent (features that are not a mapping, a timestamp that is not a
time, a value JSON cannot hold) raises :class:`InvalidItemError` here, in the background,
and goes to the dead-letter file with the reason.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from datetime import time as clock_time
from decimal import Decimal
from typing import Any, Final, NamedTuple, TypeGuard

from driftpilot.ingest._ids import canonical_event_id

__all__ = [
    "EVENT",
    "LABEL",
    "InvalidItemError",
    "Record",
    "batch_from",
    "body_of",
    "encode_item",
    "is_model_version",
    "iso_timestamp",
    "item_json",
    "kind_name",
]

#: First field of a queued prediction item:
#: ``(EVENT, event_id, timestamp, features, prediction, scores, latency_ms, segment, version)``.
EVENT: Final = 0
#: First field of a queued label item: ``(LABEL, event_id, value, timestamp)``.
LABEL: Final = 1

_KIND_BYTES = {EVENT: b"e", LABEL: b"l"}
_BODY_OPEN = {b"e": b'{"events":[', b"l": b'{"labels":['}
_MAX_VERSION_LENGTH = 200


class InvalidItemError(ValueError):
    """An item that cannot be sent; the message names the field and the value."""


class Record(NamedTuple):
    """One encoded event (``kind == b"e"``) or label (``b"l"``)."""

    kind: bytes
    raw: bytes


def kind_name(kind: bytes) -> str:
    """Return ``"event"`` or ``"label"`` for a record kind."""
    return "event" if kind == b"e" else "label"


def batch_from(records: list[Record], start: int, batch_size: int, max_bytes: int) -> list[Record]:
    """Return the records from ``start`` on, up to one batch of one kind.

    A batch ends at ``batch_size`` records, or once its records pass ``max_bytes``.

    Examples
    --------
    >>> records = [Record(b"e", b"{}"), Record(b"e", b"{}"), Record(b"l", b"{}")]
    >>> len(batch_from(records, 0, 10, 1 << 20)), len(batch_from(records, 0, 1, 1 << 20))
    (2, 1)
    """
    kind, end, size = records[start].kind, start, 0
    while end < len(records) and end - start < batch_size and size < max_bytes:
        if records[end].kind != kind:
            break
        size += len(records[end].raw)
        end += 1
    return records[start:end]


def body_of(kind: bytes, records: list[Record]) -> bytes:
    """Return the request body for ``records``, all of ``kind``.

    Examples
    --------
    >>> body_of(b"l", [Record(b"l", b'{"event_id":"a"}'), Record(b"l", b'{"event_id":"b"}')])
    b'{"labels":[{"event_id":"a"},{"event_id":"b"}]}'
    """
    return _BODY_OPEN[kind] + b",".join(record.raw for record in records) + b"]}"


def _default(value: Any) -> Any:
    """Turn what json cannot encode into what it can: numpy, datetimes, UUIDs, decimals."""
    name = type(value).__name__
    if name in ("NAType", "NaTType"):  # pandas' missing values (NaT is also a datetime)
        return None
    tolist = getattr(value, "tolist", None)
    if callable(tolist):  # numpy arrays and scalars, pandas series, tensors
        return tolist()
    if isinstance(value, datetime):
        return _aware(value).isoformat()
    if isinstance(value, date | clock_time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"a {name} value cannot be sent as JSON")


# NaN and infinities are written as the tokens NaN, Infinity, -Infinity (what Python's json
# reads), so the service can flag them instead of seeing them turned into null.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


_second = (0, "1970-01-01T00:00:00")  # the last whole second formatted, and its text


def _iso_seconds(value: float) -> str:
    """Format epoch seconds, reusing the text of the whole second (events come in bursts)."""
    global _second
    whole = math.floor(value)
    micro = round((value - whole) * 1e6)
    if micro >= 1_000_000:
        whole, micro = whole + 1, 0
    cached, text = _second
    if whole != cached:
        text = datetime.fromtimestamp(whole, UTC).isoformat()[:19]
        _second = (whole, text)
    return f"{text}.{micro:06d}+00:00"


def iso_timestamp(value: object) -> str:
    """Return a timestamp argument as ISO-8601 text with a timezone.

    Accepts seconds since the Unix epoch, a ``datetime`` or ISO-8601 text; naive times are
    taken as UTC.

    Raises
    ------
    InvalidItemError
        ``value`` is none of those.

    Examples
    --------
    >>> iso_timestamp(1.5)
    '1970-01-01T00:00:01.500000+00:00'
    >>> iso_timestamp("2026-01-02T03:04:05Z")
    '2026-01-02T03:04:05+00:00'
    """
    try:
        if type(value) is float or (isinstance(value, int | float) and not isinstance(value, bool)):
            if math.isfinite(value):
                return _iso_seconds(value)
        elif isinstance(value, datetime) and type(value).__name__ != "NaTType":
            return _aware(value).isoformat()
        elif isinstance(value, str):
            return _aware(datetime.fromisoformat(value)).isoformat()
    except (ValueError, OverflowError, OSError):
        pass
    raise InvalidItemError(
        "'timestamp' must be seconds since the Unix epoch, a datetime or ISO-8601 text. "
        f"Got {_show(value)} instead."
    )


def encode_item(item: tuple[Any, ...], default_version: str | None) -> Record:
    """Return the record of a queued item.

    Raises
    ------
    InvalidItemError
        A field cannot be sent; the message names it.
    """
    kind = _KIND_BYTES[item[0]]
    try:
        if kind == b"e":
            payload = _event_json(item, default_version)
        else:
            _, event_id, value, timestamp = item
            payload = {
                "event_id": _event_id(event_id),
                "value": value,
                "timestamp": iso_timestamp(timestamp),
            }
        return Record(kind, _ENCODER.encode(payload).encode())
    except InvalidItemError:
        raise
    except Exception as err:  # the caller's objects run here: __str__, tolist, keys() ...
        raise InvalidItemError(f"The {kind_name(kind)} cannot be sent as JSON: {err!r}") from err


def _event_json(item: tuple[Any, ...], default_version: str | None) -> dict[str, Any]:
    _, event_id, timestamp, features, prediction, scores, latency, segment, version = item
    if type(features) is not dict:
        if not isinstance(features, Mapping):
            raise InvalidItemError(
                "'features' must be a mapping of feature name to value. "
                f"Got {_show(features)} instead."
            )
        features = dict(features)
    return {
        "event_id": _event_id(event_id),
        "timestamp": iso_timestamp(timestamp),
        "model_version": _version(default_version if version is None else version),
        "features": features,
        "prediction": prediction,
        "scores": None if scores is None else _scores(scores),
        "latency_ms": None if latency is None else _latency(latency),
        "segment": None if segment is None else _segment(segment),
    }


def _event_id(value: object) -> str:
    try:
        return canonical_event_id(value)
    except ValueError as err:
        raise InvalidItemError(str(err)) from None


_VERSIONS: set[str] = set()  # versions already checked (a handful per process)


def is_model_version(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a model version the service accepts (as ``check_version``)."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= _MAX_VERSION_LENGTH
        and "/" not in value
        and value not in (".", "..")
        and value.isprintable()
    )


def _version(value: object) -> str:
    if type(value) is str and value in _VERSIONS:
        return value
    if is_model_version(value):
        if len(_VERSIONS) < 1000:
            _VERSIONS.add(value)
        return value
    if value is None:
        raise InvalidItemError(
            "The event has no model version: pass 'model_version' to the client or to the call."
        )
    raise InvalidItemError(
        f"'model_version' must be 1-{_MAX_VERSION_LENGTH} printable characters without '/', "
        "and not '.' or '..'. "
        f"Got {_show(value)} instead."
    )


def _scores(value: Any) -> Any:
    if type(value) is list or type(value) is dict:
        return value
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        value = tolist()
    if isinstance(value, Mapping | list | tuple):
        return value
    raise InvalidItemError(
        "'scores' must be a mapping of class to score or a list of scores (for a binary "
        f"model, [1 - p, p] or {{'yes': p}}). Got {_show(value)} instead."
    )


def _latency(value: Any) -> float:
    if type(value) is not float and hasattr(value, "item") and not isinstance(value, int | float):
        value = value.item()  # a numpy scalar
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and math.isfinite(value) and value >= 0:
        return float(value)
    raise InvalidItemError(
        f"'latency_ms' must be a finite number >= 0 or None. Got {_show(value)} instead."
    )


def _segment(value: object) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(key): str(tag) for key, tag in value.items()}
    raise InvalidItemError(
        f"'segment' must be a mapping of tag name to value or None. Got {_show(value)} instead."
    )


def _show(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


_FIELDS = {
    EVENT: (
        "event_id",
        "timestamp",
        "features",
        "prediction",
        "scores",
        "latency_ms",
        "segment",
        "model_version",
    ),
    LABEL: ("event_id", "value", "timestamp"),
}


def item_json(item: tuple[Any, ...]) -> bytes:
    """Return what can be shown of an item that could not be encoded, as JSON bytes.

    Values JSON cannot hold appear as their ``repr``; nothing here raises.
    """
    fields = dict(zip(_FIELDS[item[0]], item[1:], strict=True))
    try:
        return json.dumps(fields, default=repr, skipkeys=True).encode()
    except (ValueError, TypeError, RecursionError):
        return json.dumps({"repr": repr(item)[:2000]}).encode()
