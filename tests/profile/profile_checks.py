"""Comparisons of profiles that hold whatever order the values were merged in.

Counts, histograms and exact category counts must agree exactly; moments to 1e-12
relative (with an absolute floor scaled to the data, since two float sums in different
orders differ in their last bits); KLL quantiles within the sketches' rank error (exactly
while both are exact); sketched categories within the sketches' bounds.
"""

from __future__ import annotations

import math

import numpy as np

from driftpilot.profile import CategoricalSummary, NumericSummary, Profile, TextSummary

GRID = np.linspace(0.0, 1.0, 21)


def close(a: float | None, b: float | None, *, scale: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12 * scale)


def assert_numeric_equivalent(a: NumericSummary, b: NumericSummary) -> None:
    assert (a.kind, a.n, a.n_missing, a.n_nan, a.n_inf) == (
        b.kind,
        b.n,
        b.n_missing,
        b.n_nan,
        b.n_inf,
    )
    assert (a.min, a.max) == (b.min, b.max)
    assert a.histogram == b.histogram
    if a.n_valid == 0:
        assert a.mean is None
        assert b.mean is None
        assert a.m2 == b.m2 == 0.0
        return
    assert a.min is not None
    assert a.max is not None
    magnitude = max(abs(a.min), abs(a.max), 1e-300)
    assert close(a.mean, b.mean, scale=magnitude)
    assert close(a.m2, b.m2, scale=a.n_valid * magnitude**2)
    assert a.kll_k == b.kll_k
    tolerance = a.rank_error + b.rank_error
    if tolerance == 0.0:
        np.testing.assert_array_equal(a.quantiles(GRID), b.quantiles(GRID))
    else:
        points = np.unique(np.concatenate([a.quantiles(GRID), b.quantiles(GRID)]))
        assert np.max(np.abs(a.cdf(points) - b.cdf(points))) <= tolerance


def assert_categorical_equivalent(a: CategoricalSummary, b: CategoricalSummary) -> None:
    assert (a.kind, a.n, a.n_missing, a.exact) == (b.kind, b.n, b.n_missing, b.exact)
    if a.exact:
        assert a.counts == b.counts
        return
    heavy = a.categories()[:20]
    error = a.count_error + b.count_error
    assert np.all(np.abs(a.count_of(heavy) - b.count_of(heavy)) <= error)
    assert abs(a.n_distinct - b.n_distinct) <= a.distinct_error_bound + b.distinct_error_bound


def assert_equivalent(p: Profile, q: Profile) -> None:
    assert p.n_rows == q.n_rows
    assert p.config == q.config
    assert dict(p.skipped) == dict(q.skipped)
    assert p.schema == q.schema
    for name, a in p.columns.items():
        b = q.columns[name]
        if isinstance(a, NumericSummary):
            assert isinstance(b, NumericSummary)
            assert_numeric_equivalent(a, b)
        elif isinstance(a, TextSummary):
            assert isinstance(b, TextSummary)
            assert_numeric_equivalent(a.lengths, b.lengths)
            assert (
                abs(a.n_distinct - b.n_distinct)
                <= a.distinct_error_bound + b.distinct_error_bound + 1
            )
        else:
            assert isinstance(b, CategoricalSummary)
            assert_categorical_equivalent(a, b)
