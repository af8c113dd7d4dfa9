r"""Rows stored before the boundary checks that no read path can return: find them, move them.

Since the ingest boundary (``_values``, ``_time``) refuses what cannot be read back, nothing
new is stored that breaks a read. A database written by an older driftpilot may still hold
such rows, and a read that meets one fails: an events page or an export that reaches a lone
surrogate (``\ud800``) in a segment or a categorical value, a timestamp outside the years
0002-9998 in UTC, features nested hundreds of levels deep, or an integer of more than 4,300
digits. :func:`check_store` finds them (``driftpilot store check``); :func:`repair_store`
(``driftpilot store repair``) moves them out of the way in one transaction:

* an event or a label is moved to the quarantine (``dp_rejected``, kind ``event`` or
  ``label``) with the code the boundary gives the same problem today (``invalid_string``,
  ``invalid_number``, ``too_deep``, ``invalid_field`` for the timestamp), a message naming
  the field, and the row's full text (the event's JSON as it was sent; a label as
  ``{"event_id", "value", "ts_us"}``), so ``GET /v1/models/{m}/rejected`` lists it: nothing
  is dropped quietly, though the quarantine's retention applies from the repair on;
* a partial profile or daily rollup whose bucket lies wholly outside the years 0002-9998 is
  deleted: it summarises only events of that bucket, which are quarantined with it.

A moved event stays counted in the partial profile of its bucket (its values were summarised
when it was stored); only the row itself is gone from pages and exports. The rules are the
boundary's own (:func:`driftpilot.store._values.check_value` and the timestamp range), so a
row the check passes is one the service would accept today.

The scan reads each table in keyset-ordered chunks, each in a short read transaction, and
reports progress through a callback (rows done, rows in all).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from driftpilot.store import _tables as t
from driftpilot.store._engine import read, write
from driftpilot.store._time import MAX_US, MIN_US, now_us
from driftpilot.store._values import check_value
from driftpilot.store.quarantine import insert_rejected

__all__ = ["LegacyRow", "StoreCheckResult", "StoreRepairResult", "check_store", "repair_store"]

#: Rows read per chunk of the scan.
CHUNK = 2_000

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class LegacyRow:
    """One stored row that a read path cannot return.

    ``table`` is ``events``, ``labels``, ``partials`` or ``rollups``; ``row_id`` the row's
    ``id`` there; ``code`` the problem (``invalid_string``, ``invalid_number``, ``too_deep``,
    ``invalid_field`` for a time out of range, ``invalid_json``); ``field`` the path of the
    offending value (``features.plan``, ``timestamp``).
    """

    table: str
    row_id: int
    model: str
    event_id: str | None
    code: str
    field: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Return the row as a JSON-ready mapping."""
        return {
            "table": self.table, "row_id": self.row_id, "model": self.model,
            "event_id": self.event_id, "code": self.code, "field": self.field,
            "message": self.message,
        }  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreCheckResult:
    """What :func:`check_store` found: the rows scanned per table and every problem row."""

    scanned: dict[str, int]
    problems: tuple[LegacyRow, ...]

    @property
    def ok(self) -> bool:
        """Whether every row reads back."""
        return not self.problems

    def counts(self) -> dict[tuple[str, str, str], int]:
        """Return the number of problem rows per ``(table, model, code)``, sorted."""
        found = Counter((p.table, p.model, p.code) for p in self.problems)
        return dict(sorted(found.items()))

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-ready mapping."""
        return {
            "ok": self.ok,
            "scanned": dict(self.scanned),
            "counts": [
                {"table": table, "model": model, "code": code, "rows": n}
                for (table, model, code), n in self.counts().items()
            ],
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreRepairResult:
    """What :func:`repair_store` did: events and labels quarantined, profiles deleted."""

    check: StoreCheckResult
    quarantined: int
    deleted: int

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-ready mapping."""
        return {"quarantined": self.quarantined, "deleted": self.deleted, **self.check.to_dict()}


