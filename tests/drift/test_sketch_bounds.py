"""KS and Wasserstein from a saved baseline: within their stated bounds of the raw data's,
conservative under no drift, and still powerful under real shifts (heavy tails included)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import driftpilot as dp
from driftpilot.drift._sketch_tests import sketched_samples
from driftpilot.drift._sources import NumericData
from driftpilot.profile import NumericSummary, ProfileConfig, profile
from driftpilot.stats import MAX_AUTO_N, ks_pvalue

samples = arrays(
    np.float64,
    st.integers(1, 400),
    elements=st.one_of(
        st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
        st.sampled_from([0.0, 1.0, 7.0]),  # ties on both sides
    ),
)


def profiled(x: np.ndarray, cells: int) -> NumericData:
    summary = profile({"x": x}, config=ProfileConfig(kll_k=8, quantile_grid=cells)).columns["x"]
    assert isinstance(summary, NumericSummary)
    return NumericData(n=summary.n, n_excluded=0, summary=summary)


def raw(x: np.ndarray) -> NumericData:
    return NumericData(n=x.size, n_excluded=0, sorted_values=np.sort(x))


def exact_p(d: float, n: int, m: int) -> float:
    small = max(n, m) <= MAX_AUTO_N
    return ks_pvalue(d, n, m, method="auto" if small else "asymp")


@settings(max_examples=80, deadline=None)
@given(ref=samples, cur=samples, cells=st.integers(1, 50), both=st.booleans())
def test_ks_and_wasserstein_are_within_their_bounds_of_scipy_on_the_raw_data(
    ref: np.ndarray, cur: np.ndarray, cells: int, both: bool
) -> None:
    current = profiled(cur, cells) if both else raw(cur)
    got = sketched_samples(profiled(ref, cells), current)
    with warnings.catch_warnings():
        # Only the statistic is used; scipy's asymptotic p-value divides by zero on a
        # sample or two.
        warnings.simplefilter("ignore", RuntimeWarning)
        d = float(scipy.stats.ks_2samp(ref, cur, method="asymp").statistic)
    tolerance = 1e-12
    assert abs(got.ks - d) <= got.ks_bound + tolerance
    assert d - 2 * got.ks_bound - tolerance <= got.ks_low <= d + tolerance
    # Conservative: never more significant than the raw data; at most the p of D - 2 bound.
    p_raw = exact_p(d, ref.size, cur.size)
    assert got.ks_p_value >= p_raw - 1e-12
    assert got.ks_p_value <= exact_p(max(d - 2 * got.ks_bound - 1e-9, 0.0), ref.size, cur.size)
    w = float(scipy.stats.wasserstein_distance(ref, cur))
    scale = max(abs(w), 1.0)
    assert abs(got.wasserstein - w) <= got.wasserstein_bound + 1e-9 * scale
    assert got.wasserstein_low <= w + 1e-9 * scale
    assert got.wasserstein_low >= got.wasserstein - got.wasserstein_bound - 1e-9 * scale


def test_the_default_baseline_bound_is_under_0_005_and_p_matches_scipy_s_exact() -> None:
    rng = np.random.default_rng(12)
    ref, cur = rng.normal(size=100_000), rng.normal(0.03, 1.0, 2_000)
    column = dp.compare(dp.baseline({"x": ref}), {"x": cur}, test="ks").columns["x"]
    assert column.error_bound is not None
    assert column.error_bound <= 0.5 / ProfileConfig().quantile_grid <= 0.005
    exact = scipy.stats.ks_2samp(ref, cur, method="asymp")
    assert abs(column.statistic - exact.statistic) <= column.error_bound
    low = exact.statistic - 2 * column.error_bound
    assert exact.pvalue <= column.p_value <= ks_pvalue(low, ref.size, cur.size)
    # Small samples: scipy's exact p-value on the raw data.
    ref, cur = rng.normal(size=3_000), rng.normal(0.2, 1.0, 300)
    column = dp.compare(dp.baseline({"x": ref}), {"x": cur}, test="ks").columns["x"]
    exact = scipy.stats.ks_2samp(ref, cur, method="exact")
    assert column.p_value is not None
    assert exact.pvalue <= column.p_value + 1e-12
    assert column.p_value <= ks_pvalue(
        exact.statistic - 2 * column.error_bound, ref.size, cur.size, method="auto"
    )


def test_a_discrete_column_from_a_baseline_is_exact() -> None:
    rng = np.random.default_rng(3)
    ref, cur = rng.poisson(3, 50_000), rng.poisson(3.2, 4_000)
    column = dp.compare(dp.baseline({"x": ref}), {"x": cur}, test="ks").columns["x"]
    assert column.error_bound == 0.0
    assert column.statistic == pytest.approx(scipy.stats.ks_2samp(ref, cur).statistic, abs=1e-12)


def _upper(trials: int, alpha: float) -> int:
    """Largest count a Binomial(trials, alpha) reaches with probability >= 0.001."""
    return int(scipy.stats.binom.ppf(0.999, trials, alpha))


def _lower(trials: int, power: float) -> int:
    """Smallest count a Binomial(trials, power) falls to with probability >= 0.001."""
    return int(scipy.stats.binom.ppf(0.001, trials, power))


HEAVY = {
    "lognormal": lambda rng, n: rng.lognormal(0.0, 1.5, n),
    "pareto": lambda rng, n: rng.pareto(1.5, n) + 1.0,
    "student_t3": lambda rng, n: rng.standard_t(3, n),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HEAVY))
@pytest.mark.parametrize("test", ["wasserstein", "wasserstein_norm", "ks"])
def test_heavy_tailed_a_a_columns_from_a_baseline_stay_under_alpha(name: str, test: str) -> None:
    rng = np.random.default_rng(sum(map(ord, name + test)))
    trials, alpha = 80, 0.05
    flagged = {"significance_and_effect": 0, "evidently": 0}
    for _ in range(trials):
        ref, cur = HEAVY[name](rng, 20_000), HEAVY[name](rng, 2_000)
        saved = dp.baseline({"x": ref})
        for rule in flagged:
            column = dp.compare(saved, {"x": cur}, test=test, rule=rule).columns["x"]
            flagged[rule] += column.drifted
            exact = dp.compare({"x": ref}, {"x": cur}, test=test, rule=rule).columns["x"]
            # Conservative set by set: never a larger effect, never a smaller p-value, so
            # never a flag the raw data would not raise.
            assert column.effect_size <= exact.effect_size + 1e-12
            if column.p_value is not None and exact.p_value is not None:
                assert column.p_value >= exact.p_value - 1e-12
            assert exact.drifted or not column.drifted
    assert flagged["significance_and_effect"] <= _upper(trials, alpha), flagged
    if test != "wasserstein":
        # The old rule's threshold of 0.1 in the data's own units (plain "wasserstein") is
        # crossed by noise on these scales from raw data too; in standard deviations it is not.
        assert flagged["evidently"] <= _upper(trials, alpha), flagged


SHIFTS = {
    "lognormal x1.5": (
        lambda rng, n: rng.lognormal(0.0, 1.0, n),
        lambda rng, n: 1.5 * rng.lognormal(0.0, 1.0, n),
    ),
    "student_t3 +0.5 sd": (
        lambda rng, n: rng.standard_t(3, n),
        lambda rng, n: rng.standard_t(3, n) + 0.5 * math.sqrt(3.0),
    ),
    "pareto shape 1.5 -> 1.2": (
        lambda rng, n: rng.pareto(1.5, n) + 1.0,
        lambda rng, n: rng.pareto(1.2, n) + 1.0,
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SHIFTS))
@pytest.mark.parametrize("test", ["wasserstein", "ks"])
def test_real_shifts_on_heavy_tails_are_found_from_a_baseline(name: str, test: str) -> None:
    rng = np.random.default_rng(sum(map(ord, name + test)))
    before, after = SHIFTS[name]
    trials = 40
    found = 0
    for _ in range(trials):
        saved = dp.baseline({"x": before(rng, 20_000)})
        found += dp.compare(saved, {"x": after(rng, 5_000)}, test=test).columns["x"].drifted
    assert found >= _lower(trials, 0.95), found


@pytest.mark.slow
def test_a_baseline_loses_no_clear_ks_detection() -> None:
    # Issue 12: with a bound of 0.0138 from the sketch, 14 of 50 detections were lost (an
    # exact p of 7.5e-29 became 1). Now every shift the raw data finds with p < 1e-6 is
    # found from the baseline too (20 sets), and the statistic is within its bound each time.
    rng = np.random.default_rng(50)
    for _ in range(20):
        ref, cur = rng.normal(size=100_000), rng.normal(0.05, 1.0, 100_000)
        from_baseline = dp.compare(dp.baseline({"x": ref}), {"x": cur}, test="ks")
        column = from_baseline.columns["x"]
        exact = scipy.stats.ks_2samp(ref, cur, method="asymp")
        assert column.error_bound is not None
        assert abs(column.statistic - exact.statistic) <= column.error_bound
        assert column.p_value is not None
        assert column.p_value >= exact.pvalue
        if exact.pvalue < 1e-6:
            assert column.p_value < 1e-4
