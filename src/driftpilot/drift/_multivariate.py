"""Multivariate drift: one MMD test over several numeric columns (or embedding dimensions).

Per-column tests miss a change in how columns move together (a correlation that flips while
every marginal stays put). ``compare(..., multivariate=[...])`` runs the maximum mean
discrepancy test (:func:`driftpilot.stats.mmd`, RBF kernel, median-heuristic bandwidth,
seeded permutation p-value) on the rows of the named columns:

* rows with a missing or non-finite value in any of the columns are left out (counted);
* each column is standardised with the reference's mean and standard deviation (a constant
  column is only centred), so no column dominates the kernel by its units;
* each side is subsampled without replacement to at most ``max_rows`` rows (default 1,000;
  the test's cost grows with the square of the rows), seeded, and the result says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from driftpilot._columns import ColumnType
from driftpilot._typing import FloatArray
from driftpilot.drift._sources import Source
from driftpilot.drift.report import MultivariateDrift
from driftpilot.errors import (
    IncompatibleProfilesError,
    InsufficientDataError,
    InvalidParameterError,
)
from driftpilot.stats import mmd

__all__ = ["evaluate_multivariate"]

_NUMERIC = (ColumnType.NUMERIC,)


def evaluate_multivariate(
    columns: Sequence[str],
    reference: Source,
    current: Source,
    *,
    alpha: float,
    max_rows: int,
    n_permutations: int,
    seed: int,
) -> MultivariateDrift:
    """Run the MMD test on ``columns`` of two raw-data sources."""
    if reference.table is None or current.table is None:
        raise IncompatibleProfilesError(
            "The multivariate (mmd) test needs raw data on both sides, but one side is a "
            "profile. Pass the frames themselves."
        )
    if len(columns) < 1:
        raise InvalidParameterError(
            "The 'multivariate' parameter of compare must name at least one numeric column."
        )
    for column in columns:
        for source in (reference, current):
            if column not in source.column_names:
                raise InvalidParameterError(
                    f"Column {column!r} named in 'multivariate' is not in the {source.name} data."
                )
        kind = reference.kind_of(column)
        if kind not in _NUMERIC:
            raise InvalidParameterError(
                f"Column {column!r} named in 'multivariate' is {kind.value}; the mmd test "
                "takes numeric columns only."
            )
    ref, n_ref_excluded = _matrix(reference, columns)
    cur, n_cur_excluded = _matrix(current, columns)
    for side, rows in (("reference", ref), ("current", cur)):
        if rows.shape[0] < 2:
            raise InsufficientDataError(
                f"The multivariate test needs at least 2 complete rows in the {side}; "
                f"it has {rows.shape[0]}."
            )
    center = ref.mean(axis=0)
    scale = ref.std(axis=0)
    scale[scale == 0] = 1.0
    rng = np.random.default_rng(seed)
    ref_used, cur_used = _subsample(ref, max_rows, rng), _subsample(cur, max_rows, rng)
    result = mmd(
        (ref_used - center) / scale,
        (cur_used - center) / scale,
        n_permutations=n_permutations,
        seed=rng,
    )
    assert result.p_value is not None
    return MultivariateDrift(
        columns=tuple(columns),
        test="mmd",
        statistic=float(result.statistic),
        p_value=float(result.p_value),
        threshold=alpha,
        drifted=bool(result.p_value < alpha),
        n_reference=ref.shape[0],
        n_current=cur.shape[0],
        n_used_reference=ref_used.shape[0],
        n_used_current=cur_used.shape[0],
        n_excluded_reference=n_ref_excluded,
        n_excluded_current=n_cur_excluded,
        bandwidth=float(result.details["bandwidth"]),
        n_permutations=n_permutations,
    )


def _matrix(source: Source, columns: Sequence[str]) -> tuple[FloatArray, int]:
    assert source.table is not None
    stacked = np.column_stack(
        [
            source.table[column].to_numpy(zero_copy_only=False).astype(np.float64)
            for column in columns
        ]
    )
    complete = np.all(np.isfinite(stacked), axis=1)
    return np.ascontiguousarray(stacked[complete]), int((~complete).sum())


def _subsample(rows: FloatArray, max_rows: int, rng: np.random.Generator) -> FloatArray:
    if rows.shape[0] <= max_rows:
        return rows
    chosen = np.sort(rng.choice(rows.shape[0], size=max_rows, replace=False))
    return rows[chosen]