def _problem_of(text: str, where: str) -> tuple[str, str, str] | None:
    """Return ``(code, field, message)`` of a stored JSON text that cannot be read back."""
    try:
        value = json.loads(text)
    except RecursionError:
        return "too_deep", where, f"{where} is nested too deep to be read back."
    except ValueError as err:
        if "integer string conversion" in str(err):  # more digits than int() converts
            return "invalid_number", where, f"{where} holds an integer of more than 4,300 digits."
        return "invalid_json", where, f"{where} is not JSON text ({err})."
    error = check_value(value, where)
    if error is None:
        return None
    path = str(error.details["field"]) if isinstance(error.details, dict) else where
    return error.code, path, error.message


def _time_problem(value: int, where: str) -> tuple[str, str, str] | None:
    if MIN_US <= value <= MAX_US:
        return None
    return (
        "invalid_field", where,
        f"{where} is {value} µs from the epoch, outside the years 0002-9998 in UTC.",
    )  # fmt: skip


def _chunks(
    source: sa.Engine | sa.Connection, query: sa.Select[Any], key: sa.ColumnElement[int]
) -> Iterator[list[sa.Row[Any]]]:
    """Yield the rows of ``query`` in chunks ordered by ``key`` (keyset paging).

    On an engine each chunk is its own short read transaction; on a connection (the repair's
    write transaction) every chunk is read in that transaction.
    """
    after: int | None = None
    while True:
        page = query.order_by(key).limit(CHUNK)
        if after is not None:
            page = page.where(key > after)
        if isinstance(source, sa.Connection):
            rows = source.execute(page).all()
        else:
            with read(source) as connection:
                rows = connection.execute(page).all()
        if not rows:
            return
        yield list(rows)
        after = rows[-1].id
        if len(rows) < CHUNK:
            return


def _event_problems(row: sa.Row[Any]) -> tuple[str, str, str] | None:
    return _time_problem(row.ts, "timestamp") or _problem_of(row.payload, "event")


def _label_problems(row: sa.Row[Any]) -> tuple[str, str, str] | None:
    return _time_problem(row.ts, "timestamp") or _problem_of(row.value, "value")


def _bucket_problem(start: int, seconds: int, where: str) -> tuple[str, str, str] | None:
    if start + seconds * 1_000_000 - 1 < MIN_US or start > MAX_US:
        return (
            "invalid_field", where,
            f"{where} starts {start} µs from the epoch: the whole bucket lies outside the years "
            "0002-9998 in UTC.",
        )  # fmt: skip
    return None


#: Seconds in the day a rollup covers.
_DAY = 86_400


def _scans() -> list[tuple[str, sa.Table, Callable[[sa.Row[Any]], tuple[str, str, str] | None]]]:
    return [
        ("events", t.events, _event_problems),
        ("labels", t.labels, _label_problems),
        ("partials", t.profile_partials,
         lambda r: _bucket_problem(r.bucket_start, r.bucket_seconds, "bucket_start")),
        ("rollups", t.profile_rollups, lambda r: _bucket_problem(r.day_start, _DAY, "day_start")),
    ]  # fmt: skip


_COLUMNS = {
    "events": ("id", "model_id", "event_id", "ts", "payload"),
    "labels": ("id", "model_id", "event_id", "ts", "value"),
    "partials": ("id", "model_id", "bucket_start", "bucket_seconds"),
    "rollups": ("id", "model_id", "day_start"),
}


