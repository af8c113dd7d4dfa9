"""One view over the two kinds of input to ``compare``: raw data, or a saved profile.

Raw data gives exact samples and exact counts. A profile gives exact counts on its own bin
edges and categories, exact moments, and quantile sketches; tests that need the samples
themselves are computed from the sketches, approximately, with a stated error bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftpilot._columns import (
    ColumnType,
    category_counts,
    infer_type,
    numeric_values,
    parse_column_type,
)
from driftpilot._frames import to_table
from driftpilot._typing import FloatArray, IntArray
from driftpilot.drift._sorting import sort_sample
from driftpilot.errors import IncompatibleProfilesError, InsufficientDataError
from driftpilot.profile import Baseline, CategoricalSummary, NumericSummary, Profile, TextSummary
from driftpilot.stats import bin_counts, quantile_edges

__all__ = ["CategoryData", "NumericData", "Source", "open_source"]


@dataclass(frozen=True, slots=True, kw_only=True)
class NumericData:
    """The valid values of a numeric-kind column: exact (sorted) or a profile's summary."""

    n: int
    n_excluded: int
    sorted_values: FloatArray | None = None
    summary: NumericSummary | None = None

    @property
    def exact(self) -> bool:
        return self.sorted_values is not None

    @property
    def n_valid(self) -> int:
        return self.n - self.n_excluded

    @property
    def scale(self) -> float:
        """Return the divisor of ``wasserstein_norm``, by the rule of the stats kernel.

        The standard deviation (ddof=0); for a constant sample ``|value|``, or 1.0 if that
        is 0 too.
        """
        low, high = self.bounds
        if low == high:
            return abs(low) if low != 0 else 1.0
        if self.sorted_values is not None:
            return float(np.std(self.sorted_values))
        assert self.summary is not None
        return float(self.summary.std or 1.0)

    @property
    def rank_error(self) -> float:
        return 0.0 if self.summary is None else float(self.summary.rank_error)

    @property
    def bounds(self) -> tuple[float, float]:
        if self.sorted_values is not None:
            return float(self.sorted_values[0]), float(self.sorted_values[-1])
        assert self.summary is not None
        assert self.summary.min is not None
        assert self.summary.max is not None
        return float(self.summary.min), float(self.summary.max)

    def cdf(self, points: FloatArray) -> FloatArray:
        """``P(X <= x)`` at each point (exact, or from the sketch)."""
        if self.sorted_values is not None:
            ranks = np.searchsorted(self.sorted_values, points, side="right")
            return np.asarray(ranks / self.sorted_values.size, dtype=np.float64)
        assert self.summary is not None
        return np.asarray(self.summary.cdf(points), dtype=np.float64)

    def quantiles(self, ranks: FloatArray) -> FloatArray:
        if self.sorted_values is not None:
            return np.asarray(np.quantile(self.sorted_values, ranks), dtype=np.float64)
        assert self.summary is not None
        return np.asarray(self.summary.quantiles(ranks), dtype=np.float64)

    def edges(self, bins: int) -> FloatArray:
        """Bin edges for binned tests when this side is the reference.

        Raw data is binned on ``bins`` quantiles; a profile brings the edges it was made
        with (its own ``ProfileConfig.bins``), since its counts exist only on those. A
        profile without a histogram (a window of the service without a baseline) gets
        ``bins`` quantile edges read off its sketch.
        """
        if self.sorted_values is not None:
            return quantile_edges(self.sorted_values, bins=bins, assume_sorted=True)
        assert self.summary is not None
        histogram = self.summary.histogram
        if histogram is None:
            ranks = np.linspace(0.0, 1.0, bins + 1)
            return quantile_edges(self.summary.quantiles(ranks), bins=bins)
        return np.asarray(histogram.edges, dtype=np.float64)

    def has_counts_on(self, edges: FloatArray) -> bool:
        """Whether :meth:`counts_on` is exact on ``edges`` (raw data, or a histogram on them)."""
        if self.sorted_values is not None:
            return True
        assert self.summary is not None
        histogram = self.summary.histogram
        return histogram is not None and np.array_equal(histogram.edges, edges)

    def counts_on(self, edges: FloatArray) -> IntArray:
        """Count the valid values in the bins ``edges`` define.

        Exact from raw data or a histogram on these edges; otherwise read off the sketch
        (``P(lo <= X < hi)`` from its CDF, within its rank error per edge) and only good
        for plots: check :meth:`has_counts_on` before testing them.
        """
        if self.sorted_values is not None:
            return bin_counts(self.sorted_values, edges, assume_sorted=True)
        assert self.summary is not None
        histogram = self.summary.histogram
        if histogram is not None and np.array_equal(histogram.edges, edges):
            return np.asarray(histogram.counts, dtype=np.int64)
        below = self.summary.cdf(np.nextafter(edges, -np.inf))  # P(X < edge)
        totals = np.rint(below * self.n_valid).astype(np.int64)
        totals[0], totals[-1] = 0, self.n_valid
        return np.asarray(np.diff(totals), dtype=np.int64)


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryData:
    """Category counts of a categorical-kind column: exact, or from a profile's summary."""

    n: int
    n_excluded: int
    counts: Mapping[Any, int] | None = None
    summary: CategoricalSummary | None = None

    @property
    def exact(self) -> bool:
        return self.counts is not None or (self.summary is not None and self.summary.exact)

    @property
    def n_valid(self) -> int:
        return self.n - self.n_excluded

    def categories(self) -> list[Any]:
        """Categories, most frequent first."""
        if self.counts is not None:
            return sorted(self.counts, key=lambda c: -self.counts[c])  # type: ignore[index]
        assert self.summary is not None
        return list(self.summary.categories())

    def count_of(self, categories: Sequence[Any]) -> IntArray:
        if self.counts is not None:
            return np.asarray([self.counts.get(c, 0) for c in categories], dtype=np.int64)
        assert self.summary is not None
        return np.asarray(self.summary.count_of(list(categories)), dtype=np.int64)


