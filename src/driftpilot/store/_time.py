"""Times in the store: integer microseconds since the Unix epoch, UTC.

ISO-8601 text is what the HTTP API speaks; integers are what the tables hold (see
``_tables``). The conversions are exact (no float seconds in between).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["EPOCH", "MAX_US", "MIN_US", "from_us", "now_us", "parse_timestamp", "to_iso", "to_us"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
#: The times an event or label may carry: the years 0002-9998 in UTC. ``from_us`` reads years
#: 1-9999; the year to spare on each side keeps the start and end of every bucket and window
#: around a stored time readable too.
MIN_US = (datetime(2, 1, 1, tzinfo=UTC) - EPOCH) // _MICROSECOND
MAX_US = (datetime(9999, 1, 1, tzinfo=UTC) - EPOCH) // _MICROSECOND - 1


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
    """Return an ISO-8601 string with a timezone as microseconds, or ``None`` if it is not one.

    A time outside the years 0002-9998 once converted to UTC (``0001-01-01T00:00:00+14:00``)
    is not one either: it, or the end of its bucket, could be stored but not read back.
    """
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    try:
        micros = to_us(moment)
    except OverflowError:
        return None
    return micros if MIN_US <= micros <= MAX_US else None