def _scan(
    source: sa.Engine | sa.Connection, progress: Progress | None
) -> tuple[dict[str, int], list[tuple[LegacyRow, sa.Row[Any]]]]:
    def run(connection: sa.Connection) -> tuple[dict[str, int], dict[int, str]]:
        count = sa.func.count()
        totals = {
            name: int(connection.execute(sa.select(count).select_from(table)).scalar_one())
            for name, table, _ in _scans()
        }
        rows = connection.execute(sa.select(t.models.c.id, t.models.c.name)).all()
        names = {int(r.id): str(r.name) for r in rows}
        return totals, names

    if isinstance(source, sa.Connection):
        totals, models = run(source)
    else:
        with read(source) as connection:
            totals, models = run(connection)
    everything = sum(totals.values())
    done = 0
    scanned: dict[str, int] = {}
    found: list[tuple[LegacyRow, sa.Row[Any]]] = []
    for name, table, problem_of in _scans():
        query = sa.select(*(table.c[c] for c in _COLUMNS[name]))
        scanned[name] = 0
        for rows in _chunks(source, query, table.c.id):
            for row in rows:
                problem = problem_of(row)
                if problem is not None:
                    code, field, message = problem
                    found.append((LegacyRow(
                        table=name, row_id=row.id, model=models.get(row.model_id, "?"),
                        event_id=getattr(row, "event_id", None), code=code, field=field,
                        message=message,
                    ), row))  # fmt: skip
            scanned[name] += len(rows)
            done += len(rows)
            if progress is not None:
                progress(done, max(everything, done))
    return scanned, found


def check_store(engine: sa.Engine, *, progress: Progress | None = None) -> StoreCheckResult:
    """Scan events, labels and profiles for rows a read path cannot return.

    Parameters
    ----------
    engine
        The database (at the newest schema).
    progress
        Called after each chunk with the rows scanned so far and the rows in all.
    """
    scanned, found = _scan(engine, progress)
    return StoreCheckResult(scanned=scanned, problems=tuple(p for p, _ in found))


def _quarantine_row(problem: LegacyRow, row: sa.Row[Any], now: int) -> dict[str, Any]:
    if problem.table == "events":
        body = row.payload
    else:  # a label: its stored parts (the value as stored text, which may not parse)
        body = f'{{"event_id":{json.dumps(row.event_id)},"value":{row.value},"ts_us":{row.ts}}}'
    error = {
        "code": problem.code,
        "message": problem.message,
        "details": {"field": problem.field, "repaired_from": f"dp_{problem.table}",
                    "row_id": problem.row_id},
    }  # fmt: skip
    return {
        "model_id": row.model_id, "kind": problem.table[:-1], "ts": now, "key_id": None,
        "event_id": problem.event_id, "code": problem.code if problem.code != "invalid_json"
        else "other", "error": json.dumps(error, ensure_ascii=True), "body": body,
        "body_chars": len(body),
    }  # fmt: skip


def repair_store(engine: sa.Engine, *, progress: Progress | None = None) -> StoreRepairResult:
    """Move every row :func:`check_store` finds out of the read paths, in one transaction.

    Events and labels go to the quarantine with their reason and full text; partial profiles
    and rollups of buckets outside the readable years are deleted (see the module's notes).
    On any failure nothing is changed.
    """
    now = now_us()
    with write(engine) as connection:
        scanned, found = _scan(connection, progress)
        moved = [
            _quarantine_row(p, row, now) for p, row in found if p.table in ("events", "labels")
        ]
        insert_rejected(connection, moved)
        tables = {"events": t.events, "labels": t.labels, "partials": t.profile_partials,
                  "rollups": t.profile_rollups}  # fmt: skip
        by_table: dict[str, list[int]] = {}
        for problem, _ in found:
            by_table.setdefault(problem.table, []).append(problem.row_id)
        for name, ids in by_table.items():
            table = tables[name]
            for i in range(0, len(ids), 500):
                connection.execute(table.delete().where(table.c.id.in_(ids[i : i + 500])))
    result = StoreCheckResult(scanned=scanned, problems=tuple(p for p, _ in found))
    deleted = sum(1 for p, _ in found if p.table in ("partials", "rollups"))
    return StoreRepairResult(check=result, quarantined=len(moved), deleted=deleted)
