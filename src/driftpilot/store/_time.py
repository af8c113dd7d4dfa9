"""Times in the store: integer microseconds since the Unix epoch, UTC.

ISO-8601 text is what the HTTP API speaks; integers are what the tables hold (see
``_tables``). The conversions are exact (no float seconds in between).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["EPOCH", "from_us", "now_us", "parse_timestamp", "to_iso", "to_us"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_us(moment: datetime) -> int:
    """Return a timezone-aware datetime as microseconds since the epoch."""
    return (moment - EPOCH) // _MICROSECOND


def from_us(value: int) -> datetime:
    """Return microseconds since the epoch as an aware UTC datetime."""
    return EPOCH + timedelta(microseconds=value)


def to_iso(value: int) -> str:
    """Return microseconds since the epoch as ISO-8601 text in UTC (``...+00:00``)."""
    return from_us(value).isoformat()


def now_us() -> int:
    """Return the current time in microseconds since the epoch."""
    return to_us(datetime.now(UTC))


def parse_timestamp(value: object) -> int | None:
    """Return an ISO-8601 string with a timezone as microseconds, or ``None`` if it is not one."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    try:
        return to_us(moment)
    except OverflowError:
        return None
