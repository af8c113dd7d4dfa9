"""One column to one summary: which summary each kind gets, and how it is built and read."""

from __future__ import annotations

from typing import TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from driftpilot._columns import ColumnType, category_counts, numeric_values
from driftpilot._typing import FloatArray
from driftpilot.errors import IncompatibleProfilesError, ProfileFormatError
from driftpilot.profile._serial import Fields
from driftpilot.profile.categorical import CategoricalSummary
from driftpilot.profile.config import ProfileConfig
from driftpilot.profile.numeric import NumericSummary
from driftpilot.profile.text import TextSummary

__all__ = [
    "ColumnSummary",
    "empty_summary",
    "merge_summaries",
    "reference_edges",
    "summarize",
    "summary_from_dict",
]

#: The summary of one column: numeric and datetime columns get a NumericSummary,
#: categorical and boolean ones a CategoricalSummary, text a TextSummary.
ColumnSummary: TypeAlias = NumericSummary | CategoricalSummary | TextSummary


def reference_edges(summary: ColumnSummary | None) -> FloatArray | None:
    """Return the histogram edges a reference summary offers to bin on, if any."""
    if isinstance(summary, TextSummary):
        summary = summary.lengths
    if isinstance(summary, NumericSummary) and summary.histogram is not None:
        return summary.histogram.edges
    return None


def summarize(
    column: pa.ChunkedArray,
    kind: ColumnType,
    *,
    name: str,
    config: ProfileConfig,
    edges: FloatArray | None,
    own_edges: bool,
) -> ColumnSummary:
    """Summarise one column as ``kind``.

    ``edges`` are the reference's bin edges; with ``own_edges`` (no reference for this
    column) a histogram is built on the column's own quantile edges instead.
    """
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    bins = config.bins if (config.histograms and own_edges) else None
    edges = edges if config.histograms else None
    if kind in (ColumnType.NUMERIC, ColumnType.DATETIME):
        values = numeric_values(column, kind, name=name)
        return NumericSummary.from_values(
            values, kind=kind, kll_k=config.kll_k, bins=bins, edges=edges,
            grid=config.quantile_grid,
        )  # fmt: skip
    if kind is ColumnType.TEXT:
        if not _is_string(column.type):
            column = pc.cast(column, pa.large_string())
        return TextSummary.from_column(
            column, name=name, kll_k=config.kll_k, bins=bins, edges=edges,
            grid=config.quantile_grid,
        )  # fmt: skip
    if not _is_json_scalar(column.type):
        # Timestamps, decimals and the like forced to categorical are counted as strings.
        column = pc.cast(column, pa.large_string())
    tally = category_counts(column)
    return CategoricalSummary.from_counts(tally, kind=kind, category_cap=config.category_cap)


def empty_summary(
    kind: ColumnType, *, config: ProfileConfig, edges: FloatArray | None
) -> ColumnSummary:
    """Return the summary of no rows of a ``kind`` column (zero counts on ``edges`` if given)."""
    edges = edges if config.histograms else None
    if kind in (ColumnType.NUMERIC, ColumnType.DATETIME):
        return NumericSummary.empty(kind, kll_k=config.kll_k, edges=edges)
    if kind is ColumnType.TEXT:
        return TextSummary.empty(kll_k=config.kll_k, edges=edges)
    return CategoricalSummary.empty(kind, category_cap=config.category_cap)


def merge_summaries(a: ColumnSummary, b: ColumnSummary) -> ColumnSummary:
    """Merge two summaries of the same class (each class's ``merge`` checks the rest)."""
    if isinstance(a, NumericSummary) and isinstance(b, NumericSummary):
        return a.merge(b)
    if isinstance(a, CategoricalSummary) and isinstance(b, CategoricalSummary):
        return a.merge(b)
    if isinstance(a, TextSummary) and isinstance(b, TextSummary):
        return a.merge(b)
    raise IncompatibleProfilesError(
        f"a {a.kind.value} summary cannot be merged with a {b.kind.value} summary."
    )


def summary_from_dict(data: object, *, config: ProfileConfig, where: str) -> ColumnSummary:
    """Read a column summary, checking it was built with ``config``."""
    kind = Fields(data, where).get_str("kind")
    summary: ColumnSummary
    if kind in (ColumnType.NUMERIC.value, ColumnType.DATETIME.value):
        summary = NumericSummary.from_dict(data, where=where)
    elif kind == ColumnType.TEXT.value:
        summary = TextSummary.from_dict(data, where=where)
    elif kind in (ColumnType.CATEGORICAL.value, ColumnType.BOOLEAN.value):
        summary = CategoricalSummary.from_dict(data, where=where)
    else:
        allowed = ", ".join(repr(t.value) for t in ColumnType)
        raise ProfileFormatError(f"Field 'kind' of {where} must be one of {allowed}. Got {kind!r}.")
    numeric = summary.lengths if isinstance(summary, TextSummary) else summary
    if isinstance(numeric, NumericSummary):
        if numeric.kll_k != config.kll_k:
            raise ProfileFormatError(
                f"{where} has a KLL sketch of k={numeric.kll_k}, but the profile's "
                f"configuration says kll_k={config.kll_k}."
            )
        if numeric.histogram is not None and not config.histograms:
            raise ProfileFormatError(
                f"{where} has a histogram, but the profile's configuration says histograms=false."
            )
    elif isinstance(summary, CategoricalSummary) and summary.category_cap != config.category_cap:
        raise ProfileFormatError(
            f"{where} has category_cap={summary.category_cap}, but the profile's configuration "
            f"says category_cap={config.category_cap}."
        )
    return summary


def _is_string(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)
    )


def _is_json_scalar(kind: pa.DataType) -> bool:
    return bool(
        _is_string(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_null(kind)
    )
