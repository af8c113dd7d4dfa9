"""Durations (``90s``, ``15m``, ``1h``, ``7d``, ``2w``) and times (ISO 8601) in monitor files."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

__all__ = ["format_duration", "parse_duration", "parse_time"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"\s*(\d+)\s*([smhdw])\s*")


def parse_duration(value: object) -> int:
    """Return a duration in seconds from ``"15m"``-style text or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as '1h' or '30m', got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.fullmatch(value)):
        seconds = float(int(match.group(1)) * _UNITS[match.group(2)])
    else:
        raise ValueError(
            f"expected a duration such as '90s', '15m', '1h', '7d' or '2w', got {value!r}"
        )
    if seconds <= 0 or seconds != int(seconds):
        raise ValueError(f"a duration must be a whole, positive number of seconds, got {value!r}")
    return int(seconds)


def format_duration(seconds: int) -> str:
    """Return the shortest exact ``"7d"``-style text of ``seconds``."""
    for unit, size in sorted(_UNITS.items(), key=lambda item: -item[1]):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise AssertionError("unreachable: every whole number of seconds is a multiple of 1 s")


def parse_time(value: object) -> int:
    """Return microseconds since the epoch from an ISO 8601 time (UTC unless it says)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # already microseconds since the epoch (a saved definition)
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):  # an unquoted YAML date: midnight UTC
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as err:
            raise ValueError(
                f"expected an ISO 8601 time such as '2026-01-31T00:00:00Z', got {value!r}"
            ) from err
    else:
        raise ValueError(f"expected an ISO 8601 time such as '2026-01-31T00:00:00Z', got {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
