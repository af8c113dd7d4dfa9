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
from driftpilot.store._engine import read, write
from driftpilot.store._merge import merge_profiles
from driftpilot.store._partials import EVENT_ROLES
from driftpilot.store._sql import model_row
from driftpilot.store._time import now_us

__all__ = ["ProfileRepository", "WindowProfile"]

_ROLES = {"events": EVENT_ROLES, "labels": ("labels",)}


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
        p = t.profile_partials
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            conditions = [p.c.model_id == model_id]
            if version is not None:
                conditions.append(p.c.version == version)
            if start is not None:
                length = sa.cast(p.c.bucket_seconds, sa.BigInteger) * 1_000_000
                conditions.append(p.c.bucket_start + length > start)
            if end is not None:
                conditions.append(p.c.bucket_start < end)
            rows = connection.execute(
                sa.select(p.c.kind, p.c.bucket_start, p.c.bucket_seconds, p.c.n_rows, p.c.document)
                .where(*conditions)
                .order_by(p.c.bucket_start, p.c.id)
            ).all()
        merged: dict[str, Profile | None] = {}
        notes: list[str] = []
        quality: Counter[str] = Counter()
        reader = _PartialReader()
        for kind, roles in _ROLES.items():
            documents = [json.loads(r.document) for r in rows if r.kind == kind]
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
            features=merged["features"], prediction=merged["prediction"],
            scores=merged["scores"], latency=merged["latency"], labels=merged["labels"],
            quality=dict(quality), notes=tuple(dict.fromkeys(notes)),
        )  # fmt: skip

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
