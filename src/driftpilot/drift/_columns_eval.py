"""Evaluate one column: its test, p-value, effect size, PSI and binned distribution.

Numeric kinds with both sides exact use the exact kernels on sorted samples; one merged
pass over the two sorted samples gives the KS statistic and the Wasserstein distance (the
default effect size) together. When a side is a profile, sample tests come from the
sketches, conservatively (:mod:`driftpilot.drift._sketch_tests`). Binned tests and PSI
are exact when a profile keeps counts on the reference's bin edges; two window profiles
without a baseline have no common edges, and then only the sketch-based tests run (PSI is
not reported and the plotted counts are read off the sketches).

Under the default rule every test gets a p-value valid on the data it meets:

* ``ks``: scipy's exact p-value up to ``MAX_AUTO_N`` values a side, else the asymptotic one
  (both are conservative under ties); from a profile, the p-value of the smallest
  statistic its CDF bounds allow (:mod:`driftpilot.drift._sketch_tests`).
* ``anderson``, ``cvm``: scipy's without ties, a permutation p-value with ties.
* ``wasserstein``, ``wasserstein_norm``, ``energy``: their null depends on the unknown
  distribution, so their significance is the KS test's on the same data; the distance is
  the effect size.
* ``chi2``, ``ztest`` and the binned distances: :func:`driftpilot.stats.count_pvalue`, the
  chi-squared approximation where every expected count is at least 5, a seeded Monte Carlo
  test conditional on the margins otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import numpy as np

from driftpilot._columns import ColumnType
from driftpilot._typing import FloatArray, IntArray
from driftpilot.drift._column_stats import categorical_stats, numeric_stats
from driftpilot.drift._selection import Rule, TestSpec
from driftpilot.drift._sketch_tests import sketched_samples
from driftpilot.drift._sources import CategoryData, NumericData
from driftpilot.drift.report import BinnedDistribution, ColumnStats
from driftpilot.errors import IncompatibleProfilesError, InsufficientDataError
from driftpilot.stats import (
    MAX_AUTO_N,
    EcdfDistances,
    TestResult,
    anderson,
    chi2,
    count_pvalue,
    cvm,
    ecdf_distances,
    hellinger,
    jensenshannon,
    kl,
    ks,
    ks_pvalue,
    psi,
    ztest,
)
from driftpilot.stats._ecdf import ks_and_wasserstein

__all__ = ["Evaluation", "evaluate_categorical", "evaluate_numeric"]

_COUNT_TESTS = {
    "chi2": chi2,
    "ztest": ztest,
    "psi": psi,
    "jensenshannon": jensenshannon,
    "kl": kl,
    "hellinger": hellinger,
}


_HUGE = 1e150


@dataclass(frozen=True, slots=True, kw_only=True)
class _Outcome:
    statistic: float
    p_value: float | None
    p_value_method: str | None
    effect_size: float
    approximate: bool = False
    error_bound: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    """A column's numbers before the report applies corrections and verdicts.

    ``effect_size`` is the effect measure's value, conservative (minus its bound) when it
    comes from a sketch. ``psi`` is ``None`` when the counts are not exact.
    """

    name: str
    kind: ColumnType
    test: TestSpec
    statistic: float
    p_value: float | None
    p_value_method: str | None
    effect_size: float
    psi: float | None
    n_reference: int
    n_current: int
    n_excluded_reference: int
    n_excluded_current: int
    approximate: bool
    error_bound: float | None
    distribution: BinnedDistribution
    reference_stats: ColumnStats | None = None
    current_stats: ColumnStats | None = None


def evaluate_numeric(
    name: str,
    kind: ColumnType,
    spec: TestSpec,
    reference: NumericData,
    current: NumericData,
    *,
    bins: int,
    rule: Rule,
    seed: int,
) -> Evaluation:
    """Compare a numeric-kind column; raise ``InsufficientDataError`` when a side is empty."""
    _require_values(name, reference.n_valid, current.n_valid)
    edges = reference.edges(bins)
    counts_exact = reference.has_counts_on(edges) and current.has_counts_on(edges)
    ref_counts, cur_counts = reference.counts_on(edges), current.counts_on(edges)
    if spec.inputs == "counts":
        if not counts_exact:
            raise IncompatibleProfilesError(
                f"The test {spec.name!r} for column {name!r} needs counts on the reference's "
                "bin edges, and the current profile has none (profile it with "
                "reference=<the reference profile>). Use ks, wasserstein or "
                "wasserstein_norm, which these profiles' sketches support."
            )
        outcome = _on_counts(spec, ref_counts, cur_counts, rule=rule, seed=seed)
    elif reference.exact and current.exact:
        outcome = _on_samples(spec, reference, current, rule=rule, seed=seed)
    elif not spec.from_sketch:
        raise IncompatibleProfilesError(
            f"The test {spec.name!r} for column {name!r} needs raw data on both sides, but "
            "one side is a profile. Use ks, wasserstein, wasserstein_norm or a binned test "
            "(psi, chi2, jensenshannon, kl, hellinger), or pass the data itself."
        )
    else:
        outcome = _on_sketches(spec, reference, current, rule=rule)
    return Evaluation(
        name=name,
        kind=kind,
        test=spec,
        statistic=outcome.statistic,
        p_value=outcome.p_value,
        p_value_method=outcome.p_value_method,
        effect_size=outcome.effect_size,
        psi=float(psi(ref_counts, cur_counts).statistic) if counts_exact else None,
        n_reference=reference.n,
        n_current=current.n,
        n_excluded_reference=reference.n_excluded,
        n_excluded_current=current.n_excluded,
        approximate=outcome.approximate or not counts_exact,
        error_bound=outcome.error_bound,
        distribution=BinnedDistribution(
            labels=_edge_labels(edges),
            reference=tuple(int(c) for c in ref_counts),
            current=tuple(int(c) for c in cur_counts),
            edges=tuple(float(e) for e in edges),
        ),
        reference_stats=numeric_stats(reference),
        current_stats=numeric_stats(current),
    )


def evaluate_categorical(
    name: str,
    kind: ColumnType,
    spec: TestSpec,
    reference: CategoryData,
    current: CategoryData,
    *,
    rule: Rule,
    seed: int,
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
    outcome = _on_counts(spec, ref_counts, cur_counts, rule=rule, seed=seed)
    exact = reference.exact and current.exact
    return Evaluation(
        name=name,
        kind=kind,
        test=spec,
        statistic=outcome.statistic,
        p_value=outcome.p_value,
        p_value_method=outcome.p_value_method,
        effect_size=outcome.effect_size,
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
        reference_stats=categorical_stats(reference),
        current_stats=categorical_stats(current),
    )


def _on_counts(
    spec: TestSpec, ref_counts: IntArray, cur_counts: IntArray, *, rule: Rule, seed: int
) -> _Outcome:
    result: TestResult = _COUNT_TESTS[spec.name](ref_counts, cur_counts)
    if spec.effect == spec.name:
        effect = result.statistic
    else:
        effect = _COUNT_TESTS[spec.effect](ref_counts, cur_counts).statistic
    if rule == "evidently":
        method = None if result.p_value is None else "asymptotic"
        return _Outcome(
            statistic=result.statistic,
            p_value=result.p_value,
            p_value_method=method,
            effect_size=effect,
        )
    null = count_pvalue(spec.name, ref_counts, cur_counts, seed=seed)
    return _Outcome(
        statistic=result.statistic,
        p_value=null.p_value,
        p_value_method=null.method,
        effect_size=effect,
    )


def _on_samples(
    spec: TestSpec, reference: NumericData, current: NumericData, *, rule: Rule, seed: int
) -> _Outcome:
    ref, cur = reference.sorted_values, current.sorted_values
    assert ref is not None
    assert cur is not None
    magnitude = max(abs(ref[0]), abs(ref[-1]), abs(cur[0]), abs(cur[-1]))
    if magnitude > _HUGE:
        # Squares and sums of values near 1e308 overflow: compute on both samples divided
        # by the largest magnitude (KS and the normalised distance do not change).
        ref, cur = ref / magnitude, cur / magnitude
        distances = ecdf_distances(ref, cur)
        normalised = distances.wasserstein / (float(np.std(ref)) or 1.0)
        with np.errstate(over="ignore"):
            distances = replace(
                distances,
                wasserstein=distances.wasserstein * magnitude,
                energy=distances.energy * magnitude,
            )
    elif spec.name == "energy":
        distances = ecdf_distances(ref, cur)
        # or 1.0: a spread that underflows to 0 (values near 5e-324)
        normalised = distances.wasserstein / (reference.scale or 1.0)
    else:
        # KS and the distance without the pooled sort energy needs (see ks_and_wasserstein).
        statistic_ks, distance = ks_and_wasserstein(ref, cur)
        distances = EcdfDistances(ks=statistic_ks, wasserstein=distance, energy=math.nan)
        normalised = distance / (reference.scale or 1.0)
    small = max(ref.size, cur.size) <= MAX_AUTO_N
    if spec.name in ("ks", "anderson", "cvm"):
        if spec.name == "ks" and not small:
            # The merged pass gives scipy's statistic bit for bit; the asymptotic p-value
            # is what ks() returns at this size.
            statistic = distances.ks
            p_value: float | None = ks_pvalue(statistic, ref.size, cur.size)
            method = "asymptotic"
        else:
            if spec.name == "ks":
                result = ks(ref, cur, assume_sorted=True)
                method = "exact" if result.details.get("exact") else "asymptotic"
            else:
                kernel = anderson if spec.name == "anderson" else cvm
                result = kernel(ref, cur, seed=seed)
                method = "permutation" if result.details.get("n_resamples") else "asymptotic"
            statistic, p_value = result.statistic, result.p_value
        return _Outcome(
            statistic=float(statistic),
            p_value=p_value,
            p_value_method=method,
            effect_size=normalised,
        )
    statistic = {
        "wasserstein": distances.wasserstein,
        "wasserstein_norm": normalised,
        "energy": distances.energy,
    }[spec.name]
    if rule == "evidently":
        return _Outcome(statistic=statistic, p_value=None, p_value_method=None,
                        effect_size=statistic)  # fmt: skip
    return _Outcome(
        statistic=statistic,
        p_value=ks_pvalue(distances.ks, ref.size, cur.size, method="auto" if small else "asymp"),
        p_value_method="ks",
        effect_size=statistic,
    )


def _on_sketches(
    spec: TestSpec, reference: NumericData, current: NumericData, *, rule: Rule
) -> _Outcome:
    sketch = sketched_samples(reference, current)
    if spec.name == "ks":
        return _Outcome(
            statistic=sketch.ks,
            p_value=sketch.ks_p_value,
            p_value_method="sketch_conservative",
            effect_size=sketch.wasserstein_norm_low,
            approximate=True,
            error_bound=sketch.ks_bound,
        )
    normalised = spec.name == "wasserstein_norm"
    statistic = sketch.wasserstein_norm if normalised else sketch.wasserstein
    bound = sketch.wasserstein_norm_bound if normalised else sketch.wasserstein_bound
    low = sketch.wasserstein_norm_low if normalised else sketch.wasserstein_low
    evidently = rule == "evidently"
    return _Outcome(
        statistic=statistic,
        p_value=None if evidently else sketch.ks_p_value,
        p_value_method=None if evidently else "sketch_conservative",
        effect_size=low,
        approximate=True,
        error_bound=bound,
    )


def _require_values(name: str, n_reference: int, n_current: int) -> None:
    for side, n in (("reference", n_reference), ("current", n_current)):
        if n == 0:
            raise InsufficientDataError(f"Column {name!r} has no valid values in the {side}.")


def _union(first: list[Any], second: list[Any]) -> list[Any]:
    seen = dict.fromkeys(first)
    seen.update(dict.fromkeys(second))
    return list(seen)


def _edge_labels(edges: FloatArray) -> tuple[str, ...]:
    def fmt(value: float) -> str:
        if not np.isfinite(value):
            return "-inf" if value < 0 else "inf"
        if 1e4 <= abs(value) < 1e12:
            return f"{value:.0f}"  # 19400 reads better than 1.94e+04 on an axis
        return f"{value:.4g}"

    return tuple(f"[{fmt(lo)}, {fmt(hi)})" for lo, hi in pairwise(edges))
