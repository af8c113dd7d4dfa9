"""What the routers share: documented error responses, time conversions, batch reading."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.exceptions import RequestValidationError

from driftpilot.server._body import parse_batch
from driftpilot.server._openapi import DESCRIPTIONS, error_responses
from driftpilot.store import from_us, to_us

__all__ = ["ERRORS", "error_responses", "read_batch", "to_datetime", "to_micros"]

#: Every documented 4xx. A route needs none of these: ``server._openapi`` derives what an
#: operation can answer from what it takes; declare only what it cannot derive with
#: ``error_responses(409)`` (or ``ERRORS`` for all, if unsure).
ERRORS: dict[int | str, dict[str, Any]] = error_responses(*DESCRIPTIONS)


def to_datetime(value: int | None) -> datetime | None:
    """Return microseconds since the epoch as a UTC datetime (``None`` stays ``None``)."""
    return None if value is None else from_us(value)


def to_micros(value: datetime | None) -> int | None:
    """Return an aware datetime as microseconds since the epoch."""
    return None if value is None else to_us(value)


def _invalid(field: str, message: str, kind: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": kind}])


def read_batch(body: bytes, key: str, max_items: int) -> tuple[list[Any], list[str] | None]:
    """Parse a batch body ``{"<key>": [...]}``; 400 if not JSON, 422 if not of that shape.

    Returns the items and, when available, the JSON text of each (``_body.parse_batch``).
    """
    data, texts = parse_batch(body, key)
    if not isinstance(data, dict):
        raise RequestValidationError(
            [
                {
                    "loc": ("body",),
                    "msg": f"must be an object with a {key!r} list",
                    "type": "dict_type",
                }
            ]
        )
    if key not in data:
        raise _invalid(key, "Field required", "missing")
    items = data[key]
    if not isinstance(items, list):
        raise _invalid(key, "Input should be a valid list", "list_type")
    if len(items) > max_items:
        raise _invalid(key, f"at most {max_items:,} items per call; got {len(items):,}", "too_long")
    return items, texts
