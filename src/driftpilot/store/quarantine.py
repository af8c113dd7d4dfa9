"""The quarantine: events and labels the service rejected, kept with their reasons.

An ingest call answers each rejected item with an error (``_batch``); the same transaction
writes it here (``dp_rejected``) with the JSON text it was sent as, the error, the API key
that sent it and the time. ``QuarantineRepository.page`` lists them, newest last, as the
events route pages events; ``prune`` (run by the service's maintenance loop) keeps at most
``max_rows`` per model and nothing older than ``max_age``.

The text is cut at :data:`MAX_BODY_CHARS` (``body_chars`` keeps the full length), so one
rejected 20 MB event costs 64 KiB. Strings that cannot be stored as they are (a lone
surrogate, a NUL in an event id) are written with backslash escapes, which for the JSON
text of an item is the JSON escape of the same character.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from driftpilot.store import _tables as t
from driftpilot.store._batch import Outcome
from driftpilot.store._cursor import decode_cursor, encode_cursor, time_filter
from driftpilot.store._engine import read, write
from driftpilot.store._sql import model_row
from driftpilot.store.records import REJECTION_CODES, Page, RejectedRecord

__all__ = ["MAX_BODY_CHARS", "QuarantineRepository", "insert_rejected", "rejected_rows"]

#: Longest stored text of a rejected item, in characters.
MAX_BODY_CHARS = 65_536


def _scrub(text: str) -> str:
    """Return ``text`` with lone surrogates and NULs as backslash escapes (storable anywhere)."""
    if "\x00" in text:
        text = text.replace("\x00", "\\u0000")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _text_of(item: Any) -> str:
    try:
        return json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    except (ValueError, TypeError, RecursionError):  # nothing a JSON parse returns, but safe
        return json.dumps(repr(item)[:MAX_BODY_CHARS])


def rejected_rows(
    model_id: int,
    kind: str,
    items: Sequence[Any],
    texts: Sequence[str] | None,
    outcome: Sequence[Outcome],
    *,
    key_id: str | None,
    now: int,
) -> list[dict[str, Any]]:
    """Return the ``dp_rejected`` rows of the rejected items of a batch (``outcome[i]``)."""
    rows = []
    for index, result in enumerate(outcome):
        error = result.error
        if error is None:
            continue
        text = texts[index] if texts is not None else _text_of(items[index])
        rows.append(
            {
                "model_id": model_id,
                "kind": kind,
                "ts": now,
                "key_id": key_id,
                "event_id": None if result.event_id is None else _scrub(result.event_id[:100]),
                "code": error.code if error.code in REJECTION_CODES else "other",
                "error": json.dumps(error.to_dict(), ensure_ascii=True, default=str),
                "body": _scrub(text[:MAX_BODY_CHARS]),
                "body_chars": len(text),
            }
        )
    return rows


def insert_rejected(connection: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Write quarantine rows in the caller's transaction."""
    if rows:
        connection.execute(t.rejected.insert(), list(rows))


class QuarantineRepository:
    """Read and prune the rejected events and labels."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def page(
        self,
        model: str,
        *,
        start: int | None = None,
        end: int | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page:
        """Return what was rejected with ``start <= time < end``, oldest first."""
        after = decode_cursor(cursor)
        q = t.rejected
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            rows = connection.execute(
                sa.select(q)
                .where(q.c.model_id == model_id, *time_filter(q, start, end, after))
                .order_by(q.c.ts, q.c.id)
                .limit(limit + 1)
            ).all()
        items = [
            RejectedRecord(
                kind=r.kind,
                rejected_at=r.ts,
                key_id=r.key_id,
                event_id=r.event_id,
                code=r.code,
                error=json.loads(r.error),
                body=r.body,
                body_chars=r.body_chars,
            )
            for r in rows[:limit]
        ]
        more = len(rows) > limit
        return Page(items=items, next_cursor=encode_cursor(rows[limit - 1]) if more else None)

    def prune(self, *, max_rows: int, max_age: int, now: int) -> int:
        """Delete all but the newest ``max_rows`` per model and those older than ``max_age`` µs.

        Returns how many rows were deleted.
        """
        q = t.rejected
        deleted = 0
        with write(self._engine) as connection:
            deleted += connection.execute(q.delete().where(q.c.ts < now - max_age)).rowcount
            models = connection.execute(
                sa.select(q.c.model_id).group_by(q.c.model_id).having(sa.func.count() > max_rows)
            ).scalars().all()  # fmt: skip
            for model_id in models:
                condition = q.c.model_id == model_id
                if max_rows > 0:
                    oldest_kept = connection.execute(
                        sa.select(q.c.id)
                        .where(q.c.model_id == model_id)
                        .order_by(q.c.id.desc())
                        .offset(max_rows - 1)
                        .limit(1)
                    ).scalar_one()
                    condition = sa.and_(condition, q.c.id < oldest_kept)
                deleted += connection.execute(q.delete().where(condition)).rowcount
        return deleted
