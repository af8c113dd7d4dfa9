"""Window profiles (the merge of a window's partial profiles) and compaction.

Ingest appends partial profiles and never updates one, so replicas never race on a bucket
row. A window's profile merges every partial of the buckets that overlap the window
(``_merge``): buckets are the unit, so a window that starts or ends inside a bucket covers the
whole bucket (``covered_start``/``covered_end`` say which span was merged).

Compaction merges a bucket's partials into one row, in one transaction: it reads the rows
(``FOR UPDATE`` on PostgreSQL), inserts the merged row and deletes exactly the rows it read,
checking that it deleted all of them. Partials inserted meanwhile are not touched, and if
another compactor got there first the delete count differs and the transaction rolls back,
so no row is ever counted twice.

Daily rollups (``roll_up``, run by the service's maintenance after compaction) merge the
partials of one ended UTC day, version and kind into one row that lists exactly the partial
ids it merged. A window uses a rollup in place of those partials only while every one of them
still exists and lies in the window; it reads any other partial of that day (a late arrival)
beside it. Compaction replaces ids, which makes a rollup stale: it is then ignored and the next
sweep rebuilds it (a sweep finds such days by their partials' count and newest id, since a new
partial or a compaction always adds a row newer than all others). A rollup is merged outside
the write lock and written only if all its partials still exist. So no figure depends on
whether, or how recently, days were rolled up; only how many rows a long window reads does.
On PostgreSQL, where each statement of a read sees its own snapshot, a reader that finds a
chosen row gone reads again (after three tries, partials alone, in one statement).

Reading partials back (``_PartialReader``) trusts the documents: the store wrote each one
from a ``Profile`` that was built or merged by driftpilot and checked then, so the reader
decodes the fields straight into the summaries without ``Profile.from_dict``'s consistency
checks (its ``Histogram`` checks and the KLL deserialisation that verifies each sketch's
count were most of a 30-day window's read). Bin edges equal in many partials are decoded
once and shared, so the merge compares them by identity. A document the reader cannot decode
(a malformed row, another schema version) is read with ``Profile.from_dict``, which raises
``ProfileFormatError`` saying what is wrong.
"""

from __future__ import annotations

import base64
import json
import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import sqlalchemy as sa

from driftpilot._columns import ColumnType
from driftpilot._typing import FloatArray
from driftpilot.monitor import WindowProfile
from driftpilot.profile import (
    CategoricalSummary,
    ColumnSummary,
    Histogram,
    NumericSummary,
    Profile,
    ProfileConfig,
    TextSummary,
)
from driftpilot.profile.categorical import decode_category
from driftpilot.store import _tables as t
from driftpilot.store._batch import dump_json
from driftpilot.store._conflicts import violates
from driftpilot.store._engine import read, write
from driftpilot.store._merge import merge_profiles
from driftpilot.store._partials import EVENT_ROLES
from driftpilot.store._sql import model_row
from driftpilot.store._time import now_us

__all__ = ["ProfileRepository", "WindowProfile", "overlapping"]

_ROLES = {"events": EVENT_ROLES, "labels": ("labels",)}
DAY_US = 86_400 * 1_000_000
logger = logging.getLogger("driftpilot.store")
# The conflicts a rollup write may meet from another replica (each day has one rollup; the
# model may be deleted meanwhile); any other integrity error is a bug or a schema mismatch.
_ROLLUP_DAY = next(c for c in t.profile_rollups.constraints if isinstance(c, sa.UniqueConstraint))
_ROLLUP_MODEL = next(
    c for c in t.profile_rollups.constraints if isinstance(c, sa.ForeignKeyConstraint)
)
_READ_ATTEMPTS = 3
_CHUNK = 500


class _RacedError(Exception):
    """Another compactor merged some of the same rows first."""


