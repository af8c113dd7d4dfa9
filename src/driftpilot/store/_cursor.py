"""Keyset paging: a cursor is the ``(ts, id)`` of the last row of a page, opaque to clients.

Rows are ordered by ``(ts, id)``; the next page is the rows after the cursor. Unlike an
offset, a cursor stays correct while rows are inserted and costs one index seek however deep
the page.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import sqlalchemy as sa

from driftpilot.errors import InvalidParameterError

__all__ = ["decode_cursor", "encode_cursor", "time_filter"]


def encode_cursor(row: Any) -> str:
    """Return the cursor of a row with ``ts`` and ``id``."""
    return base64.urlsafe_b64encode(f"{row.ts}:{row.id}".encode()).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int, int] | None:
    """Return ``(ts, id)`` of a cursor; ``InvalidParameterError`` for one we did not write."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        ts, row_id = text.split(":")
        return int(ts), int(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidParameterError(
            "The 'cursor' parameter must be a next_cursor value returned by a previous page. "
            f"Got {cursor[:60]!r} instead."
        ) from None


def time_filter(
    table: sa.Table, start: int | None, end: int | None, after: tuple[int, int] | None
) -> list[sa.ColumnElement[bool]]:
    """Return the conditions ``start <= ts < end`` and ``(ts, id) > after``."""
    conditions: list[sa.ColumnElement[bool]] = []
    if start is not None:
        conditions.append(table.c.ts >= start)
    if end is not None:
        conditions.append(table.c.ts < end)
    if after is not None:
        conditions.append(sa.tuple_(table.c.ts, table.c.id) > sa.tuple_(*after))
    return conditions
