"""Mergeable summary of a categorical or boolean column: exact counts, then sketches.

While a column has at most ``category_cap`` distinct categories its counts are exact
(``counts``, a mapping from each category to its count, most frequent first). Categories
are the column's Python values (``str``, ``int``, ``bool``, ``float``) and keep their type
through save and load; ``n_missing`` counts nulls, and NaN in a float column read as
categories. Other Arrow types forced to ``categorical`` (timestamps, decimals) are counted
as their string form.

Past the cap, at profiling time or when a merge makes the union larger, the summary switches
for good to two Apache DataSketches sketches, and :attr:`CategoricalSummary.exact` becomes
``False``:

* a frequent-items sketch (``frequent_strings_sketch``) whose map tracks at least four
  times the cap (``frequent_items_lg_max_k``); ``count_of`` then returns its estimate, an
  upper bound within ``count_error`` of the true count;
* a HyperLogLog sketch (``lg_k=14``, about 0.8 % relative standard error) for
  :attr:`CategoricalSummary.n_distinct`.

Sketches hold strings, so items are stringified with ``str`` on entry (``True`` becomes
``"True"``, ``1`` becomes ``"1"``): after the switch, :meth:`CategoricalSummary.categories`
returns strings and :meth:`CategoricalSummary.count_of` looks categories up by ``str``.
Whether a summary is exact depends only on the union of categories it has seen, so it does
not depend on the order of merges; the sketches' answers do, within their error bounds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import datasketches
import numpy as np

from driftpilot._columns import CategoryCounts, ColumnType
from driftpilot._typing import IntArray
from driftpilot.errors import IncompatibleProfilesError, InvalidParameterError, ProfileFormatError
from driftpilot.profile._serial import Fields, b64, load_sketch
from driftpilot.profile.config import HLL_LG_K, frequent_items_lg_max_k

__all__ = ["CategoricalSummary", "decode_category", "encode_category"]

_KINDS = (ColumnType.CATEGORICAL, ColumnType.BOOLEAN)
_HLL_TYPE = datasketches.tgt_hll_type.HLL_4


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoricalSummary:
    """Summary of the values of a ``categorical`` or ``boolean`` column.

    ``counts`` holds the exact counts while :attr:`exact`, else ``None``; ``frequent_items``
    and ``distinct`` then hold the serialized sketches. Read counts through
    :meth:`categories` and :meth:`count_of`, which work in both states.
    """

    kind: ColumnType
    n: int
    n_missing: int
    category_cap: int
    counts: Mapping[Any, int] | None
    frequent_items: bytes | None = field(default=None, repr=False)
    distinct: bytes | None = field(default=None, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise InvalidParameterError(
                "A CategoricalSummary describes a categorical or boolean column. "
                f"Got kind {self.kind!r} instead."
            )
        if (self.counts is None) == (self.frequent_items is None or self.distinct is None):
            raise InvalidParameterError(
                "A CategoricalSummary holds either exact counts or both sketches."
            )
        if self.counts is not None and not isinstance(self.counts, MappingProxyType):
            object.__setattr__(self, "counts", MappingProxyType(_canonical(self.counts.items())))

    @classmethod
    def empty(cls, kind: ColumnType, *, category_cap: int = 10_000) -> CategoricalSummary:
        """Return the summary of no rows."""
        return cls(kind=ColumnType(kind), n=0, n_missing=0, category_cap=category_cap, counts={})

    @classmethod
    def from_counts(
        cls, tally: CategoryCounts, *, kind: ColumnType, category_cap: int = 10_000
    ) -> CategoricalSummary:
        """Summarise the output of ``category_counts``, switching to sketches past the cap.

        Values ``category_counts`` does not count (NaN in a float column) count as missing.
        """
        pairs = zip(tally.categories, tally.counts.tolist(), strict=True)
        n_missing = tally.n - int(tally.counts.sum())
        return cls._build(ColumnType(kind), tally.n, n_missing, category_cap, pairs,
                          len(tally.categories))  # fmt: skip

    @classmethod
    def _build(
        cls,
        kind: ColumnType,
        n: int,
        n_missing: int,
        cap: int,
        pairs: Iterable[tuple[Any, int]],
        n_categories: int,
    ) -> CategoricalSummary:
        if n_categories <= cap:
            return cls(kind=kind, n=n, n_missing=n_missing, category_cap=cap,
                       counts=MappingProxyType(_canonical(pairs)))  # fmt: skip
        items, distinct = _make_sketches(cap, pairs)
        return cls(kind=kind, n=n, n_missing=n_missing, category_cap=cap, counts=None,
                   frequent_items=bytes(items.serialize()),
                   distinct=bytes(distinct.serialize_compact()))  # fmt: skip

    @property
    def exact(self) -> bool:
        """Whether the counts are exact (at most ``category_cap`` categories seen)."""
        return self.counts is not None

    @property
    def n_valid(self) -> int:
        """Number of non-null values."""
        return self.n - self.n_missing

    @property
    def n_distinct(self) -> int:
        """Number of distinct categories: exact, or the HyperLogLog estimate rounded."""
        if self.counts is not None:
            return len(self.counts)
        return round(float(self._hll().get_estimate()))

    @property
    def distinct_error_bound(self) -> float:
        """Half-width of the ~95 % bound (2 standard deviations) on :attr:`n_distinct`.

        0 while exact.
        """
        if self.counts is not None:
            return 0.0
        sketch = self._hll()
        estimate = sketch.get_estimate()
        return float(
            max(estimate - sketch.get_lower_bound(2), sketch.get_upper_bound(2) - estimate)
        )

    @property
    def count_error(self) -> float:
        """Bound on the error of :meth:`count_of`: 0 if exact, else epsilon times ``n_valid``."""
        if self.counts is not None:
            return 0.0
        return float(self._items().epsilon) * self.n_valid

    def categories(self) -> list[Any]:
        """Return the categories, most frequent first.

        Exact: every category. Sketched: the strings the frequent-items sketch still tracks,
        by decreasing estimate (the rarest categories may be missing).
        """
        if self.counts is not None:
            return list(self.counts)
        rows = self._items().get_frequent_items(
            datasketches.frequent_items_error_type.NO_FALSE_NEGATIVES, 0
        )
        return [row[0] for row in sorted(rows, key=lambda row: (-row[1], row[0]))]

    def count_of(self, categories: Sequence[Any]) -> IntArray:
        """Return the count of each category (0 if never seen).

        Exact while :attr:`exact`; after the switch, the frequent-items sketch's estimate of
        ``str(category)``, an upper bound within :attr:`count_error` of the true count (0 for
        a category it no longer tracks).
        """
        if self.counts is not None:
            counts = self.counts
            return np.asarray([counts.get(c, 0) for c in categories], dtype=np.int64)
        items = self._items()
        return np.asarray([items.get_estimate(str(c)) for c in categories], dtype=np.int64)

    def merge(self, other: CategoricalSummary) -> CategoricalSummary:
        """Return the summary of both inputs' values; neither input changes.

        Raises
        ------
        IncompatibleProfilesError
            ``other`` is of another kind or has another ``category_cap``.
        """
        if not isinstance(other, CategoricalSummary) or other.kind != self.kind:
            found = getattr(other, "kind", type(other).__name__)
            raise IncompatibleProfilesError(
                f"a {self.kind.value} summary cannot be merged with a {found} summary."
            )
        if other.category_cap != self.category_cap:
            raise IncompatibleProfilesError(
                f"the summaries have different category caps ({self.category_cap} vs "
                f"{other.category_cap})."
            )
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        n, n_missing = self.n + other.n, self.n_missing + other.n_missing
        if self.counts is not None and other.counts is not None:
            union = dict(self.counts)
            for category, count in other.counts.items():
                union[category] = union.get(category, 0) + count
            return self._build(self.kind, n, n_missing, self.category_cap, union.items(),
                               len(union))  # fmt: skip
        items, mine = self._sketch_objects()
        their_items, theirs = other._sketch_objects()
        items = datasketches.frequent_strings_sketch.deserialize(items.serialize())
        items.merge(their_items)
        union = datasketches.hll_union(HLL_LG_K)
        union.update(mine)
        union.update(theirs)
        return CategoricalSummary(
            kind=self.kind, n=n, n_missing=n_missing, category_cap=self.category_cap,
            counts=None, frequent_items=bytes(items.serialize()),
            distinct=bytes(union.get_result(_HLL_TYPE).serialize_compact()),
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: categories and counts as two lists, or the sketches."""
        head = {
            "kind": self.kind.value,
            "n": self.n,
            "n_missing": self.n_missing,
            "category_cap": self.category_cap,
        }
        if self.counts is not None:
            return head | {
                "exact": True,
                "categories": [encode_category(c) for c in self.counts],
                "counts": list(self.counts.values()),
            }
        assert self.frequent_items is not None
        assert self.distinct is not None
        return head | {
            "exact": False,
            "frequent_items": b64(self.frequent_items),
            "distinct": b64(self.distinct),
        }

    @classmethod
    def from_dict(
        cls, data: object, *, where: str = "the categorical summary"
    ) -> CategoricalSummary:
        """Read a summary written by :meth:`to_dict`, checking that its parts agree."""
        fields = Fields(data, where)
        kind = fields.get_str("kind")
        if kind not in _KINDS:
            raise fields.fail("kind", "'categorical' or 'boolean'")
        n, n_missing = fields.get_int("n"), fields.get_int("n_missing")
        cap = fields.get_int("category_cap", minimum=1)
        if not fields.get_bool("exact"):
            items = fields.get_sketch("frequent_items")
            distinct = fields.get_sketch("distinct")
            item_sketch = load_sketch(datasketches.frequent_strings_sketch, items, fields,
                                      "frequent_items")  # fmt: skip
            summary = cls(kind=ColumnType(kind), n=n, n_missing=n_missing, category_cap=cap,
                          counts=None, frequent_items=items, distinct=distinct)  # fmt: skip
            summary._cache["items"] = item_sketch
            summary._cache["hll"] = load_sketch(datasketches.hll_sketch, distinct, fields,
                                                "distinct")  # fmt: skip
            total = int(item_sketch.total_weight)
        else:
            categories = [decode_category(c) for c in fields.get_list("categories")]
            counts = fields.get_ints("counts").tolist()
            if any(c is None for c in categories) or len(categories) != len(counts):
                raise fields.fail("categories", "a list of strings, numbers or booleans, one "
                                  "per count")  # fmt: skip
            pairs = dict(zip(categories, counts, strict=True))
            if len(pairs) != len(categories) or len(pairs) > cap:
                raise ProfileFormatError(
                    f"{where} is inconsistent: its categories repeat or exceed category_cap."
                )
            summary = cls(kind=ColumnType(kind), n=n, n_missing=n_missing, category_cap=cap,
                          counts=MappingProxyType(_canonical(pairs.items())))  # fmt: skip
            total = sum(counts)
        if total != n - n_missing:
            raise ProfileFormatError(
                f"{where} is inconsistent: its counts add up to {total}, not n - n_missing = "
                f"{n - n_missing}."
            )
        return summary

    def _sketch_objects(self) -> tuple[Any, Any]:
        """Return the frequent-items and HyperLogLog sketches (built from the counts if exact)."""
        if self.counts is None:
            return self._items(), self._hll()
        return _make_sketches(self.category_cap, self.counts.items())

    def _items(self) -> Any:
        if "items" not in self._cache:
            self._cache["items"] = datasketches.frequent_strings_sketch.deserialize(
                self.frequent_items
            )
        return self._cache["items"]

    def _hll(self) -> Any:
        if "hll" not in self._cache:
            self._cache["hll"] = datasketches.hll_sketch.deserialize(self.distinct)
        return self._cache["hll"]