class ProfileRepository:
    """Read window profiles and compact partials."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def window(
        self,
        model: str,
        *,
        start: int | None = None,
        end: int | None = None,
        version: str | None = None,
    ) -> WindowProfile:
        """Return the merged profile of ``model`` over ``[start, end)`` (``version`` only)."""
        for _ in range(_READ_ATTEMPTS):
            found = self._documents(model, start, end, version, rollups=True)
            if found is not None:
                break
        else:  # rollups kept changing under the reader: read the partials alone
            found = self._documents(model, start, end, version, rollups=False)
            assert found is not None
        rows, texts, n_rollups = found
        merged: dict[str, Profile | None] = {}
        notes: list[str] = []
        quality: Counter[str] = Counter()
        reader = _PartialReader()
        for kind, roles in _ROLES.items():
            documents = [json.loads(text) for text_kind, text in texts if text_kind == kind]
            for document in documents:
                quality.update(document.get("quality", {}))
                notes.extend(document.get("notes", ()))
            for role in roles:
                result = merge_profiles([reader.profile(d[role]) for d in documents], role=role)
                merged[role] = result.profile
                notes.extend(result.notes)
        return WindowProfile(
            model=model, version=version, start=start, end=end,
            covered_start=min((r.bucket_start for r in rows), default=None),
            covered_end=max((r.bucket_start + r.bucket_seconds * 1_000_000 for r in rows),
                            default=None),
            n_events=sum(r.n_rows for r in rows if r.kind == "events"),
            n_labels=sum(r.n_rows for r in rows if r.kind == "labels"),
            n_partials=len(rows), n_buckets=len({r.bucket_start for r in rows}),
            n_rollups=n_rollups,
            features=merged["features"], prediction=merged["prediction"],
            scores=merged["scores"], latency=merged["latency"], labels=merged["labels"],
            quality=dict(quality), notes=tuple(dict.fromkeys(notes)),
        )  # fmt: skip

    def _documents(
        self,
        model: str,
        start: int | None,
        end: int | None,
        version: str | None,
        *,
        rollups: bool,
    ) -> tuple[Sequence[Any], list[tuple[str, str]], int] | None:
        """Return the window's partial rows, the documents to merge and how many are rollups.

        ``None`` when a row chosen from the first reads was gone by the last (PostgreSQL reads
        each statement at its own snapshot): the caller reads again.
        """
        p, r = t.profile_partials, t.profile_rollups
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            conditions = [p.c.model_id == model_id, *overlapping(start, end)]
            if version is not None:
                conditions.append(p.c.version == version)
            meta = (p.c.id, p.c.kind, p.c.bucket_start, p.c.bucket_seconds, p.c.n_rows)
            order = (p.c.bucket_start, p.c.id)
            days: Sequence[Any] = []
            # a window shorter than a day seldom holds all of a day's partials: skip the
            # look-up for hourly monitors and backfills (a rollup is an optimisation only)
            if rollups and (start is None or end is None or end - start >= DAY_US):
                query = sa.select(r.c.id, r.c.day_start, r.c.partial_ids).where(
                    r.c.model_id == model_id
                )
                if version is not None:
                    query = query.where(r.c.version == version)
                if start is not None:
                    query = query.where(r.c.day_start + DAY_US > start)
                if end is not None:
                    query = query.where(r.c.day_start < end)
                days = connection.execute(query.order_by(r.c.day_start, r.c.id)).all()
            if not days:  # one statement: rows and documents at one snapshot
                whole = connection.execute(
                    sa.select(*meta, p.c.document).where(*conditions).order_by(*order)
                ).all()
                return whole, [(row.kind, row.document) for row in whole], 0
            rows: Sequence[Any] = connection.execute(
                sa.select(*meta).where(*conditions).order_by(*order)
            ).all()
            present = {row.id for row in rows}
            covered: set[int] = set()
            chosen: list[int] = []
            for day in days:
                ids = json.loads(day.partial_ids)
                if ids and present.issuperset(ids) and covered.isdisjoint(ids):
                    chosen.append(day.id)
                    covered.update(ids)
            rest = [row.id for row in rows if row.id not in covered]
            texts = _fetch(connection, r, chosen) + _fetch(connection, p, rest)
        if len(texts) != len(chosen) + len(rest):
            return None
        return rows, texts, len(chosen)

    def compact(self, *, model: str | None = None, min_partials: int = 2) -> int:
        """Merge every bucket with at least ``min_partials`` partials; return rows removed."""
        p = t.profile_partials
        key = (p.c.model_id, p.c.version, p.c.kind, p.c.bucket_start, p.c.bucket_seconds)
        with read(self._engine) as connection:
            query = sa.select(*key).group_by(*key).having(sa.func.count() >= min_partials)
            if model is not None:
                query = query.where(p.c.model_id == model_row(connection, model).id)
            groups = connection.execute(query).all()
        removed = 0
        for group in groups:
            try:
                removed += self._compact(tuple(group))
            except _RacedError:
                continue
        return removed

    def roll_up(self, *, model: str | None = None, before: int | None = None) -> int:
        """Build the daily rollup of every day that ended by ``before`` (now) and lacks one.

        A day needs a (new) rollup when it holds at least two partials of a (model, version,
        kind) that lie wholly inside it and no rollup records exactly their count and newest
        id (a new partial or a compaction always adds a row newer than every other). Days
        left with fewer than two partials lose their rollup. Run it after ``compact``, as the
        service's maintenance does, so a rollup merges compacted rows. Returns how many
        rollups were written.
        """
        p, r = t.profile_partials, t.profile_rollups
        before = now_us() if before is None else before
        day = p.c.bucket_start - p.c.bucket_start % DAY_US
        with read(self._engine) as connection:
            model_id = None if model is None else model_row(connection, model).id
            query = (
                sa.select(p.c.model_id, p.c.version, p.c.kind, day.label("day"),
                          sa.func.count().label("n"), sa.func.max(p.c.id).label("newest"))
                .where(_bucket_end() <= day + DAY_US, day + DAY_US <= before)
                .group_by(p.c.model_id, p.c.version, p.c.kind, day)
                .having(sa.func.count() >= 2)
            )  # fmt: skip
            existing_query = sa.select(
                r.c.model_id, r.c.version, r.c.kind, r.c.day_start, r.c.n_partials,
                r.c.max_partial_id,
            )  # fmt: skip
            if model_id is not None:
                query = query.where(p.c.model_id == model_id)
                existing_query = existing_query.where(r.c.model_id == model_id)
            wanted = {(g.model_id, g.version, g.kind, int(g.day)): (g.n, g.newest)
                      for g in connection.execute(query)}  # fmt: skip
            existing = {(e.model_id, e.version, e.kind, e.day_start): (e.n_partials,
                        e.max_partial_id) for e in connection.execute(existing_query)}  # fmt: skip
        orphans = [key for key in existing if key not in wanted]
        if orphans:
            with write(self._engine) as connection:
                for key in orphans:
                    connection.execute(r.delete().where(*_rollup_key(key)))
        written = 0
        for key, state in sorted(wanted.items(), key=lambda item: item[0][3]):
            if existing.get(key) != state and self._roll_up_day(key):
                written += 1
        return written

    def _roll_up_day(self, key: tuple[int, str, str, int]) -> bool:
        """Merge one day's partials into its rollup; ``False`` if they changed meanwhile."""
        p, r = t.profile_partials, t.profile_rollups
        model_id, version, kind, day_start = key
        with read(self._engine) as connection:  # merged outside the write lock
            rows = connection.execute(
                sa.select(p.c.id, p.c.document)
                .where(
                    p.c.model_id == model_id, p.c.version == version, p.c.kind == kind,
                    p.c.bucket_start >= day_start, _bucket_end() <= day_start + DAY_US,
                )
                .order_by(p.c.bucket_start, p.c.id)
            ).all()  # fmt: skip
        if len(rows) < 2:
            return False
        ids = [row.id for row in rows]
        document = _merge_documents(kind, [json.loads(row.document) for row in rows])
        try:
            with write(self._engine) as connection:
                still = connection.execute(
                    sa.select(sa.func.count()).select_from(p)
                    .where(p.c.model_id == model_id, p.c.id.in_(ids))
                ).scalar_one()  # fmt: skip
                if still != len(ids):  # compacted or deleted meanwhile: the next sweep retries
                    return False
                connection.execute(r.delete().where(*_rollup_key(key)))
                connection.execute(
                    r.insert().values(
                        model_id=model_id, version=version, kind=kind, day_start=day_start,
                        partial_ids=json.dumps(ids), n_partials=len(ids), max_partial_id=max(ids),
                        document=document, created_at=now_us(),
                    )
                )  # fmt: skip
        except sa.exc.IntegrityError as err:
            if violates(err, _ROLLUP_DAY) or violates(err, _ROLLUP_MODEL):
                return False  # another replica wrote it first, or the model is gone
            logger.error(
                "The daily rollup of model id %s, version %r, %s, day %s cannot be written "
                "(is the database schema in step with this driftpilot? run 'driftpilot db "
                "upgrade'): %s", model_id, version, kind, day_start, err.orig,
            )  # fmt: skip
            raise
        return True

    def _compact(self, group: tuple[Any, ...]) -> int:
        p = t.profile_partials
        model_id, version, kind, bucket_start, bucket_seconds = group
        with write(self._engine) as connection:
            rows = connection.execute(
                sa.select(p.c.id, p.c.n_rows, p.c.reference_id, p.c.document)
                .where(
                    p.c.model_id == model_id, p.c.version == version, p.c.kind == kind,
                    p.c.bucket_start == bucket_start, p.c.bucket_seconds == bucket_seconds,
                )
                .order_by(p.c.id)
                .with_for_update()
            ).all()  # fmt: skip
            if len(rows) < 2:
                return 0
            alive = connection.execute(
                sa.select(t.models.c.id).where(t.models.c.id == model_id).with_for_update(read=True)
            ).first()
            if alive is None:  # deleted meanwhile: nothing to compact
                return 0
            references = {r.reference_id for r in rows}
            connection.execute(
                p.insert().values(
                    model_id=model_id, version=version, kind=kind, bucket_start=bucket_start,
                    bucket_seconds=bucket_seconds, n_rows=sum(r.n_rows for r in rows),
                    reference_id=references.pop() if len(references) == 1 else None,
                    document=_merge_documents(kind, [json.loads(r.document) for r in rows]),
                    created_at=now_us(),
                )
            )  # fmt: skip
            ids = [r.id for r in rows]
            deleted = connection.execute(p.delete().where(p.c.id.in_(ids))).rowcount
            if deleted != len(ids):
                raise _RacedError
        return len(ids) - 1


