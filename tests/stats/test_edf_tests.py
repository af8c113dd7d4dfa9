"""anderson and cvm against scipy (relative tolerance 1e-9)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats as scipy_stats

from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.stats import anderson, cvm

RTOL = 1e-9

VALUES = st.one_of(
    st.integers(-3, 3).map(float),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)
SAMPLES = hnp.arrays(np.float64, st.integers(2, 30), elements=VALUES)


def _data(kind: str, n1: int, n2: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if kind == "normal":
        return rng.normal(size=n1), rng.normal(0.4, 1.2, size=n2)
    if kind == "rounded":
        return np.round(rng.normal(size=n1), 1), np.round(rng.normal(0.15, size=n2), 1)
    return (
        rng.integers(0, 6, size=n1).astype(float),
        rng.integers(0, 7, size=n2).astype(float),
    )  # "integers"


CASES = [
    ("normal", 5, 7, 0),
    ("normal", 15, 20, 1),
    ("normal", 60, 40, 2),
    ("rounded", 300, 500, 3),
    ("integers", 150, 100, 4),
    ("normal", 2000, 1500, 5),
]


def _scipy_anderson(reference: np.ndarray, current: np.ndarray) -> tuple[float, float, bool]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = scipy_stats.anderson_ksamp([reference, current], variant="midrank")
    capped = any("p-value capped" in str(w.message) or "floored" in str(w.message) for w in caught)
    return float(result.statistic), float(result.pvalue), capped


CONTINUOUS = [case for case in CASES if case[0] == "normal"]
TIED = [case for case in CASES if case[0] != "normal"]


def _agrees_within_monte_carlo_error(p_value: float, reference: float, draws: int) -> bool:
    """Whether a sequential Monte Carlo p-value agrees with a reference p-value.

    Besag and Clifford's rule stops after 10 draws at least as extreme, so its p-value
    ``10 / L`` has a relative error of about ``sqrt(1 / 10)``; when it ran all ``draws`` it
    has the usual binomial error. Four of either, plus one draw's worth.
    """
    binomial = 4 * float(np.sqrt(reference * (1 - reference) / draws)) + 1 / draws
    return abs(p_value - reference) <= max(binomial, 4 * reference / np.sqrt(10))


@pytest.mark.parametrize(("kind", "n1", "n2", "seed"), CONTINUOUS)
def test_anderson_matches_scipy(kind: str, n1: int, n2: int, seed: int) -> None:
    reference, current = _data(kind, n1, n2, seed)
    statistic, p_value, capped = _scipy_anderson(reference, current)
    result = anderson(reference, current)
    assert (result.method, result.n_reference, result.n_current) == ("anderson", n1, n2)
    assert result.statistic == pytest.approx(statistic, rel=RTOL)
    assert result.p_value == pytest.approx(p_value, rel=RTOL)
    assert result.details == {"p_value_capped": 1.0 if capped else 0.0, "n_resamples": 0.0}
    assert type(result.statistic) is float
    assert type(result.p_value) is float


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "n1", "n2", "seed"), TIED)
def test_anderson_with_ties_matches_scipys_permutation_p_value(
    kind: str, n1: int, n2: int, seed: int
) -> None:
    # scipy's own permutation version (method=PermutationMethod) is the reference: same
    # statistic, p-values within Monte Carlo error of each other.
    reference, current = _data(kind, n1, n2, seed)
    expected = scipy_stats.anderson_ksamp(
        [reference, current],
        variant="midrank",
        method=scipy_stats.PermutationMethod(n_resamples=1999, rng=np.random.default_rng(1)),
    )
    result = anderson(reference, current, n_resamples=1999)
    assert result.statistic == pytest.approx(float(expected.statistic), rel=RTOL)
    assert result.details["p_value_capped"] == 0.0
    assert 10 <= result.details["n_resamples"] <= 1999
    assert result.p_value is not None
    assert _agrees_within_monte_carlo_error(result.p_value, expected.pvalue, 1999)


def test_anderson_records_capped_and_floored_p_values() -> None:
    rng = np.random.default_rng(6)
    reference = rng.normal(size=200)
    floored = anderson(reference, reference + 3.0)
    assert (floored.p_value, floored.details["p_value_capped"]) == (0.001, 1.0)
    capped = anderson(reference, reference + 1e-3 * rng.normal(size=200))
    assert (capped.p_value, capped.details["p_value_capped"]) == (0.25, 1.0)


def test_anderson_passes_other_warnings_on(monkeypatch: pytest.MonkeyPatch) -> None:
    original = scipy_stats.anderson_ksamp

    def noisy(*args: object, **kwargs: object) -> object:
        warnings.warn("something else", RuntimeWarning, stacklevel=1)
        return original(*args, **kwargs)

    monkeypatch.setattr(scipy_stats, "anderson_ksamp", noisy)
    with pytest.warns(RuntimeWarning, match="something else"):
        result = anderson([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    assert result.details == {"p_value_capped": 0.0, "n_resamples": 0.0}


@pytest.mark.parametrize(("kind", "n1", "n2", "seed"), CONTINUOUS)
def test_cvm_matches_scipy(kind: str, n1: int, n2: int, seed: int) -> None:
    reference, current = _data(kind, n1, n2, seed)
    expected = scipy_stats.cramervonmises_2samp(reference, current)
    result = cvm(reference, current)
    assert (result.method, result.n_reference, result.n_current) == ("cvm", n1, n2)
    assert result.statistic == pytest.approx(float(expected.statistic), rel=RTOL)
    assert result.p_value == pytest.approx(float(expected.pvalue), rel=RTOL)
    assert type(result.statistic) is float
    assert type(result.p_value) is float


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "n1", "n2", "seed"), TIED)
def test_cvm_with_ties_matches_a_permutation_test(kind: str, n1: int, n2: int, seed: int) -> None:
    # Reference: scipy.stats.permutation_test of scipy's own statistic (midranks), which
    # orders the permutations as Anderson's criterion on the pooled values does.
    reference, current = _data(kind, n1, n2, seed)
    expected = scipy_stats.permutation_test(
        (reference, current),
        lambda x, y: scipy_stats.cramervonmises_2samp(x, y).statistic,
        n_resamples=1999,
        alternative="greater",
        rng=np.random.default_rng(2),
    )
    result = cvm(reference, current, n_resamples=1999)
    assert 10 <= result.details["n_resamples"] <= 1999
    assert result.p_value is not None
    assert _agrees_within_monte_carlo_error(result.p_value, expected.pvalue, 1999)


def test_cvm_statistic_without_ties_is_andersons_criterion() -> None:
    # n m / N**2 * sum over the pooled values of (F_r - F_c)**2, computed by hand here on
    # a 3 + 2 example: pooled 1 2 3 4 5, F_r = 1/3 1/3 2/3 2/3 1, F_c = 0 1/2 1/2 1 1.
    result = cvm([1.0, 3.0, 5.0], [2.0, 4.0])
    gaps = np.array([1 / 3, -1 / 6, 1 / 6, -1 / 3, 0.0])
    assert result.statistic == pytest.approx(6 / 25 * float(np.sum(gaps**2)), rel=RTOL)


def test_cvm_on_identical_constant_samples_is_not_significant() -> None:
    # scipy's continuous-data p-value for these is 1.6e-7 (issue 12).
    result = cvm(np.ones(50), np.ones(300))
    assert result.statistic == 0.0
    assert result.p_value == 1.0


def test_permutation_p_values_are_seeded() -> None:
    reference, current = _data("integers", 150, 100, 4)
    for kernel in (anderson, cvm):
        assert kernel(reference, current, seed=3) == kernel(reference, current, seed=3)


@settings(max_examples=60, deadline=None)
@given(reference=SAMPLES, current=SAMPLES, data=st.data())
def test_properties(reference: np.ndarray, current: np.ndarray, data: st.DataObject) -> None:
    assume(np.ptp(np.concatenate((reference, current))) > 0)
    order_reference = data.draw(st.permutations(range(reference.size)))
    order_current = data.draw(st.permutations(range(current.size)))
    for kernel in (anderson, cvm):
        result = kernel(reference, current)
        assert result.p_value is not None
        assert 0.0 <= result.p_value <= 1.0
        swapped = kernel(current, reference)
        assert swapped.statistic == pytest.approx(result.statistic, rel=1e-9, abs=1e-12)
        # Permutation p-values (with ties) draw the same side whichever comes first.
        assert swapped.p_value == pytest.approx(result.p_value, rel=1e-9, abs=1e-12)
        shuffled = kernel(reference[order_reference], current[order_current])
        assert shuffled.statistic == pytest.approx(result.statistic, rel=1e-9, abs=1e-12)
    assert cvm(reference, current).statistic >= 0.0


@settings(max_examples=50, deadline=None)
@given(reference=SAMPLES)
def test_identical_samples_are_not_significant(reference: np.ndarray) -> None:
    assume(np.ptp(reference) > 0)
    # Identical samples always have ties: a permutation p-value, and no draw is closer.
    assert anderson(reference, reference).p_value == 1.0
    p_value = cvm(reference, reference).p_value
    assert p_value is not None
    assert p_value > 0.5


@pytest.mark.parametrize("kernel", [anderson, cvm])
@pytest.mark.parametrize("argument", ["reference", "current"])
def test_fewer_than_two_values_is_insufficient(kernel: object, argument: str) -> None:
    samples = {"reference": [1.0, 2.0], "current": [1.5, 2.5]}
    samples[argument] = [1.0]
    with pytest.raises(InsufficientDataError, match=rf"'{argument}' argument .* at least 2"):
        kernel(**samples)  # type: ignore[operator]


def test_anderson_needs_two_distinct_values() -> None:
    with pytest.raises(InsufficientDataError, match="distinct"):
        anderson([2.0, 2.0], [2.0, 2.0, 2.0])


@pytest.mark.parametrize("kernel", [anderson, cvm])
def test_non_finite_values_are_rejected(kernel: object) -> None:
    with pytest.raises(InvalidParameterError, match="finite"):
        kernel([1.0, np.nan, 2.0], [1.0, 3.0])  # type: ignore[operator]


@pytest.mark.parametrize("kernel", [anderson, cvm])
def test_assume_sorted_is_accepted_and_checked(kernel: object) -> None:
    reference, current = _data("normal", 30, 40, 7)
    sorted_result = kernel(np.sort(reference), np.sort(current), assume_sorted=True)  # type: ignore[operator]
    assert sorted_result == kernel(reference, current)  # type: ignore[operator]
    with pytest.raises(InvalidParameterError, match="must be sorted"):
        kernel([2.0, 1.0], [1.0, 3.0], assume_sorted=True)  # type: ignore[operator]
