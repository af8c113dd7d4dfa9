"""count_pvalue: asymptotic p-values against scipy, Monte Carlo p-values against exact ones."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats as scipy_stats

from driftpilot.errors import InvalidParameterError
from driftpilot.stats import (
    COUNT_NULL_METHODS,
    chi2,
    count_pvalue,
    hellinger,
    jensenshannon,
    kl,
    psi,
    ztest,
)

RTOL = 1e-9


def _big_counts(seed: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(k, 5.0))
    return rng.multinomial(20_000, weights), rng.multinomial(3_000, weights)


@pytest.mark.parametrize("k", [2, 5, 12])
def test_chi2_and_ztest_asymptotic_p_values_equal_scipys(k: int) -> None:
    ref, cur = _big_counts(k, k)
    result = count_pvalue("chi2", ref, cur)
    assert result.method == "asymptotic"
    expected = scipy_stats.chi2_contingency(np.vstack((ref, cur))).pvalue
    assert result.p_value == pytest.approx(expected, rel=RTOL)
    assert result.p_value == pytest.approx(chi2(ref, cur).p_value, rel=RTOL)
    if k == 2:
        assert count_pvalue("ztest", ref, cur).p_value == pytest.approx(
            ztest(ref, cur).p_value, rel=RTOL
        )


@pytest.mark.parametrize(
    ("method", "kernel", "factor"),
    [
        ("psi", psi, 1.0),
        ("kl", kl, 2.0),
        # the kernel returns the base-2 distance; the divergence in nats is its square x ln 2
        ("jensenshannon", jensenshannon, 8.0 * math.log(2.0)),
        ("hellinger", hellinger, 8.0),
    ],
)
def test_distance_p_values_are_the_chi2_tail_of_the_scaled_distance(
    method: str, kernel: object, factor: float
) -> None:
    ref, cur = _big_counts(7, 6)
    distance = kernel(ref, cur).statistic  # type: ignore[operator]
    if method != "psi" and method != "kl":
        distance = distance**2
    n_eff = ref.sum() * cur.sum() / (ref.sum() + cur.sum())
    expected = scipy_stats.chi2.sf(factor * n_eff * distance, 5)
    assert count_pvalue(method, ref, cur).p_value == pytest.approx(expected, rel=RTOL)


@pytest.mark.slow
@pytest.mark.parametrize("method", sorted(COUNT_NULL_METHODS))
def test_chi2_approximation_holds_its_level_in_simulation(method: str) -> None:
    # Issue 12 asked to check the asymptotics against simulation: 2,000 A/A tables with 8
    # bins, 5,000 + 500 rows; the rejection rate at 0.05 is within 3 binomial sigmas.
    rng = np.random.default_rng(11)
    k = 2 if method == "ztest" else 8
    weights = rng.dirichlet(np.full(k, 4.0))
    trials = 2_000
    rejected = 0
    for _ in range(trials):
        ref, cur = rng.multinomial(5_000, weights), rng.multinomial(500, weights)
        result = count_pvalue(method, ref, cur)
        assert result.method == "asymptotic"
        rejected += result.p_value < 0.05
    assert rejected / trials <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / trials)


def test_sparse_tables_get_a_seeded_monte_carlo_p_value() -> None:
    rng = np.random.default_rng(3)
    weights = 1.0 / np.arange(1, 201) ** 1.1
    weights /= weights.sum()
    ref, cur = rng.multinomial(100_000, weights), rng.multinomial(300, weights)
    result = count_pvalue("jensenshannon", ref, cur, seed=4)
    assert result.method == "monte_carlo"
    assert result.min_expected < 5
    assert 10 <= result.n_resamples <= 999
    assert result == count_pvalue("jensenshannon", ref, cur, seed=4)
    assert 0.0 < result.p_value <= 1.0


def test_monte_carlo_p_value_matches_fishers_exact_test() -> None:
    # A 2 x 2 table: the conditional Monte Carlo test of chi2 (Yates) ranks tables as
    # Fisher's exact test does (two-sided, by probability, nearly the same order here).
    ref, cur = np.array([8, 2]), np.array([1, 5])
    result = count_pvalue("chi2", ref, cur, n_resamples=20_000, seed=0)
    assert result.method == "monte_carlo"
    exact = scipy_stats.fisher_exact(np.vstack((ref, cur))).pvalue
    assert abs(result.p_value - exact) <= 4 * math.sqrt(exact * (1 - exact) / 20_000) + 0.005


@pytest.mark.slow
def test_monte_carlo_rejection_rate_on_sparse_a_a_tables() -> None:
    rng = np.random.default_rng(8)
    weights = 1.0 / np.arange(1, 51) ** 1.1
    weights /= weights.sum()
    trials = 300
    rejected = 0
    for seed in range(trials):
        ref, cur = rng.multinomial(5_000, weights), rng.multinomial(300, weights)
        rejected += count_pvalue("psi", ref, cur, seed=seed).p_value < 0.05
    assert rejected / trials <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / trials)


@settings(max_examples=60, deadline=None)
@given(
    ref=hnp.arrays(np.int64, 4, elements=st.integers(0, 30)).filter(lambda c: c.sum() > 0),
    cur=hnp.arrays(np.int64, 4, elements=st.integers(0, 30)).filter(lambda c: c.sum() > 0),
    method=st.sampled_from(sorted(m for m in COUNT_NULL_METHODS if m != "ztest")),
)
def test_p_values_are_probabilities_and_symmetric_in_identical_inputs(
    ref: np.ndarray, cur: np.ndarray, method: str
) -> None:
    result = count_pvalue(method, ref, cur, n_resamples=99)
    assert 0.0 < result.p_value <= 1.0
    assert count_pvalue(method, ref, ref, n_resamples=99).p_value > 0.05


def test_unknown_method_is_named() -> None:
    with pytest.raises(InvalidParameterError, match="'method' parameter of count_pvalue"):
        count_pvalue("kss", [1, 2], [2, 1])