def _make_sketches(cap: int, pairs: Iterable[tuple[Any, int]]) -> tuple[Any, Any]:
    items = datasketches.frequent_strings_sketch(frequent_items_lg_max_k(cap))
    distinct = datasketches.hll_sketch(HLL_LG_K, _HLL_TYPE)
    for category, count in pairs:
        item = str(category)
        items.update(item, count)
        distinct.update(item)
    return items, distinct


def _canonical(pairs: Iterable[tuple[Any, int]]) -> dict[Any, int]:
    """Order counts canonically: by decreasing count, then by type name and value."""
    ordered = sorted(pairs, key=lambda pair: (-pair[1], type(pair[0]).__name__, pair[0]))
    return {category: int(count) for category, count in ordered}


def encode_category(category: Any) -> Any:
    """Return a category as a JSON value; non-finite floats become ``{"float": "inf"}``."""
    if isinstance(category, float) and not math.isfinite(category):
        return {"float": repr(category)}
    return category


def decode_category(value: Any) -> Any:
    """Read a category written by :func:`encode_category`; ``None`` if it is not one."""
    if isinstance(value, dict) and set(value) == {"float"} and value["float"] in ("inf", "-inf"):
        return float(value["float"])
    if isinstance(value, str | int | float):
        return value
    return None
