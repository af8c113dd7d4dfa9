"""Evaluate one column: its test statistic, PSI and binned distribution, before correction.

Numeric kinds with both sides exact use the exact kernels on sorted samples. When a side is
a profile, sample tests (``ks``, ``wasserstein``, ``wasserstein_norm``) are computed from the
two empirical or sketched CDFs on a grid of ``_GRID`` quantiles of each side; the stated
error bound is the sum of the two sides' sketch rank errors plus the grid step (for the
Wasserstein distances, that sum times the range of the data, divided by the scale for the
normalised one). The KS p-value is that of the statistic minus its bound, the smallest
the sketches allow, so sketch error is never reported as drift. Binned tests and PSI stay
exact: a profile keeps counts on the reference's bin edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from driftpilot._columns import ColumnType
from driftpilot._typing import FloatArray
from driftpilot.drift._selection import TestSpec
from driftpilot.drift._sources import CategoryData, NumericData
from driftpilot.drift.report import BinnedDistribution
from driftpilot.errors import IncompatibleProfilesError, InsufficientDataError
from driftpilot.stats import (
    TestResult,
    anderson,
    chi2,
    cvm,
    energy,
    hellinger,
    jensenshannon,
    kl,
    ks,
    ks_pvalue,
    psi,
    wasserstein,
    wasserstein_norm,
    ztest,
)

__all__ = ["Evaluation", "evaluate_categorical", "evaluate_numeric"]

_GRID = 2001
_COUNT_TESTS = {
    "chi2": chi2,
    "ztest": ztest,
    "psi": psi,
    "jensenshannon": jensenshannon,
    "kl": kl,
    "hellinger": hellinger,
}
_SAMPLE_TESTS = {
    "ks": ks,
    "anderson": anderson,
    "cvm": cvm,
    "wasserstein": wasserstein,
    "wasserstein_norm": wasserstein_norm,
    "energy": energy,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    """A column's numbers before the report applies corrections and verdicts."""

    name: str
    kind: ColumnType
    test: TestSpec
    statistic: float
    p_value: float | None
    psi: float
    n_reference: int
    n_current: int
    n_excluded_reference: int
    n_excluded_current: int
    approximate: bool
    error_bound: float | None
    distribution: BinnedDistribution


def evaluate_numeric(
    name: str,
    kind: ColumnType,
    spec: TestSpec,
    reference: NumericData,
    current: NumericData,
    *,
    bins: int,
) -> Evaluation:
    """Compare a numeric-kind column; raise ``InsufficientDataError`` when a side is empty."""
    _require_values(name, reference.n_valid, current.n_valid)
    edges = reference.edges(bins, column=name)
    ref_counts = reference.counts_on(edges, column=name)
    cur_counts = current.counts_on(edges, column=name)
    psi_value = psi(ref_counts, cur_counts).statistic
    approximate, bound = False, None
    if spec.inputs == "counts":
        result = _COUNT_TESTS[spec.name](ref_counts, cur_counts)
    elif reference.exact and current.exact:
        assert reference.sorted_values is not None
        assert current.sorted_values is not None
        kernel = _SAMPLE_TESTS[spec.name]
        if spec.name in ("anderson", "cvm"):
            result = kernel(reference.sorted_values, current.sorted_values)
        else:
            result = kernel(reference.sorted_values, current.sorted_values, assume_sorted=True)
    elif not spec.from_sketch:
        raise IncompatibleProfilesError(
            f"The test {spec.name!r} for column {name!r} needs raw data on both sides, but "
            "one side is a profile. Use ks, wasserstein, wasserstein_norm or a binned test "
            "(psi, chi2, jensenshannon, kl, hellinger), or pass the data itself."
        )
    else:
        result, bound = _from_cdfs(spec.name, reference, current)
        approximate = True
    return Evaluation(
        name=name,
        kind=kind,
        test=spec,
        statistic=float(result.statistic),
        p_value=result.p_value,
        psi=float(psi_value),
        n_reference=reference.n,
        n_current=current.n,
        n_excluded_reference=reference.n_excluded,
        n_excluded_current=current.n_excluded,
        approximate=approximate,
        error_bound=bound,
        distribution=BinnedDistribution(
            labels=_edge_labels(edges),
            reference=tuple(int(c) for c in ref_counts),
            current=tuple(int(c) for c in cur_counts),
            edges=tuple(float(e) for e in edges),
        ),
    )