class Source:
    """A reference or current input: a table read once, or a profile."""

    def __init__(self, data: Any, *, name: str, schema: Mapping[str, str] | None) -> None:
        self.name = name
        self.baseline: Baseline | None = data if isinstance(data, Baseline) else None
        # A baseline is compared on all its columns: features, target and prediction.
        self.profile: Profile | None = (
            data.as_profile()
            if isinstance(data, Baseline)
            else (data if isinstance(data, Profile) else None)
        )
        self.table: pa.Table | None = (
            None if self.profile is not None else to_table(data, name=name)
        )
        self._schema = dict(schema or {})
        if self.n_rows == 0:
            raise InsufficientDataError(
                f"The {name!r} input has no rows; there is nothing to compare."
            )

    @property
    def n_rows(self) -> int:
        if self.profile is not None:
            return int(self.profile.n_rows)
        assert self.table is not None
        return int(self.table.num_rows)

    @property
    def column_names(self) -> list[str]:
        if self.profile is not None:
            return list(self.profile.columns)
        assert self.table is not None
        return list(self.table.column_names)

    @property
    def schema(self) -> Mapping[str, str]:
        """The kinds the user gave, by column."""
        return self._schema

    def is_integer(self, column: str) -> bool:
        """Whether the column is raw data of an integer Arrow type."""
        if self.table is None:
            return False
        kind = self.table[column].type
        if pa.types.is_dictionary(kind):
            return False
        return bool(pa.types.is_integer(kind))

    def distinct_values(self, column: str) -> set[Any]:
        """Return the distinct valid values of a raw column (asked of small sets only)."""
        assert self.table is not None
        return set(pc.unique(self.table[column].drop_null()).to_pylist())

    def kind_of(self, column: str) -> ColumnType:
        """Return the column's kind: the schema override, the profile's, or the inferred one."""
        if column in self._schema:
            return parse_column_type(self._schema[column], column=column)
        if self.profile is not None:
            return ColumnType(self.profile.columns[column].kind)
        assert self.table is not None
        return infer_type(self.table[column], name=column)

    def numeric(self, column: str, kind: ColumnType) -> NumericData:
        if self.profile is not None:
            summary = self.profile.columns[column]
            if isinstance(summary, TextSummary):
                summary = summary.lengths
            if not isinstance(summary, NumericSummary):
                raise IncompatibleProfilesError(
                    f"Column {column!r} is profiled as {summary.kind} in the {self.name} "
                    f"profile and cannot be compared as {kind.value}."
                )
            n_excluded = summary.n - summary.n_valid
            return NumericData(n=summary.n, n_excluded=n_excluded, summary=summary)
        assert self.table is not None
        values = numeric_values(self.table[column], kind, name=column)
        excluded = values.n_missing + values.n_nan + values.n_inf
        return NumericData(
            n=values.n, n_excluded=excluded, sorted_values=sort_sample(values.values)
        )

    def categorical(self, column: str) -> CategoryData:
        if self.profile is not None:
            summary = self.profile.columns[column]
            if not isinstance(summary, CategoricalSummary):
                raise IncompatibleProfilesError(
                    f"Column {column!r} is profiled as {summary.kind} in the {self.name} "
                    "profile and cannot be compared as categories."
                )
            return CategoryData(n=summary.n, n_excluded=summary.n_missing, summary=summary)
        assert self.table is not None
        tally = category_counts(self.table[column])
        counts = dict(zip(tally.categories, tally.counts.tolist(), strict=True))
        return CategoryData(n=tally.n, n_excluded=tally.n_missing, counts=counts)


def open_source(data: Any, *, name: str, schema: Mapping[str, str] | None = None) -> Source:
    """Wrap a frame, array, mapping, :class:`Profile` or :class:`Baseline` for comparison."""
    return Source(data, name=name, schema=schema)