def _bucket_end() -> sa.ColumnElement[int]:
    """Return the end of a partial's bucket, in microseconds."""
    p = t.profile_partials
    return p.c.bucket_start + sa.cast(p.c.bucket_seconds, sa.BigInteger) * 1_000_000


def overlapping(start: int | None, end: int | None) -> list[sa.ColumnElement[bool]]:
    """Conditions on partials whose bucket overlaps ``[start, end)`` (``None``: open)."""
    p = t.profile_partials
    conditions = []
    if start is not None:
        conditions.append(_bucket_end() > start)
    if end is not None:
        conditions.append(p.c.bucket_start < end)
    return conditions


def _rollup_key(key: tuple[int, str, str, int]) -> list[sa.ColumnElement[bool]]:
    r = t.profile_rollups
    model_id, version, kind, day_start = key
    return [r.c.model_id == model_id, r.c.version == version, r.c.kind == kind,
            r.c.day_start == day_start]  # fmt: skip


def _fetch(connection: sa.Connection, table: sa.Table, ids: Sequence[int]) -> list[tuple[str, str]]:
    """Return ``(kind, document)`` of the rows ``ids`` of ``table``, in the order of ``ids``."""
    found: dict[int, tuple[str, str]] = {}
    for i in range(0, len(ids), _CHUNK):
        rows = connection.execute(
            sa.select(table.c.id, table.c.kind, table.c.document).where(
                table.c.id.in_(ids[i : i + _CHUNK])
            )
        )
        found.update((row.id, (row.kind, row.document)) for row in rows)
    return [found[i] for i in ids if i in found]


