"""Times at the HTTP boundary: ISO-8601 text with a timezone, in both directions.

``Time`` is the type of every time a request carries (query parameters and body fields): a
string such as ``2026-01-31T00:00:00Z`` or ``2026-01-31T01:00:00+01:00``. Numbers are
refused, so ``?at=0.5`` is a 422 naming the parameter instead of a moment in 1970, and so
is a time without a timezone or one outside the years 1-9999 once moved to UTC.

``TimeOut`` is the type of every time a response carries: stored times are microseconds
since the Unix epoch, and leave the service as RFC 3339 text in UTC with a ``Z``, exactly as
pydantic writes an aware ``datetime`` (``iso`` writes the same text for hand-built bodies).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

from driftpilot.store import from_us

__all__ = ["Time", "TimeOut", "iso", "parse_time"]

_EXAMPLE = "2026-01-31T00:00:00Z"


def parse_time(value: object) -> datetime:
    """Return ``value``, ISO-8601 text with a timezone, as an aware UTC datetime.

    Raises ``ValueError`` (a 422 naming the field, through pydantic) for anything else.
    """
    moment = _parse(value)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"the time {value!r} has no timezone; add one, such as 'Z' or '+02:00'")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"the time {value!r} is outside the years 1-9999 in UTC") from None


def _parse(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(
            f"expected ISO-8601 text with a timezone, such as {_EXAMPLE!r}; got the "
            f"{type(value).__name__} {value!r} (numbers are not accepted as times)"
        )
    try:
        if len(value) <= 64:
            return datetime.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError(
        f"expected ISO-8601 text with a timezone, such as {_EXAMPLE!r}; got {value[:80]!r}"
    )


def _from_micros(value: object) -> object:
    return from_us(value) if isinstance(value, int) and not isinstance(value, bool) else value


def iso(micros: int) -> str:
    """Return microseconds since the epoch as RFC 3339 text in UTC (``...Z``)."""
    return from_us(micros).isoformat().replace("+00:00", "Z")


Time = Annotated[
    datetime,
    BeforeValidator(parse_time),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": [_EXAMPLE]}),
]
TimeOut = Annotated[datetime, BeforeValidator(_from_micros)]