def evaluate_categorical(
    name: str,
    kind: ColumnType,
    spec: TestSpec,
    reference: CategoryData,
    current: CategoryData,
) -> Evaluation:
    """Compare a categorical-kind column over the union of categories seen on both sides."""
    _require_values(name, reference.n_valid, current.n_valid)
    categories = _union(reference.categories(), current.categories())
    ref_counts = reference.count_of(categories)
    cur_counts = current.count_of(categories)
    keep = (ref_counts > 0) | (cur_counts > 0)
    categories = [c for c, k in zip(categories, keep.tolist(), strict=True) if k]
    ref_counts, cur_counts = ref_counts[keep], cur_counts[keep]
    # A canonical order (reference count, then current count, descending; then the label),
    # so that row order never changes the report. For ztest the "success" category (index
    # 1) is then the reference's less frequent one, which fixes the sign of z.
    order = sorted(
        range(len(categories)),
        key=lambda i: (-int(ref_counts[i]), -int(cur_counts[i]), str(categories[i])),
    )
    categories = [categories[i] for i in order]
    ref_counts, cur_counts = ref_counts[order], cur_counts[order]
    if spec.name == "ztest" and len(categories) != 2:
        raise InsufficientDataError(
            f"The 'ztest' chosen for column {name!r} needs exactly two categories across both "
            f"sides; the column has {len(categories)}. Use 'chi2' instead."
        )
    result: TestResult = _COUNT_TESTS[spec.name](ref_counts, cur_counts)
    exact = reference.exact and current.exact
    return Evaluation(
        name=name,
        kind=kind,
        test=spec,
        statistic=float(result.statistic),
        p_value=result.p_value,
        psi=float(psi(ref_counts, cur_counts).statistic),
        n_reference=reference.n,
        n_current=current.n,
        n_excluded_reference=reference.n_excluded,
        n_excluded_current=current.n_excluded,
        approximate=not exact,
        error_bound=None,
        distribution=BinnedDistribution(
            labels=tuple(str(c) for c in categories),
            reference=tuple(int(c) for c in ref_counts),
            current=tuple(int(c) for c in cur_counts),
        ),
    )


def _require_values(name: str, n_reference: int, n_current: int) -> None:
    for side, n in (("reference", n_reference), ("current", n_current)):
        if n == 0:
            raise InsufficientDataError(f"Column {name!r} has no valid values in the {side}.")


def _union(first: list[Any], second: list[Any]) -> list[Any]:
    seen = dict.fromkeys(first)
    seen.update(dict.fromkeys(second))
    return list(seen)


def _from_cdfs(test: str, reference: NumericData, current: NumericData) -> tuple[TestResult, float]:
    ranks = np.linspace(0.0, 1.0, _GRID)
    points = np.unique(np.concatenate([reference.quantiles(ranks), current.quantiles(ranks)]))
    gap = np.asarray(reference.cdf(points) - current.cdf(points), dtype=np.float64)
    cdf_bound = reference.rank_error + current.rank_error + 1.0 / (_GRID - 1)
    n_ref, n_cur = reference.n_valid, current.n_valid
    if test == "ks":
        statistic = float(np.max(np.abs(gap))) if gap.size else 0.0
        # Conservative: the p-value of the smallest statistic the sketches allow. Sketch
        # error dwarfs sampling noise on large samples, so the estimate's own p-value would
        # call sketch error drift.
        p_value = ks_pvalue(max(statistic - cdf_bound, 0.0), n_ref, n_cur)
        result = TestResult(
            method="ks", statistic=statistic, p_value=p_value, n_reference=n_ref, n_current=n_cur
        )
        return result, cdf_bound
    low = min(reference.bounds[0], current.bounds[0])
    high = max(reference.bounds[1], current.bounds[1])
    distance = float(np.sum(np.abs(gap[:-1]) * np.diff(points))) if points.size > 1 else 0.0
    bound = cdf_bound * (high - low)
    scale = reference.scale if test == "wasserstein_norm" else 1.0
    result = TestResult(
        method=test,
        statistic=distance / scale,
        p_value=None,
        n_reference=n_ref,
        n_current=n_cur,
        details={"scale": scale},
    )
    return result, bound / scale


def _edge_labels(edges: FloatArray) -> tuple[str, ...]:
    def fmt(value: float) -> str:
        if not np.isfinite(value):
            return "-inf" if value < 0 else "inf"
        if 1e4 <= abs(value) < 1e12:
            return f"{value:.0f}"  # 19400 reads better than 1.94e+04 on an axis
        return f"{value:.4g}"

    return tuple(f"[{fmt(lo)}, {fmt(hi)})" for lo, hi in pairwise(edges))