def _merge_documents(kind: str, documents: Sequence[dict[str, Any]]) -> str:
    merged: dict[str, Any] = {}
    notes: list[str] = []
    reader = _PartialReader()
    for role in _ROLES[kind]:
        result = merge_profiles([reader.profile(d[role]) for d in documents], role=role)
        assert result.profile is not None
        merged[role] = result.profile.to_dict()
        notes.extend(result.notes)
    if kind == "events":
        quality: Counter[str] = Counter()
        for document in documents:
            quality.update(document.get("quality", {}))
        merged["quality"] = dict(quality)
    for document in documents:
        notes.extend(document.get("notes", ()))
    if notes:
        merged["notes"] = list(dict.fromkeys(notes))
    return dump_json(merged)


_SCHEMA_VERSION = Profile.empty().to_dict()["schema_version"]
_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}
_KINDS = {kind.value: kind for kind in ColumnType}
_NUMERIC_KINDS = {ColumnType.NUMERIC.value, ColumnType.DATETIME.value}


class _PartialReader:
    """Read the store's own partial profile documents without re-checking them (docstring)."""

    def __init__(self) -> None:
        self._edges: dict[tuple[Any, ...], FloatArray] = {}
        self._configs: dict[tuple[Any, ...], ProfileConfig] = {}

    def profile(self, document: Any) -> Profile:
        """Return the profile of one partial document (``Profile.to_dict`` form)."""
        try:
            return self._profile(document)
        except (KeyError, TypeError, ValueError, AttributeError):
            return Profile.from_dict(document)  # the checked reader names the problem

    def _profile(self, d: Mapping[str, Any]) -> Profile:
        if d["schema_version"] != _SCHEMA_VERSION or d["kind"] != "profile":
            raise ValueError(d["schema_version"])
        key = tuple(sorted(d["config"].items()))
        config = self._configs.get(key)
        if config is None:
            config = self._configs[key] = ProfileConfig.from_dict(d["config"])
        columns = {item["name"]: self._summary(item) for item in d["columns"]}
        return Profile(columns=columns, n_rows=d["n_rows"], config=config, skipped=d["skipped"])

    def _summary(self, d: Mapping[str, Any]) -> ColumnSummary:
        kind = d["kind"]
        if kind in _NUMERIC_KINDS:
            return self._numeric(d)
        if kind == ColumnType.TEXT.value:
            return TextSummary(lengths=self._numeric(d["lengths"]), distinct=_bytes(d["distinct"]))
        if not d["exact"]:
            return CategoricalSummary(
                kind=_KINDS[kind], n=d["n"], n_missing=d["n_missing"],
                category_cap=d["category_cap"], counts=None,
                frequent_items=_bytes(d["frequent_items"]), distinct=_bytes(d["distinct"]),
            )  # fmt: skip
        # Written from a canonically ordered mapping: a read-only view keeps that order as is.
        counts = MappingProxyType(
            dict(zip(map(decode_category, d["categories"]), d["counts"], strict=True))
        )
        return CategoricalSummary(kind=_KINDS[kind], n=d["n"], n_missing=d["n_missing"],
                                  category_cap=d["category_cap"], counts=counts)  # fmt: skip

    def _numeric(self, d: Mapping[str, Any]) -> NumericSummary:
        if d.get("grid") is not None or d.get("quantization_error", 0.0):
            return NumericSummary.from_dict(d)  # an exact grid is read by its own reader
        histogram = d["histogram"]
        return NumericSummary(
            kind=_KINDS[d["kind"]], n=d["n"], n_missing=d["n_missing"], n_nan=d["n_nan"],
            n_inf=d["n_inf"], min=_optional_float(d["min"]), max=_optional_float(d["max"]),
            mean=_optional_float(d["mean"]), m2=_float(d["m2"]), kll=_bytes(d["kll"]),
            histogram=None if histogram is None else self._histogram(histogram),
        )  # fmt: skip

    def _histogram(self, d: Mapping[str, Any]) -> Histogram:
        key = tuple(d["edges"])
        edges = self._edges.get(key)
        if edges is None:
            edges = self._edges[key] = np.array([_float(v) for v in key], dtype=np.float64)
        return Histogram._trusted(edges, np.array(d["counts"], dtype=np.int64))


def _float(value: Any) -> float:
    return _NON_FINITE[value] if isinstance(value, str) else float(value)


def _optional_float(value: Any) -> float | None:
    return None if value is None else _float(value)


def _bytes(text: str) -> bytes:
    return base64.b64decode(text)
