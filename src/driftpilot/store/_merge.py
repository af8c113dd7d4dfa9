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

The merge is a balanced tree of ``Profile.merge``, so its cost grows with the number of
partials (and their columns), not with the number of events behind them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from driftpilot._columns import CategoryCounts, ColumnType, NumericValues
from driftpilot._typing import FloatArray
from driftpilot.profile import (
    CategoricalSummary,
    ColumnSummary,
    NumericSummary,
    Profile,
    ProfileConfig,
    TextSummary,
)

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
    merged = _tree_merge(aligned)
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
        elif not np.array_equal(found, edges):
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


def _tree_merge(profiles: Sequence[Profile]) -> Profile:
    level = list(profiles)
    while len(level) > 1:
        level = [
            level[i].merge(level[i + 1]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
    return level[0]


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
