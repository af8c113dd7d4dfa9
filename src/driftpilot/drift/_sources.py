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

    def edges(self, bins: int, *, column: str) -> FloatArray:
        """Bin edges for binned tests when this side is the reference.

        Raw data is binned on ``bins`` quantiles; a profile brings the edges it was made
        with (its own ``ProfileConfig.bins``), since its counts exist only on those.
        """
        if self.sorted_values is not None:
            return quantile_edges(self.sorted_values, bins=bins)
        assert self.summary is not None
        histogram = self.summary.histogram
        if histogram is None:
            raise IncompatibleProfilesError(
                f"The reference profile keeps no histogram for column {column!r}, so binned "
                "tests and PSI cannot be computed. Profile the reference with histograms=True."
            )
        return np.asarray(histogram.edges, dtype=np.float64)

    def counts_on(self, edges: FloatArray, *, column: str) -> IntArray:
        """Count the valid values in the bins ``edges`` define (exact either way)."""
        if self.sorted_values is not None:
            return bin_counts(self.sorted_values, edges, assume_sorted=True)
        assert self.summary is not None
        histogram = self.summary.histogram
        if histogram is None or not np.array_equal(histogram.edges, edges):
            raise IncompatibleProfilesError(
                f"The current profile's histogram of column {column!r} is not on the "
                "reference's bin edges, so binned tests would need re-binning. Profile the "
                "current data with reference=<the reference profile>."
            )
        return np.asarray(histogram.counts, dtype=np.int64)


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
