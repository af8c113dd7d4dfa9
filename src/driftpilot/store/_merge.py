"""Merging the partial profiles of a window, which need not share columns or bin edges.

``Profile.merge`` is strict on purpose (same columns, same edges), but the partials a service
writes differ for honest reasons, so the window merge first makes them agree:

* A column absent from some partials (a feature added later, a class of scores not seen in
  a batch) was ``null`` in those events: it is filled in with an all-missing summary of that
  partial's rows, so row counts stay right.
* A column profiled as different kinds (no schema, and a feature sent as numbers in one batch
  and strings in another) is left out of the merged profile and listed in ``skipped``.
* Numeric histograms on different edges (partials binned against different baselines, or
  with and without one) cannot be added without re-binning, which driftpilot never does
  silently. Their histograms are dropped for that column only; counts, moments and the KLL
  sketch (from which quantiles and KS still work) are kept. Each such decision is a note.
* Partials built with another ``ProfileConfig`` (the service restarted with other settings)
  are left out and counted in a note.

The aligned partials are then merged in one pass per column (``_merge_all``), which gives
what reducing them with ``Profile.merge`` gives, without building and checking every
intermediate summary (a window of hourly partials took a balanced tree of about 30,000
pairwise summary merges, each serialising a KLL sketch):

* counts are summed; histograms on equal edges are added as one stacked array (unequal
  edges, or a histogram missing where there are values, raise ``IncompatibleProfilesError``
  as ``Histogram.merge`` does);
* mean and ``m2`` combine Chan, Golub and LeVeque's update over all groups at once: the
  mean weighted by counts, ``m2`` the sum of the groups' ``m2`` plus
  ``sum(n_i * (mean_i - mean) ** 2)``; equal to the pairwise result to rounding;
* the KLL sketches with values are merged into one sketch, deserialised once each and
  serialised once (the pairwise merge serialised at every level); while the sketches are
  exact the quantiles are identical, past that both are within the sketch's rank error;
* text distinct counts go through one HyperLogLog union;
* exact category counts are added in one dictionary; past the category cap, or with a
  partial already sketched, the column falls back to the pairwise ``CategoricalSummary.merge``
  in the same tree order (its switch to sketches depends on the order of merges).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import datasketches
import numpy as np
import pyarrow as pa

from driftpilot._columns import CategoryCounts, ColumnType, NumericValues
from driftpilot._typing import FloatArray
from driftpilot.errors import IncompatibleProfilesError
from driftpilot.profile import (
    CategoricalSummary,
    ColumnSummary,
    Histogram,
    NumericSummary,
    Profile,
    ProfileConfig,
    TextSummary,
)
from driftpilot.profile.config import HLL_LG_K
from driftpilot.profile.numeric import merged_quantization_error

__all__ = ["Merged", "merge_profiles", "null_summary", "strip_histogram"]


@dataclass(frozen=True, slots=True)
class Merged:
    """The merged profile (``None`` when there was nothing to merge) and what was done to it."""

    profile: Profile | None
    notes: tuple[str, ...]


def merge_profiles(profiles: Sequence[Profile], *, role: str = "profile") -> Merged:
    """Merge ``profiles`` (module docstring: missing columns, kind and edge conflicts)."""
    if not profiles:
        return Merged(None, ())
    notes: list[str] = []
    config = profiles[-1].config
    kept = [p for p in profiles if p.config == config]
    dropped = [p for p in profiles if p.config != config]
    if dropped:
        notes.append(
            f"{role}: {len(dropped)} partial profiles built with another profile configuration "
            f"were left out ({dropped[0].config.describe_difference(config)})."
        )
    kinds: dict[str, set[ColumnType]] = {}
    for p in kept:
        for name, summary in p.columns.items():
            kinds.setdefault(name, set()).add(summary.kind)
    conflicts = {name for name, seen in kinds.items() if len(seen) > 1}
    for name in sorted(conflicts):
        notes.append(
            f"{role}: column {name!r} was profiled as {sorted(k.value for k in kinds[name])} "
            "in different partials and is left out."
        )
    names = [name for name in kinds if name not in conflicts]
    edges = {name: _common_edges(kept, name) for name in names}
    for name, found in edges.items():
        if found is _CONFLICT:
            notes.append(
                f"{role}: column {name!r} was binned on different edges in different partials "
                "(different baselines); its histogram is left out."
            )
    aligned = [_align(p, names, kinds, edges, config) for p in kept]
    merged = _merge_all(aligned)
    skipped = dict(merged.skipped)
    for name in conflicts:
        skipped[name] = "profiled as different kinds in different partial profiles"
    merged = Profile(columns=merged.columns, n_rows=merged.n_rows, config=config, skipped=skipped)
    return Merged(merged, tuple(notes))


class _Conflict:
    pass


_CONFLICT = _Conflict()


def _edges_of(summary: ColumnSummary) -> FloatArray | None:
    numeric = summary.lengths if isinstance(summary, TextSummary) else summary
    if isinstance(numeric, NumericSummary) and numeric.histogram is not None:
        return numeric.histogram.edges
    return None


def _common_edges(profiles: Sequence[Profile], name: str) -> FloatArray | _Conflict | None:
    """Return the one set of edges every partial with values in ``name`` used, if there is one."""
    found: FloatArray | None = None
    seen_without = False
    for p in profiles:
        summary = p.columns.get(name)
        if summary is None or summary.kind not in _BINNED:
            continue
        edges = _edges_of(summary)
        has_values = _n_valid(summary) > 0
        if edges is None:
            seen_without = seen_without or has_values
        elif found is None:
            found = edges
        elif found is not edges and not np.array_equal(found, edges):
            return _CONFLICT
    if found is not None and seen_without:
        return _CONFLICT
    return found


_BINNED = (ColumnType.NUMERIC, ColumnType.DATETIME, ColumnType.TEXT)


def _n_valid(summary: ColumnSummary) -> int:
    return int(summary.n_valid)


def _align(
    p: Profile,
    names: Sequence[str],
    kinds: dict[str, set[ColumnType]],
    edges: dict[str, FloatArray | _Conflict | None],
    config: ProfileConfig,
) -> Profile:
    if (
        list(p.columns) == list(names)
        and all(edges[name] is not _CONFLICT for name in names)
        and not any(name in p.columns for name in p.skipped)
    ):
        return p  # nothing to fill in, strip or reorder (the usual case)
    columns: dict[str, ColumnSummary] = {}
    for name in names:
        target = edges[name]
        summary = p.columns.get(name)
        if summary is None:
            fill = target if isinstance(target, np.ndarray) else None
            columns[name] = null_summary(
                next(iter(kinds[name])), p.n_rows, config=config, edges=fill
            )
        elif target is _CONFLICT:
            columns[name] = strip_histogram(summary)
        else:
            # Equal edges, or no histogram on a side without values: Profile.merge adds them.
            columns[name] = summary
    skipped = {k: v for k, v in p.skipped.items() if k not in columns}
    return Profile(columns=columns, n_rows=p.n_rows, config=config, skipped=skipped)


_T = TypeVar("_T")
_HLL_TYPE = datasketches.tgt_hll_type.HLL_4


def _tree_reduce(items: Sequence[_T], merge: Callable[[_T, _T], _T]) -> _T:
    """Reduce ``items`` with ``merge`` as a balanced tree (neighbours first)."""
    level = list(items)
    while len(level) > 1:
        level = [
            merge(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
    return level[0]


def _merge_all(profiles: Sequence[Profile]) -> Profile:
    """Merge profiles of one configuration and one set of columns (module docstring)."""
    live = [p for p in profiles if p.columns or p.skipped or p.n_rows]  # not Profile.empty()
    if len(live) <= 1:
        return live[0] if live else profiles[0]
    first = live[0]
    if any(p.config != first.config or p.columns.keys() != first.columns.keys() for p in live):
        return _tree_reduce(profiles, Profile.merge)  # raises what Profile.merge raises
    columns: dict[str, ColumnSummary] = {}
    for name in first.columns:
        # Positions kept (None for an identity profile): the categorical fallback needs them.
        column = [p.columns[name] if p.columns or p.skipped or p.n_rows else None
                  for p in profiles]  # fmt: skip
        try:
            columns[name] = _merge_column(column)
        except IncompatibleProfilesError as err:
            raise IncompatibleProfilesError(f"Column {name!r}: {err}") from err
    skipped: dict[str, str] = {}
    for p in live:
        for name, reason in p.skipped.items():
            skipped[name] = min(reason, skipped.get(name, reason))
    n_rows = sum(p.n_rows for p in live)
    return Profile(columns=columns, n_rows=n_rows, config=first.config, skipped=skipped)


def _merge_column(column: Sequence[ColumnSummary | None]) -> ColumnSummary:
    summaries = [s for s in column if s is not None]
    numeric = [s for s in summaries if isinstance(s, NumericSummary)]
    if len(numeric) == len(summaries):
        return _merge_numeric(numeric)
    text = [s for s in summaries if isinstance(s, TextSummary)]
    if len(text) == len(summaries):
        return _merge_text(text)
    categorical = [s for s in column if s is None or isinstance(s, CategoricalSummary)]
    if len(categorical) == len(column):
        return _merge_categorical(categorical)
    kinds = sorted({s.kind.value for s in summaries})
    raise IncompatibleProfilesError(f"summaries of kinds {kinds} cannot be merged.")


def _merge_numeric(summaries: Sequence[NumericSummary]) -> NumericSummary:
    """Return what reducing ``summaries`` with ``NumericSummary.merge`` returns, in one pass."""
    first = summaries[0]
    for s in summaries:
        if s.kind != first.kind:
            raise IncompatibleProfilesError(
                f"a {first.kind.value} summary cannot be merged with a {s.kind.value} summary."
            )
    valid = [s for s in summaries if s.n_valid and s.mean is not None]
    mean: float | None
    if len(valid) > 1:
        mean, m2 = _merge_moments(valid)
    else:
        mean, m2 = (valid or summaries)[0].mean, (valid or summaries)[0].m2
    lows = [s.min for s in summaries if s.min is not None]
    highs = [s.max for s in summaries if s.max is not None]
    with_values = [s for s in summaries if s.n_valid]
    sketch = _merge_sketches(with_values) if len(with_values) > 1 else None
    merged = NumericSummary(
        kind=first.kind, n=sum(s.n for s in summaries),
        n_missing=sum(s.n_missing for s in summaries), n_nan=sum(s.n_nan for s in summaries),
        n_inf=sum(s.n_inf for s in summaries), min=float(min(lows)) if lows else None,
        max=float(max(highs)) if highs else None, mean=mean, m2=m2,
        kll=(with_values or summaries)[0].kll if sketch is None else bytes(sketch.serialize()),
        histogram=_merge_histograms(summaries),
        grid=(with_values or summaries)[0].grid if sketch is None else None,
        quantization_error=(
            (with_values or summaries)[0].quantization_error if sketch is None
            else merged_quantization_error(list(with_values))
        ),
    )  # fmt: skip
    if sketch is not None:
        merged._cache.append(sketch)  # as from_values does: quantiles need not deserialise
    return merged


def _merge_sketches(summaries: Sequence[NumericSummary]) -> Any:
    """Merge the KLL sketches of ``summaries`` into one, deserialising each once."""
    sketch = summaries[0].mergeable_sketch()
    for s in summaries[1:]:
        other = s.mergeable_sketch()
        if other.k != sketch.k:
            raise IncompatibleProfilesError(
                f"the KLL sketches have different sizes (k={sketch.k} vs k={other.k})."
            )
        sketch.merge(other)
    return sketch


def _merge_moments(valid: Sequence[NumericSummary]) -> tuple[float, float]:
    """Chan's update over k groups: the mean and m2 of the union (module docstring)."""
    n = np.array([s.n_valid for s in valid], dtype=np.float64)
    means = np.array([s.mean for s in valid], dtype=np.float64)
    m2s = np.array([s.m2 for s in valid], dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = float(np.dot(n / n.sum(), means))
        deviations = means - mean
        m2 = float(m2s.sum() + np.dot(n, deviations * deviations))
    return mean, m2


def _merge_histograms(summaries: Sequence[NumericSummary]) -> Histogram | None:
    """Add the histograms on their common edges, as ``NumericSummary.merge`` does pairwise."""
    present = [s.histogram for s in summaries if s.histogram is not None]
    if not present:
        return None
    if any(s.histogram is None and s.n_valid for s in summaries):
        raise IncompatibleProfilesError(
            "one summary has a histogram and the other, with values, has none (its reference "
            "had no bin edges for this column). Profile both data sets against the same "
            "reference profile with profile(data, reference=reference_profile)."
        )
    edges = present[0].edges
    for h in present[1:]:
        if h.edges is not edges and not np.array_equal(h.edges, edges):
            present[0].merge(h)  # raises IncompatibleProfilesError, naming both edges
    if len(present) == 1:
        return present[0]
    counts = np.stack([h.counts for h in present]).sum(axis=0, dtype=np.int64)
    return Histogram(edges=edges, counts=counts)


def _merge_text(summaries: Sequence[TextSummary]) -> TextSummary:
    lengths = _merge_numeric([s.lengths for s in summaries])
    with_values = [s for s in summaries if s.n_valid]
    if len(with_values) <= 1:
        return TextSummary(lengths=lengths, distinct=(with_values or summaries)[0].distinct)
    union = datasketches.hll_union(HLL_LG_K)
    for s in with_values:
        union.update(datasketches.hll_sketch.deserialize(s.distinct))
    distinct = bytes(union.get_result(_HLL_TYPE).serialize_compact())
    return TextSummary(lengths=lengths, distinct=distinct)


def _merge_categorical(column: Sequence[CategoricalSummary | None]) -> CategoricalSummary:
    """Add exact counts in one pass; else the pairwise merge, in the same tree order."""
    summaries = [s for s in column if s is not None]
    first = summaries[0]
    live = [s for s in summaries if s.n]
    union: dict[object, int] = {}
    for s in live:
        if s.counts is None:
            break
        for category, count in s.counts.items():
            union[category] = union.get(category, 0) + count
    else:
        exact = len(union) <= first.category_cap  # past it, the switch depends on the order
        if exact and all(s.kind == first.kind and s.category_cap == first.category_cap
                         for s in summaries):  # fmt: skip
            if len(live) <= 1:
                return live[0] if live else first
            return CategoricalSummary(
                kind=first.kind, n=sum(s.n for s in live),
                n_missing=sum(s.n_missing for s in live), category_cap=first.category_cap,
                counts=union,
            )  # fmt: skip
    merged = _tree_reduce(column, _merge_or_keep)  # raises what CategoricalSummary.merge raises
    assert merged is not None
    return merged


def _merge_or_keep(
    a: CategoricalSummary | None, b: CategoricalSummary | None
) -> CategoricalSummary | None:
    """``a.merge(b)``, with ``None`` (an identity profile's place) as the identity."""
    if a is None or b is None:
        return b if a is None else a
    return a.merge(b)


def strip_histogram(summary: ColumnSummary) -> ColumnSummary:
    """Return ``summary`` without its histogram (others unchanged)."""
    if isinstance(summary, NumericSummary):
        return dataclasses.replace(summary, histogram=None)
    if isinstance(summary, TextSummary):
        return dataclasses.replace(
            summary, lengths=dataclasses.replace(summary.lengths, histogram=None)
        )
    return summary


def null_summary(
    kind: ColumnType, n: int, *, config: ProfileConfig, edges: FloatArray | None
) -> ColumnSummary:
    """Return the summary of ``n`` null values of a ``kind`` column (zero counts on ``edges``)."""
    edges = edges if config.histograms else None
    if kind in (ColumnType.NUMERIC, ColumnType.DATETIME):
        values = NumericValues(
            values=np.empty(0, dtype=np.float64), n=n, n_missing=n, n_nan=0, n_inf=0
        )
        return NumericSummary.from_values(
            values, kind=kind, kll_k=config.kll_k, bins=None, edges=edges
        )
    if kind is ColumnType.TEXT:
        return TextSummary.from_column(
            pa.chunked_array([pa.nulls(n, pa.large_string())]),
            name="null",
            kll_k=config.kll_k,
            bins=None,
            edges=edges,
        )
    tally = CategoryCounts(categories=[], counts=np.empty(0, dtype=np.int64), n=n, n_missing=n)
    return CategoricalSummary.from_counts(tally, kind=kind, category_cap=config.category_cap)
