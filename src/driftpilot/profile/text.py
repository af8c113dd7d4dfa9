"""Mergeable summary of a free-text column: lengths and a distinct count.

Free text is compared on its lengths in characters, summarised by a
:class:`~driftpilot.profile.NumericSummary` (with its own histogram, on the reference's
edges when there is a reference), and described by a HyperLogLog distinct count
(``lg_k=14``, about 0.8 % relative standard error). The distinct count costs one Python
call per distinct value of the column; there is no vectorised HLL update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import datasketches
import pyarrow as pa
import pyarrow.compute as pc

from driftpilot._columns import ColumnType, numeric_values
from driftpilot._typing import FloatArray
from driftpilot.errors import IncompatibleProfilesError, ProfileFormatError
from driftpilot.profile._serial import Fields, b64, load_sketch
from driftpilot.profile.config import HLL_LG_K
from driftpilot.profile.numeric import NumericSummary

__all__ = ["TextSummary"]

_HLL_TYPE = datasketches.tgt_hll_type.HLL_4


@dataclass(frozen=True, slots=True, kw_only=True)
class TextSummary:
    """Summary of a ``text`` column: ``lengths`` (a numeric summary) and ``distinct`` (HLL).

    ``n`` and ``n_missing`` are those of ``lengths``; a text column has no NaN or infinite
    lengths, so ``lengths.n_valid`` is the number of non-null texts.
    """

    lengths: NumericSummary
    distinct: bytes = field(repr=False)
    _cache: list[Any] = field(default_factory=list, init=False, repr=False, compare=False)

    @property
    def kind(self) -> ColumnType:
        """Always ``ColumnType.TEXT``."""
        return ColumnType.TEXT

    @property
    def n(self) -> int:
        """Number of rows."""
        return self.lengths.n

    @property
    def n_missing(self) -> int:
        """Number of null values."""
        return self.lengths.n_missing

    @property
    def n_valid(self) -> int:
        """Number of non-null texts."""
        return self.lengths.n_valid

    @property
    def n_distinct(self) -> int:
        """Estimated number of distinct texts (HyperLogLog, rounded)."""
        return round(float(self._hll().get_estimate()))

    @property
    def distinct_error_bound(self) -> float:
        """Half-width of the ~95 % (2 standard deviations) bound on :attr:`n_distinct`."""
        sketch = self._hll()
        estimate = sketch.get_estimate()
        return float(
            max(estimate - sketch.get_lower_bound(2), sketch.get_upper_bound(2) - estimate)
        )

    @classmethod
    def empty(cls, *, kll_k: int = 200, edges: FloatArray | None = None) -> TextSummary:
        """Return the summary of no rows."""
        lengths = NumericSummary.empty(ColumnType.NUMERIC, kll_k=kll_k, edges=edges)
        return cls(lengths=lengths, distinct=_empty_hll())

    @classmethod
    def from_column(
        cls,
        column: pa.ChunkedArray | pa.Array,
        *,
        name: str,
        kll_k: int = 200,
        bins: int | None = 10,
        edges: FloatArray | None = None,
        grid: int = 0,
    ) -> TextSummary:
        """Summarise a string column (``bins``, ``edges``, ``grid`` as in ``NumericSummary``)."""
        lengths = NumericSummary.from_values(
            numeric_values(column, ColumnType.TEXT, name=name),
            kind=ColumnType.NUMERIC, kll_k=kll_k, bins=bins, edges=edges, grid=grid,
        )  # fmt: skip
        distinct = datasketches.hll_sketch(HLL_LG_K, _HLL_TYPE)
        if lengths.n_valid:
            for value in pc.unique(column.drop_null()).to_pylist():
                distinct.update(value)
        return cls(lengths=lengths, distinct=bytes(distinct.serialize_compact()))

    def merge(self, other: TextSummary) -> TextSummary:
        """Return the summary of both inputs' values; neither input changes.

        Raises
        ------
        IncompatibleProfilesError
            ``other`` is not a text summary, or its lengths histogram is on other edges.
        """
        if not isinstance(other, TextSummary):
            found = getattr(other, "kind", type(other).__name__)
            raise IncompatibleProfilesError(
                f"a text summary cannot be merged with a {found} summary."
            )
        lengths = self.lengths.merge(other.lengths)
        if other.n_valid == 0:
            distinct = self.distinct
        elif self.n_valid == 0:
            distinct = other.distinct
        else:
            union = datasketches.hll_union(HLL_LG_K)
            union.update(self._hll())
            union.update(other._hll())
            distinct = bytes(union.get_result(_HLL_TYPE).serialize_compact())
        return TextSummary(lengths=lengths, distinct=distinct)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (the HLL sketch as base64)."""
        return {
            "kind": ColumnType.TEXT.value,
            "lengths": self.lengths.to_dict(),
            "distinct": b64(self.distinct),
        }

    @classmethod
    def from_dict(cls, data: object, *, where: str = "the text summary") -> TextSummary:
        """Read a summary written by :meth:`to_dict`."""
        fields = Fields(data, where)
        if fields.get_str("kind") != ColumnType.TEXT.value:
            raise fields.fail("kind", "'text'")
        lengths = NumericSummary.from_dict(fields.raw("lengths"), where=f"the lengths of {where}")
        if lengths.kind is not ColumnType.NUMERIC or lengths.n_nan or lengths.n_inf:
            raise ProfileFormatError(f"{where} is inconsistent: text lengths are finite numbers.")
        distinct = fields.get_sketch("distinct")
        summary = cls(lengths=lengths, distinct=distinct)
        summary._cache.append(load_sketch(datasketches.hll_sketch, distinct, fields, "distinct"))
        return summary

    def _hll(self) -> Any:
        if not self._cache:
            self._cache.append(datasketches.hll_sketch.deserialize(self.distinct))
        return self._cache[0]


def _empty_hll() -> bytes:
    return bytes(datasketches.hll_sketch(HLL_LG_K, _HLL_TYPE).serialize_compact())
